"""Tickets and what hangs off them as dicts for the response schemas, trimmed to
what the caller may see (phones and internal notes: staff only; other citizens:
not at all)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_api.security import current_principal
from admin_api.ticket_access import is_following
from core.geo import lat_lon
from core.messaging.thread import ThreadMessage
from core.models import (
    ApiKey,
    Category,
    Comment,
    Escalation,
    Feedback,
    Photo,
    Team,
    Ticket,
    TicketEvent,
    User,
)
from core.models.tickets import OPEN_STATUSES
from core.tickets.questions import describe_answers
from core.tickets.workflow import allowed_targets


def person(user: User | None, viewer: User) -> dict[str, Any] | None:
    """Who `user` is, as far as `viewer` may know. Staff see everyone, with phones; a
    citizen sees staff and themself, never another citizen: any citizen may follow an
    open ticket, and a follower learns of the problem, not of who reported or wrote."""
    if user is None:
        return None
    if not (viewer.is_staff or user.is_staff or user.id == viewer.id):
        return None
    data: dict[str, Any] = {"id": user.id, "name": user.full_name, "role": user.role}
    if viewer.is_staff:
        data["phone"] = user.phone
    return data


def ref(thing: Team | User | None) -> dict[str, Any] | None:
    if thing is None:
        return None
    name = thing.name if isinstance(thing, Team) else thing.full_name
    return {"id": thing.id, "name": name}


def category_ref(category: Category, locale: str) -> dict[str, Any]:
    return {
        "id": category.id,
        "code": category.code,
        "name": category.name(locale),
        "name_tr": category.name_tr,
        "name_en": category.name_en,
    }


def location(ticket: Ticket) -> dict[str, float] | None:
    here = lat_lon(ticket.location)
    return {"lat": here[0], "lon": here[1]} if here else None


def is_overdue(ticket: Ticket, now: datetime | None = None) -> bool:
    now = now or datetime.now(UTC)
    return ticket.status in OPEN_STATUSES and ticket.due_at is not None and ticket.due_at < now


def ticket_summary(ticket: Ticket, viewer: User, distance_m: float | None = None) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "number": ticket.number,
        "public_number": ticket.public_number,
        "status": ticket.status,
        "priority": ticket.priority,
        "category": category_ref(ticket.category, viewer.locale),
        "description": ticket.description,
        "location": location(ticket),
        "address": ticket.address,
        "needs_location": ticket.needs_location,
        "location_approximate": ticket.location_approximate,
        "team": ref(ticket.team),
        # Staff names stay inside the city hall.
        "assignee": ref(ticket.assignee) if viewer.is_staff else None,
        "channel": ticket.channel,
        "resolution": ticket.resolution,
        "followers_count": ticket.followers_count,
        "overdue": is_overdue(ticket),
        "distance_m": distance_m,
        "due_at": ticket.due_at,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "first_response_at": ticket.first_response_at,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
    }


def photo_payload(photo: Photo) -> dict[str, Any]:
    storage = current_app.extensions["sosoft.storage"]
    return {
        "id": photo.id,
        "url": storage.url(photo.storage_key),
        "content_type": photo.content_type,
        "width": photo.width,
        "height": photo.height,
        "size_bytes": photo.size_bytes,
        "source": photo.source,
        "created_at": photo.created_at,
    }


def key_as_actor(key: ApiKey) -> dict[str, Any]:
    """An integration as the one who did something: its key's name."""
    return {"name": key.name, "role": "api_key"}


def comment_payload(comment: Comment, viewer: User) -> dict[str, Any]:
    by_key = comment.api_key_id is not None and comment.author_id is None
    return {
        "id": comment.id,
        "body": comment.body,
        "internal": comment.is_internal,
        "author": key_as_actor(comment.api_key) if by_key else person(comment.author, viewer),
        "created_at": comment.created_at,
    }


def escalation_payload(session: Session, escalation: Escalation, viewer: User) -> dict[str, Any]:
    def user(user_id: int | None) -> dict[str, Any] | None:
        return person(session.get(User, user_id), viewer) if user_id else None

    key = session.get(ApiKey, escalation.api_key_id) if escalation.api_key_id else None
    asked_by_key = key is not None and escalation.requested_by_id is None
    return {
        "id": escalation.id,
        "ticket_id": escalation.ticket_id,
        "status": escalation.status,
        "reason": escalation.reason,
        "requested_by": key_as_actor(key) if asked_by_key else user(escalation.requested_by_id),
        "decided_by": user(escalation.decided_by_id),
        "decision_note": escalation.decision_note,
        "decided_at": escalation.decided_at,
        "created_at": escalation.created_at,
    }


