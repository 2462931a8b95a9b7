"""The beat sweeps: each one's effect, and that running it again (or on two machines at
once) changes nothing more."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import redis as redis_lib
from celery.schedules import crontab
from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.config import ConfigError, Settings
from core.db import Database
from core.messaging.outbox_relay import relay
from core.models import (
    Category,
    ConsoleSession,
    Conversation,
    Feedback,
    Message,
    OtpCode,
    Photo,
    RefreshToken,
    Ticket,
    TicketEvent,
    TicketFollower,
    User,
)
from core.people.retention import retain
from core.storage import make_storage
from core.tickets.auto_close import auto_close
from core.tickets.opening import open_ticket
from core.tickets.seed_data import seed_defaults
from core.tickets.sla import flag_breaches
from tasks.celery_app import BEAT_SCHEDULE, beat_schedule, make_celery
from tests.notify_support import queued_ids, running_worker, wait_for, worker_settings
from web.request_session import EXTENSION_KEY

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
def database(app: Flask, db: Session) -> Database:
    """The app's Database, its sessions joining the test's rolled-back transaction."""
    return app.extensions[EXTENSION_KEY]


def new_ticket(session: Session, settings: Settings, reporter: User | None, **fields) -> Ticket:
    category = session.scalars(select(Category).order_by(Category.id)).first()
    ticket = open_ticket(
        session,
        settings,
        category=category,
        description="Park lambası yanmıyor",
        channel="whatsapp",
        reporter=reporter,
        address="Beşiktaş",
        now=NOW - timedelta(days=30),
    )
    for name, value in fields.items():
        setattr(ticket, name, value)
    session.flush()
    return ticket


def messages_of(session: Session, kind: str) -> list[Message]:
    return list(session.scalars(select(Message).where(Message.kind == kind).order_by(Message.id)))


def events_of(session: Session, ticket: Ticket, kind: str) -> list[TicketEvent]:
    return list(
        session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == kind)
        )
    )


# --- SLA --------------------------------------------------------------------------------


def test_sla_breach_is_flagged_once_with_a_priority_bump_and_manager_alerts(
    seeded: Session, database: Database, settings: Settings, make_user
) -> None:
    db = seeded
    late = new_ticket(db, settings, make_user(), due_at=NOW - timedelta(hours=1))
    on_time = new_ticket(db, settings, make_user(), due_at=NOW + timedelta(hours=1))
    done = new_ticket(db, settings, make_user(), due_at=NOW - timedelta(hours=1), status="resolved")
    other_team = db.scalars(select(Category).order_by(Category.id.desc())).first().default_team
    team_manager = make_user("manager", team=late.team, sla_alerts=True, locale="en")
    city_manager = make_user("manager", sla_alerts=True)
    make_user("manager", team=late.team)  # did not ask for alerts
    make_user("manager", team=other_team, sla_alerts=True)  # another team's
    # One who covers another team as well as the late ticket's.
    both = make_user("manager", teams=(other_team, late.team), sla_alerts=True)

    assert flag_breaches(database, settings, NOW) == 1
    assert flag_breaches(database, settings, NOW + timedelta(minutes=1)) == 0

    db.expire_all()
    assert late.sla_breached_at == NOW and late.priority == "high"
    assert on_time.sla_breached_at is None and done.sla_breached_at is None
    [event] = events_of(db, late, "sla_breached")
    assert (event.from_value, event.to_value) == ("normal", "high")
    alerts = messages_of(db, "sla_breached")
    assert {m.user_id for m in alerts} == {team_manager.id, city_manager.id, both.id}
    assert {m.channel for m in alerts} == {"sms"}
    by_user = {m.user_id: m.body for m in alerts}
    assert by_user[team_manager.id].startswith(f"SLA breached: #{late.number}")
    assert by_user[city_manager.id].startswith(f"SLA aşıldı: #{late.number}")


def test_urgent_stays_urgent(
    seeded: Session, database: Database, settings: Settings, make_user
) -> None:
    ticket = new_ticket(
        seeded, settings, make_user(), due_at=NOW - timedelta(days=1), priority="urgent"
    )
    assert flag_breaches(database, settings, NOW) == 1
    seeded.expire_all()
    assert ticket.priority == "urgent" and ticket.sla_breached_at == NOW


def test_sla_sweeps_running_at_once_flag_each_ticket_once(
    committed_db: Database, settings: Settings
) -> None:
    with committed_db.transaction() as session:
        seed_defaults(session)
        session.add(User(phone="+905320000999", role="manager", sla_alerts=True))
        for n in range(30):
            reporter = User(phone=f"+90532100{n:04d}")
            session.add(reporter)
            session.flush()
            new_ticket(session, settings, reporter, due_at=NOW - timedelta(hours=n + 1))
    counts: list[int] = []

    def sweep() -> None:
        counts.append(flag_breaches(committed_db, settings, NOW))

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(counts) == 30
    with committed_db.transaction() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(TicketEvent)
                .where(TicketEvent.kind == "sla_breached")
            )
            == 30
        )
        assert len(messages_of(session, "sla_breached")) == 30


# --- auto-close -------------------------------------------------------------------------


def test_resolved_tickets_close_after_the_quiet_days(
    seeded: Session, database: Database, settings: Settings, make_user
) -> None:
    db = seeded
    old = new_ticket(db, settings, make_user(locale="en"), status="resolved")
    old.resolved_at = NOW - timedelta(days=settings.AUTO_CLOSE_DAYS, hours=1)
    recent = new_ticket(db, settings, make_user(), status="resolved")
    recent.resolved_at = NOW - timedelta(days=2)
    not_fixed = new_ticket(db, settings, make_user(), status="resolved")
    not_fixed.resolved_at = NOW - timedelta(days=30)
    db.add(Feedback(ticket_id=not_fixed.id, user_id=not_fixed.reporter_id, fixed=False))
    db.flush()

    assert auto_close(database, settings, NOW) == 1
    assert auto_close(database, settings, NOW) == 0

    db.expire_all()
    assert (old.status, old.closed_at, old.resolution) == ("closed", NOW, "fixed")
    assert recent.status == "resolved" and not_fixed.status == "resolved"
    [event] = events_of(db, old, "status_changed")
    assert (event.from_value, event.to_value, event.actor_id) == ("resolved", "closed", None)
    [closed] = messages_of(db, "closed")
    assert closed.user_id == old.reporter_id
    assert closed.body == f"Report #{old.number} is closed. Thank you."


def test_without_an_sms_sender_sla_alerts_go_by_whatsapp(
    seeded: Session, database: Database, settings: Settings, make_user
) -> None:
    """So TWILIO_TEMPLATE_SLA_ALERT can carry them outside the 24-hour window."""
    late = new_ticket(seeded, settings, make_user(), due_at=NOW - timedelta(hours=1))
    make_user("manager", team=late.team, sla_alerts=True)
    assert flag_breaches(database, settings.replace(TWILIO_SMS_FROM=""), NOW) == 1
    assert {m.channel for m in messages_of(seeded, "sla_breached")} == {"whatsapp"}


# --- retention --------------------------------------------------------------------------


def test_retention_forgets_old_personal_data_and_purges_codes(
    seeded: Session, database: Database, settings: Settings, make_user
) -> None:
    db = seeded
    storage = make_storage(settings)
    days = settings.RETENTION_DAYS
    old = new_ticket(db, settings, make_user(), status="closed", source_details={"profile": "Ali"})
    old.closed_at = NOW - timedelta(days=days + 1)
    db.add(TicketFollower(ticket_id=old.id, user_id=make_user().id))
    db.add(Feedback(ticket_id=old.id, user_id=old.reporter_id, rating=4, comment="evimin önü"))
    old.contact_phone = "+902125551212"
    # Filed through Open311 for a contact: no reporter, only the contact's phone.
    for_contact = new_ticket(
        db, settings, None, status="closed", contact_phone="+905551112233",
        contact_email="ayse@example.org",
    )  # fmt: skip
    for_contact.closed_at = NOW - timedelta(days=days + 1)
    recent = new_ticket(db, settings, make_user(), status="closed", contact_phone="+905551112233")
    recent.closed_at = NOW - timedelta(days=days - 1)
    keys = [f"photos/{uuid.uuid4().hex}.jpg" for _ in range(2)]
    for ticket, key in zip((old, recent), keys, strict=True):
        storage.put(key, b"jpeg", "image/jpeg")
        db.add(
            Photo(
                ticket_id=ticket.id,
                storage_key=key,
                content_type="image/jpeg",
                size_bytes=4,
                width=1,
                height=1,
                sha256=uuid.uuid4().hex * 2,
            )
        )
    db.add_all(
        [
            OtpCode(
                phone="+905320000001",
                code_hash="x",
                expires_at=NOW + timedelta(minutes=5),
                used_at=NOW,
            ),
            OtpCode(phone="+905320000002", code_hash="x", expires_at=NOW - timedelta(minutes=1)),
            OtpCode(phone="+905320000003", code_hash="x", expires_at=NOW + timedelta(minutes=5)),
            RefreshToken(
                user_id=old.reporter_id,
                token_hash="a",
                family_id=uuid.uuid4(),
                expires_at=NOW - timedelta(days=1),
            ),
            RefreshToken(
                user_id=old.reporter_id,
                token_hash="b",
                family_id=uuid.uuid4(),
                expires_at=NOW + timedelta(days=1),
            ),
            ConsoleSession(
                user_id=old.reporter_id,
                token_hash="ended",
                last_seen_at=NOW - timedelta(hours=1),
                expires_at=NOW + timedelta(hours=7),
                ended_at=NOW - timedelta(minutes=30),
            ),
            ConsoleSession(
                user_id=old.reporter_id,
                token_hash="expired",
                last_seen_at=NOW - timedelta(hours=9),
                expires_at=NOW - timedelta(hours=1),
            ),
            ConsoleSession(
                user_id=old.reporter_id,
                token_hash="live",
                last_seen_at=NOW,
                expires_at=NOW + timedelta(hours=1),
            ),
        ]
    )
    db.flush()

    counts = retain(database, settings, storage, NOW)

    assert counts == {
        "tickets_anonymised": 2,
        "messages_cleared": 1,  # the old ticket's "report received"
        "photos_deleted": 1,
        "otp_codes_purged": 2,
        "refresh_tokens_purged": 1,
        "console_sessions_purged": 2,
        "citizens_erased": 0,  # its reporter signed up just now
        "conversations_deleted": 0,
    }
    assert set(retain(database, settings, storage, NOW).values()) == {0}
    db.expire_all()
    assert old.reporter_id is None and old.source_details == {} and old.contact_phone is None
    assert for_contact.contact_phone is None and for_contact.contact_email is None
    assert recent.contact_phone == "+905551112233"
    assert db.scalars(select(TicketFollower).where(TicketFollower.ticket_id == old.id)).all() == []
    feedback = db.scalar(select(Feedback).where(Feedback.ticket_id == old.id))
    assert feedback.user_id is None and feedback.comment is None and feedback.rating == 4
    [old_message] = db.scalars(select(Message).where(Message.ticket_id == old.id)).all()
    assert old_message.body is None and old_message.address is None
    assert recent.reporter_id is not None
    assert db.scalars(select(Message).where(Message.ticket_id == recent.id)).one().body
    assert not storage.exists(keys[0]) and storage.exists(keys[1])
    assert [p.storage_key for p in db.scalars(select(Photo))] == [keys[1]]
    assert [o.phone for o in db.scalars(select(OtpCode))] == ["+905320000003"]
    assert [t.token_hash for t in db.scalars(select(RefreshToken))] == ["b"]
    assert [c.token_hash for c in db.scalars(select(ConsoleSession))] == ["live"]


# --- relay and schedule -----------------------------------------------------------------


def test_relays_running_at_once_enqueue_each_row_once(
    committed_db: Database, settings: Settings, redis_client: redis_lib.Redis
) -> None:
    with committed_db.transaction() as session:
        seed_defaults(session)
        for n in range(40):
            reporter = User(phone=f"+90532200{n:04d}")
            session.add(reporter)
            session.flush()
            new_ticket(session, settings, reporter)
    redis_client.delete("celery")  # forget the after-commit hand-off: as if Redis was down
    with committed_db.transaction() as session:
        session.execute(update(Message).values(updated_at=func.now() - timedelta(minutes=5)))
    relayed: list[int] = []

    def sweep() -> None:
        relayed.append(relay(committed_db, settings)["relayed"])

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(relayed) == 40
    ids = queued_ids(redis_client)
    assert len(ids) == 40 and len(set(ids)) == 40


def test_beat_schedule_names_real_tasks(settings: Settings) -> None:
    app = make_celery(settings)
    app.loader.import_default_modules()
    assert BEAT_SCHEDULE
    for entry in beat_schedule(settings).values():
        assert entry["task"] in app.tasks


def test_beat_intervals_are_settings(settings: Settings) -> None:
    """Today's intervals by default; the soak suite shortens every one of them."""
    schedule = make_celery(settings).conf.beat_schedule
    assert schedule["outbox-relay"]["schedule"] == 60.0
    assert schedule["auto-close"]["schedule"] == 900.0
    assert schedule["retention"]["schedule"] == crontab(hour=3, minute=30)
    fast = settings.replace(
        OUTBOX_RELAY_INTERVAL_SECONDS=2.5,
        SLA_SWEEP_INTERVAL_SECONDS=3,
        AUTO_CLOSE_INTERVAL_SECONDS=4,
        RETENTION_CRON="*/2 * * * *",
    )
    schedule = make_celery(fast).conf.beat_schedule
    assert schedule["outbox-relay"]["schedule"] == 2.5
    assert schedule["sla-breaches"]["schedule"] == 3.0
    assert schedule["auto-close"]["schedule"] == 4.0
    assert schedule["retention"]["schedule"] == crontab(minute="*/2")


