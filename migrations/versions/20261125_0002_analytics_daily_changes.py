"""Analytics: writes record what they add to the rollup and how they move tickets on the map.

Until now every change to a ticket, its feedback or its escalations marked its hours
dirty, and readers recomputed those whole days from `tickets` (at a million tickets,
thousands of tickets a day) until beat refreshed them. Now a change that only adds to
the rollup's rows (a report, a first response, a resolution or closure, a rating, an
escalation and its decision) writes what it adds, as signed counters and the durations
it adds, to `analytics_daily_changes` in the writer's own transaction; readers add those
rows to the rollup's. Only a change that would take a duration away from a row (a
reopen, a ticket moved to another team or category after it was answered, a deleted
ticket) still marks its hours dirty. Insert-only: writers never wait on each other.

Likewise every change that moves a ticket on the heatmap (or between its filters) logs
the ticket as it was and as it is in `analytics_ticket_moves`, stamped with the writer's
transaction id: a map remembered from one snapshot is brought up to date with exactly
the moves that snapshot did not see, instead of being counted again.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 10:00:00
"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geography
from sqlalchemy.dialects import postgresql

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = "('new', 'in_progress', 'escalated')"
COUNTERS = (
    "created_n", "escalated_n", "escalations_decided_n", "escalations_approved_n",
    "resolved_n", "resolved_with_due_n", "resolved_on_time_n", "reopened_n", "feedback_n",
    "rating_sum", "rating_n", "fixed_yes_n", "fixed_answered_n", "ended_n", "open_n",
    "open_due_n",
)  # fmt: skip

# What each ticket row (old ones signed -1, new ones +1) gives each rollup row; the same
# cohorts as core/analytics/rollups.py's facts, with the ticket's current escalations and
# feedback (identical for its old and new row, so they cancel unless the ticket moved).
_TICKET_FACTS = f"""
rows AS ({{rows}}),
facts AS (
    SELECT r.sign, (r.created_at AT TIME ZONE tz)::date AS day, r.category_id, r.team_id,
        r.channel, 1 AS created_n,
        CAST(extract(epoch FROM r.first_response_at - r.created_at) AS integer) AS first_response,
        CASE WHEN e.n > 0 THEN 1 ELSE 0 END AS escalated_n,
        coalesce(e.decided, 0) AS escalations_decided_n,
        coalesce(e.approved, 0) AS escalations_approved_n,
        0 AS resolved_n, NULL::integer AS resolution, 0 AS resolved_with_due_n,
        0 AS resolved_on_time_n, 0 AS reopened_n, 0 AS feedback_n, 0 AS rating_sum,
        0 AS rating_n, 0 AS fixed_yes_n, 0 AS fixed_answered_n, 0 AS ended_n,
        CASE WHEN r.status IN {_OPEN} THEN 1 ELSE 0 END AS open_n, 0 AS open_due_n
    FROM rows r LEFT JOIN LATERAL (
        SELECT count(*) AS n, count(*) FILTER (WHERE x.status <> 'pending') AS decided,
            count(*) FILTER (WHERE x.status = 'approved') AS approved
        FROM escalations x WHERE x.ticket_id = r.id
    ) e ON true
    UNION ALL
    SELECT r.sign, (r.resolved_at AT TIME ZONE tz)::date, r.category_id, r.team_id, r.channel,
        0, NULL, 0, 0, 0,
        1, CAST(extract(epoch FROM r.resolved_at - r.created_at) AS integer),
        CASE WHEN r.due_at IS NOT NULL THEN 1 ELSE 0 END,
        CASE WHEN r.resolved_at <= r.due_at THEN 1 ELSE 0 END,
        CASE WHEN r.reopen_count > 0 THEN 1 ELSE 0 END,
        CASE WHEN f.id IS NOT NULL THEN 1 ELSE 0 END, coalesce(f.rating, 0),
        CASE WHEN f.rating IS NOT NULL THEN 1 ELSE 0 END,
        CASE WHEN f.fixed THEN 1 ELSE 0 END, CASE WHEN f.fixed IS NOT NULL THEN 1 ELSE 0 END,
        1, 0, 0
    FROM rows r LEFT JOIN feedback f ON f.ticket_id = r.id WHERE r.resolved_at IS NOT NULL
    UNION ALL
    SELECT r.sign, (r.closed_at AT TIME ZONE tz)::date, r.category_id, r.team_id, r.channel,
        0, NULL, 0, 0, 0, 0, NULL, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0
    FROM rows r WHERE r.closed_at IS NOT NULL AND r.resolved_at IS NULL
    UNION ALL
    SELECT r.sign, (r.due_at AT TIME ZONE tz)::date, r.category_id, r.team_id, r.channel,
        0, NULL, 0, 0, 0, 0, NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
    FROM rows r WHERE r.due_at IS NOT NULL AND r.status IN {_OPEN}
)"""
_KEY = "day, category_id, team_id, channel"
_SUMS = ", ".join(f"CAST(sum(sign * {c}) AS integer) AS {c}" for c in COUNTERS)
_ANY_SUM = " OR ".join(f"sum(sign * {c}) <> 0" for c in COUNTERS)
# Net durations per row: a value whose count drops below zero was taken away.
_DURATIONS = f"""
durations AS (
    SELECT {_KEY}, 'first_response' AS metric, first_response AS v, sum(sign) AS n
    FROM facts WHERE first_response IS NOT NULL GROUP BY {_KEY}, first_response
    UNION ALL
    SELECT {_KEY}, 'resolution', resolution, sum(sign)
    FROM facts WHERE resolution IS NOT NULL GROUP BY {_KEY}, resolution
)"""
_RECORD_TICKETS = f"""
WITH {_TICKET_FACTS}, {_DURATIONS},
counters AS (SELECT {_KEY}, {_SUMS} FROM facts GROUP BY {_KEY} HAVING {_ANY_SUM}),
added AS (
    SELECT {_KEY},
        array_agg(v ORDER BY v) FILTER (WHERE metric = 'first_response') AS first_response_s,
        array_agg(v ORDER BY v) FILTER (WHERE metric = 'resolution') AS resolution_s
    FROM durations, generate_series(1, CAST(n AS integer)) WHERE n > 0 GROUP BY {_KEY}
)
INSERT INTO analytics_daily_changes ({_KEY}, {", ".join(COUNTERS)}, first_response_s, resolution_s)
SELECT {_KEY}, {", ".join(f"coalesce(c.{x}, 0)" for x in COUNTERS)},
    coalesce(a.first_response_s, ARRAY[]::integer[]), coalesce(a.resolution_s, ARRAY[]::integer[])
