"""Rows written and read without a flush or an ORM query (core.direct_rows) behave
like the ORM's own: the object is persistent, every column loaded, changes to it
flush as updates, and a rollback takes the row away."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.direct_rows import get_now, insert_now
from core.geo import lat_lon, stored_point
from core.models import Category, Message, Ticket, User


def test_an_inserted_object_is_persistent_with_its_defaults_loaded(db: Session) -> None:
    user = insert_now(db, User(phone="+905321110001", role="citizen", locale="en"))

    assert user.id is not None
    assert user in db and not db.new and not db.dirty
    # Python defaults, server defaults and the database's clock, read back with the row.
    assert user.is_active is True and user.sla_alerts is False
    assert user.created_at is not None
    assert db.scalar(select(func.count()).where(User.phone == "+905321110001")) == 1
    assert db.get(User, user.id) is user  # the identity map knows it


def test_a_change_after_the_insert_is_flushed_as_an_update(db: Session) -> None:
    user = insert_now(db, User(phone="+905321110002", role="citizen", locale="tr"))
    user.full_name = "Ayşe"
    db.flush()
    db.expire_all()

    assert db.scalar(select(User.full_name).where(User.id == user.id)) == "Ayşe"


def test_json_and_geography_columns_go_in_and_come_back(seeded: Session) -> None:
    category = seeded.scalars(select(Category)).first()
    assert category is not None
    now = datetime.now(UTC)
    ticket = insert_now(
        seeded,
        Ticket(
            category_id=category.id, description="A pothole by the school", channel="api",
            location=stored_point(41.0422, 29.0083), attributes={"depth": "deep"},
            due_at=now, created_at=now,
        ),
    )  # fmt: skip
    message = insert_now(
        seeded,
        Message(
            direction="outbound", channel="sms", body="hi", status="pending", ticket_id=ticket.id
        ),
    )

    assert ticket.number > 0 and ticket.status == "new"
    assert lat_lon(ticket.location) == (41.0422, 29.0083)
    assert message.media == [] and message.attempts == 0
    seeded.expire_all()
    assert seeded.get(Ticket, ticket.id).attributes == {"depth": "deep"}


def test_a_rollback_takes_the_row_away(db: Session) -> None:
    savepoint = db.begin_nested()
    insert_now(db, User(phone="+905321110003", role="citizen", locale="tr"))
    savepoint.rollback()

    assert db.scalar(select(func.count()).where(User.phone == "+905321110003")) == 0


def test_get_now_reads_what_session_get_reads(db: Session) -> None:
    user = User(phone="+905321110004", role="citizen", locale="tr", full_name="Mehmet")
    db.add(user)
    db.flush()
    user_id = user.id
    db.expunge_all()

    found = get_now(db, User, user_id)

    assert found is not None and found.full_name == "Mehmet" and found.phone == "+905321110004"
    assert found in db and get_now(db, User, user_id) is found
    assert get_now(db, User, user_id + 1_000_000) is None