def test_a_retention_cron_of_the_wrong_shape_is_refused(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="RETENTION_CRON"):
        settings.replace(RETENTION_CRON="30 3 * *").check()


def test_auto_close_days_may_be_a_fraction(
    seeded: Session, database: Database, settings: Settings, make_user
) -> None:
    """AUTO_CLOSE_DAYS of a minute closes a ticket resolved 61 s ago, not one of 59 s."""
    db = seeded
    due = new_ticket(db, settings, make_user(), status="resolved")
    due.resolved_at = NOW - timedelta(seconds=61)
    early = new_ticket(db, settings, make_user(), status="resolved")
    early.resolved_at = NOW - timedelta(seconds=59)
    db.flush()

    assert auto_close(database, settings.replace(AUTO_CLOSE_DAYS=1 / (24 * 60)), NOW) == 1
    db.expire_all()
    assert (due.status, early.status) == ("closed", "resolved")


def test_sweep_tasks_run_on_a_worker(committed_db: Database, settings: Settings) -> None:
    with committed_db.transaction() as session:
        seed_defaults(session)
        conversation = Conversation(
            address="+905320000777",
            state="description",
            context={"draft": {"category": "roads"}},
            expires_at=datetime.now(UTC) - timedelta(minutes=1),
        )
        session.add(conversation)
        reporter = User(phone="+905320000778")
        session.add(reporter)
        session.flush()
        ticket = new_ticket(
            session, settings, reporter, due_at=datetime.now(UTC) - timedelta(hours=1)
        )

    def state() -> tuple[str, datetime | None]:
        with committed_db.transaction() as session:
            return (
                session.get(Conversation, conversation.id).state,
                session.get(Ticket, ticket.id).sla_breached_at,
            )

    with running_worker(worker_settings(settings)) as app:
        app.send_task("tasks.sweeps.expire_conversations")
        app.send_task("tasks.sweeps.flag_sla_breaches")
        wait_for(lambda: state()[0] == "menu" and state()[1] is not None)

    with committed_db.transaction() as session:
        assert "draft" not in session.get(Conversation, conversation.id).context


