"""`/api/v1/teams`: the crews that work tickets. Staff read them; managers change them."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask_smorest import abort
from sqlalchemy import exists, func, select

from admin_api.blueprint import ApiBlueprint
from admin_api.pagination import PaginationArgs, page, typed_cursor
from admin_api.schemas.teams import TeamPageSchema, TeamSchema, TeamUpdateSchema
from admin_api.schemas.tickets import MAX_ID
from admin_api.security import require
from core.models import Team, Ticket
from core.models.tickets import OPEN_STATUSES
from web.request_session import request_session

blp = ApiBlueprint(
    "teams", __name__, url_prefix="/api/v1/teams", description="Teams that work tickets."
)


def _team_or_404(team_id: int) -> Team:
    team = request_session().get(Team, team_id) if team_id <= MAX_ID else None
    if team is None:
        abort(404, message=f"no team #{team_id}")
    return team


def _clean(body: dict[str, Any], team_id: int | None = None) -> dict[str, Any]:
    """`body` with a stripped name that no other team has (409 otherwise)."""
    if "name" not in body:
        return body
    name = body["name"].strip()
    if not name:
        abort(422, message="name is empty", errors={"json": {"name": ["is empty"]}})
    clash = select(Team.id).where(func.lower(Team.name) == name.lower(), Team.id != team_id)
    if request_session().scalar(clash) is not None:
        abort(409, message=f"a team named {name!r} already exists")
    return {**body, "name": name}


@blp.route("", methods=["GET"])
@require("team.read")
@blp.arguments(PaginationArgs, location="query")
@blp.response(200, TeamPageSchema)
def list_teams(args: dict[str, Any]) -> dict[str, Any]:
    """Teams, by name."""
    query = select(Team)
    after = typed_cursor(args["cursor"], str, int)
    if after:
        query = query.where(
            (Team.name > after[0]) | ((Team.name == after[0]) & (Team.id > after[1]))
        )
    rows = request_session().scalars(query.order_by(Team.name, Team.id).limit(args["limit"] + 1))
    return page(rows.all(), args["limit"], key=lambda team: (team.name, team.id))


@blp.route("", methods=["POST"])
@require("team.manage")
@blp.arguments(TeamSchema)
@blp.response(201, TeamSchema)
@blp.alt_response(409, response=HTTPStatus(409).name)
def create_team(body: dict[str, Any]) -> Team:
    """Add a team."""
    session = request_session()
    team = Team(**_clean(body))
    session.add(team)
    session.commit()
    return team


@blp.route("/<int:team_id>", methods=["GET"])
@require("team.read")
@blp.response(200, TeamSchema)
@blp.alt_response(404, response=HTTPStatus(404).name)
def get_team(team_id: int) -> Team:
    """One team."""
    return _team_or_404(team_id)


@blp.route("/<int:team_id>", methods=["PATCH"])
@require("team.manage")
@blp.arguments(TeamUpdateSchema)
@blp.response(200, TeamSchema)
@blp.alt_response(404, response=HTTPStatus(404).name)
@blp.alt_response(409, response=HTTPStatus(409).name)
def update_team(body: dict[str, Any], team_id: int) -> Team:
    """Rename, describe or (de)activate a team."""
    team = _team_or_404(team_id)
    for name, value in _clean(body, team_id).items():
        setattr(team, name, value)
    request_session().commit()
    return team


@blp.route("/<int:team_id>", methods=["DELETE"])
@require("team.manage")
@blp.response(204)
@blp.alt_response(404, response=HTTPStatus(404).name)
@blp.alt_response(409, response=HTTPStatus(409).name)
def delete_team(team_id: int) -> None:
    """Delete a team without open tickets (its members and closed tickets keep no team)."""
    session = request_session()
    team = _team_or_404(team_id)
    session.refresh(team, with_for_update=True)
    has_open = exists().where(Ticket.team_id == team_id, Ticket.status.in_(OPEN_STATUSES))
    if session.scalar(select(has_open)):
        abort(409, message="the team still has open tickets; move or close them first")
    session.delete(team)
    session.commit()
