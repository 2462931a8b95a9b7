"""Finding a ticket by the public number the citizen was given ("my report is 1001"):
the `number` filter, the search box, and the detail reached from the number."""

from __future__ import annotations

import pytest

from core.models import TicketFollower
from core.tickets.queries import public_number

URL = "/api/v1/tickets"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json
    return [t["id"] for t in response.json["data"]]


@pytest.mark.parametrize(
    ("text", "number"),
    [("1001", 1001), ("#1001", 1001), (" # 1001 ", 1001), ("#0", None), ("10a", None),
     ("", None), ("2147483648", None), ("##1001", None), ("-1001", None)],
)  # fmt: skip
def test_public_number_reads_what_citizens_write(text, number) -> None:
    assert public_number(text) == number


@pytest.mark.parametrize("written", ["{n}", "%23{n}"])
def test_number_filter(client, make_user, make_ticket, bearer, written) -> None:
    wanted, _other = make_ticket(), make_ticket()
    response = client.get(
        f"{URL}?number={written.format(n=wanted.number)}", headers=bearer(make_user("support"))
    )
    assert ids(response) == [wanted.id]


@pytest.mark.parametrize("bad", ["abc", "0", "%23", "99999999999"])
def test_a_number_filter_that_is_no_number_is_422(client, make_user, bearer, seeded, bad) -> None:
    response = client.get(f"{URL}?number={bad}", headers=bearer(make_user("support")))
    assert response.status_code == 422, response.json
    assert "number" in response.json["errors"]["query"]


def test_a_citizen_filtering_by_a_strangers_number_finds_nothing(
    client, make_user, make_ticket, bearer
) -> None:
    stranger_ticket = make_ticket()
    response = client.get(
        f"{URL}?number={stranger_ticket.number}", headers=bearer(make_user("citizen"))
    )
    assert ids(response) == []


@pytest.mark.parametrize("q", ["{n}", "%23{n}", "%20%23{n}%20"])
def test_search_box_finds_the_number(client, make_user, make_ticket, bearer, q) -> None:
    wanted = make_ticket(description="Kaldırım taşları yerinden oynamış.")
    make_ticket(description="Sokak lambası yanmıyor.")
    response = client.get(
        f"{URL}?q={q.format(n=wanted.number)}", headers=bearer(make_user("support"))
    )
    assert ids(response) == [wanted.id]


def test_search_box_number_also_finds_it_in_text(client, make_user, make_ticket, bearer) -> None:
    """A number typed alone is the public number or a house number in the text."""
    wanted = make_ticket()
    house = make_ticket(description=f"Bina {wanted.number} önünde çukur var.")
    make_ticket(description="Sokak lambası yanmıyor.")
    response = client.get(
        f"{URL}?q={wanted.number}&sort=oldest", headers=bearer(make_user("support"))
    )
    assert ids(response) == [wanted.id, house.id]


def test_search_box_words_and_a_number_stay_full_text(
    client, make_user, make_ticket, bearer
) -> None:
    wanted = make_ticket(description="Sokak lambası yanmıyor.")
    response = client.get(
        f"{URL}?q=lamba%20%23{wanted.number}", headers=bearer(make_user("support"))
    )
    assert ids(response) == []  # "#1001 lamba" is text: no ticket says both


# --- the detail from a number -------------------------------------------------------------


def by_number(client, number, headers):
    return client.get(f"{URL}/by-number/{number}", headers=headers)


@pytest.mark.parametrize("written", ["{n}", "%23{n}"])
def test_detail_by_number_is_the_detail(client, make_user, make_ticket, bearer, written) -> None:
    ticket = make_ticket()
    headers = bearer(make_user("support"))
    found = by_number(client, written.format(n=ticket.number), headers)
    assert found.status_code == 200, found.json
    assert found.json == client.get(f"{URL}/{ticket.id}", headers=headers).json


def test_detail_by_number_keeps_object_level_authorization(
    client, db, make_user, make_ticket, bearer
) -> None:
    reporter, follower, stranger = (make_user("citizen") for _ in range(3))
    ticket = make_ticket(reporter)
    db.add(TicketFollower(ticket_id=ticket.id, user_id=follower.id))
    db.flush()
    assert by_number(client, ticket.number, bearer(reporter)).status_code == 200
    assert by_number(client, ticket.number, bearer(follower)).status_code == 200
    hidden = by_number(client, ticket.number, bearer(stranger))
    # A stranger learns nothing: the same 404 as a number no ticket has.
    missing = by_number(client, ticket.number + 1000, bearer(stranger))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json == missing.json
    assert hidden.json["message"] == "ticket not found"


@pytest.mark.parametrize("bad", ["abc", "0", "99999999999", "%23%23"])
def test_detail_by_a_number_no_ticket_has_is_a_json_404(
    client, make_user, bearer, seeded, bad
) -> None:
    response = by_number(client, bad, bearer(make_user("manager")))
    assert response.status_code == 404
    assert response.is_json and response.json["code"] == 404


def test_detail_by_number_needs_a_sign_in(client, make_ticket) -> None:
    assert by_number(client, make_ticket().number, {}).status_code == 401
