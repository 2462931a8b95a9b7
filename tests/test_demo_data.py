"""`flask --app wsgi demo-data`: realistic, consistent, deterministic synthetic data."""

from __future__ import annotations

import dataclasses
import re

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from cli.demo.people import demo_phone
from core.db import Database
from core.models import Category, Ticket, User
from core.people.phones import normalize_mobile

LOADED = re.compile(r"loaded (\d+) tickets in [\d.]+ s \((\d+) tickets/s\)")

# Each query counts the rows that break a rule; every count must be zero.
INVARIANTS = {
    "a ticket without its created event, by its reporter, at its creation": """
        SELECT count(*) FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM ticket_events e
        WHERE e.ticket_id = t.id AND e.kind = 'created' AND e.created_at = t.created_at
        AND e.actor_id IS NOT DISTINCT FROM t.reporter_id)""",
    "the latest status event does not lead to the ticket's status": """
        SELECT count(*) FROM tickets t JOIN LATERAL (SELECT to_value FROM ticket_events e
        WHERE e.ticket_id = t.id AND e.kind IN ('created', 'status_changed', 'escalated',
        'escalation_decided', 'reopened') ORDER BY e.created_at DESC, e.id DESC LIMIT 1) last
        ON last.to_value <> t.status""",
    "lifecycle timestamps out of order": """
        SELECT count(*) FROM tickets WHERE first_response_at <= created_at
        OR resolved_at <= first_response_at OR closed_at < first_response_at
        OR closed_at <= resolved_at OR created_at > clock_timestamp() OR updated_at < created_at""",
    "status and timestamps disagree": """
        SELECT count(*) FROM tickets WHERE (status = 'new' AND first_response_at IS NOT NULL)
        OR (status = 'closed') <> (closed_at IS NOT NULL)
        OR (status = 'closed') <> (resolution IS NOT NULL)
        OR (status = 'resolved' AND resolved_at IS NULL)""",
    "due time not from the category's SLA": """
        SELECT count(*) FROM tickets t JOIN categories c ON c.id = t.category_id
        WHERE t.due_at <> t.created_at + make_interval(hours => c.sla_hours)""",
    "breach not between the due time and the resolution": """
        SELECT count(*) FROM tickets WHERE sla_breached_at < due_at
        OR sla_breached_at >= coalesce(resolved_at, closed_at, clock_timestamp())""",
    # The data is as of the minute the command started: later, the SLA sweep's turn.
    "overdue without a breach": """
        SELECT count(*) FROM tickets WHERE sla_breached_at IS NULL
        AND due_at < coalesce(resolved_at, closed_at, clock_timestamp() - interval '1 minute')""",
    "an event before its ticket or in the future": """
        SELECT count(*) FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
        WHERE e.created_at < t.created_at OR e.created_at > clock_timestamp()""",
    "an assignee from outside the ticket's team": """
        SELECT count(*) FROM tickets t JOIN users u ON u.id = t.assignee_id
        WHERE u.role <> 'support' OR NOT EXISTS (
            SELECT FROM user_teams m WHERE m.user_id = u.id AND m.team_id = t.team_id)""",
    "a ticket not routed to its category's team": """
        SELECT count(*) FROM tickets t JOIN categories c ON c.id = t.category_id
        WHERE t.team_id IS DISTINCT FROM c.default_team_id""",
    "an escalation decided by someone other than a manager of the team": """
        SELECT count(*) FROM escalations x JOIN users u ON u.id = x.decided_by_id
        JOIN tickets t ON t.id = x.ticket_id WHERE u.role <> 'manager' OR x.decided_at <= x.created_at
        OR NOT EXISTS (SELECT FROM user_teams m WHERE m.user_id = u.id AND m.team_id = t.team_id)""",
    "a pending escalation that was decided, or whose ticket is not escalated": """
        SELECT count(*) FROM escalations x JOIN tickets t ON t.id = x.ticket_id
        WHERE x.status = 'pending' AND (x.decided_by_id IS NOT NULL OR t.status <> 'escalated')""",
    "feedback not from the reporter, or before the work was done": """
        SELECT count(*) FROM feedback f JOIN tickets t ON t.id = f.ticket_id
        WHERE f.user_id IS DISTINCT FROM t.reporter_id OR t.status IN ('new', 'escalated')""",
    "followers_count not the number of followers": """
        SELECT count(*) FROM tickets t WHERE followers_count <>
        (SELECT count(*) FROM ticket_followers f WHERE f.ticket_id = t.id)""",
    "a reporter following their own ticket": """
        SELECT count(*) FROM ticket_followers f JOIN tickets t ON t.id = f.ticket_id
        WHERE f.user_id = t.reporter_id""",
    "a duplicate of a later ticket, or not closed as duplicate": """
        SELECT count(*) FROM tickets t JOIN tickets d ON d.id = t.duplicate_of_id
        WHERE t.resolution <> 'duplicate' OR d.id >= t.id""",
    "a ticket with neither a point nor an address": """
        SELECT count(*) FROM tickets WHERE (location IS NULL) <> needs_location
        OR (needs_location AND address IS NULL)""",
    "a point outside Istanbul's service area": """
        SELECT count(*) FROM tickets WHERE NOT ST_Covers(
        ST_MakeEnvelope(27.95, 40.78, 29.95, 41.60, 4326), location::geometry)""",
    "a repeated phone number": """
        SELECT count(phone) - count(DISTINCT phone) FROM users""",
}


