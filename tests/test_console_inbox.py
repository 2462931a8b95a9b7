"""The console's inbox: filters, the search box, counts per status that polling does
not recount, news of new tickets, and bulk actions through the core use cases."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from console.status_counts import CACHE_KEY
from core.models import Category, Comment, Message, TicketEvent
from core.tickets.views import mark_seen
from tests.console_support import console_sign_in, post_form

INBOX = "/console/inbox"


@pytest.fixture
def support(make_user, seeded):
    """A member of the team that works the tickets make_ticket opens."""
    roads = seeded.scalar(select(Category).where(Category.code == "infrastructure"))
    return make_user("support", name="Selin Destek", team=roads.default_team)


@pytest.fixture
def browser(client, support):
    assert console_sign_in(client, support.phone).status_code == 302
    return client


def numbers(page) -> set[int]:
    return {int(n) for n in re.findall(r'data-number="(\d+)"', page.get_data(as_text=True))}


def test_first_visit_shows_open_tickets(browser, make_ticket) -> None:
    new, closed = make_ticket(), make_ticket(status="closed")
    shown = numbers(browser.get(INBOX))
    assert new.number in shown and closed.number not in shown


@pytest.mark.parametrize("typed", ["#{n}", "{n}"])
def test_the_search_box_takes_a_public_number(browser, make_ticket, typed) -> None:
    wanted, other = make_ticket(), make_ticket()
    page = browser.get(INBOX, query_string={"q": typed.format(n=wanted.number), "sort": "due"})
    assert numbers(page) == {wanted.number}
    assert other.number not in numbers(page)


@pytest.mark.parametrize("typed", ["yanmıyor", "karanlik", "LAMBASI"])
def test_the_search_box_takes_text_with_or_without_turkish_letters(
    browser, make_ticket, typed
) -> None:
    lamp = make_ticket(description="Sokak lambası yanmıyor, çok karanlık")
    make_ticket(description="Çöp konteyneri taşıyor")
    page = browser.get(INBOX, query_string={"q": typed, "sort": "due"})
    assert numbers(page) == {lamp.number}


def test_assignee_overdue_and_needs_location_filters(browser, make_ticket, support) -> None:
    mine = make_ticket(assignee_id=support.id)
    late = make_ticket(due_at=datetime.now(UTC) - timedelta(hours=1))
    unplaced = make_ticket(
        lat=None, lon=None, address="Kadıköy, pazarın arkası", needs_location=True
    )
    args = {"sort": "due", "status": ["new"]}
    assert numbers(browser.get(INBOX, query_string={**args, "assignee": "me"})) == {mine.number}
    assert numbers(browser.get(INBOX, query_string={**args, "overdue": "1"})) == {late.number}
    placed = numbers(browser.get(INBOX, query_string={**args, "needs_location": "1"}))
    assert placed == {unplaced.number}


def test_citizen_wrote_since_staff_last_looked(browser, make_ticket, support, db) -> None:
    wrote, quiet, seen = make_ticket(), make_ticket(), make_ticket()
    past = datetime.now(UTC) - timedelta(minutes=5)
    for ticket in (quiet, seen):
        mark_seen(db, support, ticket, now=past)
    for ticket in (wrote, seen):
        db.add(Message(direction="inbound", channel="whatsapp", ticket_id=ticket.id,
                       user_id=ticket.reporter_id, body="hala duruyor", status="received"))  # fmt: skip
    db.flush()
    mark_seen(db, support, seen)  # looked after the message
    db.add(Comment(ticket_id=quiet.id, author_id=quiet.reporter_id, body="ne zaman?"))
    db.flush()
    page = browser.get(INBOX, query_string={"sort": "due", "citizen_wrote": "1"})
    assert numbers(page) == {wrote.number, quiet.number}


def test_counts_per_status_are_cached_between_polls(browser, make_ticket, redis_client) -> None:
    make_ticket()
    first = browser.get("/console/inbox/poll").get_json()["counts"]
    assert first["new"] == 1
    assert 0 < redis_client.ttl(CACHE_KEY) <= 15
    make_ticket()
    assert browser.get("/console/inbox/poll").get_json()["counts"] == first  # not recounted
    redis_client.delete(CACHE_KEY)
    assert browser.get("/console/inbox/poll").get_json()["counts"]["new"] == 2


def test_the_poll_tells_of_new_tickets(browser, make_ticket) -> None:
    old = make_ticket()
    assert (
        browser.get("/console/inbox/poll", query_string={"after": old.id}).get_json()["new_tickets"]
        == 0
    )
    make_ticket()
    news = browser.get("/console/inbox/poll", query_string={"after": old.id}).get_json()
    assert news["new_tickets"] == 1 and news["message"]


def test_bulk_assign_three_tickets_to_me(browser, make_ticket, support, db) -> None:
    tickets = [make_ticket() for _ in range(3)]
    response = post_form(
        browser, INBOX, f"{INBOX}/bulk", action="assign", assignee_id="me",
        ticket_id=[t.id for t in tickets], back=INBOX + "?sort=due",
    )  # fmt: skip
    assert response.status_code == 302 and "done=3" in response.headers["Location"]
    for ticket in tickets:
        db.refresh(ticket)
        assert ticket.assignee_id == support.id
    events = db.scalars(select(TicketEvent).where(TicketEvent.kind == "assigned")).all()
    assert len(events) == 3


def test_bulk_close_two_as_duplicates_of_a_third(browser, make_ticket, db) -> None:
    original, *copies = [make_ticket() for _ in range(3)]
    response = post_form(
        browser, INBOX, f"{INBOX}/bulk", action="duplicate", original=f"#{original.number}",
        ticket_id=[t.id for t in copies],
    )  # fmt: skip
    assert response.status_code == 302
    for ticket in copies:
        db.refresh(ticket)
        assert (ticket.status, ticket.resolution, ticket.duplicate_of_id) == (
            "closed", "duplicate", original.id,
        )  # fmt: skip
    db.refresh(original)
    assert original.status == "new"


def test_a_bulk_move_is_all_or_nothing(browser, make_ticket, db) -> None:
    fresh, done = make_ticket(), make_ticket(status="closed")
    response = post_form(
        browser, INBOX, f"{INBOX}/bulk", action="move", to="in_progress",
        ticket_id=[fresh.id, done.id],
    )  # fmt: skip
    assert response.status_code == 409
    db.refresh(fresh)
    assert fresh.status == "new"


def test_bulk_without_a_selection_is_a_clear_422(browser) -> None:
    response = post_form(browser, INBOX, f"{INBOX}/bulk", action="assign", assignee_id="me")
    assert response.status_code == 422


def test_a_ticket_number_out_of_range_is_a_404_page(browser) -> None:
    assert browser.get("/console/tickets/99999999999999999999").status_code == 404
    assert browser.get("/console/tickets/123456").status_code == 404


def test_numbers_past_any_id_are_handled_as_pages(browser, make_ticket) -> None:
    ticket = make_ticket()
    poll = browser.get("/console/inbox/poll", query_string={"after": "9" * 30})
    assert poll.status_code == 200 and poll.get_json()["new_tickets"] == 0
    thread = browser.get(f"/console/tickets/{ticket.id}/thread", query_string={"after": "9" * 30})
    assert thread.status_code == 200
    response = post_form(browser, INBOX, f"{INBOX}/bulk", action="assign", assignee_id="me",
                         ticket_id=["9" * 30])  # fmt: skip
    assert response.status_code == 422 and "text/html" in response.content_type


def test_the_first_load_is_well_under_500_kb(browser, make_ticket) -> None:
    for _ in range(50):
        make_ticket()
    total = len(browser.get(INBOX).data)
    for name in ("console.js", "console.css"):
        with browser.get(f"/console/static/{name}") as asset:  # a file: closed after
            assert asset.status_code == 200
            total += len(asset.data)
    assert total < 500 * 1024, f"{total} bytes"