FROM counters c FULL JOIN added a USING (day, category_id, team_id, channel)
"""
_TAKES_AWAY = f"""
WITH {_TICKET_FACTS}, {_DURATIONS}
SELECT EXISTS (SELECT 1 FROM durations WHERE n < 0)
"""
_COLUMNS = (
    "id, category_id, team_id, channel, status, created_at, first_response_at, resolved_at,"
    " closed_at, due_at, reopen_count"
)
_CHANGED = """
    SELECT -1 AS sign, {c} FROM old_rows WHERE id IN (SELECT id FROM moved)
    UNION ALL SELECT 1, {c} FROM new_rows WHERE id IN (SELECT id FROM moved)"""
_MOVED = """
moved AS (
    SELECT n.id FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (o.status, o.category_id, o.team_id, o.channel, o.created_at, o.first_response_at,
           o.resolved_at, o.closed_at, o.due_at, o.reopen_count)
          IS DISTINCT FROM
          (n.status, n.category_id, n.team_id, n.channel, n.created_at, n.first_response_at,
           n.resolved_at, n.closed_at, n.due_at, n.reopen_count)
)"""


def _ticket_sql(template: str, op: str) -> str:
    if op == "INSERT":
        return template.format(rows=f"SELECT 1 AS sign, {_COLUMNS} FROM new_rows")
    rows = _CHANGED.format(c=_COLUMNS)
    return template.replace("WITH ", f"WITH {_MOVED}, ", 1).format(rows=rows)


# The hours a change touches, as the first revision's trigger marks them.
_DIRTY_UPDATE = """
INSERT INTO analytics_dirty_hours (hour)
SELECT DISTINCT date_trunc('hour', ts) FROM old_rows o JOIN new_rows n ON n.id = o.id,
LATERAL (VALUES (o.created_at), (o.resolved_at), (o.closed_at), (o.due_at),
                (n.created_at), (n.resolved_at), (n.closed_at), (n.due_at)) v(ts)
WHERE ts IS NOT NULL"""

RECORD_TICKET_CHANGES = f"""
CREATE FUNCTION analytics_record_ticket_changes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tz text := (SELECT timezone FROM analytics_rollup_state WHERE id = 1);
  takes_away boolean;
BEGIN
  IF tz IS NULL THEN
    RETURN NULL;  -- no rollup yet: readers compute every day live
  END IF;
  IF TG_OP = 'INSERT' THEN
    {_ticket_sql(_RECORD_TICKETS, "INSERT")};
    RETURN NULL;
  END IF;
  {_ticket_sql(_TAKES_AWAY, "UPDATE").rstrip()}
  INTO takes_away;
  IF takes_away THEN
    {_DIRTY_UPDATE};
  ELSE
    {_ticket_sql(_RECORD_TICKETS, "UPDATE")};
  END IF;
  RETURN NULL;
