"""How a public reply on a ticket would reach each recipient, said before it is sent:
the outbox's own decision (`plan_delivery`) asked in advance for a message not yet
written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from core.config import Settings
from core.messaging.notifications import can_receive, last_channel, ticket_audience
from core.messaging.whatsapp_window import plan_delivery
from core.models import Message, Ticket, User

# whatsapp: free text in the 24-hour window; template: a WhatsApp template with the
# text in its variable; sms; none: not sent at all (`reason` says why).
WAYS = ("whatsapp", "template", "sms", "none")


@dataclass(frozen=True)
class Route:
    user: User
    way: str
    reason: str | None = None


def reply_routes(
    session: Session,
    settings: Settings,
    ticket: Ticket,
    kind: str = "staff_comment",
    now: datetime | None = None,
) -> list[Route]:
    """Each reporter and follower, and how `kind` would reach them now."""
    now = now or datetime.now(UTC)
    routes = []
    for user in ticket_audience(session, ticket):
        if not can_receive(user):
            routes.append(Route(user, "none", "opted out, erased or no number"))
            continue
        draft = Message(
            direction="outbound",
            channel=last_channel(session, user),
            address=user.phone or user.whatsapp_id,
            ticket_id=ticket.id,
            kind=kind,
            locale=user.locale,
            body="",
        )
        delivery = plan_delivery(session, settings, draft, now)
        if delivery.skip_reason:
            routes.append(Route(user, "none", delivery.skip_reason))
        elif delivery.content_sid:
            routes.append(Route(user, "template"))
        else:
            routes.append(Route(user, delivery.channel))
    return routes
