"""Open311 POST and GET service requests: keys, locations, attributes, citizens,
filters, privacy, rate limit, formats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from core.models import ApiKey, Category, Comment, Message, Photo, Ticket, User
from core.people.api_keys import revoke_api_key
from core.tickets.workflow import apply_transition
from tests.open311_support import (
    BASE,
    ISTANBUL,
    JSON_TYPE,
    XML_TYPE,
    assert_errors,
    open311_key,
    parse_xml,
    pothole_questions,
    validate,
    xml_to_data,
)

LIGHTING_QUESTIONS = [
    {
        "code": "pole",
        "text_tr": "Direk numarası",
        "text_en": "Pole number",
        "datatype": "string",
        "required": False,
        "order": 1,
    },
    {
        "code": "faults",
        "text_tr": "Ne arızalı?",
        "text_en": "What is broken?",
        "datatype": "multivaluelist",
        "required": False,
        "order": 2,
        "values": [
            {"key": "lamp", "name_tr": "Lamba", "name_en": "Lamp"},
            {"key": "pole", "name_tr": "Direk", "name_en": "Pole"},
            {"key": "cable", "name_tr": "Kablo", "name_en": "Cable"},
        ],
    },
    {
        "code": "seen_at",
        "text_tr": "Ne zaman fark ettiniz?",
        "text_en": "When did you notice?",
        "datatype": "datetime",
        "required": False,
        "order": 3,
    },
]


@pytest.fixture
def key(seeded, settings) -> str:
    seeded.scalar(
        select(Category).where(Category.code == "infrastructure")
    ).questions = pothole_questions([("circle", "Daire"), ("square", "Kare")])
    seeded.scalar(
        select(Category).where(Category.code == "lighting")
    ).questions = LIGHTING_QUESTIONS
    seeded.flush()
    return open311_key(seeded, settings)


def file(client, key: str, fmt: str = "json", **fields):
    form = MultiDict(
        {
            "api_key": key,
            "service_code": "infrastructure",
            "lat": ISTANBUL[0],
            "long": ISTANBUL[1],
            "attribute[depth]": "12",
            "description": "Kaldırımın önünde derin bir çukur var.",
        }
    )
    for name, value in fields.items():
        if value is None:
            form.pop(name, None)
        elif isinstance(value, list):
            form.setlist(name, value)
        else:
            form[name] = value
    return client.post(f"{BASE}/requests.{fmt}", data=form)


def created_number(response) -> int:
    assert response.status_code == 200, response.data
    assert response.content_type == JSON_TYPE
    (record,) = response.get_json()
    return int(record["service_request_id"])


def ticket_of(db, number: int) -> Ticket:
    return db.scalar(select(Ticket).where(Ticket.number == number))


def read(client, number: int, fmt: str = "json", **args):
    response = client.get(f"{BASE}/requests/{number}.{fmt}", query_string=args)
    assert response.status_code == 200, response.data
    if fmt == "xml":
        return xml_to_data(parse_xml(response.data))[0]
    body = response.get_json()
    validate(body, "requests")
    assert len(body) == 1
    return body[0]


# --- filing --------------------------------------------------------------------------


def test_filed_request_becomes_an_open311_ticket_with_its_answers(client, db, key) -> None:
    number = created_number(file(client, key, **{"attribute[shape]": "square"}))
    ticket = ticket_of(db, number)
    assert ticket.channel == "open311"
    assert ticket.attributes == {"depth": 12, "shape": "square"}
    assert ticket.reporter_id is None
    assert ticket.api_key_id == db.scalar(select(ApiKey.id))
    assert ticket.team.name == "Fen İşleri"
    record = read(client, number)
    assert record["status"] == "open"
    assert record["agency_responsible"] == "Fen İşleri"
    assert (record["lat"], record["long"]) == pytest.approx((41.0082, 28.9784))
    assert record["expected_datetime"] > record["requested_datetime"]


def test_multivaluelist_in_spec_syntax_and_repeated_keys(client, db, key) -> None:
    spec = file(
        client,
        key,
        service_code="lighting",
        **{
            "attribute[faults][]": ["lamp", "cable"],
            "attribute[pole]": "  A-12 ",
            "attribute[depth]": None,
        },
    )
    assert ticket_of(db, created_number(spec)).attributes == {
        "pole": "A-12",
        "faults": ["lamp", "cable"],
    }
    repeated = file(
        client,
        key,
        service_code="lighting",
        **{"attribute[faults]": ["pole", "lamp"], "attribute[depth]": None},
    )
    assert ticket_of(db, created_number(repeated)).attributes == {"faults": ["pole", "lamp"]}


@pytest.mark.parametrize(
    ("fields", "names"),
    [
        ({"attribute[depth]": None}, ["attribute[depth]", "required"]),
        ({"attribute[depth]": "deep"}, ["attribute[depth]", "number"]),
        ({"attribute[shape]": "starfish"}, ["attribute[shape]", "circle, square"]),
        ({"lat": None, "long": None}, ["location"]),
        ({"long": None}, ["lat and long"]),
        ({"lat": "north"}, ["lat and long"]),
        ({"lat": "nan"}, ["lat and long"]),
        ({"lat": "51.5", "long": "-0.1"}, ["service area"]),
        ({"media_url": "javascript:alert(1)"}, ["media_url"]),
        ({"description": "x" * 4001}, ["4000"]),
        ({"description": "x" * 2500}, ["2000"]),
        ({"device_id": "d" * 101}, ["device_id"]),
    ],
    ids=[
        "required-attribute-missing",
        "number-not-numeric",
        "unknown-list-key",
        "no-location",
        "lat-without-long",
        "lat-not-a-number",
        "lat-nan",
        "outside-the-city",
        "media-url-not-http",
        "description-over-spec-limit",
        "description-over-sosoft-limit",
        "device-id-too-long",
    ],
)
def test_bad_input_is_a_400_naming_the_problem_and_writes_nothing(
    client, db, key, fields, names
) -> None:
    before = db.scalar(select(func.count(Ticket.id)))
    response = file(client, key, phone="05329998877", **fields)
    errors = assert_errors(response, 400)
    text = " ".join(e["description"] for e in errors)
    for name in names:
        assert name in text
    assert db.scalar(select(func.count(Ticket.id))) == before
    assert db.scalar(select(User).where(User.phone == "+905329998877")) is None


def test_every_problem_is_listed_at_once(client, key) -> None:
    response = file(client, key, lat=None, long=None, **{"attribute[depth]": "deep"})
    descriptions = [e["description"] for e in assert_errors(response, 400)]
    assert len(descriptions) == 2


def test_datetime_attribute_needs_a_zone(client, db, key) -> None:
    naive = file(
        client, key, service_code="lighting", **{"attribute[seen_at]": "2026-11-20T21:00:00"}
    )
    assert "attribute[seen_at]" in assert_errors(naive, 400)[0]["description"]
    zoned = file(
        client, key, service_code="lighting", **{"attribute[seen_at]": "2026-11-20T21:00:00+03:00"}
    )
    assert ticket_of(db, created_number(zoned)).attributes == {
        "seen_at": "2026-11-20T21:00:00+03:00"
    }


def test_short_or_missing_description_still_says_what_it_is_about(client, db, key) -> None:
    short = ticket_of(db, created_number(file(client, key, description="Big hole")))
    assert short.description == "Altyapı (Open311): Big hole"
    missing = ticket_of(db, created_number(file(client, key, description=None)))
    assert missing.description == "Altyapı (Open311)"


def test_address_only_request_waits_for_staff_to_place_it(client, db, key) -> None:
    number = created_number(
        file(
            client, key, lat=None, long=None, address_string="Moda Cd. 12, Kadıköy", zipcode="34710"
        )
    )
    ticket = ticket_of(db, number)
    assert ticket.needs_location and ticket.location is None
    record = read(client, number)
    assert record["address"] == "Moda Cd. 12, Kadıköy"
    assert record["zipcode"] == "34710"
    assert record["lat"] is None and record["long"] is None


def test_a_phone_never_makes_an_account_and_is_kept_as_the_tickets_contact(
    client, db, key, make_user, bearer
) -> None:
    """Any key holder can send any number: it proves nothing about who owns it."""
    users = db.scalar(select(func.count(User.id)))
    number = created_number(
        file(
            client,
            key,
            phone="0532 111 22 33",
            first_name="Ayşe",
            last_name="Yılmaz",
            email="a@example.org",
        )
    )
    ticket = ticket_of(db, number)
    assert ticket.reporter_id is None and ticket.contact_phone == "+905321112233"
    assert db.scalar(select(func.count(User.id))) == users
    assert db.scalars(select(Message).where(Message.ticket_id == ticket.id)).all() == []
    assert "a@example.org" not in str(ticket.source_details)
    assert "Ayşe" not in str(ticket.source_details)
    # Staff see the contact, to call back; a citizen following the ticket does not.
    staff = client.get(f"/api/v1/tickets/{ticket.id}", headers=bearer(make_user("support")))
    assert staff.json["contact_phone"] == "+905321112233" and staff.json["reporter"] is None
    follower = bearer(make_user("citizen"))
    assert client.post(f"/api/v1/tickets/{ticket.id}/follow", headers=follower).status_code == 201
    assert (
        client.get(f"/api/v1/tickets/{ticket.id}", headers=follower).json["contact_phone"] is None
    )


def filed_for_you(db, phone: str) -> list[Message]:
    return list(
        db.scalars(select(Message).where(Message.address == phone, Message.kind == "filed_for_you"))
    )


@pytest.mark.parametrize(
    ("locale", "words"), [("tr", ("311 app", "DUR")), ("en", ("311 app", "STOP"))]
)
def test_a_citizen_who_consented_in_the_chat_hears_who_filed_for_them(
    client, db, key, make_user, locale, words
) -> None:
    citizen = make_user(
        "citizen", name="Mehmet Demir", phone="+905320000001", locale=locale,
        consent_at=datetime.now(UTC),
    )  # fmt: skip
    number = created_number(file(client, key, phone="+90 532 000 00 01", first_name="Someone"))
    ticket = ticket_of(db, number)
    assert ticket.reporter_id is None  # never theirs: they did not file it
    assert ticket.contact_phone == citizen.phone
    assert db.get(User, citizen.id).full_name == "Mehmet Demir"
    [told] = filed_for_you(db, citizen.phone)
    assert (told.user_id, told.ticket_id, told.status) == (citizen.id, ticket.id, "pending")
    assert f"#{number}" in told.body and all(word in told.body for word in words)


@pytest.mark.parametrize(
    "who",
    [
        {"role": "citizen"},  # signed up by staff, never consented in the chat
        {"role": "support", "consent_at": datetime(2026, 1, 1, tzinfo=UTC)},
        {"role": "citizen", "consent_at": datetime(2026, 1, 1, tzinfo=UTC),
         "opted_out_at": datetime(2026, 2, 1, tzinfo=UTC)},
    ],
    ids=["no-consent", "staff", "opted-out"],
)  # fmt: skip
def test_other_known_numbers_hear_nothing(client, db, key, make_user, who) -> None:
    user = make_user(phone="+905320000002", **who)
    ticket = ticket_of(db, created_number(file(client, key, phone=user.phone)))
    assert ticket.reporter_id is None and ticket.contact_phone == user.phone
    assert filed_for_you(db, user.phone) == []


def test_at_most_a_few_texts_a_day_per_number(
    app, client, db, settings, key, make_user, monkeypatch
) -> None:
    """Counted in the database (any web process files), over the last 24 hours."""
    monkeypatch.setitem(app.config, "SOSOFT", settings.replace(OPEN311_TEXTS_PER_NUMBER_PER_DAY=2))
    citizen = make_user(phone="+905320000003", consent_at=datetime.now(UTC))
    db.add(
        Message(direction="outbound", channel="whatsapp", address=citizen.phone,
                user_id=citizen.id, kind="filed_for_you", body="dün", status="delivered",
                created_at=datetime.now(UTC) - timedelta(hours=25))
    )  # fmt: skip
    db.flush()
    numbers = [created_number(file(client, key, phone=citizen.phone)) for _ in range(3)]
    told = [m for m in filed_for_you(db, citizen.phone) if m.body != "dün"]
    assert len(told) == 2 and len(numbers) == 3
    assert all(ticket_of(db, n).contact_phone == citizen.phone for n in numbers)
    other = make_user(phone="+905320000004", consent_at=datetime.now(UTC))
    created_number(file(client, key, phone=other.phone))
    assert len(filed_for_you(db, other.phone)) == 1


@pytest.mark.parametrize(
    ("phone", "contact"),
    [("0212 555 12 12", "+902125551212"), ("+44 7911 123456", "+447911123456")],
)
def test_any_valid_number_is_a_contact(client, db, key, phone, contact) -> None:
    """A call centre's caller may have a landline, or a foreign phone."""
    users = db.scalar(select(func.count(User.id)))
    ticket = ticket_of(db, created_number(file(client, key, phone=phone)))
    assert ticket.contact_phone == contact and ticket.reporter_id is None
    assert db.scalar(select(func.count(User.id))) == users