def demo_data(runner, *args: str):
    # One connection: the `db` fixture's transaction is invisible to a second one.
    result = runner.invoke(args=["demo-data", "--jobs", "1", *args])
    assert result.exit_code == 0, result.output + str(result.exception)
    return result


def scalar(db: Session, sql: str):
    return db.execute(text(sql)).scalar_one()


def shares(db: Session, column: str) -> dict[str, float]:
    rows = db.execute(text(f"SELECT {column}, count(*) FROM tickets GROUP BY 1")).all()  # noqa: S608
    total = sum(count for _, count in rows)
    return {value: count / total for value, count in rows}


@pytest.fixture
def loaded(runner, db: Session):
    """500 demo tickets with seed 7."""
    return demo_data(runner, "--tickets", "500", "--seed", "7", "--batch", "200")


def test_reports_the_rate_and_adds_tickets_with_their_history(loaded, db: Session) -> None:
    match = LOADED.search(loaded.output)
    assert match and match.group(1) == "500"
    assert scalar(db, "SELECT count(*) FROM tickets") == 500
    assert scalar(db, "SELECT count(DISTINCT number) FROM tickets") == 500
    assert scalar(db, "SELECT count(*) FROM ticket_events") > 3 * 500
    for table in ("comments", "escalations", "feedback", "ticket_followers"):
        assert scalar(db, f"SELECT count(*) FROM {table}") > 0, table  # noqa: S608
    assert scalar(db, "SELECT count(*) FROM comments WHERE is_internal") > 0
    assert scalar(db, "SELECT count(*) FROM users WHERE role = 'citizen'") >= 50
    assert scalar(db, "SELECT count(*) FROM users WHERE role = 'manager'") >= 6
    # Every member of staff works for a team, some for two; citizens for none.
    memberships = db.execute(
        text("""
        SELECT DISTINCT role, teams FROM (SELECT u.role, count(m.team_id) AS teams FROM users u
        LEFT JOIN user_teams m ON m.user_id = u.id GROUP BY u.id, u.role) x""")
    )
    assert set(memberships) == {("citizen", 0), ("support", 1), ("support", 2), ("manager", 1)}


def test_the_data_keeps_every_rule(loaded, db: Session) -> None:
    broken = {rule: n for rule, sql in INVARIANTS.items() if (n := scalar(db, sql))}
    assert broken == {}
    districts = "SELECT count(DISTINCT substring(address from ', ([^,]+)/İstanbul$')) FROM tickets"
    assert scalar(db, districts) >= 15
    spread = "SELECT extract(day FROM max(created_at) - min(created_at)) FROM tickets"
    assert 600 < scalar(db, spread) <= 731


def test_seeds_the_default_categories_when_there_are_none(runner, db: Session) -> None:
    assert db.scalar(select(func.count(Category.id))) == 0
    demo_data(runner, "--tickets", "100")
    assert db.scalar(select(func.count(Category.id))) == 6


def test_statuses_channels_and_ratings_in_plausible_proportions(runner, db: Session) -> None:
    demo_data(runner, "--tickets", "2000", "--seed", "3")
    status = shares(db, "status")
    assert 0.75 < status["closed"] < 0.97
    assert status["new"] + status["in_progress"] + status.get("escalated", 0) > 0.03
    channel = shares(db, "channel")
    assert max(channel, key=channel.get) == "whatsapp" and channel["whatsapp"] > 0.6
    overdue = "SELECT count(*) FROM tickets WHERE status <> 'closed' AND due_at < now()"
    assert scalar(db, overdue) > 0
    assert scalar(db, "SELECT avg(rating) FROM feedback WHERE fixed") > 3.8
    assert scalar(db, "SELECT count(*) FROM feedback WHERE NOT fixed") > 0
    decisions = set(db.execute(text("SELECT DISTINCT status FROM escalations")).scalars())
    assert decisions == {"pending", "approved", "rejected"}
    english = scalar(db, "SELECT count(*) FROM tickets WHERE description ~ '\\m(the|is)\\M'")
    assert 0 < english < 400


