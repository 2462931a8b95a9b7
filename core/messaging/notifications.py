"""The outbox writer: every change a citizen should hear of becomes an outbound
message row, in the same transaction as the change.

Sending is the worker's job (tasks/). Rows created here are also listed in
`session.info["outbox"]` so the after-commit hook can hand their ids to Celery.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.direct_rows import insert_now
from core.messaging.texts import render
from core.models import Conversation, Message, Ticket, TicketFollower, User

# Which status change tells the citizen what.
STATUS_KINDS: dict[tuple[str, str], str] = {
    ("new", "in_progress"): "in_progress",
    ("in_progress", "resolved"): "resolved",
    ("resolved", "closed"): "closed",
    ("new", "closed"): "closed",
    ("in_progress", "closed"): "closed",
    ("resolved", "in_progress"): "reopened",
}

DEFAULT_CHANNEL = "whatsapp"


def can_receive(user: User | None) -> bool:
    return bool(
        user is not None
        and (user.phone or user.whatsapp_id)
        and user.is_active
        and user.opted_out_at is None
        and user.erased_at is None
    )


def last_channel(session: Session, user: User) -> str:
    """The channel the citizen last wrote on (WhatsApp when they never wrote, and
    always for a WhatsApp user who hides their number: there is nothing to text)."""
    if not user.phone:
        return "whatsapp"
    channel = session.scalar(
        select(Conversation.channel).where(
            Conversation.address.in_([a for a in (user.phone, user.whatsapp_id) if a])
        )
    )
    return channel or DEFAULT_CHANNEL


# Why a row is `skipped` when the citizen read its text in the bot's reply already.
ANSWERED_IN_CHAT = "answered in the chat reply"


def queue_message(
    session: Session,
    user: User,
    kind: str,
    body: str,
    *,
    ticket: Ticket | None = None,
    channel: str | None = None,
    answered_in_chat: bool = False,
) -> Message | None:
    """Write one outbound row for `user`; None when they must not be messaged.

    `answered_in_chat`: the citizen is reading this in the webhook's reply; the row
    records it as skipped and nothing is handed to the sender."""
    if not can_receive(user):
        return None
    message = Message(
        direction="outbound",
        channel=channel or last_channel(session, user),
        # A WhatsApp user who hides their number is reached by their WhatsApp id.
        address=user.phone or user.whatsapp_id,
        user_id=user.id,
        ticket_id=ticket.id if ticket else None,
        kind=kind,
        locale=user.locale,
        body=body,
        status="skipped" if answered_in_chat else "pending",
        error_message=ANSWERED_IN_CHAT if answered_in_chat else None,
    )
    # Written at once, like the ticket's event (core.direct_rows): the ticket and
    # the user it names are in the database already.
    insert_now(session, message)
    if not answered_in_chat:
        session.info.setdefault("outbox", []).append(message)
    return message


def ticket_audience(session: Session, ticket: Ticket) -> list[User]:
    """The reporter and the followers of a ticket, each once."""
    users: dict[int, User] = {}
    if ticket.reporter_id is not None:
        reporter = session.get(User, ticket.reporter_id)
        if reporter is not None:
            users[reporter.id] = reporter
    followers = session.scalars(
        select(User)
        .join(TicketFollower, TicketFollower.user_id == User.id)
        .where(TicketFollower.ticket_id == ticket.id)
    )
    for follower in followers:
        users.setdefault(follower.id, follower)
    return list(users.values())


def notify_ticket(
    session: Session,
    ticket: Ticket,
    kind: str,
    *,
    audience: Iterable[User] | None = None,
    told_in_chat: User | None = None,
    **params: object,
) -> list[Message]:
    """Queue `kind` about `ticket` for its reporter and followers, each in their language
    (`told_in_chat`: that one reads it in the bot's reply; their row is kept as skipped)."""
    recipients = ticket_audience(session, ticket) if audience is None else audience
    queued = []
    for user in recipients:
        body = render(kind, user.locale, number=ticket.number, **params)
        in_chat = told_in_chat is not None and user.id == told_in_chat.id
        message = queue_message(session, user, kind, body, ticket=ticket, answered_in_chat=in_chat)
        if message is not None:
            queued.append(message)
    return queued


def ticket_status_changed(
    session: Session, ticket: Ticket, frm: str, to: str, *, told_in_chat: User | None = None
) -> list[Message]:
    kind = STATUS_KINDS.get((frm, to))
    if kind is None:
        return []
    if kind == "closed" and ticket.resolution == "duplicate" and ticket.duplicate_of_id:
        original = session.get(Ticket, ticket.duplicate_of_id)
        if original is not None:
            return notify_ticket(
                session, ticket, "closed_duplicate", told_in_chat=told_in_chat,
                duplicate_of=original.number,
            )  # fmt: skip
    return notify_ticket(session, ticket, kind, told_in_chat=told_in_chat)