@pytest.mark.parametrize("phone", ["not a phone", "123", "+90 532 000 00 01 99 99"])
def test_a_phone_that_is_no_number_is_a_400(client, db, key, phone) -> None:
    before = db.scalar(select(func.count(Ticket.id)))
    assert "phone" in assert_errors(file(client, key, phone=phone), 400)[0]["description"]
    assert db.scalar(select(func.count(Ticket.id))) == before


def test_xml_post_answers_in_xml(client, key) -> None:
    response = file(client, key, fmt="xml")
    assert response.status_code == 200 and response.content_type == XML_TYPE
    root = parse_xml(response.data)
    assert root.tag == "service_requests"
    (request,) = root.findall("request")
    assert request.findtext("service_request_id").isdigit()
    assert request.find("token") is None


# --- api keys and the rate limit -----------------------------------------------------


def test_missing_api_key_is_403_per_spec_not_400_as_in_the_reference(client, key) -> None:
    errors = assert_errors(file(client, key, api_key=None), 403)
    assert "api_key" in errors[0]["description"]


def test_wrong_revoked_or_unscoped_keys_are_403(client, db, settings, key) -> None:
    assert_errors(file(client, key + "x"), 403)
    assert_errors(file(client, "sk_short"), 403)
    analytics = open311_key(db, settings, scopes=("analytics:read",))
    assert "open311:write" in assert_errors(file(client, analytics), 403)[0]["description"]
    revoke_api_key(db.scalar(select(ApiKey).order_by(ApiKey.id).limit(1)))
    db.flush()
    assert_errors(file(client, key, fmt="xml"), 403)


