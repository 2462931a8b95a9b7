"""`flask --app wsgi demo-data`: realistic, consistent, deterministic synthetic data."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from core.demo.people import demo_phone
from core.models import Category, Ticket, User
from core.phones import normalize_mobile

LOADED = re.compile(r"loaded (\d+) tickets in [\d.]+ s \((\d+) tickets/s\)")


def demo_data(runner, *args: str):
    result = runner.invoke(args=["demo-data", *args])
    assert result.exit_code == 0, result.output + str(result.exception)
    return result


def scalar(db: Session, sql: str, **params) -> int:
    return db.execute(text(sql), params).scalar_one()


@pytest.fixture
def loaded(runner, db: Session):
    """500 demo tickets with seed 7."""
    return demo_data(runner, "--tickets", "500", "--seed", "7", "--batch", "200")


def test_reports_the_rate_and_adds_tickets_with_their_history(loaded, db: Session) -> None:
    match = LOADED.search(loaded.output)
    assert match and match.group(1) == "500"
    assert scalar(db, "SELECT count(*) FROM tickets") == 500
    # Every ticket has its `created` event, at its creation time, by its reporter.
    assert scalar(db, """SELECT count(*) FROM tickets t JOIN ticket_events e
        ON e.ticket_id = t.id AND e.kind = 'created' AND e.created_at = t.created_at
        AND e.actor_id IS NOT DISTINCT FROM t.reporter_id""") == 500
    # The latest status change leads to the ticket's status.
    assert scalar(db, """SELECT count(*) FROM tickets t JOIN LATERAL (
        SELECT to_value FROM ticket_events e WHERE e.ticket_id = t.id
        AND e.kind IN ('created', 'status_changed', 'escalated', 'escalation_decided', 'reopened')
        ORDER BY e.created_at DESC, e.id DESC LIMIT 1) last ON last.to_value <> t.status""") == 0
    for table in ("comments", "escalations", "feedback", "ticket_followers"):
        assert scalar(db, f"SELECT count(*) FROM {table}") > 0, table  # noqa: S608
    assert scalar(db, "SELECT count(*) FROM comments WHERE is_internal") > 0
    assert scalar(db, "SELECT count(*) FROM users WHERE role = 'citizen'") >= 50
    assert scalar(db, "SELECT count(*) FROM users WHERE role = 'manager'") >= 6


def test_seeds_the_default_categories_when_there_are_none(runner, db: Session) -> None:
    assert db.scalar(select(func.count(Category.id))) == 0
    demo_data(runner, "--tickets", "100")
    assert db.scalar(select(func.count(Category.id))) == 6


def test_timestamps_follow_the_ticket_lifecycle(loaded, db: Session) -> None:
    assert scalar(db, """SELECT count(*) FROM tickets WHERE
        first_response_at <= created_at OR resolved_at <= first_response_at
        OR closed_at < first_response_at OR closed_at <= resolved_at
        OR created_at > now() OR updated_at < created_at
        OR (status IN ('new') AND first_response_at IS NOT NULL)
        OR (status = 'closed') <> (closed_at IS NOT NULL)
        OR (status = 'closed') <> (resolution IS NOT NULL)""") == 0
    # The due time comes from the category's SLA; a breach is after it, while still open.
    assert scalar(db, """SELECT count(*) FROM tickets t JOIN categories c ON c.id = t.category_id
        WHERE t.due_at <> t.created_at + make_interval(hours => c.sla_hours)
        OR t.sla_breached_at < t.due_at
        OR t.sla_breached_at >= coalesce(t.resolved_at, t.closed_at, now())""") == 0
    assert scalar(db, """SELECT count(*) FROM tickets WHERE sla_breached_at IS NULL
        AND due_at < coalesce(resolved_at, closed_at, now())""") == 0
    assert scalar(db, "SELECT count(*) FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id"
                      " WHERE e.created_at < t.created_at OR e.created_at > now()") == 0
    assert scalar(db, "SELECT count(*) FROM escalations WHERE decided_at <= created_at") == 0
    spread = scalar(db, "SELECT extract(day FROM max(created_at) - min(created_at)) FROM tickets")
    assert 600 < spread <= 731


def test_points_lie_in_the_service_area_and_addresses_name_districts(
    loaded, db: Session, settings
) -> None:
    min_lon, min_lat, max_lon, max_lat = settings.SERVICE_AREA_BBOX
    outside = scalar(db, """SELECT count(*) FROM tickets WHERE location IS NOT NULL AND NOT (
        ST_X(location::geometry) BETWEEN :min_lon AND :max_lon
        AND ST_Y(location::geometry) BETWEEN :min_lat AND :max_lat)""",
        min_lon=min_lon, min_lat=min_lat, max_lon=max_lon, max_lat=max_lat)  # fmt: skip
    assert outside == 0
    assert scalar(db, "SELECT count(*) FROM tickets WHERE location IS NULL AND NOT needs_location") == 0
    assert scalar(db, "SELECT count(*) FROM tickets WHERE needs_location AND address IS NULL") == 0
    districts = scalar(db, """SELECT count(DISTINCT substring(address from ', ([^,]+)/İstanbul$'))
        FROM tickets""")
    assert districts >= 15


def test_statuses_channels_and_ratings_in_plausible_proportions(runner, db: Session) -> None:
    demo_data(runner, "--tickets", "2000", "--seed", "3")
    share = dict(db.execute(text(
        "SELECT status, count(*)::float / 2000 FROM tickets GROUP BY status")).all())  # fmt: skip
    assert 0.75 < share["closed"] < 0.97
    assert share["new"] + share["in_progress"] + share.get("escalated", 0) > 0.03
    channels = dict(db.execute(text(
        "SELECT channel, count(*)::float / 2000 FROM tickets GROUP BY channel")).all())  # fmt: skip
    assert max(channels, key=channels.get) == "whatsapp" and channels["whatsapp"] > 0.6
    assert scalar(db, "SELECT count(*) FROM tickets WHERE status IN ('new', 'in_progress',"
                      " 'escalated') AND due_at < now()") > 0  # overdue open tickets
    assert scalar(db, "SELECT avg(rating) FROM feedback WHERE fixed") > 3.8
    assert scalar(db, "SELECT count(*) FROM feedback WHERE NOT fixed") > 0
    statuses = set(db.execute(text("SELECT DISTINCT status FROM escalations")).scalars())
    assert statuses == {"pending", "approved", "rejected"}
    languages = scalar(db, "SELECT count(*) FROM tickets WHERE description ~ '\\m(the|is)\\M'")
    assert 0 < languages < 400


def test_references_are_consistent(loaded, db: Session) -> None:
    # Assignees work in the ticket's team; managers decide escalations of their team.
    assert scalar(db, """SELECT count(*) FROM tickets t JOIN users u ON u.id = t.assignee_id
        WHERE u.role <> 'support' OR u.team_id IS DISTINCT FROM t.team_id""") == 0
    assert scalar(db, """SELECT count(*) FROM tickets t JOIN categories c ON c.id = t.category_id
        WHERE t.team_id IS DISTINCT FROM c.default_team_id""") == 0
    assert scalar(db, """SELECT count(*) FROM escalations x JOIN users u ON u.id = x.decided_by_id
        JOIN tickets t ON t.id = x.ticket_id
        WHERE u.role <> 'manager' OR u.team_id <> t.team_id""") == 0
    assert scalar(db, "SELECT count(*) FROM escalations WHERE status = 'pending' AND"
                      " (decided_by_id IS NOT NULL OR decided_at IS NOT NULL)") == 0
    assert scalar(db, "SELECT count(*) FROM tickets t JOIN escalations x ON x.ticket_id = t.id"
                      " WHERE x.status = 'pending' AND t.status <> 'escalated'") == 0
    # Feedback comes from the reporter; followers are other citizens, counted on the ticket.
    assert scalar(db, """SELECT count(*) FROM feedback f JOIN tickets t ON t.id = f.ticket_id
        WHERE f.user_id IS DISTINCT FROM t.reporter_id OR t.status NOT IN ('resolved', 'closed',
        'in_progress')""") == 0
    assert scalar(db, """SELECT count(*) FROM tickets t WHERE followers_count <>
        (SELECT count(*) FROM ticket_followers f WHERE f.ticket_id = t.id)""") == 0
    assert scalar(db, """SELECT count(*) FROM ticket_followers f JOIN tickets t ON t.id = f.ticket_id
        WHERE f.user_id = t.reporter_id""") == 0
    assert scalar(db, """SELECT count(*) FROM tickets t JOIN tickets d ON d.id = t.duplicate_of_id
        WHERE t.resolution <> 'duplicate' OR d.id >= t.id""") == 0
    assert scalar(db, "SELECT count(DISTINCT number) FROM tickets") == 500
    assert scalar(db, "SELECT count(DISTINCT phone) FROM users") == scalar(
        db, "SELECT count(phone) FROM users")


def test_same_seed_gives_the_same_tickets_and_running_twice_adds_more(
    runner, db: Session
) -> None:
    def snapshot(after_id: int) -> list[tuple]:
        rows = db.execute(
            select(Ticket.description, func.ST_AsText(Ticket.location), Ticket.priority,
                   Ticket.channel, Ticket.category_id)  # fmt: skip
            .where(Ticket.id > after_id)
            .order_by(Ticket.id)
        ).all()
        return [tuple(row) for row in rows]

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
    result = runner.invoke(args=["demo-data", "--tickets", "10"])
    assert result.exit_code == 1
    assert "no active category" in result.output
    assert seeded.scalar(select(func.count(Ticket.id))) == 0


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
