"""The hotspot snapshot: retaken by beat, served only while it equals the live answer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text, update

from core.analytics import hotspots
from core.analytics.scope import Scope
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


def _add_open_ticket_at_a(db, city) -> None:
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


def test_snapshot_equals_the_live_answer(client, db, settings, city, manager):
    live = client.get(URL, headers=manager).json  # no snapshot yet: computed live
    assert [s["count"] for s in live["data"]] == [3]  # T3, T4, T8 near PLACE_A
    assert _refresh(db, settings) is True
    assert _changes(db) == 0
    assert client.get(URL, headers=manager).json["data"] == live["data"]
    assert client.get(f"{URL}?limit=1", headers=manager).json["data"] == live["data"]
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
    _add_open_ticket_at_a(db, city)
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


# --- serving recent clusters (HOTSPOTS_MAX_AGE_SECONDS) -----------------------------------


def _ask(db, settings, max_age_s: float, min_points: int = hotspots.DEFAULT_MIN_POINTS):
    today = date.today()
    scope = Scope(today - timedelta(days=29), today, settings.CITY_TIMEZONE)
    return hotspots.hotspots(
        db,
        scope,
        settings.SERVICE_AREA_BBOX,
        eps_m=hotspots.DEFAULT_EPS_M,
        min_points=min_points,
        limit=10,
        use_period=False,
        max_age_s=max_age_s,
    )


def _taken_at(db):
    return db.execute(text("SELECT refreshed_at FROM analytics_hotspot_state")).scalar()


def test_a_changed_snapshot_is_served_while_younger_than_the_maximum_age(db, settings, city):
    _refresh(db, settings)
    _tamper(db)
    _add_open_ticket_at_a(db, city)
    data, as_of = _ask(db, settings, 120)
    assert [s["count"] for s in data] == [99]  # the snapshot, not the live answer
    assert as_of == _taken_at(db)  # ...and it says when it was taken
    # Older than the maximum age (beat stopped): computed live, as of now.
    db.execute(
        text("UPDATE analytics_hotspot_state SET refreshed_at = now() - interval '3 minutes'")
    )
    data, as_of = _ask(db, settings, 120)
    assert [s["count"] for s in data] == [4]
    assert as_of > _taken_at(db)
    # With no maximum age, a changed snapshot is never served.
    db.execute(text("UPDATE analytics_hotspot_state SET refreshed_at = now()"))
    assert [s["count"] for s in _ask(db, settings, 0)[0]] == [4]


def test_an_unchanged_snapshot_is_exact_as_of_now(db, settings, city):
    _refresh(db, settings)
    db.execute(text("UPDATE analytics_hotspot_state SET refreshed_at = now() - interval '1 hour'"))
    data, as_of = _ask(db, settings, 120)
    assert [s["count"] for s in data] == [3]
    assert as_of == db.execute(text("SELECT now()")).scalar()  # nothing changed since


def test_other_parameters_are_remembered_for_the_maximum_age_only(db, settings, city):
    from core.analytics import answer_cache

    answer_cache.forget_all()
    first, as_of = _ask(db, settings, 120, min_points=2)  # not the snapshot's parameters
    assert first and first == _ask(db, settings, 0, min_points=2)[0]
    _add_open_ticket_at_a(db, city)
    again, again_as_of = _ask(db, settings, 120, min_points=2)
    assert (again, again_as_of) == (first, as_of)  # remembered, and says as of when
    live = _ask(db, settings, 0, min_points=2)[0]
    assert live != first and live[0]["count"] == first[0]["count"] + 1
    answer_cache.forget_all()
    assert _ask(db, settings, 120, min_points=2)[0] == live
    answer_cache.forget_all()


def test_the_endpoint_says_as_of_when(client, db, settings, city, manager):
    body = client.get(URL, headers=manager).json
    assert set(body) == {"data", "as_of"}
    as_of = datetime.fromisoformat(body["as_of"])
    assert abs((datetime.now(UTC) - as_of).total_seconds()) < 60