def test_unknown_or_retired_service_is_404_per_spec(client, db, key) -> None:
    assert (
        "nothing" in assert_errors(file(client, key, service_code="nothing"), 404)[0]["description"]
    )
    db.scalar(select(Category).where(Category.code == "infrastructure")).is_active = False
    db.flush()
    assert_errors(file(client, key), 404)


def test_rate_limit_is_per_key_and_answers_in_open311_form(
    app, client, db, settings, key, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "SOSOFT", settings.replace(OPEN311_RATE_LIMIT="2 per minute"))
    other = open311_key(db, settings)
    assert file(client, key).status_code == 200
    assert file(client, key).status_code == 200
    limited = file(client, key, fmt="xml")
    assert_errors(limited, 429)
    assert int(limited.headers["Retry-After"]) > 0
    assert file(client, other).status_code == 200


@pytest.mark.parametrize("variant", ["{} ", " {}", "{}\u00a0", "\u2003{}\t"])
def test_a_key_padded_with_whitespace_shares_the_keys_budget(
    app, client, settings, key, monkeypatch, variant
) -> None:
    """Authorisation strips the key; the rate limit counted the raw text, so every
    padding of one key had a budget of its own."""
    monkeypatch.setitem(app.config, "SOSOFT", settings.replace(OPEN311_RATE_LIMIT="2 per minute"))
    padded = variant.format(key)
    assert file(client, padded).status_code == 200  # accepted as the key itself
    assert file(client, key).status_code == 200
    assert_errors(file(client, padded), 429)
    assert_errors(file(client, key), 429)