END $$"""

# Feedback adds to the resolved cohort of its ticket; old rows count -1, new rows +1.
_FEEDBACK_CHANGES = """
INSERT INTO analytics_daily_changes (day, category_id, team_id, channel, feedback_n,
    rating_sum, rating_n, fixed_yes_n, fixed_answered_n)
SELECT (t.resolved_at AT TIME ZONE tz)::date, t.category_id, t.team_id, t.channel,
    sum(f.sign), sum(f.sign * coalesce(f.rating, 0)),
    sum(f.sign * CASE WHEN f.rating IS NOT NULL THEN 1 ELSE 0 END),
    sum(f.sign * CASE WHEN f.fixed THEN 1 ELSE 0 END),
    sum(f.sign * CASE WHEN f.fixed IS NOT NULL THEN 1 ELSE 0 END)
FROM ({rows}) AS f JOIN tickets t ON t.id = f.ticket_id
WHERE t.resolved_at IS NOT NULL
GROUP BY 1, 2, 3, 4"""
# Escalations add to the created cohort: "escalated" counts a ticket once, so it is the
# ticket's escalations now against before this statement.
_ESCALATION_CHANGES = """
INSERT INTO analytics_daily_changes (day, category_id, team_id, channel, escalated_n,
    escalations_decided_n, escalations_approved_n)
SELECT (t.created_at AT TIME ZONE tz)::date, t.category_id, t.team_id, t.channel,
    sum(CASE WHEN now_n > 0 THEN 1 ELSE 0 END - CASE WHEN now_n - d.n > 0 THEN 1 ELSE 0 END),
    sum(d.decided), sum(d.approved)
FROM (
    SELECT e.ticket_id, sum(e.sign) AS n,
        sum(e.sign * CASE WHEN e.status <> 'pending' THEN 1 ELSE 0 END) AS decided,
        sum(e.sign * CASE WHEN e.status = 'approved' THEN 1 ELSE 0 END) AS approved
    FROM ({rows}) AS e GROUP BY e.ticket_id
) AS d
JOIN tickets t ON t.id = d.ticket_id,
LATERAL (SELECT count(*) AS now_n FROM escalations x WHERE x.ticket_id = d.ticket_id) AS c
GROUP BY 1, 2, 3, 4"""
_CHILD_ROWS = {
    "INSERT": "SELECT 1 AS sign, * FROM new_rows",
    "UPDATE": "SELECT -1 AS sign, * FROM old_rows UNION ALL SELECT 1, * FROM new_rows",
    "DELETE": "SELECT -1 AS sign, * FROM old_rows",
}


def _child_function(name: str, template: str) -> str:
    branches = "\n  ".join(
        f"{'IF' if i == 0 else 'ELSIF'} TG_OP = '{op}' THEN\n    {template.format(rows=rows)};"
        for i, (op, rows) in enumerate(_CHILD_ROWS.items())
    )
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tz text := (SELECT timezone FROM analytics_rollup_state WHERE id = 1);
BEGIN
  IF tz IS NULL THEN
    RETURN NULL;
  END IF;
  {branches}
  END IF;
  RETURN NULL;
END $$"""


FUNCTIONS = {
    "analytics_record_ticket_changes": RECORD_TICKET_CHANGES,
    "analytics_record_feedback_changes": _child_function(
        "analytics_record_feedback_changes", _FEEDBACK_CHANGES
    ),
    "analytics_record_escalation_changes": _child_function(
        "analytics_record_escalation_changes", _ESCALATION_CHANGES
    ),
}
_TRIGGERS = (
    ("tickets", "insert", "INSERT", "NEW TABLE AS new_rows", "analytics_record_ticket_changes"),
    ("tickets", "update", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows",
     "analytics_record_ticket_changes"),
    ("feedback", "insert", "INSERT", "NEW TABLE AS new_rows", "analytics_record_feedback_changes"),
    ("feedback", "update", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows",
     "analytics_record_feedback_changes"),
    ("feedback", "delete", "DELETE", "OLD TABLE AS old_rows", "analytics_record_feedback_changes"),
    ("escalations", "insert", "INSERT", "NEW TABLE AS new_rows",
     "analytics_record_escalation_changes"),
    ("escalations", "update", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows",
     "analytics_record_escalation_changes"),
    ("escalations", "delete", "DELETE", "OLD TABLE AS old_rows",
     "analytics_record_escalation_changes"),
)  # fmt: skip
# The first revision's triggers these replace (ticket deletes still mark hours dirty).
_REPLACED = [(t, e) for t, e, *_ in _TRIGGERS]


