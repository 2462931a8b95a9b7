"""The managers' escalation queue: the pending requests (ticket, reason, who asked),
each approved or rejected with a note through core's decide_escalation, the same
function as the API's decision endpoint; an approval may also raise the priority
and hand the ticket to another team (core refuses either on a rejection, and a
lowered priority). The latest decided ones for the record."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import aliased, joinedload

from console.admin_forms import form_id, form_text
from console.blueprint import bp
from console.choices import choices
from console.errors import not_found_page
from console.manager_access import manager_page
from console.session import signed_in_user
from console.status_counts import forget_counts
from core.errors import Refused
from core.models import ApiKey, Escalation, Ticket, User
from core.models.ticket_order import PRIORITY_RANK
from core.models.tickets import PRIORITIES
from core.tickets.escalations import decide_escalation
from web.request_session import request_session

DECIDED_SHOWN = 50
PENDING_SHOWN = 200
NOTE_MAX = 2000  # the API's


def _rows(*, pending: bool) -> list[tuple[Escalation, Ticket, str | None, str | None]]:
    asker, decider = aliased(User), aliased(User)
    query = (
        select(Escalation, Ticket, func.coalesce(asker.full_name, ApiKey.name), decider.full_name)
        .join(Ticket, Ticket.id == Escalation.ticket_id)
        .outerjoin(asker, asker.id == Escalation.requested_by_id)
        # An integration that asked is named by its key.
        .outerjoin(ApiKey, ApiKey.id == Escalation.api_key_id)
        .outerjoin(decider, decider.id == Escalation.decided_by_id)
        .options(joinedload(Ticket.team))  # the form names the ticket's team
    )
    if pending:
        query = query.where(Escalation.status == "pending").order_by(Escalation.id)
        query = query.limit(PENDING_SHOWN)
    else:
        query = query.where(Escalation.status != "pending")
        query = query.order_by(Escalation.decided_at.desc(), Escalation.id.desc())
        query = query.limit(DECIDED_SHOWN)
    return [tuple(row) for row in request_session().execute(query).all()]  # type: ignore[misc]


@bp.get("/escalations")
@manager_page("escalation.list")
def escalation_queue() -> str:
    return render_template(
        "escalations.html",
        pending=_rows(pending=True),
        decided=_rows(pending=False),
        done=request.args.get("done", ""),
        priorities=PRIORITIES,
        rank=PRIORITY_RANK,
        teams=choices(request_session()).teams,
    )


def _priority() -> str | None:
    raw = request.form.get("priority", "")
    if raw and raw not in PRIORITIES:
        raise Refused("choose one from the list", field="priority", code="choose_from_list")
    return raw or None


@bp.post("/escalations/<int:escalation_id>/decision")
@manager_page("escalation.decide")
def escalation_decision(escalation_id: int):
    session = request_session()
    escalation = None
    if escalation_id < 2**63:
        escalation = session.get(Escalation, escalation_id, with_for_update=True)
    if escalation is None:
        return not_found_page()
    approve = request.form.get("decision") == "approve"
    decide_escalation(
        session, escalation, signed_in_user(), approve=approve,
        note=form_text("note", longest=NOTE_MAX, required=False),
        priority=_priority(), team_id=form_id("team_id"),
    )  # fmt: skip
    session.commit()
    forget_counts()
    return redirect(url_for("console.escalation_queue", done="approved" if approve else "rejected"))