def test_retention_erases_citizens_silent_for_the_retention_period(
    seeded: Session, database: Database, settings: Settings, make_user
) -> None:
    """The welcome says number and name are kept RETENTION_DAYS: after that much
    silence a citizen is erased as by SİL, and conversations without one go too."""
    db = seeded
    storage = make_storage(settings)
    long_ago = NOW - timedelta(days=settings.RETENTION_DAYS + 10)
    recently = NOW - timedelta(days=3)

    def citizen(**fields) -> User:
        user = make_user()
        user.created_at = long_ago
        for name, value in fields.items():
            setattr(user, name, value)
        return user

    def conversation(address: str, user: User | None, last: datetime) -> Conversation:
        row = Conversation(address=address, user_id=user.id if user else None, last_inbound_at=last)
        db.add(row)
        return row

    def inbound(user: User, at: datetime) -> None:
        db.add(
            Message(direction="inbound", channel="whatsapp", user_id=user.id, status="received",
                    kind="chat", created_at=at)
        )  # fmt: skip

    silent = citizen(full_name="Ayşe Yılmaz")
    conversation(silent.phone, silent, long_ago)
    inbound(silent, long_ago)
    filed_for_silent = new_ticket(db, settings, None, status="new", contact_phone=silent.phone)
    wrote_lately = citizen()
    inbound(wrote_lately, recently)
    signed_in_lately = citizen(last_login_at=recently)
    with_open_ticket = citizen()
    new_ticket(db, settings, with_open_ticket, status="in_progress")
    following = citizen()
    staff = make_user("support")
    staff.created_at = long_ago
    stranger = conversation("+905559990001", None, long_ago)
    newcomer = conversation("+905559990002", None, recently)
    db.flush()
    followed = new_ticket(db, settings, make_user(), status="new")
    db.add(TicketFollower(ticket_id=followed.id, user_id=following.id))
    db.flush()
    stranger_id, newcomer_id = stranger.id, newcomer.id

    counts = retain(database, settings, storage, NOW)

    assert counts["citizens_erased"] == 2  # `silent` and `following`
    assert counts["conversations_deleted"] == 1  # the stranger's
    db.expire_all()
    assert (silent.phone, silent.full_name, silent.is_active) == (None, "Anonim", False)
    assert silent.erased_at == NOW and silent.opted_out_at == NOW
    assert filed_for_silent.contact_phone is None  # erased as by SİL: contact included
    assert db.scalar(select(func.count()).where(Conversation.user_id == silent.id)) == 0
    assert following.erased_at == NOW
    assert db.scalar(select(func.count()).where(TicketFollower.user_id == following.id)) == 0
    for kept in (wrote_lately, signed_in_lately, with_open_ticket, staff):
        assert kept.erased_at is None and kept.phone is not None
    assert db.get(Conversation, stranger_id) is None
    assert db.get(Conversation, newcomer_id) is not None
    assert set(retain(database, settings, storage, NOW).values()) == {0}
