"""The hotspot snapshot: retaken by beat, served only while it equals the live answer."""

from __future__ import annotations

import pytest
from sqlalchemy import text, update

from core.analytics import hotspots
from core.geo import point
from core.models import Category, Ticket
from tasks import analytics as analytics_tasks
from tasks.celery_app import make_celery
from tests.analytics_dataset import PLACE_A, build_city

URL = "/api/v1/analytics/hotspots"


@pytest.fixture
def city(seeded, make_user):
    return build_city(seeded, make_user)


@pytest.fixture
def manager(make_user, bearer):
    return bearer(make_user("manager"))


def _changes(db) -> int:
    return db.execute(text("SELECT count(*) FROM analytics_hotspot_changes")).scalar()


def _refresh(db, settings) -> bool:
    return hotspots.refresh_snapshot(db, settings.SERVICE_AREA_BBOX)


def _tamper(db) -> None:
    """Mark the stored snapshot so a served one can be told from a live answer."""
    db.execute(text("UPDATE analytics_hotspots SET ticket_count = 99"))


def test_snapshot_equals_the_live_answer(client, db, settings, city, manager):
    live = client.get(URL, headers=manager).json  # no snapshot yet: computed live
    assert [s["count"] for s in live["data"]] == [3]  # T3, T4, T8 near PLACE_A
    assert _refresh(db, settings) is True
    assert _changes(db) == 0
    assert client.get(URL, headers=manager).json == live
    assert client.get(f"{URL}?limit=1", headers=manager).json == live
    _tamper(db)  # proves the answer above came from the snapshot
    assert [s["count"] for s in client.get(URL, headers=manager).json["data"]] == [99]


def test_nothing_changed_means_no_retake(db, settings, city):
    assert _refresh(db, settings) is True
    assert _refresh(db, settings) is False


@pytest.mark.parametrize(
    "query", ["eps_m=100", "min_points=2", "from=2026-10-01", "channel=sms", "team=1"]
)
def test_other_parameters_and_filters_are_computed_live(client, db, settings, city, manager, query):
    _refresh(db, settings)
    _tamper(db)
    body = client.get(f"{URL}?{query}", headers=manager)
    assert body.status_code in (200, 422)
    if body.status_code == 200:
        assert all(s["count"] != 99 for s in body.json["data"])


def test_a_new_open_ticket_makes_it_stale_until_the_next_refresh(
    client, db, settings, city, manager
):
    _refresh(db, settings)
    _tamper(db)
    t3 = city.tickets["T3"]
    db.add(
        Ticket(
            category_id=t3.category_id,
            description="lamba yanmıyor",
            channel="sms",
            status="new",
            location=point(PLACE_A[0] + 0.0002, PLACE_A[1]),
        )
    )
    db.flush()
    assert _changes(db) == 1
    # Live at once: the new ticket joins the cluster, the tampered snapshot is not served.
    assert [s["count"] for s in client.get(URL, headers=manager).json["data"]] == [4]
    assert _refresh(db, settings) is True
    _tamper(db)
    assert [s["count"] for s in client.get(URL, headers=manager).json["data"]] == [99]


@pytest.mark.parametrize(
    "change, stale",
    [
        ({"status": "resolved"}, True),  # leaves the open tickets
        ({"location": point(41.1, 29.1)}, True),  # moves away
        ({"category_id": "parks"}, True),
        ({"status": "escalated"}, False),  # still open, same place
        ({"description": "daha karanlık"}, False),
        ({"priority": "high"}, False),
    ],
)
def test_only_changes_that_can_move_a_cluster_make_it_stale(db, settings, city, change, stale):
    _refresh(db, settings)
    if change.get("category_id") == "parks":
        change = {"category_id": city.categories["parks"].id}
    db.execute(update(Ticket).where(Ticket.id == city.tickets["T3"].id).values(**change))
    assert (_changes(db) > 0) is stale


def test_closed_tickets_changing_do_not_make_it_stale(db, settings, city):
    _refresh(db, settings)
    t7 = city.tickets["T7"]  # closed as a duplicate
    db.execute(update(Ticket).where(Ticket.id == t7.id).values(location=point(41.1, 29.1)))
    assert _changes(db) == 0
    db.execute(update(Ticket).where(Ticket.id == t7.id).values(status="new"))  # reopened
    assert _changes(db) == 1


def test_renaming_a_category_or_deleting_an_open_ticket_makes_it_stale(db, settings, city):
    _refresh(db, settings)
    db.execute(update(Category).where(Category.code == "lighting").values(code="street-lighting"))
    assert _changes(db) == 1
    _refresh(db, settings)
    db.execute(text("DELETE FROM tickets WHERE id = :id"), {"id": city.tickets["T4"].id})
    assert _changes(db) == 1


def test_other_settings_retake_the_snapshot(db, settings, city):
    _refresh(db, settings)
    assert hotspots.refresh_snapshot(db, (28.0, 40.0, 30.0, 41.0)) is False  # same UTM zone
    assert hotspots.refresh_snapshot(db, (34.0, 40.0, 36.0, 41.0)) is True  # zone 36


def test_the_beat_task_takes_the_snapshot(committed_db, settings):
    """The real task, run eagerly with its own sessions and commits."""
    make_celery(settings)  # the current Celery app carries the settings tasks read
    analytics_tasks.refresh_rollups.apply().get()
    with committed_db.transaction() as session:
        state = session.execute(text("SELECT srid, eps_m, min_points FROM analytics_hotspot_state"))
        assert tuple(state.one()) == (32635, hotspots.DEFAULT_EPS_M, hotspots.DEFAULT_MIN_POINTS)
        assert _changes(session) == 0