_MOVE_COLUMNS = "created_at, location, status, category_id, team_id, channel"
_MOVED_ON_MAP = """EXISTS (SELECT 1 FROM {other} x WHERE x.id = r.id
    AND (x.created_at, CAST(x.location AS text), x.status, x.category_id, x.team_id, x.channel)
        IS DISTINCT FROM
        (r.created_at, CAST(r.location AS text), r.status, r.category_id, r.team_id, r.channel))"""
LOG_TICKET_MOVES = f"""
CREATE FUNCTION analytics_log_ticket_moves() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO analytics_ticket_moves (sign, {_MOVE_COLUMNS})
    SELECT 1, {_MOVE_COLUMNS} FROM new_rows r;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO analytics_ticket_moves (sign, {_MOVE_COLUMNS})
    SELECT -1, {_MOVE_COLUMNS} FROM old_rows r;
  ELSE
    INSERT INTO analytics_ticket_moves (sign, {_MOVE_COLUMNS})
    SELECT -1, {_MOVE_COLUMNS} FROM old_rows r WHERE {_MOVED_ON_MAP.format(other="new_rows")}
    UNION ALL
    SELECT 1, {_MOVE_COLUMNS} FROM new_rows r WHERE {_MOVED_ON_MAP.format(other="old_rows")};
  END IF;
  RETURN NULL;
END $$"""
_MOVE_TRIGGERS = (
    ("insert", "INSERT", "NEW TABLE AS new_rows"),
    ("update", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    ("delete", "DELETE", "OLD TABLE AS old_rows"),
)


def upgrade() -> None:
    op.create_table('analytics_daily_changes',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('category_id', sa.BigInteger(), nullable=False),
    sa.Column('team_id', sa.BigInteger(), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    *[sa.Column(c, sa.Integer(), server_default='0', nullable=False) for c in COUNTERS],
    sa.Column('first_response_s', postgresql.ARRAY(sa.Integer()), server_default='{}', nullable=False),
    sa.Column('resolution_s', postgresql.ARRAY(sa.Integer()), server_default='{}', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_daily_changes'))
    )
    for table, event in _REPLACED:
        op.execute(f"DROP TRIGGER IF EXISTS analytics_dirty_{event} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS analytics_mark_children_dirty()")
    for sql in FUNCTIONS.values():
        op.execute(sql)
    for table, event, when, transition, function in _TRIGGERS:
        op.execute(
            f"CREATE TRIGGER analytics_changes_{event} AFTER {when} ON {table} "
            f"REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )
    op.create_table('analytics_ticket_moves',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('writer_xid', sa.BigInteger(), server_default=sa.text('CAST(CAST(pg_current_xact_id() AS text) AS bigint)'), nullable=False),
    sa.Column('logged_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('sign', sa.SmallInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('location', Geography(geometry_type='POINT', srid=4326, spatial_index=False), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('category_id', sa.BigInteger(), nullable=False),
    sa.Column('team_id', sa.BigInteger(), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_ticket_moves'))
    )
    op.execute(LOG_TICKET_MOVES)
    for event, when, transition in _MOVE_TRIGGERS:
        op.execute(
            f"CREATE TRIGGER analytics_moves_{event} AFTER {when} ON tickets "
            f"REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION analytics_log_ticket_moves()"
        )


# The first revision's function for feedback and escalations, put back on downgrade.
_MARK_CHILDREN_DIRTY = """
CREATE FUNCTION analytics_mark_children_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO analytics_dirty_hours (hour)
    SELECT DISTINCT date_trunc('hour', ts) FROM old_rows c JOIN tickets t ON t.id = c.ticket_id,
    LATERAL (VALUES (t.created_at), (t.resolved_at)) v(ts) WHERE ts IS NOT NULL;
  ELSE
    INSERT INTO analytics_dirty_hours (hour)
    SELECT DISTINCT date_trunc('hour', ts) FROM new_rows c JOIN tickets t ON t.id = c.ticket_id,
    LATERAL (VALUES (t.created_at), (t.resolved_at)) v(ts) WHERE ts IS NOT NULL;
  END IF;
  RETURN NULL;
END $$"""


def downgrade() -> None:
    for event, *_ in _MOVE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS analytics_moves_{event} ON tickets")
    op.execute("DROP FUNCTION IF EXISTS analytics_log_ticket_moves()")
    op.execute("DROP TABLE IF EXISTS analytics_ticket_moves")
    for table, event, *_ in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS analytics_changes_{event} ON {table}")
    for name in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_table('analytics_daily_changes')
    op.execute(_MARK_CHILDREN_DIRTY)
    for table, event, when, transition, _ in _TRIGGERS:
        function = "analytics_mark_tickets_dirty" if table == "tickets" else "analytics_mark_children_dirty"
        op.execute(
            f"CREATE TRIGGER analytics_dirty_{event} AFTER {when} ON {table} "
            f"REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )
