"""Who may call what, on which ticket: citizen A (the reporter), citizen B (a
stranger), support, manager; on A's ticket and on one that does not exist.

A citizen asking for someone else's ticket gets 404 (its existence stays hidden);
a role without the permission gets 403, whatever the ticket.
"""

from __future__ import annotations

import pytest

from core.models import Escalation
from tests.tickets_helpers import Cast, image_bytes

MISSING = 987_654_321
CALLERS = ("a", "b", "support", "manager")
# Endpoints a citizen's role may not call at all.
STAFF_ONLY = {"patch", "transition", "events", "messages", "escalate"}


@pytest.fixture
def cast(make_user) -> Cast:
    return Cast(
        a=make_user("citizen", name="Ayşe"),
        b=make_user("citizen", name="Burak"),
        support=make_user("support"),
        manager=make_user("manager"),
    )


def photo_upload():
    from io import BytesIO

    return {"files": [(BytesIO(image_bytes()), "pothole.png")]}


# (name, method, path, ticket status, json body or "photo", {caller: status}, missing-ticket status for staff)
MATRIX = [
    ("detail", "GET", "", "new", None, {"a": 200, "b": 404, "support": 200, "manager": 200}),
    ("patch", "PATCH", "", "new", {"priority": "high"}, {"a": 403, "b": 403, "support": 200, "manager": 200}),
    ("transition", "POST", "/transitions", "new", {"to": "in_progress"}, {"a": 403, "b": 403, "support": 200, "manager": 200}),
    ("events", "GET", "/events", "new", None, {"a": 403, "b": 403, "support": 200, "manager": 200}),
    ("messages", "GET", "/messages", "new", None, {"a": 403, "b": 403, "support": 200, "manager": 200}),
    ("comments", "GET", "/comments", "new", None, {"a": 200, "b": 404, "support": 200, "manager": 200}),
    ("comment", "POST", "/comments", "new", {"body": "Hâlâ orada."}, {"a": 201, "b": 404, "support": 201, "manager": 201}),
    ("internal note", "POST", "/comments", "new", {"body": "Ekip yolda", "internal": True}, {"a": 403, "b": 404, "support": 201, "manager": 201}),
    ("follow", "POST", "/follow", "new", None, {"a": 409, "b": 201, "support": 201, "manager": 201}),
    ("unfollow", "DELETE", "/follow", "new", None, {"a": 200, "b": 404, "support": 200, "manager": 200}),
    ("escalate", "POST", "/escalations", "in_progress", {"reason": "Bütçe onayı gerekli"}, {"a": 403, "b": 403, "support": 201, "manager": 201}),
    ("feedback", "POST", "/feedback", "resolved", {"rating": 4, "fixed": True}, {"a": 201, "b": 404, "support": 403, "manager": 403}),
    ("photos", "POST", "/photos", "new", "photo", {"a": 201, "b": 404, "support": 201, "manager": 201}),
]  # fmt: skip


def call(client, method, url, body, headers):
    if body == "photo":
        return client.open(url, method=method, data=photo_upload(), headers=headers)
    return client.open(url, method=method, json=body, headers=headers)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(
    ("name", "method", "suffix", "status", "body", "expected"), MATRIX, ids=[m[0] for m in MATRIX]
)
def test_on_citizen_as_ticket(
    client, cast, make_ticket, bearer, caller, name, method, suffix, status, body, expected
) -> None:
    ticket = make_ticket(cast.a, status=status)
    url = f"/api/v1/tickets/{ticket.id}{suffix}"
    response = call(client, method, url, body, bearer(cast[caller]))
    assert response.status_code == expected[caller], response.json


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(
    ("name", "method", "suffix", "status", "body", "expected"), MATRIX, ids=[m[0] for m in MATRIX]
)
def test_on_missing_ticket(
    client, cast, seeded, bearer, caller, name, method, suffix, status, body, expected
) -> None:
    response = call(
        client, method, f"/api/v1/tickets/{MISSING}{suffix}", body, bearer(cast[caller])
    )
    # The role's permission is checked before the ticket is looked up.
    refused_by_role = name in STAFF_ONLY and caller in ("a", "b")
    assert response.status_code == (403 if refused_by_role else 404)


@pytest.mark.parametrize(
    ("name", "method", "suffix", "status", "body", "expected"), MATRIX, ids=[m[0] for m in MATRIX]
)
def test_without_a_token_is_401(client, make_ticket, name, method, suffix, status, body, expected):
    ticket = make_ticket(status=status)
    response = call(client, method, f"/api/v1/tickets/{ticket.id}{suffix}", body, {})
    assert response.status_code == 401


