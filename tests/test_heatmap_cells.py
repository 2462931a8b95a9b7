"""Heatmap cells counted from each ticket's stored projected point (migration 0012):
the counts are PostGIS's own per cell, filters hold, and moved or closed tickets leave
their cell on a remembered map."""

from __future__ import annotations

import json
import random

import pytest
from sqlalchemy import select, text

from core.analytics import answer_cache, geo_grid
from core.analytics.scope import Scope
from core.geo import point
from core.models import Category, Team, Ticket
from tests.analytics_dataset import TZ, utc

ISTANBUL = (27.95, 40.78, 29.95, 41.60)
KADIKOY = (29.00, 40.97, 29.06, 41.01)  # a district-sized viewport (5 km x 4.5 km)
NOVEMBER = Scope(utc(2026, 11, 1).date(), utc(2026, 11, 30).date(), TZ)
STATUSES = ("new", "in_progress", "resolved", "closed")
CHANNELS = ("whatsapp", "sms")


@pytest.fixture
def scattered(seeded, make_user):
    """400 tickets over Kadıköy with mixed category, team, channel, status and day
    (some in October, outside the map's month)."""
    answer_cache.forget_all()
    rng = random.Random(19)
    categories = list(seeded.scalars(select(Category.id).limit(3)))
    teams = list(seeded.scalars(select(Team.id).limit(2)))
    reporter = make_user("citizen")
    for _ in range(400):
        seeded.add(
            Ticket(
                reporter_id=reporter.id, category_id=rng.choice(categories),
                team_id=rng.choice(teams), channel=rng.choice(CHANNELS),
                status=rng.choice(STATUSES), description="nokta",
                created_at=utc(2026, rng.choice((10, 11, 11, 11)), rng.randint(1, 28), 9, 0),
                location=point(40.97 + rng.random() * 0.04, 29.00 + rng.random() * 0.06),
            )
        )  # fmt: skip
    seeded.flush()
    return {"categories": categories, "teams": teams}


def _map(db, scope=NOVEMBER, bbox=ISTANBUL, shape="hex", size=250, statuses=()):
    body = json.loads(geo_grid.heatmap(db, scope, bbox, shape, size, list(statuses)))
    return {f["id"]: f["properties"]["count"] for f in body["features"]}


def _direct(db, scope=NOVEMBER, bbox=ISTANBUL, shape="hex", size=250, statuses=()):
    """Tickets per cell of PostGIS's own grid over each ticket's freshly projected
    location (not the stored point, not geo_grid's arithmetic)."""
    grid = "ST_HexagonGrid" if shape == "hex" else "ST_SquareGrid"
    filters, params = scope.filter_sql("t")
    if statuses:
        filters += " AND t.status = ANY(:statuses)"
    sql = f"""
        SELECT h.i || ':' || h.j, count(*) FROM tickets t,
            LATERAL {grid}(:size, ST_Transform(t.location::geometry, 32635)) h
        WHERE ST_Intersects(h.geom, ST_Transform(t.location::geometry, 32635))
          AND t.created_at >= :lo AND t.created_at < :hi
          AND ST_Covers(ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326), t.location::geometry)
          {filters}
        GROUP BY 1"""  # noqa: S608
    params.update(
        size=size, lo=scope.start(), hi=scope.end(), statuses=list(statuses),
        x0=bbox[0], y0=bbox[1], x1=bbox[2], y1=bbox[3],
    )  # fmt: skip
    return dict(db.execute(text(sql), params).all())


def test_a_ticket_carries_its_projected_point(seeded, make_user):
    category = seeded.scalars(select(Category.id)).first()
    ticket = Ticket(
        category_id=category, description="x", channel="sms", location=point(41.0, 29.0)
    )
    seeded.add(ticket)
    seeded.flush()

    def stored():
        return seeded.execute(
            text(
                "SELECT map_srid, map_x - ST_X(ST_Transform(location::geometry, 32635)),"
                " map_y - ST_Y(ST_Transform(location::geometry, 32635)) FROM tickets WHERE id = :id"
            ),
            {"id": ticket.id},
        ).one()

    srid, dx, dy = stored()
    assert (srid, dx, dy) == (32635, 0, 0)
    seeded.execute(
        text("UPDATE tickets SET location = ST_GeogFromText('POINT(29.1 41.1)') WHERE id = :id"),
        {"id": ticket.id},
    )
    assert stored() == (32635, 0, 0)  # moved: projected again
    seeded.execute(text("UPDATE tickets SET location = NULL WHERE id = :id"), {"id": ticket.id})
    assert tuple(stored()) == (None, None, None)