def thread_message_payload(item: ThreadMessage, viewer: User) -> dict[str, Any]:
    message = item.message
    return {
        "id": message.id,
        "direction": message.direction,
        "channel": message.channel,
        "party": item.party,
        "person": person(item.user, viewer),
        "kind": message.kind,
        "body": message.body,
        "media": message.media,
        "reply": item.reply,
        "status": message.status,
        "reason": item.reason,
        "error_code": message.error_code,
        "sent_at": message.sent_at,
        "created_at": message.created_at,
    }


def feedback_payload(feedback: Feedback) -> dict[str, Any]:
    return {
        "id": feedback.id,
        "ticket_id": feedback.ticket_id,
        "rating": feedback.rating,
        "fixed": feedback.fixed,
        "comment": feedback.comment,
        "created_at": feedback.created_at,
    }


def visible_comments(session: Session, ticket: Ticket, viewer: User) -> list[Comment]:
    query = select(Comment).where(Comment.ticket_id == ticket.id)
    if not viewer.is_staff:
        query = query.where(Comment.is_internal.is_(False))
    return list(session.scalars(query.order_by(Comment.created_at, Comment.id)))


def current_escalation(session: Session, ticket: Ticket) -> Escalation | None:
    """The pending escalation, else the latest decided one."""
    return session.scalar(
        select(Escalation)
        .where(Escalation.ticket_id == ticket.id)
        .order_by((Escalation.status == "pending").desc(), Escalation.created_at.desc())
        .limit(1)
    )


def transitions_for(ticket: Ticket, viewer: User) -> list[str]:
    """What POST /transitions would accept from this caller (escalation moves have
    their own endpoints; a citizen reopens through feedback)."""
    # The caller's own rights: a key that only reads tickets acts as support yet moves none.
    if not current_principal().can("ticket.transition"):
        return []
    return allowed_targets(ticket.status, viewer.role, include_dedicated=False)


# What an Open311 client sent beyond the ticket's own fields (core: Ticket.source_details).
OPEN311_DETAILS = ("media_url", "device_id", "account_id", "address_id", "zipcode")


def open311_report(session: Session, ticket: Ticket, viewer: User) -> dict[str, Any] | None:
    """For staff, what the integration sent with an Open311 request: the media as the
    link it gave (never fetched: it is any URL), the client's device and account ids,
    and which key filed it."""
    if ticket.channel != "open311" or not viewer.is_staff:
        return None
    details = ticket.source_details or {}
    key = session.get(ApiKey, ticket.api_key_id) if ticket.api_key_id else None
    return {
        "filed_by": {"id": key.id, "name": key.name} if key else None,
        **{name: details.get(name) for name in OPEN311_DETAILS},
    }


def ticket_detail(session: Session, ticket: Ticket, viewer: User) -> dict[str, Any]:
    query = select(Photo).where(Photo.ticket_id == ticket.id)
    if not viewer.is_staff:
        # A follower's photos came with her internal note.
        query = query.where(Photo.is_internal.is_(False))
    photos = session.scalars(query.order_by(Photo.created_at, Photo.id))
    # The reason for an escalation is a conversation among staff.
    escalation = current_escalation(session, ticket) if viewer.is_staff else None
    feedback = session.scalar(select(Feedback).where(Feedback.ticket_id == ticket.id))
    return {
        **ticket_summary(ticket, viewer),
        # A follower learns of the problem, not of who reported it (even one since
        # made staff).
        "reporter": person(ticket.reporter, viewer)
        if viewer.is_staff or viewer.id == ticket.reporter_id
        else None,
        # The phone an integration gave for the person it filed for: for call-backs.
        "contact_phone": ticket.contact_phone if viewer.is_staff else None,
        "contact_email": ticket.contact_email if viewer.is_staff else None,
        "open311": open311_report(session, ticket, viewer),
        "duplicate_of": ticket.duplicate_of_id,
        "attributes": ticket.attributes,
        "answers": [
            {"question": question, "answer": answer}
            for question, answer in describe_answers(
                ticket.category.questions, ticket.attributes, viewer.locale
            )
        ],
        "reopen_count": ticket.reopen_count,
        "following": is_following(session, viewer, ticket),
        "photos": [photo_payload(p) for p in photos],
        "comments": [comment_payload(c, viewer) for c in visible_comments(session, ticket, viewer)],
        "escalation": escalation_payload(session, escalation, viewer) if escalation else None,
        "feedback": feedback_payload(feedback) if feedback else None,
        "allowed_transitions": transitions_for(ticket, viewer),
    }


def event_payload(
    event: TicketEvent, actor: User | None, viewer: User, key: ApiKey | None = None
) -> dict[str, Any]:
    """One line of the timeline; a change an integration made names its key."""
    by_key = {"id": key.id, "name": key.name} if key else None
    return {
        "id": event.id,
        "kind": event.kind,
        "actor": key_as_actor(key) if key and not actor else person(actor, viewer),
        "api_key": by_key,
        "from_value": event.from_value,
        "to_value": event.to_value,
        "data": event.data,
        "created_at": event.created_at,
    }