def test_same_seed_gives_the_same_tickets_and_running_twice_adds_more(runner, db: Session) -> None:
    def snapshot(after_id: int) -> list[tuple]:
        columns = (Ticket.description, func.ST_AsText(Ticket.location), Ticket.priority)
        query = select(*columns, Ticket.channel, Ticket.category_id).where(Ticket.id > after_id)
        return [tuple(row) for row in db.execute(query.order_by(Ticket.id))]

    demo_data(runner, "--tickets", "300", "--seed", "11", "--batch", "100")
    first_last_id = db.scalar(select(func.max(Ticket.id)))
    demo_data(runner, "--tickets", "300", "--seed", "11", "--batch", "250")
    assert db.scalar(select(func.count(Ticket.id))) == 600
    first = snapshot(0)[:300]
    assert first == snapshot(first_last_id)
    assert len({row[0] for row in first}) > 250  # descriptions vary from ticket to ticket
    demo_data(runner, "--tickets", "300", "--seed", "12")
    assert snapshot(first_last_id + 300)[:50] != first[:50]
    assert db.scalar(select(func.count(User.id)).where(User.role == "citizen")) == 3 * 100


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "Missing option '--tickets'"),
        (["--tickets", "0"], "--tickets"),
        (["--tickets", "ten"], "--tickets"),
        (["--tickets", "10", "--batch", "5"], "--batch"),
        (["--tickets", "10", "--citizens", "0"], "--citizens"),
        (["--tickets", "10", "--seed", "x"], "--seed"),
        (["--tickets", "10", "--jobs", "3"], "--jobs"),
    ],
)
def test_bad_options_are_refused_and_write_nothing(
    runner, db: Session, args: list[str], message: str
) -> None:
    result = runner.invoke(args=["demo-data", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert db.scalar(select(func.count(Ticket.id))) == 0
    assert db.scalar(select(func.count(User.id))) == 0


def test_refuses_when_no_category_is_active(runner, seeded: Session) -> None:
    seeded.execute(text("UPDATE categories SET is_active = false"))
    result = runner.invoke(args=["demo-data", "--tickets", "10", "--jobs", "1"])
    assert result.exit_code == 1
    assert "no active category" in result.output
    assert seeded.scalar(select(func.count(Ticket.id))) == 0


def test_refuses_to_run_in_production(app: Flask, runner, db: Session, monkeypatch) -> None:
    production = dataclasses.replace(app.config["SOSOFT"], APP_ENV="production")
    monkeypatch.setitem(app.config, "SOSOFT", production)
    result = runner.invoke(args=["demo-data", "--tickets", "10", "--jobs", "1"])
    assert result.exit_code == 1
    assert "APP_ENV=production" in result.output
    assert db.scalar(select(func.count(User.id))) == 0


def test_demo_phones_are_distinct_valid_turkish_mobiles() -> None:
    phones = [demo_phone(user_id) for user_id in range(1, 20001)]
    assert len(set(phones)) == len(phones)
    for phone in phones[:200]:
        assert normalize_mobile(phone, ("TR",)) == phone


def test_a_real_users_number_is_never_taken(runner, db: Session) -> None:
    # The real user takes the next id; the first demo citizen would get the one after.
    burnt = scalar(db, "SELECT nextval('users_id_seq')")
    db.add(User(phone=demo_phone(burnt + 2), full_name="Gerçek Vatandaş"))
    db.flush()
    demo_data(runner, "--tickets", "100", "--citizens", "60")
    assert scalar(db, "SELECT count(*) FROM users WHERE whatsapp_id LIKE 'demo-%'") == 1
    assert scalar(db, "SELECT count(phone) - count(DISTINCT phone) FROM users") == 0


def test_two_connections_store_the_same_data_with_history_behind(
    app: Flask, committed_db: Database
) -> None:
    args = ["demo-data", "--tickets", "700", "--seed", "5", "--batch", "100", "--jobs", "2"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output + str(result.exception)
    assert "loaded 700 tickets" in result.output
    with committed_db.session() as session:
        assert scalar(session, "SELECT count(*) FROM tickets") == 700
        broken = {rule: n for rule, sql in INVARIANTS.items() if (n := scalar(session, sql))}
        assert broken == {}
