"""Integrations that work tickets: API keys with `tickets:read` / `tickets:write` use
the ticket endpoints with support's rights, never manage users or keys, and every
event they cause names the key."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from core.models import ApiKey, Category, Comment, Escalation, Photo, Ticket, TicketEvent
from core.people.api_keys import create_api_key
from core.people.permissions import SCOPE_PERMISSIONS, SUPPORT
from tests.open311_support import BASE, ISTANBUL, open311_key
from tests.tickets_helpers import image_bytes

KEYS = "/api/v1/api-keys"


@pytest.fixture
def key_headers(db, settings):
    """`key_headers("tickets:write", name=…)` -> bearer headers for a new key."""

    def make(*scopes: str, name: str = "Çağrı Merkezi") -> dict[str, str]:
        _, secret = create_api_key(db, settings, name=name, scopes=list(scopes), created_by=None)
        db.flush()
        return {"Authorization": f"Bearer {secret}"}

    return make


def test_ticket_scopes_are_within_supports_rights() -> None:
    for scope in ("tickets:read", "tickets:write"):
        assert SCOPE_PERMISSIONS[scope] <= SUPPORT
    assert SCOPE_PERMISSIONS["tickets:read"] < SCOPE_PERMISSIONS["tickets:write"]


def test_a_manager_creates_a_key_with_ticket_scopes(client, make_user, bearer) -> None:
    response = client.post(
        KEYS,
        json={"name": "Çağrı Merkezi", "scopes": ["tickets:read", "tickets:write"]},
        headers=bearer(make_user("manager")),
    )
    assert response.status_code == 201, response.json
    assert response.json["scopes"] == ["tickets:read", "tickets:write"]


def test_the_cli_creates_a_key_with_scopes(runner, db) -> None:
    result = runner.invoke(
        args=["create-api-key", "--name", "Call centre", "--scope", "tickets:write",
              "--scope", "tickets:read"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    key = db.scalar(select(ApiKey).where(ApiKey.name == "Call centre"))
    assert key.scopes == ["tickets:write", "tickets:read"]
    assert result.output.splitlines()[-1].startswith("sk_")
    refused = runner.invoke(args=["create-api-key", "--name", "X", "--scope", "users:manage"])
    assert refused.exit_code != 0 and "unknown scope" in refused.output


def test_a_read_key_lists_and_reads_tickets_like_support(client, make_ticket, key_headers) -> None:
    ticket = make_ticket(contact_phone="+905321112233")
    headers = key_headers("tickets:read")
    listed = client.get("/api/v1/tickets", headers=headers)
    assert listed.status_code == 200, listed.json
    assert [t["id"] for t in listed.json["data"]] == [ticket.id]
    detail = client.get(f"/api/v1/tickets/{ticket.id}", headers=headers)
    assert detail.status_code == 200, detail.json
    assert detail.json["contact_phone"] == "+905321112233"  # staff's view
    assert detail.json["reporter"]["phone"] == ticket.reporter.phone
    assert detail.json["allowed_transitions"] == []  # it may not move the ticket
    assert client.get(f"/api/v1/tickets/{ticket.id}/events", headers=headers).status_code == 200
    assert (
        client.get(f"/api/v1/tickets/by-number/{ticket.number}", headers=headers).status_code == 200
    )


def test_a_read_key_changes_nothing(client, make_ticket, key_headers) -> None:
    ticket = make_ticket()
    headers = key_headers("tickets:read")
    url = f"/api/v1/tickets/{ticket.id}"
    assert client.patch(url, json={"priority": "high"}, headers=headers).status_code == 403
    moved = client.post(f"{url}/transitions", json={"to": "in_progress"}, headers=headers)
    assert moved.status_code == 403
    noted = client.post(f"{url}/comments", json={"body": "ara", "internal": True}, headers=headers)
    assert noted.status_code == 403


def test_a_write_key_works_a_ticket_and_the_timeline_names_it(
    client, db, make_ticket, make_user, bearer, key_headers
) -> None:
    ticket = make_ticket()
    headers = key_headers("tickets:write")
    url = f"/api/v1/tickets/{ticket.id}"
    assert client.patch(url, json={"priority": "high"}, headers=headers).status_code == 200
    moved = client.post(f"{url}/transitions", json={"to": "in_progress"}, headers=headers)
    assert moved.status_code == 200, moved.json
    assert moved.json["status"] == "in_progress" and moved.json["first_response_at"]
    noted = client.post(
        f"{url}/comments", json={"body": "Vatandaş aradı", "internal": True}, headers=headers
    )
    assert noted.status_code == 201, noted.json
    key_id = db.scalar(select(ApiKey.id).where(ApiKey.name == "Çağrı Merkezi"))
    events = db.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind != "created")
    ).all()
    assert {e.kind for e in events} == {"priority_changed", "status_changed", "internal_note"}
    assert all(e.api_key_id == key_id and e.actor_id is None for e in events)
    comment = db.scalar(select(Comment).where(Comment.ticket_id == ticket.id))
    assert (comment.author_id, comment.api_key_id) == (None, key_id)
    assert noted.json["author"] == {"name": "Çağrı Merkezi", "role": "api_key"}
    staff = bearer(make_user("support"))
    [listed] = client.get(f"{url}/comments", headers=staff).json["data"]
    assert listed["author"] == {"name": "Çağrı Merkezi", "role": "api_key"}
    # Staff read the change as the key's, by its name.
    timeline = client.get(f"{url}/events", headers=staff).json["data"]
    by_key = [e for e in timeline if e["kind"] != "created"]
    assert by_key and all(
        e["actor"] == {"name": "Çağrı Merkezi", "role": "api_key"}
        and e["api_key"] == {"id": key_id, "name": "Çağrı Merkezi"}
        for e in by_key
    )
    created = next(e for e in timeline if e["kind"] == "created")
    assert created["api_key"] is None and created["actor"]["role"] == "citizen"


def test_a_write_key_files_a_ticket_for_a_citizen(client, db, seeded, key_headers) -> None:
    category_id = seeded.scalar(select(Category.id).where(Category.code == "lighting"))
    response = client.post(
        "/api/v1/tickets",
        json={
            "category_id": category_id,
            "description": "Sokak lambası iki gündür yanmıyor.",
            "address": "Moda Caddesi 12, Kadıköy",
            "reporter_phone": "0532 444 55 66",
        },
        headers=key_headers("tickets:write"),
    )
    assert response.status_code == 201, response.json
    ticket = db.get(Ticket, response.json["id"])
    assert ticket.reporter.phone == "+905324445566" and ticket.channel == "api"
    key = db.scalar(select(ApiKey).where(ApiKey.name == "Çağrı Merkezi"))
    assert ticket.api_key_id == key.id
    created = db.scalar(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))
    assert (created.kind, created.api_key_id, created.actor_id) == ("created", key.id, None)


def test_an_open311_filing_is_the_keys_event(client, db, seeded, settings) -> None:
    secret = open311_key(seeded, settings)
    response = client.post(
        f"{BASE}/requests.json",
        data={"api_key": secret, "service_code": "infrastructure", "lat": ISTANBUL[0],
              "long": ISTANBUL[1], "description": "Kaldırımda derin bir çukur var."},
    )  # fmt: skip
    assert response.status_code == 200, response.data
    created = db.scalar(select(TicketEvent).order_by(TicketEvent.id.desc()))
    assert created.kind == "created" and created.api_key_id == db.scalar(select(ApiKey.id))


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/users", None),
        ("POST", "/api/v1/users", {"phone_number": "+905339990000", "full_name": "X"}),
        ("GET", "/api/v1/api-keys", None),
        ("POST", "/api/v1/api-keys", {"name": "mine", "scopes": ["tickets:write"]}),
        ("POST", "/api/v1/teams", {"name": "Yeni"}),
        ("GET", "/api/v1/auth/me", None),
        ("GET", "/api/v1/escalations", None),
        ("GET", "/api/v1/analytics/kpis", None),
    ],
)
def test_a_ticket_key_never_manages_people_or_keys(client, key_headers, method, path, body) -> None:
    headers = key_headers("tickets:read", "tickets:write")
    response = client.open(path, method=method, json=body, headers=headers)
    assert response.status_code == 403, response.json


def test_keys_without_ticket_scopes_still_cannot_touch_tickets(
    client, make_ticket, key_headers
) -> None:
    ticket = make_ticket()
    for scope in ("analytics:read", "open311:write"):
        response = client.get(f"/api/v1/tickets/{ticket.id}", headers=key_headers(scope))
        assert response.status_code == 403, response.json


def test_a_write_key_asks_for_an_escalation_and_reads_around_a_ticket(
    client, db, make_ticket, key_headers
) -> None:
    ticket = make_ticket(status="in_progress")
    headers = key_headers("tickets:write")
    url = f"/api/v1/tickets/{ticket.id}"
    asked = client.post(f"{url}/escalations", json={"reason": "Bütçe gerekiyor"}, headers=headers)
    assert asked.status_code == 201, asked.json
    # The key's stand-in user is never saved: the key is who asked.
    assert asked.json["requested_by"] == {"name": "Çağrı Merkezi", "role": "api_key"}
    event = db.scalar(select(TicketEvent).where(TicketEvent.kind == "escalated"))
    assert event.to_value == "escalated" and event.api_key_id is not None
    escalation = db.scalar(select(Escalation).where(Escalation.ticket_id == ticket.id))
    assert escalation.api_key_id == event.api_key_id and escalation.requested_by_id is None
    for path in (
        f"{url}/comments",
        f"{url}/messages",
        "/api/v1/tickets/nearby?lat=41.0082&lon=28.9784",
    ):
        assert client.get(path, headers=headers).status_code == 200, path
    mine = client.get("/api/v1/tickets?assignee=me", headers=headers)
    assert mine.status_code == 422 and "no 'me'" in mine.json["message"]


def test_a_photo_a_write_key_uploads_records_the_key(client, db, make_ticket, key_headers) -> None:
    ticket = make_ticket(status="in_progress")
    data = {"files": [(io.BytesIO(image_bytes("JPEG")), "sahada.jpg")]}
    response = client.post(
        f"/api/v1/tickets/{ticket.id}/photos", data=data, headers=key_headers("tickets:write"),
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 201, response.json
    photo = db.scalar(select(Photo).where(Photo.ticket_id == ticket.id))
    key = db.scalar(select(ApiKey).where(ApiKey.name == "Çağrı Merkezi"))
    assert photo.api_key_id == key.id and photo.uploaded_by_id is None