def test_a_follower_sees_but_does_not_add(client, cast, make_ticket, bearer) -> None:
    ticket = make_ticket(cast.a)
    base = f"/api/v1/tickets/{ticket.id}"
    headers = bearer(cast.b)
    assert client.post(f"{base}/follow", headers=headers).status_code == 201
    detail = client.get(base, headers=headers)
    assert detail.status_code == 200
    assert detail.json["following"] is True
    assert detail.json["reporter"] is None  # who reported it stays private
    assert (
        client.post(f"{base}/comments", json={"body": "bende de"}, headers=headers).status_code
        == 403
    )
    assert call(client, "POST", f"{base}/photos", "photo", headers).status_code == 403


def test_a_follower_never_learns_who_reported_or_wrote(client, cast, make_ticket, bearer) -> None:
    """Ticket ids show in /tickets/nearby, so anyone may follow; the reporter's comments
    then reach the follower without a name, id or phone; staff comments keep theirs."""
    ticket = make_ticket(cast.a)
    base = f"/api/v1/tickets/{ticket.id}"
    for author, body in ((cast.a, "Hâlâ burada, dün düştüm."), (cast.support, "Ekip yolda.")):
        comment = client.post(f"{base}/comments", json={"body": body}, headers=bearer(author))
        assert comment.status_code == 201
    follower = bearer(cast.b)
    assert client.post(f"{base}/follow", headers=follower).status_code == 201

    detail = client.get(base, headers=follower).json
    listed = client.get(f"{base}/comments", headers=follower).json["data"]
    for comments in (detail["comments"], listed):
        assert [c["body"] for c in comments] == ["Hâlâ burada, dün düştüm.", "Ekip yolda."]
        assert comments[0]["author"] is None
        assert comments[1]["author"] == {"id": cast.support.id, "name": cast.support.full_name,
                                         "role": "support"}  # fmt: skip
    seen = str(detail) + str(listed)
    assert "Ayşe" not in seen and cast.a.phone not in seen and cast.support.phone not in seen

    # The reporter still sees themself; staff see everyone, phones included.
    mine = client.get(f"{base}/comments", headers=bearer(cast.a)).json["data"]
    assert mine[0]["author"]["name"] == "Ayşe" and "phone" not in mine[0]["author"]
    staff = client.get(f"{base}/comments", headers=bearer(cast.manager)).json["data"]
    assert staff[0]["author"]["phone"] == cast.a.phone


MANAGER_ONLY = [
    ("GET", "/api/v1/feedback", None),
    ("POST", "/api/v1/categories", {"code": "graffiti", "name_tr": "Grafiti", "name_en": "Graffiti"}),
    ("PATCH", "/api/v1/categories/{category}", {"sla_hours": 12}),
    ("DELETE", "/api/v1/categories/{category}", None),
    ("POST", "/api/v1/escalations/{escalation}/decision", {"approve": True}),
]  # fmt: skip


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("method", "path", "body"), MANAGER_ONLY)
def test_manager_endpoints(client, db, cast, make_ticket, bearer, caller, method, path, body):
    ticket = make_ticket(cast.a, status="escalated")
    escalation = Escalation(ticket_id=ticket.id, requested_by_id=cast.support.id, reason="x")
    db.add(escalation)
    from core.models import Category

    unused = Category(code="unused", name_tr="Kullanılmayan", name_en="Unused")
    db.add(unused)
    db.flush()
    url = path.format(category=unused.id, escalation=escalation.id)
    response = client.open(url, method=method, json=body, headers=bearer(cast[caller]))
    if caller == "manager":
        assert response.status_code in (200, 201, 204), response.json
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("caller", CALLERS)
def test_escalation_list_is_for_staff(client, db, cast, make_ticket, bearer, caller) -> None:
    ticket = make_ticket(cast.a, status="escalated")
    db.add(Escalation(ticket_id=ticket.id, requested_by_id=cast.support.id, reason="x"))
    db.flush()
    response = client.get("/api/v1/escalations", headers=bearer(cast[caller]))
    expected = {"a": 403, "b": 403, "support": 200, "manager": 200}[caller]
    assert response.status_code == expected
    if expected == 200:
        assert [e["ticket_id"] for e in response.json["data"]] == [ticket.id]


@pytest.mark.parametrize("caller", ["support", "manager"])
def test_missing_escalation_is_404_for_a_manager(client, cast, seeded, bearer, caller) -> None:
    response = client.post(
        f"/api/v1/escalations/{MISSING}/decision",
        json={"approve": True},
        headers=bearer(cast[caller]),
    )
    assert response.status_code == (404 if caller == "manager" else 403)
