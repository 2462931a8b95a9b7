"""Each ticket's point in metres, for counting heatmap cells without projecting.

A heatmap cuts the city into cells laid out in a UTM zone (core/analytics/geo_grid.py).
Projecting a month of a busy city's tickets (120,000 points) on every count cost most
of the map's time; `tickets.map_srid`/`map_x`/`map_y` hold each ticket's point already
projected into the UTM zone of its own location, written by a trigger with the ticket
and whenever its location changes. A map of an area in another zone (or a row not yet
filled) projects as before. The covering index lets a month's points be read from the
index alone.

Nothing here holds a lock for long at a million tickets (as in 0009): the columns have
no default (a catalogue change), the trigger fills every write from then on, existing
rows are filled in batches of their own short transactions, and the index is built
CONCURRENTLY. The two statements that lock tickets (adding the columns, the trigger)
wait at most 2 s for their lock and are tried again later, so that one long query on
tickets cannot make them hold every other reader and writer queued behind them. The
batches only set the new columns, which no statement trigger on
tickets reads (move log, rollup changes, hotspots: each compares other columns), so
when the role may, they run with `session_replication_role = replica`: those triggers
then skip work that would find nothing, and a batch costs what its rows cost to write.

Revision ID: 0012
Revises: 0015
Create Date: 2026-12-03 09:40:00
"""

import time
from collections.abc import Sequence

from alembic import op
from sqlalchemy.exc import DBAPIError

revision: str = "0012"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 10_000

# The EPSG code of the UTM zone a WGS 84 point lies in; geo_grid.utm_srid's arithmetic.
UTM_SRID = """
CREATE OR REPLACE FUNCTION utm_srid(p geometry) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN ST_Y(p) >= 0 THEN 32600 ELSE 32700 END
        + least(60, CAST(floor((ST_X(p) + 180) / 6) AS integer) + 1)
$$
"""
MAP_POINT = """
CREATE OR REPLACE FUNCTION tickets_map_point() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    projected geometry;
BEGIN
    IF NEW.location IS NULL THEN
        NEW.map_srid := NULL;
        NEW.map_x := NULL;
        NEW.map_y := NULL;
    ELSE
        NEW.map_srid := utm_srid(NEW.location::geometry);
        projected := ST_Transform(NEW.location::geometry, NEW.map_srid);
        NEW.map_x := ST_X(projected);
        NEW.map_y := ST_Y(projected);
    END IF;
    RETURN NEW;
END $$
"""
_FILL = """
UPDATE tickets SET map_srid = p.srid, map_x = ST_X(p.g), map_y = ST_Y(p.g)
FROM (
    SELECT id, srid, ST_Transform(location::geometry, srid) AS g
    FROM (SELECT id, location, utm_srid(location::geometry) AS srid FROM tickets
          WHERE id >= {start} AND id < {end} AND location IS NOT NULL AND map_srid IS NULL) AS s
) AS p
WHERE tickets.id = p.id
"""
INDEX = (
    "CREATE INDEX CONCURRENTLY ix_tickets_map_points ON tickets (created_at)"
    " INCLUDE (map_srid, map_x, map_y, status, category_id, team_id, channel, location)"
)


LOCK_TIMEOUT_MS = 2_000
LOCK_TRIES = 150


def _briefly(bind, sql: str) -> None:
    """Run `sql` (its own transaction) waiting at most LOCK_TIMEOUT_MS for its lock, and
    try again later if that was not enough: a statement queued behind a long query on
    tickets would otherwise hold every reader and writer of tickets queued behind it."""
    for attempt in range(LOCK_TRIES):
        try:
            bind.exec_driver_sql(sql)
            return
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) != "55P03" or attempt == LOCK_TRIES - 1:
                raise
            time.sleep(1)


def upgrade() -> None:
    with op.get_context().autocommit_block():
        bind = op.get_bind()
        bind.exec_driver_sql(f"SET lock_timeout = {LOCK_TIMEOUT_MS}")
        _briefly(
            bind,
            "ALTER TABLE tickets ADD COLUMN IF NOT EXISTS map_srid integer,"
            " ADD COLUMN IF NOT EXISTS map_x double precision,"
            " ADD COLUMN IF NOT EXISTS map_y double precision",
        )
        bind.exec_driver_sql(UTM_SRID)
        bind.exec_driver_sql(MAP_POINT)
        _briefly(
            bind,
            "CREATE OR REPLACE TRIGGER tickets_map_point"
            " BEFORE INSERT OR UPDATE OF location ON tickets"
            " FOR EACH ROW EXECUTE FUNCTION tickets_map_point()",
        )
        bind.exec_driver_sql("RESET lock_timeout")
        superuser = bind.exec_driver_sql(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
        ).scalar()
        if superuser:
            bind.exec_driver_sql("SET session_replication_role = replica")
        try:
            last = bind.exec_driver_sql("SELECT coalesce(max(id), 0) FROM tickets").scalar()
            for start in range(0, last + 1, BATCH):
                bind.exec_driver_sql(_FILL.format(start=start, end=start + BATCH))
        finally:
            if superuser:
                bind.exec_driver_sql("RESET session_replication_role")
        # A failed concurrent build leaves an invalid index behind: built afresh.
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_tickets_map_points")
        op.execute(INDEX)
        op.execute("VACUUM (ANALYZE) tickets")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_tickets_map_points")
    op.execute("DROP TRIGGER IF EXISTS tickets_map_point ON tickets")
    op.execute("DROP FUNCTION IF EXISTS tickets_map_point()")
    op.execute("DROP FUNCTION IF EXISTS utm_srid(geometry)")
    for column in ("map_y", "map_x", "map_srid"):
        op.execute(f"ALTER TABLE tickets DROP COLUMN IF EXISTS {column}")
