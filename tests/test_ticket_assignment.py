"""Assigning a ticket to someone outside its team: the ticket follows them to their
team when that is clear (they have one), the caller names the team when they have
several, and someone of no team is refused with a reason, never a dead end."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.errors import Forbidden
from core.models import Category, Team, TicketEvent
from core.tickets.changes import apply_changes


def team(db, category_code: str) -> Team:
    category = db.scalar(select(Category).where(Category.code == category_code))
    return db.get(Team, category.default_team_id)


def patch(client, bearer, caller, ticket, **body):
    return client.patch(f"/api/v1/tickets/{ticket.id}", json=body, headers=bearer(caller))


def kinds(db, ticket) -> list[str]:
    query = select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id)
    return list(db.scalars(query.order_by(TicketEvent.id)))


@pytest.fixture
def roads(db, seeded) -> Team:
    return team(db, "infrastructure")  # where make_ticket's tickets go


def test_someone_of_one_other_team_brings_the_ticket_there(
    client, db, make_user, make_ticket, bearer, roads
) -> None:
    parks = team(db, "parks")
    gardener = make_user("support", name="Bahçıvan Ali", team=parks)
    ticket = make_ticket()

    response = patch(client, bearer, make_user("support"), ticket, assignee_id=gardener.id)

    assert response.status_code == 200, response.json
    assert response.json["team"]["id"] == parks.id
    assert response.json["assignee"]["id"] == gardener.id
    assert kinds(db, ticket) == ["created", "team_changed", "assigned"]


def test_someone_of_several_teams_is_assigned_once_the_team_is_named(
    client, db, make_user, make_ticket, bearer, roads
) -> None:
    parks, lighting = team(db, "parks"), team(db, "lighting")
    both = make_user("support", name="Deniz Ak", teams=(parks, lighting))
    ticket = make_ticket()
    caller = make_user("support")

    unnamed = patch(client, bearer, caller, ticket, assignee_id=both.id)
    assert unnamed.status_code == 422
    message = unnamed.json["errors"]["json"]["team_id"][0]
    assert "Deniz Ak" in message and parks.name in message and lighting.name in message
    assert {t["id"] for t in unnamed.json["errors"]["assignee_teams"]} == {parks.id, lighting.id}
    db.refresh(ticket)
    assert (ticket.team_id, ticket.assignee_id) == (roads.id, None)

    elsewhere = patch(client, bearer, caller, ticket, assignee_id=both.id, team_id=roads.id)
    assert elsewhere.status_code == 422
    assert "assignee_id" in elsewhere.json["errors"]["json"]

    named = patch(client, bearer, caller, ticket, assignee_id=both.id, team_id=lighting.id)
    assert named.status_code == 200, named.json
    assert (named.json["team"]["id"], named.json["assignee"]["id"]) == (lighting.id, both.id)


def test_a_member_of_the_ticket_s_team_takes_it_as_it_is(
    client, db, make_user, make_ticket, bearer, roads
) -> None:
    member = make_user("support", teams=(team(db, "parks"), roads))
    ticket = make_ticket()

    response = patch(client, bearer, make_user("manager"), ticket, assignee_id=member.id)

    assert response.status_code == 200, response.json
    assert response.json["team"]["id"] == roads.id
    assert kinds(db, ticket) == ["created", "assigned"]


def test_someone_of_no_team_is_refused_with_the_way_out(
    client, db, make_user, make_ticket, bearer, roads
) -> None:
    newcomer = make_user("support", name="Yeni Gelen")  # create-user --role support, no --team
    ticket = make_ticket()

    response = patch(client, bearer, make_user("manager"), ticket, assignee_id=newcomer.id)

    assert response.status_code == 422
    message = response.json["errors"]["json"]["assignee_id"][0]
    assert "Yeni Gelen" in message and "no team" in message and "team_ids" in message
    # A ticket of no team is anyone's, the newcomer's too.
    unrouted = make_ticket(team_id=None)
    response = patch(client, bearer, make_user("manager"), unrouted, assignee_id=newcomer.id)
    assert response.status_code == 200, response.json
    assert response.json["team"] is None and response.json["assignee"]["id"] == newcomer.id


def test_moving_the_ticket_keeps_an_assignee_who_is_in_the_new_team_too(
    client, db, make_user, make_ticket, bearer, roads
) -> None:
    parks = team(db, "parks")
    member = make_user("support", teams=(roads, parks))
    ticket = make_ticket(assignee_id=member.id)
    other = make_ticket(assignee_id=make_user("support", team=roads).id)
    caller = make_user("support")

    assert (
        patch(client, bearer, caller, ticket, team_id=parks.id).json["assignee"]["id"] == member.id
    )
    assert patch(client, bearer, caller, other, team_id=parks.id).json["assignee"] is None


def test_who_may_not_move_tickets_cannot_move_one_by_assigning(
    db, make_user, make_ticket, roads
) -> None:
    # Core's rule, for every channel: a role without `ticket.move_team` (here a
    # citizen's, the only one today) neither moves a ticket nor assigns it away.
    gardener = make_user("support", team=team(db, "parks"))
    ticket = make_ticket()
    citizen = make_user("citizen")

    with pytest.raises(Forbidden):
        apply_changes(db, ticket, citizen, {"assignee_id": gardener.id})
    with pytest.raises(Forbidden):
        apply_changes(db, ticket, citizen, {"team_id": team(db, "parks").id})
    assert (ticket.team_id, ticket.assignee_id) == (roads.id, None)