# --- reading requests ---------------------------------------------------------------


def test_status_follows_the_workflow_and_notes_are_public_staff_comments(
    client, db, key, make_user
) -> None:
    number = created_number(file(client, key))
    ticket = ticket_of(db, number)
    agent = make_user("support")
    apply_transition(db, ticket, "in_progress", actor=agent, role="support")
    db.add_all(
        [
            Comment(ticket_id=ticket.id, author_id=agent.id, body="Ekip yola çıktı."),
            Comment(ticket_id=ticket.id, author_id=agent.id, body="İç not", is_internal=True),
            Comment(ticket_id=ticket.id, author_id=make_user("citizen").id, body="Ben de gördüm"),
        ]
    )
    db.flush()
    record = read(client, number)
    assert (record["status"], record["status_notes"]) == ("open", "Ekip yola çıktı.")
    apply_transition(db, ticket, "resolved", actor=agent, role="support")
    db.flush()
    record = read(client, number, fmt="xml")
    assert record["status"] == "closed"
    assert record["updated_datetime"] == ticket.resolved_at.astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def test_media_url_is_the_first_photo_else_the_link_kept(client, db, key) -> None:
    number = created_number(file(client, key, media_url="https://img.example.org/a.jpg"))
    assert read(client, number)["media_url"] == "https://img.example.org/a.jpg"
    ticket = ticket_of(db, number)
    db.add(
        Photo(
            ticket_id=ticket.id,
            storage_key=f"tickets/{ticket.id}/first.jpg",
            content_type="image/jpeg",
            size_bytes=10,
            width=1,
            height=1,
            sha256="0" * 64,
        )
    )
    db.flush()
    assert "/media/" in read(client, number)["media_url"]


