"""Typed addresses placed on the map: a Nominatim-compatible geocoder (stood in for by
`responses`), looked up by a Celery task after the webhook has answered, the offer
sent through the outbox; without one (or without a match) the district named gives an
approximate point that takes no part in duplicate checks or hotspots."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
import responses
from bot_support import Phone
from sqlalchemy import select

from core.conversations.address_lookup import look_up_address
from core.geo import nearby_open_tickets
from core.geocoder import geocode
from core.models import Conversation, Message, Ticket
from core.places import approximate_area
from web.request_session import EXTENSION_KEY

GEOCODER = "https://geo.city.example"
SEARCH = f"{GEOCODER}/search"
ISTANBUL = (27.95, 40.78, 29.95, 41.60)
MODA = {
    "lat": "40.9819",
    "lon": "29.0251",
    "display_name": "25, Moda Caddesi, Caferağa Mahallesi, Kadıköy, İstanbul, 34710, Türkiye",
    "address": {"house_number": "25", "road": "Moda Caddesi", "suburb": "Caferağa Mahallesi"},
}
ANKARA = {"lat": "39.92", "lon": "32.85", "display_name": "Kızılay, Çankaya, Ankara"}


@pytest.fixture
def geo_settings(settings):
    return settings.replace(GEOCODER_URL=GEOCODER, GEOCODER_TIMEOUT_SECONDS=2.0)


# --- the geocoder ------------------------------------------------------------------------------


@responses.activate
def test_best_match_inside_the_service_area(geo_settings) -> None:
    responses.get(SEARCH, json=[ANKARA, MODA])
    places = geocode(geo_settings, "Kadıköy Moda Caddesi 25 önü", requests.Session())
    assert [(p.lat, p.lon, p.label) for p in places] == [
        (40.9819, 29.0251, "Moda Caddesi 25, Caferağa Mahallesi")
    ]
    request = responses.calls[0].request
    params = dict(p.split("=", 1) for p in request.url.split("?", 1)[1].split("&"))
    # The geocoder is asked for the service area only (west, north, east, south).
    assert params["bounded"] == "1" and params["viewbox"] == "27.95%2C41.6%2C29.95%2C40.78"
    assert params["format"] == "jsonv2"
    assert request.headers["User-Agent"].startswith("SoSoft")


@pytest.mark.parametrize(
    "answer",
    [
        {"body": requests.exceptions.ConnectTimeout()},
        {"body": requests.exceptions.ReadTimeout()},
        {"body": requests.exceptions.ConnectionError()},
        {"status": 500, "json": {"error": "down"}},
        {"status": 429, "body": "slow down"},
        {"body": "<html>not json</html>", "content_type": "text/html"},
        {"json": {"lat": "40.98", "lon": "29.02"}},
        {"json": [{"lat": "north", "lon": "29.02"}, {"lon": "29.02"}, "x", None, 7]},
        {"json": [{"lat": "NaN", "lon": "Infinity"}, {"lat": True, "lon": 29}]},
        {"json": [ANKARA]},
        {"json": []},
    ],
)
def test_timeouts_garbage_and_places_outside_the_area_are_nothing_found(
    geo_settings, answer: dict
) -> None:
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, SEARCH, **answer)
        assert geocode(geo_settings, "Moda Caddesi 25", requests.Session()) == []


def test_nothing_is_called_without_a_geocoder(settings) -> None:
    with responses.RequestsMock():  # any request would fail the test
        assert geocode(settings, "Moda Caddesi 25", requests.Session()) == []


# --- the districts the project ships with -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "area"),
    [
        ("Kadıköy Moda Caddesi 25 önü", "Kadıköy"),
        ("moda cd no 25 kadikoy", "Kadıköy"),
        ("Bağdat caddesi Kadıköy'de", "Kadıköy"),
        ("Caferağa mahallesi, okulun önü", "Caferağa, Kadıköy"),
        ("Fatih mahallesi, Esenyurt", "Esenyurt"),
        ("Beşiktaş çarşı", "Beşiktaş"),
    ],
)
def test_a_district_or_neighbourhood_named_gives_its_area(text: str, area: str) -> None:
    assert approximate_area(text, ISTANBUL).name == area


@pytest.mark.parametrize(
    "text",
    ["evin önü", "Bağdat caddesi migros karşısı", "Kadıköy ile Üsküdar arası", "Acıbadem"],
)
def test_no_area_or_two_areas_is_no_answer(text: str) -> None:
    assert approximate_area(text, ISTANBUL) is None


def test_another_citys_service_area_gets_no_istanbul_points() -> None:
    ankara = (32.4, 39.7, 33.2, 40.1)
    assert approximate_area("Kadıköy Moda Caddesi", ankara) is None


# --- through the chat --------------------------------------------------------------------------


def _queued(redis_client, task: str) -> list[list]:
    found = []
    for raw in redis_client.lrange("celery", 0, -1):
        envelope = json.loads(raw)
        if envelope["headers"]["task"] == task:
            args, _kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
            found.append(args)
    return found


def _to_location(phone: Phone) -> None:
    phone.register()
    phone.send("1")
    phone.send("aydinlatma")
    phone.send("Sokak lambası iki gündür yanmıyor")


@pytest.fixture
def with_geocoder(app, geo_settings, monkeypatch):
    monkeypatch.setitem(app.config, "SOSOFT", geo_settings)
    return geo_settings


@pytest.fixture
def run_lookup(app, with_geocoder, db):
    """`run_lookup(answer)`: the task's work on the conversation's pending lookup, the
    geocoder answering `answer` (None: it must not be asked at all)."""

    def run(answer: dict | None, message_id: int | None = None) -> str | None:
        conversation = db.scalars(select(Conversation)).one()
        lookup = conversation.context["draft"].get("lookup") or {}
        message_id = message_id or lookup["message_id"]
        with responses.RequestsMock() as mock:
            if answer is not None:
                mock.add(responses.GET, SEARCH, **answer)
            return look_up_address(
                app.extensions[EXTENSION_KEY],
                with_geocoder,
                requests.Session(),
                conversation.id,
                message_id,
            )

    return run


def test_the_webhook_answers_at_once_and_the_offer_follows_as_a_message(
    client, with_geocoder, run_lookup, seeded, redis_client
) -> None:
    db = seeded
    phone = Phone(client, with_geocoder)
    _to_location(phone)
    with responses.RequestsMock():  # the webhook itself calls no geocoder
        reply = phone.send("Kadıköy Moda Caddesi 25 önü")
    assert "arıyorum" in reply
    conversation = db.scalars(select(Conversation)).one()
    assert conversation.state == "address_lookup"
    [(conversation_id, message_id)] = _queued(redis_client, "tasks.geocoding.look_up_address")
    assert conversation_id == conversation.id

    assert run_lookup({"json": [MODA]}, message_id) == "found"
    # Run again (a redelivered task): answered already, the geocoder is not asked again.
    assert run_lookup(None, message_id) is None
    offer = db.scalars(select(Message).where(Message.kind == "address_lookup")).one()
    assert offer.direction == "outbound" and offer.status == "pending"
    assert "Moda Caddesi 25, Caferağa Mahallesi" in offer.body and "EVET" in offer.body

    assert "Fotoğraf" in phone.send("evet")
    phone.send("geç")
    assert "alındı" in phone.send("EVET")
    ticket = db.scalars(select(Ticket)).one()
    assert not ticket.needs_location and not ticket.location_approximate
    assert ticket.address == "Kadıköy Moda Caddesi 25 önü"
    nearby = nearby_open_tickets(db, 40.9819, 29.0251, 5)
    assert [t.id for t, _ in nearby] == [ticket.id]


def test_no_match_keeps_the_address_with_its_districts_approximate_point(
    client, with_geocoder, run_lookup, seeded
) -> None:
    db = seeded
    phone = Phone(client, with_geocoder)
    _to_location(phone)
    phone.send("Kadıköy Moda Caddesi 25 önü")
    assert run_lookup({"body": requests.exceptions.ReadTimeout()}) == "none"
    offer = db.scalars(select(Message).where(Message.kind == "address_lookup")).one()
    assert "bulamadım" in offer.body
    assert "yaklaşık olarak Kadıköy" in phone.send("EVET")
    phone.send("geç")
    phone.send("EVET")
    ticket = db.scalars(select(Ticket)).one()
    assert ticket.location_approximate and ticket.needs_location and ticket.location is not None
    # Address-only reports of one district would all look alike: no duplicate check.
    assert nearby_open_tickets(db, 40.987, 29.062, 50) == []


def test_a_pin_while_looking_up_wins_and_the_late_answer_is_dropped(
    client, with_geocoder, run_lookup, seeded
) -> None:
    db = seeded
    phone = Phone(client, with_geocoder)
    _to_location(phone)
    phone.send("Moda Caddesi 25")
    message_id = db.scalars(select(Conversation)).one().context["draft"]["lookup"]["message_id"]
    assert "Fotoğraf" in phone.pin(40.99, 29.03)
    assert run_lookup(None, message_id) is None  # not even asked: the draft no longer waits
    assert db.scalars(select(Message).where(Message.kind == "address_lookup")).all() == []


def test_a_lookup_that_never_answers_does_not_hold_the_citizen_up(
    client, with_geocoder, seeded
) -> None:
    db = seeded
    phone = Phone(client, with_geocoder)
    _to_location(phone)
    phone.send("Kadıköy Moda Caddesi 25")
    assert "arıyorum" in phone.send("tamam")  # still waiting: not a miss
    conversation = db.scalars(select(Conversation)).one()
    lookup = conversation.context["draft"]["lookup"]
    stale = datetime.now(UTC) - timedelta(minutes=5)
    conversation.context = {
        **conversation.context,
        "draft": {
            **conversation.context["draft"],
            "lookup": {**lookup, "started_at": stale.isoformat()},
        },
    }
    db.flush()
    reply = phone.send("tamam")
    assert "yaklaşık olarak Kadıköy" in reply and "Fotoğraf" in reply


def test_without_a_geocoder_the_district_is_used_at_once(client, settings, seeded) -> None:
    db = seeded
    phone = Phone(client, settings)
    _to_location(phone)
    reply = phone.send("Üsküdar, Mimar Sinan Mahallesi, Atlas Sokak")
    assert "yaklaşık olarak Üsküdar" in reply and "Fotoğraf" in reply
    assert "(haritada yaklaşık)" in phone.send("geç")  # the summary says it
    phone.send("EVET")
    ticket = db.scalars(select(Ticket)).one()
    assert ticket.location_approximate and ticket.needs_location


@pytest.mark.parametrize(("approximate", "spots"), [(True, []), (False, [3])])
def test_approximate_points_take_no_part_in_hotspots(
    client, make_user, bearer, seeded, make_ticket, approximate: bool, spots: list[int]
) -> None:
    for _ in range(3):
        make_ticket(lat=40.987, lon=29.062, location_approximate=approximate)
    response = client.get(
        "/api/v1/analytics/hotspots?eps_m=100&min_points=3", headers=bearer(make_user("manager"))
    )
    assert response.status_code == 200, response.json
    assert [spot["count"] for spot in response.json["data"]] == spots


def test_staff_placing_an_approximate_ticket_makes_it_precise(
    client, make_user, bearer, seeded, make_ticket
) -> None:
    ticket = make_ticket(lat=40.987, lon=29.062, location_approximate=True, needs_location=True)
    assert nearby_open_tickets(seeded, 40.987, 29.062, 50) == []
    shown = client.get(f"/api/v1/tickets/{ticket.id}", headers=bearer(make_user("support")))
    assert shown.json["location_approximate"] is True and shown.json["needs_location"] is True
    placed = client.patch(
        f"/api/v1/tickets/{ticket.id}",
        json={"location": {"lat": 40.9819, "lon": 29.0251}},
        headers=bearer(make_user("support")),
    )
    assert placed.status_code == 200, placed.json
    assert placed.json["location_approximate"] is False and placed.json["needs_location"] is False
    assert [t.id for t, _ in nearby_open_tickets(seeded, 40.9819, 29.0251, 5)] == [ticket.id]
