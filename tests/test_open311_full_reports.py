"""An Open311 request in full: staff see the media link, the client's device and
account ids and the contact's email; no Open311 answer shows the contact; an older
client's api_key in the query string of its POST is accepted."""

from __future__ import annotations

import pytest
import responses
from sqlalchemy import select

from core.models import Photo, Ticket
from core.people.erasure import erase_citizens
from tests.open311_support import BASE, ISTANBUL, assert_errors, open311_key

FULL_REPORT = {
    "service_code": "infrastructure",
    "lat": ISTANBUL[0],
    "long": ISTANBUL[1],
    "description": "Kaldırımın önünde derin bir çukur var.",
    "media_url": "https://img.example.org/pothole.jpg",
    "device_id": "ios-7F3A",
    "account_id": "citizen-42",
    "email": "Ayse.Yilmaz@Example.ORG",
    "phone": "0532 765 43 21",
}


@pytest.fixture
def key(seeded, settings) -> str:
    return open311_key(seeded, settings)


def filed_ticket(client, db, key: str, **fields) -> Ticket:
    response = client.post(f"{BASE}/requests.json", data={"api_key": key, **FULL_REPORT, **fields})
    assert response.status_code == 200, response.data
    number = int(response.get_json()[0]["service_request_id"])
    return db.scalar(select(Ticket).where(Ticket.number == number))


def test_staff_see_the_whole_report_and_the_media_is_never_fetched(
    client, db, key, make_user, bearer
) -> None:
    # Any HTTP request from the server (fetching the media) would fail inside this block.
    with responses.RequestsMock(assert_all_requests_are_fired=False):
        ticket = filed_ticket(client, db, key)
    assert db.scalars(select(Photo).where(Photo.ticket_id == ticket.id)).all() == []
    assert ticket.contact_email == "Ayse.Yilmaz@example.org"  # the domain is case-free
    detail = client.get(f"/api/v1/tickets/{ticket.id}", headers=bearer(make_user("support")))
    assert detail.status_code == 200, detail.json
    body = detail.json
    assert body["contact_phone"] == "+905327654321"
    assert body["contact_email"] == "Ayse.Yilmaz@example.org"
    assert body["open311"] == {
        "filed_by": {"id": ticket.api_key_id, "name": "311 app"},
        "media_url": "https://img.example.org/pothole.jpg",
        "device_id": "ios-7F3A",
        "account_id": "citizen-42",
        "address_id": None,
        "zipcode": None,
    }


def test_a_follower_sees_none_of_it(client, db, key, make_user, bearer) -> None:
    ticket = filed_ticket(client, db, key)
    follower = bearer(make_user("citizen"))
    assert client.post(f"/api/v1/tickets/{ticket.id}/follow", headers=follower).status_code == 201
    body = client.get(f"/api/v1/tickets/{ticket.id}", headers=follower).json
    assert body["contact_email"] is None and body["contact_phone"] is None
    assert body["open311"] is None


def test_other_channels_have_no_open311_report(client, make_ticket, make_user, bearer) -> None:
    ticket = make_ticket()
    body = client.get(f"/api/v1/tickets/{ticket.id}", headers=bearer(make_user("manager"))).json
    assert body["open311"] is None and body["contact_email"] is None


def test_no_open311_answer_shows_the_contact(client, db, key) -> None:
    ticket = filed_ticket(client, db, key)
    for url in (f"{BASE}/requests/{ticket.number}.json", f"{BASE}/requests.xml"):
        text = client.get(url).data.decode()
        assert str(ticket.number) in text
        for secret in ("Ayse", "@example.org", "7654321", "ios-7F3A", "citizen-42"):
            assert secret not in text


@pytest.mark.parametrize(
    "email", ["not-an-email", "a@b", "two@@example.org", "a b@example.org", "x" * 250 + "@e.org"]
)
def test_an_email_that_is_no_address_is_a_400(client, db, key, email) -> None:
    before = db.scalar(select(Ticket.id).order_by(Ticket.id.desc()))
    response = client.post(
        f"{BASE}/requests.json", data={"api_key": key, **FULL_REPORT, "email": email}
    )
    [error] = assert_errors(response, 400)
    assert error["description"].startswith("email")
    assert db.scalar(select(Ticket.id).order_by(Ticket.id.desc())) == before


def test_erasing_the_contacts_number_forgets_the_email_too(client, db, key, make_user) -> None:
    citizen = make_user("citizen", phone="+905327654321")
    ticket = filed_ticket(client, db, key)
    erase_citizens(db, [citizen.id], ticket.created_at)
    db.refresh(ticket)
    assert ticket.contact_phone is None and ticket.contact_email is None


# --- the api_key of older clients --------------------------------------------------------


def test_an_api_key_in_the_query_string_of_a_post_is_accepted(client, db, key) -> None:
    response = client.post(f"{BASE}/requests.json", query_string={"api_key": key}, data=FULL_REPORT)
    assert response.status_code == 200, response.data
    number = int(response.get_json()[0]["service_request_id"])
    assert db.scalar(select(Ticket.api_key_id).where(Ticket.number == number)) is not None


def test_a_bad_key_in_the_query_string_is_still_a_403(client, key) -> None:
    response = client.post(
        f"{BASE}/requests.json", query_string={"api_key": "sk_nope"}, data=FULL_REPORT
    )
    assert "invalid api_key" in assert_errors(response, 403)[0]["description"]
    [missing] = assert_errors(client.post(f"{BASE}/requests.json", data=FULL_REPORT), 403)
    assert "api_key is required" in missing["description"]


def test_the_forms_key_wins_over_the_query_strings(client, db, key) -> None:
    response = client.post(
        f"{BASE}/requests.json", query_string={"api_key": "sk_nope"},
        data={"api_key": key, **FULL_REPORT},
    )  # fmt: skip
    assert response.status_code == 200, response.data


def test_a_key_in_the_query_string_shares_the_keys_budget(
    app, client, settings, key, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "SOSOFT", settings.replace(OPEN311_RATE_LIMIT="2 per minute"))
    url = f"{BASE}/requests.json"
    assert client.post(url, data={"api_key": key, **FULL_REPORT}).status_code == 200
    assert client.post(url, query_string={"api_key": key}, data=FULL_REPORT).status_code == 200
    assert_errors(client.post(url, query_string={"api_key": key}, data=FULL_REPORT), 429)
    assert_errors(client.post(url, data={"api_key": key, **FULL_REPORT}), 429)