def test_no_reporter_details_ever_leave(client, db, key) -> None:
    number = created_number(
        file(
            client,
            key,
            phone="05321234567",
            first_name="Zeynep",
            last_name="Kaya",
            email="z@example.org",
            device_id="dev-1",
            account_id="acc-9",
        )
    )
    for fmt in ("json", "xml"):
        for url in (f"{BASE}/requests/{number}.{fmt}", f"{BASE}/requests.{fmt}"):
            body = client.get(url).data.decode()
            for secret in ("5321234567", "Zeynep", "Kaya", "z@example.org", "dev-1", "acc-9"):
                assert secret not in body


def test_unknown_request_and_tokens_are_404(client, key) -> None:
    assert_errors(client.get(f"{BASE}/requests/99999.json"), 404)
    assert_errors(client.get(f"{BASE}/requests/abc.xml"), 404)
    assert_errors(client.get(f"{BASE}/requests/².json"), 404)
    assert_errors(client.get(f"{BASE}/requests/99999999999.json"), 404)
    assert "realtime" in assert_errors(client.get(f"{BASE}/tokens/abc.json"), 404)[0]["description"]


def _numbers(response) -> list[int]:
    assert response.status_code == 200, response.data
    body = response.get_json()
    validate(body, "requests")
    return [int(r["service_request_id"]) for r in body]


def test_filters_codes_statuses_ids_and_paging(client, db, key, make_user) -> None:
    first = created_number(file(client, key))
    second = created_number(
        file(client, key, service_code="lighting", **{"attribute[depth]": None})
    )
    third = created_number(file(client, key))
    apply_transition(
        db,
        ticket_of(db, third),
        "closed",
        actor=make_user("support"),
        role="support",
        resolution="invalid",
    )
    db.flush()
    get = lambda **args: _numbers(client.get(f"{BASE}/requests.json", query_string=args))  # noqa: E731
    assert get() == [third, second, first]  # newest first
    assert get(service_code="lighting") == [second]
    assert get(service_code="lighting,infrastructure", status="open") == [second, first]
    assert get(status="closed") == [third]
    assert get(status="") == [third, second, first]  # empty = not sent
    assert get(service_request_id=f"{first},{third},nope", status="open") == [third, first]
    assert get(page_size="2") == [third, second]
    assert get(page_size="2", page="2") == [first]


def test_default_window_is_the_last_90_days(client, db, key) -> None:
    old = created_number(file(client, key))
    recent = created_number(file(client, key))
    ticket_of(db, old).created_at = datetime.now(UTC) - timedelta(days=100)
    db.flush()
    listing = lambda **args: _numbers(client.get(f"{BASE}/requests.json", query_string=args))  # noqa: E731
    assert listing() == [recent]
    start = (datetime.now(UTC) - timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%S+03:00")
    assert listing(start_date=start) == [old]
    assert listing(service_request_id=str(old)) == [old]


@pytest.mark.parametrize(
    "args",
    [
        {"start_date": "2026-11-01"},
        {"end_date": "2026-11-01T10:00:00"},
        {"start_date": "2026-11-10T00:00:00Z", "end_date": "2026-11-01T00:00:00Z"},
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
        {"status": "open,pending"},
        {"page": "0"},
        {"page_size": "1001"},
        {"page_size": "ten"},
        {"page": "²"},
        {"service_request_id": ",".join(["1"] * 1001)},
    ],
    ids=[
        "date-without-time",
        "datetime-without-zone",
        "end-before-start",
        "over-90-days",
        "unknown-status",
        "page-zero",
        "page-size-over-1000",
        "page-size-not-a-number",
        "page-superscript-digit",
        "too-many-ids",
    ],
)
def test_bad_list_arguments_are_400(client, key, args) -> None:
    assert_errors(client.get(f"{BASE}/requests.json", query_string=args), 400)
    assert_errors(client.get(f"{BASE}/requests.xml", query_string=args), 400)


def test_xml_escapes_what_citizens_type(client, key) -> None:
    number = created_number(file(client, key, description='Çukur <b>büyük</b> & "derin" ]]>'))
    record = read(client, number, fmt="xml")
    assert record["description"] == 'Çukur <b>büyük</b> & "derin" ]]>'


def test_updated_datetime_is_never_before_requested_datetime(client, db, key) -> None:
    number = created_number(file(client, key))
    ticket = ticket_of(db, number)
    ticket.updated_at = ticket.created_at - timedelta(seconds=2)  # the transaction's clock
    db.flush()
    record = read(client, number)
    assert record["updated_datetime"] == record["requested_datetime"]