@pytest.mark.parametrize(
    ("shape", "size", "bbox"),
    [("hex", 250, ISTANBUL), ("square", 500, ISTANBUL), ("hex", 1000, ISTANBUL),
     ("square", 100, KADIKOY), ("hex", 100, KADIKOY)],
)  # fmt: skip
def test_counts_equal_a_direct_count_per_cell(scattered, seeded, shape, size, bbox):
    expected = _direct(seeded, bbox=bbox, shape=shape, size=size)
    assert sum(expected.values()) > 250  # most of the 400 are in November
    assert _map(seeded, bbox=bbox, shape=shape, size=size) == expected


def test_filters_are_respected(scattered, seeded):
    category, team = scattered["categories"][0], scattered["teams"][1]
    for scope, statuses in [
        (Scope(NOVEMBER.first_day, NOVEMBER.last_day, TZ, category_id=category), ()),
        (Scope(NOVEMBER.first_day, NOVEMBER.last_day, TZ, team_id=team), ()),
        (Scope(NOVEMBER.first_day, NOVEMBER.last_day, TZ, channel="sms"), ("new", "in_progress")),
        (NOVEMBER, ("closed",)),
    ]:
        expected = _direct(seeded, scope=scope, statuses=statuses)
        assert 0 < sum(expected.values()) < 300
        assert _map(seeded, scope=scope, statuses=statuses) == expected


def test_points_not_stored_or_in_another_zone_are_projected(scattered, seeded):
    expected = _direct(seeded)
    # As before the backfill, and as for a ticket stored in a neighbouring zone's metres.
    seeded.execute(text("UPDATE tickets SET map_srid = NULL WHERE id % 3 = 0"))
    seeded.execute(text("UPDATE tickets SET map_srid = 32636, map_x = 0 WHERE id % 3 = 1"))
    assert _map(seeded) == expected


def test_moved_and_closed_tickets_leave_their_cell(scattered, seeded):
    statuses = ("new", "in_progress")
    first = _map(seeded, statuses=statuses)
    assert first == _direct(seeded, statuses=statuses)
    open_ids = seeded.scalars(
        select(Ticket.id)
        .where(Ticket.status.in_(statuses), Ticket.created_at >= utc(2026, 11, 1))
        .order_by(Ticket.id)
        .limit(3)
    ).all()
    moved, closed, gone = (seeded.get(Ticket, i) for i in open_ids)
    moved.location = point(41.0600, 29.1000)  # 8 km away: a cell of its own
    closed.status = "closed"
    gone.created_at = utc(2026, 10, 5, 9, 0)  # leaves the month
    seeded.flush()
    after = _map(seeded, statuses=statuses)
    assert after == _direct(seeded, statuses=statuses)
    assert sum(after.values()) == sum(first.values()) - 2
    lone = [cell for cell, n in after.items() if cell not in first]
    assert lone and all(after[cell] == 1 for cell in lone)  # where the moved one went


def test_polygons_are_postgis_cells_and_shared_between_maps(scattered, seeded):
    category = scattered["categories"][0]
    by_category = Scope(NOVEMBER.first_day, NOVEMBER.last_day, TZ, category_id=category)
    for scope in (NOVEMBER, by_category):  # the second map's polygons come remembered
        body = json.loads(geo_grid.heatmap(seeded, scope, ISTANBUL, "hex", 250, []))
        for feature in body["features"][:20]:
            i, j = feature["properties"]["i"], feature["properties"]["j"]
            expected = seeded.execute(
                text(
                    "SELECT ST_AsGeoJSON(ST_Transform(ST_Hexagon(250, :i, :j,"
                    " ST_SetSRID(ST_Point(0, 0), 32635)), 4326), 6)"
                ),
                {"i": i, "j": j},
            ).scalar()
            assert feature["geometry"] == json.loads(expected)
