"""Exports read back and compared with the database: CSV (parsed), XLSX (opened with a
reader), GeoJSON (validated); a description with a comma, a quote, a newline, Turkish
letters and a leading "="; no reporter phone and no internal note anywhere."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from geoalchemy2.shape import to_shape
from openpyxl import load_workbook

from core.people.api_keys import create_api_key
from core.tickets.exports import HEADERS, export_query, headers
from core.tickets.queries import TicketFilters
from tests.analytics_dataset import TRICKY_DESCRIPTION, build_city

BASE = "/api/v1/analytics/exports"


@pytest.fixture
def city(seeded, make_user):
    return build_city(seeded, make_user)


@pytest.fixture
def manager(make_user, bearer):
    return bearer(make_user("manager"))


def _csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.data[:500]
    assert response.data.startswith(b"\xef\xbb\xbf")
    text = response.data.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    assert header == HEADERS
    return [dict(zip(header, row, strict=True)) for row in reader]


def _expected(city, name: str) -> dict[str, str]:
    t = city.tickets[name]
    p = to_shape(t.location)
    return {"number": f"#{t.number}", "lat": f"{p.y:.6f}", "lon": f"{p.x:.6f}"}


def _assert_private_data_absent(blob: bytes | str) -> None:
    text = blob if isinstance(blob, str) else blob.decode("utf-8", "replace")
    assert "905321112233" not in text
    assert "GİZLİ" not in text


def test_csv_reads_back_equal_to_the_database(client, manager, city, settings):
    response = client.get(f"{BASE}/tickets.csv", headers=manager)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # one charset
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv_rows(response)
    assert [r["number"] for r in rows] == [f"#{city.tickets[f'T{i}'].number}" for i in range(1, 9)]
    t1 = rows[0]
    assert t1["description"] == "'" + TRICKY_DESCRIPTION
    assert {k: t1[k] for k in ("number", "lat", "lon")} == _expected(city, "T1")
    assert t1 == {
        **t1,
        "created": "2026-09-30T23:59:00+03:00",  # the city's clock, with its offset
        "category": "infrastructure",
        "status": "resolved",
        "resolution": "",
        "priority": "normal",
        "team": "Fen İşleri",
        "assignee": "Mehmet Çalışkan",
        "address": "Moda Cd. 1, Kadıköy",
        "first_response": "2026-10-01T00:59:00+03:00",
        "resolved": "2026-10-01T05:00:00+03:00",
        "closed": "",
        "due": "2026-10-02T03:00:00+03:00",
        "overdue": "false",
        "rating": "5",
        "fixed": "true",
        "followers": "0",
        "channel": "whatsapp",
        "url": f"{settings.PUBLIC_BASE_URL}/api/v1/tickets/{city.tickets['T1'].id}",
    }
    t8 = rows[-1]
    assert (t8["team"], t8["overdue"], t8["rating"], t8["status"]) == ("", "true", "", "escalated")
    _assert_private_data_absent(response.data)


def test_csv_neutralises_every_formula_start(client, manager, city, seeded):
    starts = ["=1+1", "+90 532", "-2", "@SUM(A1)", "\tx", "\rx", "plain"]
    for i, text in enumerate(starts, start=2):
        city.tickets[f"T{i}"].description = text
    seeded.flush()
    rows = _csv_rows(client.get(f"{BASE}/tickets.csv", headers=manager))
    assert [r["description"] for r in rows[1:8]][:6] == ["'" + s for s in starts[:6]]
    assert rows[7]["description"] == "plain"


def test_filters_are_those_of_the_ticket_list(client, manager, city):
    def numbers(query: str) -> list[str]:
        return [
            r["number"]
            for r in _csv_rows(client.get(f"{BASE}/tickets.csv?{query}", headers=manager))
        ]

    n = {name: f"#{t.number}" for name, t in city.tickets.items()}
    assert numbers("status=new") == [n["T4"], n["T5"]]
    assert numbers("status=new,escalated") == [n["T4"], n["T5"], n["T8"]]
    assert numbers(f"category={city.categories['lighting'].id}") == [n["T3"], n["T4"], n["T5"]]
    assert numbers("category=lighting") == [n["T3"], n["T4"], n["T5"]]
    assert numbers(f"team={city.teams['Aydınlatma'].id}&overdue=true") == [n["T3"], n["T4"]]
    assert numbers(f"assignee={city.assignee.id}") == [n["T1"]]
    assert numbers("created_from=2026-10-31T20:59:00Z&created_to=2026-10-31T21:00:00Z") == [n["T4"]]
    assert numbers("bbox=29.02,41.03,29.04,41.04") == [n["T5"]]
    assert numbers("status=closed&priority=urgent") == []
    by_sms = sorted((t.id, f"#{t.number}") for t in city.tickets.values() if t.channel == "sms")
    assert by_sms and numbers("channel=sms") == [number for _, number in by_sms]
    # Zone offsets PostgreSQL would refuse (beyond ±15:59) are taken in UTC.
    assert numbers(
        "created_from=2026-10-30T23:00:00-21:00&created_to=2026-10-31T22:00:00%2B01:00"
    ) == [n["T4"]]
    assert numbers("created_from=8615-10-18T10:01:31-21:02") == []


@pytest.mark.parametrize(
    "query",
    [
        "status=lost",
        "bbox=1,2,3",
        "bbox=-90,0,90,10",
        "assignee=someone",
        "overdue=maybe",
        "category=no_such_code",
        "limit=10",
        "numbr=1001",
        "channel=fax",
    ],
)
def test_bad_filters_are_422(client, manager, seeded, query):
    response = client.get(f"{BASE}/tickets.csv?{query}", headers=manager)
    assert response.status_code == 422


def test_xlsx_reads_back_without_formulas(client, manager, city):
    response = client.get(f"{BASE}/tickets.xlsx", headers=manager)
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data), read_only=False)
    sheet = workbook["tickets"]
    rows = list(sheet.iter_rows(values_only=True))
    zone = "(Europe/Istanbul)"
    assert list(rows[0]) == [
        f"{h} {zone}" if h in ("created", "first_response", "resolved", "closed", "due") else h
        for h in HEADERS
    ]
    assert len(rows) == 9
    t1 = dict(zip(HEADERS, rows[1], strict=True))
    # Real date-time cells on the city's wall clock; real booleans.
    assert t1["created"] == datetime(2026, 9, 30, 23, 59)
    assert t1["due"] == datetime(2026, 10, 2, 3, 0)
    assert t1["closed"] is None
    assert sheet.cell(row=2, column=HEADERS.index("created") + 1).is_date
    assert (t1["overdue"], t1["fixed"]) == (False, True)
    assert t1["description"] == TRICKY_DESCRIPTION  # stored as text, not as a formula
    assert sheet.cell(row=2, column=HEADERS.index("description") + 1).data_type == "s"
    assert t1["number"] == f"#{city.tickets['T1'].number}"
    p = to_shape(city.tickets["T1"].location)
    assert (t1["lat"], t1["lon"]) == (round(p.y, 6), round(p.x, 6))
    assert (t1["rating"], t1["team"]) == (5, "Fen İşleri")
    assert not any(
        isinstance(v, str) and v.startswith("=") and cell.data_type == "f"
        for row in sheet.iter_rows() for cell in row for v in [cell.value]
    )  # fmt: skip
    assert sheet.cell(row=2, column=HEADERS.index("url") + 1).hyperlink is None
    _assert_private_data_absent(b"".join(str(v).encode() for row in rows for v in row))


def test_geojson_is_a_feature_collection_of_the_tickets(client, manager, city):
    response = client.get(f"{BASE}/tickets.geojson?status=new,in_progress", headers=manager)
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    body = json.loads(response.data)
    assert body["type"] == "FeatureCollection"
    features = body["features"]
    assert [f["properties"]["number"] for f in features] == [
        f"#{city.tickets[n].number}" for n in ("T3", "T4", "T5")
    ]
    for feature, name in zip(features, ("T3", "T4", "T5"), strict=True):
        p = to_shape(city.tickets[name].location)
        assert feature["type"] == "Feature"
        assert feature["geometry"] == {
            "type": "Point",
            "coordinates": [round(p.x, 6), round(p.y, 6)],
        }
        assert set(feature["properties"]) == set(HEADERS) - {"lat", "lon"}
    everything = json.loads(client.get(f"{BASE}/tickets.geojson", headers=manager).data)
    t1 = everything["features"][0]["properties"]
    assert t1["description"] == TRICKY_DESCRIPTION
    assert t1["fixed"] is True and t1["rating"] == 5
    assert t1["created"] == "2026-09-30T23:59:00+03:00"
    _assert_private_data_absent(response.data)


def test_empty_exports_are_still_well_formed(client, manager, seeded):
    assert _csv_rows(client.get(f"{BASE}/tickets.csv", headers=manager)) == []
    assert json.loads(client.get(f"{BASE}/tickets.geojson", headers=manager).data) == {
        "type": "FeatureCollection",
        "features": [],
    }
    rows = list(
        load_workbook(io.BytesIO(client.get(f"{BASE}/tickets.xlsx", headers=manager).data))[
            "tickets"
        ].iter_rows(values_only=True)
    )
    assert rows == [tuple(headers("xlsx", "Europe/Istanbul"))]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson"])
def test_export_access(client, db, settings, make_user, bearer, seeded, fmt):
    url = f"{BASE}/tickets.{fmt}"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=bearer(make_user("support"))).status_code == 403
    _, secret = create_api_key(db, settings, name="BI", scopes=["analytics:read"], created_by=None)
    assert client.get(url, headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    me = client.get(f"{url}?assignee=me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 422


@pytest.mark.parametrize("query", ["team=99999999999999999999", "category=-1", "reporter=0"])
def test_ids_out_of_range_are_422(client, manager, seeded, query):
    assert client.get(f"{BASE}/tickets.csv?{query}", headers=manager).status_code == 422


# The export and the ticket list answer the same filter with the same tickets: one
# filter builder serves both (core.tickets.queries.ticket_conditions).
SAME_FILTER = [
    "status=new",
    "status=resolved&status=closed",
    "priority=high",
    "q=çukur",
    "channel=whatsapp",
    "overdue=true",
    "bbox=28.9,40.9,29.1,41.1",
    "near=41.0082,28.9784&radius_m=2000",
    "created_from=2026-10-01T00:00:00Z&created_to=2026-10-15T00:00:00Z",
]


@pytest.mark.parametrize("query", SAME_FILTER)
def test_an_export_holds_what_the_list_shows_for_the_same_filter(client, manager, city, query):
    listed = client.get(f"/api/v1/tickets?{query}&limit=200", headers=manager)
    assert listed.status_code == 200, listed.json
    exported = _csv_rows(client.get(f"{BASE}/tickets.csv?{query}", headers=manager))
    assert sorted(r["number"] for r in exported) == sorted(
        t["public_number"] for t in listed.json["data"]
    )


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("America/St_Johns", ["2026-01-15T08:30:00-03:30", "2026-07-15T09:30:00-02:30"]),
        ("Asia/Kolkata", ["2026-01-15T17:30:00+05:30", "2026-07-15T17:30:00+05:30"]),
        ("UTC", ["2026-01-15T12:00:00+00:00", "2026-07-15T12:00:00+00:00"]),
    ],
)
def test_csv_times_carry_the_offset_of_their_day(db, settings, city, zone, expected):
    """Summer and winter offsets, negative and half-hour ones, as a city elsewhere sees them."""
    for name, month in (("T1", 1), ("T2", 7)):
        city.tickets[name].created_at = datetime(2026, month, 15, 12, 0, tzinfo=UTC)
    db.flush()
    sql, params = export_query(
        TicketFilters(), replace(settings, CITY_TIMEZONE=zone), datetime.now(UTC), fmt="csv"
    )
    raw = db.connection().connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute(f"SELECT e.number, e.created FROM ({sql}) AS e", params)  # noqa: S608
        created = dict(cursor.fetchall())
    assert [created[f"#{city.tickets[n].number}"] for n in ("T1", "T2")] == expected
