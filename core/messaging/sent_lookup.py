"""Did the gateway already accept this message? Asked before re-sending a row whose
worker died mid-send.

A worker killed between Twilio accepting a message and the SID being committed leaves
the row in `sending` with no SID; sending it again blindly would text the citizen twice.
So the recovered row is first looked up at the gateway: every message to that number
from our sender created since the row was (not just the last few: a manager receiving
SLA alerts gets dozens in the minutes a row waits), matched on the text, and never one
whose SID another row already holds: two "your photo could not be used" to one citizen
read alike, and the second, sent meanwhile, is not the first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from core.messaging.gateway import DevSinkGateway, MessagingGateway, OutboundMessage, TwilioGateway

# Clock skew allowed between our database and Twilio when comparing creation times.
SKEW = timedelta(seconds=5)
# Twilio lists newest first, a page at a time; a whole page of messages older than the
# row in a row means nothing newer is left (tolerating a list slightly out of order).
PAGE_SIZE = 50


class LookupFailed(Exception):
    """The gateway could not be asked; the caller must not send (it might duplicate)."""


def _nobody_holds(sid: str) -> bool:
    return False


def already_sent(
    gateway: MessagingGateway,
    msg: OutboundMessage,
    created_after: datetime,
    held: Callable[[str], bool] = _nobody_holds,
) -> str | None:
    """The SID of a message matching `msg` accepted after `created_after` that no other
    row holds (`held(sid)`), else None."""
    try:
        if isinstance(gateway, TwilioGateway):
            return _twilio(gateway, msg, created_after, held)
        if isinstance(gateway, DevSinkGateway):
            return _dev_sink(gateway, msg, created_after, held)
    except Exception as exc:  # transport, HTTP or parse errors alike
        raise LookupFailed(type(exc).__name__) from None
    return None


def _same_content(msg: OutboundMessage, body: str | None) -> bool:
    # A template's text is rendered by Twilio, so only free text can be compared.
    return msg.content_sid is not None or body == msg.body


def _twilio(
    gateway: TwilioGateway,
    msg: OutboundMessage,
    created_after: datetime,
    held: Callable[[str], bool],
) -> str | None:
    sender, to = gateway._addresses(msg)
    cutoff = created_after - SKEW
    older_in_a_row = 0
    for sent in gateway.client.messages.stream(to=to, from_=sender, page_size=PAGE_SIZE):
        created = sent.date_created
        if created is not None and created < cutoff:
            older_in_a_row += 1
            if older_in_a_row >= PAGE_SIZE:
                return None
            continue
        older_in_a_row = 0
        if created is not None and _same_content(msg, sent.body) and not held(str(sent.sid)):
            return str(sent.sid)
    return None


def _dev_sink(
    gateway: DevSinkGateway,
    msg: OutboundMessage,
    created_after: datetime,
    held: Callable[[str], bool],
) -> str | None:
    for record in gateway.list_messages(limit=gateway.keep):
        created = datetime.fromisoformat(record["created_at"])
        if (
            record["to"] == msg.to
            and record["channel"] == msg.channel
            and created >= created_after - SKEW
            and _same_content(msg, record["body"])
            and not held(str(record["sid"]))
        ):
            return str(record["sid"])
    return None
