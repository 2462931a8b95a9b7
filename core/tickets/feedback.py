"""The reporter's rating of a resolution, whatever the channel.

One rating per resolution: its parts (the stars, fixed or not) may arrive in
separate messages, and each part is given once. A ticket reopened and resolved
again may be rated again. "Not fixed" soon after the resolution reopens it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from core.errors import Conflict, Forbidden
from core.models import Feedback, Ticket, User
from core.tickets.opening import clean_text
from core.tickets.workflow import apply_transition

RATED_STATUSES = ("resolved", "closed")


@dataclass(frozen=True)
class FeedbackGiven:
    feedback: Feedback
    reopened: bool


def within_reopen_window(settings: Settings, ticket: Ticket, now: datetime) -> bool:
    """Only a recently resolved ticket reopens; a closed one or an old one stays."""
    return (
        ticket.status == "resolved"
        and ticket.resolved_at is not None
        and now - ticket.resolved_at <= timedelta(days=settings.REOPEN_WINDOW_DAYS)
    )


def give_feedback(
    session: Session,
    settings: Settings,
    ticket: Ticket,
    reporter: User,
    *,
    rating: int | None = None,
    fixed: bool | None = None,
    comment: str | None = None,
    answered_in_chat: bool = False,
    now: datetime | None = None,
) -> FeedbackGiven:
    """Record the parts given; the caller holds the ticket's row lock.

    `answered_in_chat`: the citizen reads the outcome in the bot's reply, so a reopen's
    message is recorded as skipped. Raises Forbidden (not the reporter) or Conflict
    (not resolved, or that part of this resolution's feedback was already given)."""
    now = now or datetime.now(UTC)
    if ticket.reporter_id != reporter.id:
        raise Forbidden("only the citizen who reported the ticket may rate it", code="not_yours")
    if ticket.status not in RATED_STATUSES:
        raise Conflict(
            f"feedback comes once the ticket is resolved (it is {ticket.status})",
            code="feedback_not_resolved",
            params={"status": ticket.status},
        )
    feedback = _for_this_resolution(session, ticket, reporter, now)
    if (rating is not None and feedback.rating is not None) or (
        fixed is not None and feedback.fixed is not None
    ):
        raise Conflict("feedback for this ticket was already given", code="feedback_given")
    if rating is not None:
        feedback.rating = rating
    if fixed is not None:
        feedback.fixed = fixed
    if comment is not None:
        feedback.comment = clean_text(comment) or feedback.comment
    reopened = fixed is False and within_reopen_window(settings, ticket, now)
    if reopened:
        apply_transition(
            session, ticket, "in_progress", actor=reporter, role="citizen",
            note="the reporter says it is not fixed", answered_in_chat=answered_in_chat, now=now,
        )  # fmt: skip
    session.flush()
    return FeedbackGiven(feedback, reopened)


def _for_this_resolution(
    session: Session, ticket: Ticket, reporter: User, now: datetime
) -> Feedback:
    """The ticket's feedback row, emptied when it rated an earlier resolution."""
    feedback = session.scalar(select(Feedback).where(Feedback.ticket_id == ticket.id))
    if feedback is None:
        feedback = Feedback(ticket_id=ticket.id, user_id=reporter.id, created_at=now)
        session.add(feedback)
    elif ticket.resolved_at is not None and feedback.created_at < ticket.resolved_at:
        feedback.rating = feedback.fixed = feedback.comment = None
        feedback.created_at = now
    return feedback
