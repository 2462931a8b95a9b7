"""The analytics endpoints: who may call them, bad input, and the answers over HTTP
(the numbers themselves are pinned in test_analytics_kpis.py)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from geoalchemy2.shape import to_shape
from shapely.geometry import Point, shape
from sqlalchemy import text

from core.geo import point
from core.models import Category, Ticket
from core.people.api_keys import create_api_key
from tests.analytics_dataset import PLACE_A, PLACE_B, build_city

BASE = "/api/v1/analytics"
OCT = "from=2026-10-01&to=2026-10-31"


@pytest.fixture
def city(seeded, make_user):
    return build_city(seeded, make_user)


@pytest.fixture
def manager(make_user, bearer):
    return bearer(make_user("manager"))


def _key(db, settings, scopes):
    _, secret = create_api_key(db, settings, name="BI", scopes=scopes, created_by=None)
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.parametrize("path", ["kpis", "teams", "categories", "trends", "heatmap", "hotspots"])
def test_access(client, db, settings, make_user, bearer, seeded, path):
    url = f"{BASE}/{path}"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=bearer(make_user("support"))).status_code == 403
    assert client.get(url, headers=bearer(make_user("citizen"))).status_code == 403
    assert client.get(url, headers=_key(db, settings, ["open311:write"])).status_code == 403
    assert client.get(url, headers=_key(db, settings, ["analytics:read"])).status_code == 200
    assert client.get(url, headers=bearer(make_user("manager"))).status_code == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-10-31&to=2026-10-01", "from"),
        ("from=yesterday", "from"),
        ("from=2020-01-01&to=2026-01-01", "from"),
        ("channel=fax", "channel"),
        ("team=0", "team"),
        ("team=999999", "team"),
        ("category=nope", "category"),
        ("category=999999", "category"),
    ],
)
def test_bad_filters_are_422_naming_the_field(client, manager, seeded, query, field):
    response = client.get(f"{BASE}/kpis?{query}", headers=manager)
    assert response.status_code == 422, response.json
    assert field in str(response.json["errors"])


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("trends?interval=year", "interval"),
        ("teams?sort=shoe_size", "sort"),
        ("teams?order=up", "order"),
        ("heatmap?cell=triangle", "cell"),
        ("heatmap?size_m=1", "size_m"),
        ("heatmap?size_m=30&bbox=27,40,30,42", "size_m"),
        ("heatmap?bbox=29,41,28,40", "bbox"),
        ("heatmap?bbox=a,b,c,d", "bbox"),
        ("heatmap?bbox=179.9,-90,180,90&size_m=50000", "bbox"),
        ("heatmap?bbox=-90,0,90,10&size_m=50000", "bbox"),
        ("heatmap?bbox=inf,40,29,41", "bbox"),
        ("heatmap?status=lost", "status"),
        ("hotspots?limit=0", "limit"),
        ("hotspots?eps_m=-5", "eps_m"),
    ],
)
def test_bad_parameters_are_422(client, manager, seeded, path, field):
    response = client.get(f"{BASE}/{path}", headers=manager)
    assert response.status_code == 422, response.json
    assert field in str(response.json["errors"])


def test_kpis_over_http(client, manager, city):
    body = client.get(f"{BASE}/kpis?{OCT}", headers=manager).json
    assert body["period"] == {
        "from": "2026-10-01",
        "to": "2026-10-31",
        "timezone": "Europe/Istanbul",
    }
    assert (body["created"], body["resolved"]) == (5, 3)
    assert body["first_response_hours"] == {"responded": 4, "median": 1.5, "p90": 3.4}
    assert body["satisfaction"]["average_rating"] == 4.0
    assert len(body["by_channel"]) == 4
    by_code = client.get(f"{BASE}/kpis?{OCT}&category=lighting", headers=manager).json
    by_id = client.get(
        f"{BASE}/kpis?{OCT}&category={city.categories['lighting'].id}", headers=manager
    ).json
    assert by_code == by_id and by_code["created"] == 2


def test_default_period_is_the_last_30_days(client, manager, city):
    body = client.get(f"{BASE}/kpis", headers=manager).json
    first, last = body["period"]["from"], body["period"]["to"]
    assert (date.fromisoformat(last) - date.fromisoformat(first)).days == 29
    only_to = client.get(f"{BASE}/kpis?to=2026-10-30", headers=manager).json["period"]
    assert only_to["from"] == "2026-10-01"


def test_from_alone_runs_to_today(client, manager, city):
    today = datetime.now(ZoneInfo("Europe/Istanbul")).date()
    first = today - timedelta(days=45)
    body = client.get(f"{BASE}/kpis?from={first}", headers=manager).json
    assert body["period"]["from"] == first.isoformat()
    assert body["period"]["to"] == today.isoformat()


@pytest.mark.parametrize(
    ("days_back", "says"), [(-1, "after today"), (3 * 366 + 1, "more than 1098 days")]
)
def test_from_alone_beyond_what_one_period_may_hold_is_422(
    client, manager, seeded, days_back, says
):
    first = datetime.now(ZoneInfo("Europe/Istanbul")).date() - timedelta(days=days_back)
    response = client.get(f"{BASE}/kpis?from={first}", headers=manager)
    assert response.status_code == 422
    assert says in response.json["errors"]["query"]["from"][0]


def test_teams_and_categories_sorted(client, manager, city):
    body = client.get(f"{BASE}/teams?{OCT}&sort=open&order=desc", headers=manager).json
    assert [(r["name"], r["backlog"]["open"]) for r in body["data"][:2]] == [
        ("Aydınlatma", 3),
        (None, 1),
    ]
    one = client.get(
        f"{BASE}/teams?{OCT}&team={city.teams['Fen İşleri'].id}", headers=manager
    ).json["data"]
    assert [(r["name"], r["created"]) for r in one] == [("Fen İşleri", 3)]
    categories = client.get(f"{BASE}/categories?{OCT}&sort=created&order=desc", headers=manager)
    assert categories.json["data"][0]["name"] == "infrastructure"


def test_trends_over_http(client, manager, city):
    body = client.get(f"{BASE}/trends?{OCT}&interval=week", headers=manager).json
    assert [(b["start"], b["created"], b["backlog"]) for b in body["data"]][:2] == [
        ("2026-10-01", 1, 1),
        ("2026-10-05", 1, 2),
    ]


def _cells(body):
    assert body["type"] == "FeatureCollection"
    return [(shape(f["geometry"]), f["properties"]["count"]) for f in body["features"]]


@pytest.mark.parametrize("cell", ["hex", "square"])
def test_heatmap_cells_hold_their_tickets(client, manager, city, cell):
    body = client.get(f"{BASE}/heatmap?{OCT}&cell={cell}&size_m=500", headers=manager).json
    cells = _cells(body)
    assert sum(count for _, count in cells) == 5  # created in October: T2 T3 T4 T6 T7
    for polygon, _ in cells:
        assert polygon.is_valid and polygon.geom_type == "Polygon"
        assert 0.1 < polygon.area * 111_000**2 / 1e6 < 1  # about 0.2-0.65 km² in degrees²
    for name in ("T2", "T3", "T4", "T6", "T7"):
        t = city.tickets[name]
        p = to_shape(t.location)
        assert sum(poly.covers(Point(p.x, p.y)) for poly, _ in cells) >= 1


def test_heatmap_filters(client, manager, city):
    new_only = _cells(client.get(f"{BASE}/heatmap?{OCT}&status=new", headers=manager).json)
    assert [count for _, count in new_only] == [1]  # T4
    assert new_only[0][0].covers(Point(29.0299, 40.9902))
    lat, lon = PLACE_B
    around_b = f"bbox={lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}"
    november = client.get(
        f"{BASE}/heatmap?from=2026-11-01&to=2026-11-30&{around_b}", headers=manager
    ).json
    assert [count for _, count in _cells(november)] == [1]  # T5
    empty = client.get(f"{BASE}/heatmap?{OCT}&{around_b}", headers=manager).json
    assert empty == {"type": "FeatureCollection", "features": []}


def test_hotspots(client, manager, city):
    body = client.get(f"{BASE}/hotspots?eps_m=100&min_points=3", headers=manager).json
    # Open near PLACE_A: T3, T4, T8 (T1, T2, T6, T7 are resolved or closed); T5 is alone.
    assert len(body["data"]) == 1
    spot = body["data"][0]
    assert spot["count"] == 3
    assert abs(spot["centre"]["lat"] - PLACE_A[0]) < 0.001
    assert abs(spot["centre"]["lon"] - PLACE_A[1]) < 0.001
    assert spot["categories"] == [{"code": "lighting", "count": 2}, {"code": "parks", "count": 1}]
    assert spot["oldest_ticket"]["number"] == f"#{city.tickets['T8'].number}"
    fewer = client.get(f"{BASE}/hotspots?eps_m=100&min_points=4", headers=manager).json
    assert fewer["data"] == []
    in_october = client.get(f"{BASE}/hotspots?{OCT}&eps_m=100&min_points=2", headers=manager)
    assert [s["count"] for s in in_october.json["data"]] == [2]  # T3, T4 (T8 is from August)


def test_openapi_documents_analytics(client):
    spec = client.get("/api/v1/openapi.json").json
    for path in ("kpis", "teams", "categories", "trends", "heatmap", "hotspots"):
        operation = spec["paths"][f"{BASE}/{path}"]["get"]
        assert operation["security"] == [{"bearerAuth": []}]
        assert "200" in operation["responses"]


@pytest.mark.parametrize("cell", ["hex", "square"])
def test_heatmap_agrees_with_postgis_grids(client, manager, db, seeded, make_user, cell):
    """Many scattered points: each counted once, in the cell PostGIS's own grid puts it."""
    rng = random.Random(cell)
    category = seeded.query(Category).first()
    reporter = make_user("citizen")
    for _ in range(300):
        db.add(
            Ticket(
                reporter_id=reporter.id, category_id=category.id, description="nokta",
                channel="sms", location=point(41.0 + rng.random() * 0.05, 29.0 + rng.random() * 0.05),
            )
        )  # fmt: skip
    db.flush()
    grid = "ST_HexagonGrid" if cell == "hex" else "ST_SquareGrid"
    expected = dict(
        db.execute(
            text(
                f"SELECT h.i || ':' || h.j, count(*) FROM tickets t, "  # noqa: S608
                f"LATERAL {grid}(300, ST_Transform(t.location::geometry, 32635)) h "
                "WHERE ST_Intersects(h.geom, ST_Transform(t.location::geometry, 32635)) "
                "GROUP BY 1"
            )
        ).all()
    )
    body = client.get(f"{BASE}/heatmap?cell={cell}&size_m=300", headers=manager).json
    got = {f["id"]: f["properties"]["count"] for f in body["features"]}
    assert sum(got.values()) == 300
    # PostGIS counts a point on an edge in both cells; there are none among random points.
    assert got == expected


@pytest.mark.parametrize(
    "query",
    ["team=90624246497290949683576832", "category=90624246497290949683576832", "to=9999-12-31"],
)
def test_out_of_range_values_are_422_or_empty(client, manager, seeded, query):
    response = client.get(f"{BASE}/heatmap?{query}", headers=manager)
    assert response.status_code == 422
