"""Fetching the photos citizens send over WhatsApp/SMS.

The webhook stores the media URLs with the message; this task downloads them:
- only URLs under the account's Twilio media prefix are fetched at all (a forged
  webhook can point `MediaUrl0` anywhere), and only those get the credentials;
- redirects (Twilio answers with one to a short-lived CDN URL on another host) are
  followed by hand, with credentials only while still under the prefix;
- every request has a timeout and the body is read in chunks up to 10 MB.
Then the image goes through the same checks and EXIF stripping as API uploads.

Where the photo goes: to the ticket named on the message (a `#1234` caption, or a
draft that has meanwhile become a ticket), or, while the report is still a draft, to
a Photo row without a ticket that is linked when the ticket is created (the webhook
itself never touches storage). A photo that cannot be used is told to the citizen
once per message. Safe to run twice: each media item is marked once handled.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin

import requests
from celery import shared_task
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core import jobs
from core.config import Settings
from core.conversations.draft import PHOTO_LIMIT, Draft
from core.db import Database
from core.logging_setup import mask_phone
from core.messaging.notifications import queue_message
from core.models import Conversation, Message, Photo, Ticket, User
from core.storage import Storage
from core.tickets.photos import (
    MAX_BYTES,
    CleanImage,
    ImageRejected,
    inspect_image,
    photo_row,
    store_photo,
)
from tasks.context import SoSoftTask

log = logging.getLogger(__name__)

# Said once per message when a photo cannot be kept.
PHOTO_UNUSABLE = {
    "tr": "Gönderdiğiniz fotoğrafı kullanamadık (JPEG, PNG ya da WebP, en fazla 10 MB). "
    "Başka bir fotoğraf deneyebilirsiniz.",
    "en": "We couldn't use the photo you sent (JPEG, PNG or WebP, up to 10 MB). "
    "You can try another one.",
}
DRAFT_PREFIX = "drafts/"
MAX_REDIRECTS = 5
CHUNK = 64 * 1024
RETRY_SECONDS = 30
MAX_RETRIES = 3


class MediaRefused(Exception):
    """The URL is not under the Twilio media prefix: never requested."""


class MediaUnusable(Exception):
    """Fetched, but not a photo we can keep (too large, not an image)."""


class MediaUnavailable(Exception):
    """Could not be fetched now (network, 5xx): worth another try."""


FETCH_TASK = "tasks.media.fetch_inbound_media"


@shared_task(
    name=FETCH_TASK,
    bind=True,
    ignore_result=True,
    max_retries=MAX_RETRIES,
)
def fetch_inbound_media(self: SoSoftTask, message_id: int) -> int:
    try:
        return process_inbound_media(
            self.database, self.settings, self.storage, message_id, requests.Session()
        )
    except MediaUnavailable as exc:
        raise self.retry(countdown=RETRY_SECONDS, exc=exc) from None


# Media of messages younger than this are still worth fetching when their task was
# never enqueued (Redis was down) or ran out of retries.
RELAY_WINDOW = timedelta(hours=1)


@shared_task(name="tasks.media.relay_unfetched_media", bind=True, ignore_result=True)
def relay_unfetched_media(self: SoSoftTask) -> int:
    return relay_media(self.database, self.settings, datetime.now(UTC))


def relay_media(database: Database, settings: Settings, now: datetime) -> int:
    """Enqueue again the inbound messages whose media are still unhandled; returns how many."""
    with database.transaction() as session:
        ids = session.scalars(
            text(
                "SELECT id FROM messages WHERE direction = 'inbound' AND media <> '[]'::jsonb"
                " AND created_at BETWEEN :oldest AND :newest"
                " AND jsonb_path_exists(media, '$[*] ? (!exists(@.state))')"
            ),
            {
                "oldest": now - RELAY_WINDOW,
                "newest": now - timedelta(seconds=settings.OUTBOX_RELAY_AFTER_SECONDS),
            },
        ).all()
    return sum(1 for message_id in ids if jobs.enqueue(settings, FETCH_TASK, message_id))


# --- downloading -------------------------------------------------------------------------


def under_prefix(settings: Settings, url: str) -> bool:
    prefix = settings.twilio_media_prefix
    return bool(prefix) and url.startswith(prefix)


def download(settings: Settings, url: str, http: requests.Session) -> bytes:
    """The bytes at `url`; credentials only while under the media prefix."""
    if not under_prefix(settings, url):
        raise MediaRefused(url)
    credentials = (settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        auth = credentials if under_prefix(settings, current) else None
        try:
            response = http.get(
                current,
                auth=auth,
                timeout=settings.TWILIO_TIMEOUT_SECONDS,
                stream=True,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise MediaUnavailable(type(exc).__name__) from None
        with response:
            if response.is_redirect:
                current = urljoin(current, response.headers.get("Location", ""))
                if not current.startswith(("https://", "http://")):
                    raise MediaUnusable("redirect to a non-HTTP location")
                continue
            if response.status_code >= 500 or response.status_code == 429:
                raise MediaUnavailable(f"HTTP {response.status_code}")
            if response.status_code != 200:
                raise MediaUnusable(f"HTTP {response.status_code}")
            return _read_capped(response)
    raise MediaUnusable("too many redirects")


def _read_capped(response: requests.Response) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdecimal() and int(declared) > MAX_BYTES:
        raise MediaUnusable("larger than 10 MB")
    body = bytearray()
    try:
        for chunk in response.iter_content(CHUNK):
            body.extend(chunk)
            if len(body) > MAX_BYTES:
                raise MediaUnusable("larger than 10 MB")
    except requests.RequestException as exc:
        raise MediaUnavailable(type(exc).__name__) from None
    return bytes(body)


# --- deciding and storing ------------------------------------------------------------------


@dataclass(frozen=True)
class Fetched:
    index: int
    image: CleanImage | None
    problem: str | None


def process_inbound_media(
    database: Database,
    settings: Settings,
    storage: Storage,
    message_id: int,
    http: requests.Session,
) -> int:
    """Fetch, check and store the wanted media of one inbound message; returns how
    many photos were kept."""
    with database.transaction() as session:
        wanted = _wanted(session, message_id)
    if not wanted:
        return 0
    fetched = [_fetch(settings, http, index, url) for index, url in wanted]
    with database.transaction() as session:
        return _store(session, settings, storage, message_id, fetched)


def _wanted(session: Session, message_id: int) -> list[tuple[int, str]]:
    """(index, url) of the media still to handle that have somewhere to go."""
    message = session.get(Message, message_id)
    if message is None or message.direction != "inbound" or not message.media:
        return []
    take = _take(session, message)
    return [
        (index, item["url"])
        for index, item in enumerate(message.media[:take])
        if "state" not in item and item.get("url")
    ]


def _take(session: Session, message: Message) -> int:
    """How many of the message's media are wanted: by its ticket, or by the draft."""
    if message.ticket_id is not None:
        return PHOTO_LIMIT
    if not message.address:
        return 0
    conversation = session.scalar(
        select(Conversation).where(Conversation.address == message.address)
    )
    draft = Draft.of(conversation.context) if conversation else None
    return draft.media_wanted(message.id) if draft else 0


def _fetch(settings: Settings, http: requests.Session, index: int, url: str) -> Fetched:
    try:
        return Fetched(index, inspect_image(download(settings, url, http)), None)
    except MediaRefused:
        log.warning("media URL outside TWILIO_MEDIA_URL_PREFIX refused (message item %d)", index)
        return Fetched(index, None, "refused")
    except MediaUnusable as exc:
        return Fetched(index, None, str(exc))
    except ImageRejected as exc:
        return Fetched(index, None, exc.reason)


def _store(
    session: Session, settings: Settings, storage: Storage, message_id: int, fetched: list[Fetched]
) -> int:
    # The conversation is locked first (as the webhook does), then the message.
    message = session.get(Message, message_id)
    if message is None:
        return 0
    conversation = (
        session.scalar(
            select(Conversation).where(Conversation.address == message.address).with_for_update()
        )
        if message.address
        else None
    )
    session.refresh(message, with_for_update=True)
    user = session.get(User, message.user_id) if message.user_id else None
    ticket = session.get(Ticket, message.ticket_id) if message.ticket_id else None
    media = [dict(item) for item in message.media]
    kept = 0
    for item in fetched:
        if "state" in media[item.index]:
            continue  # another run got here first
        if item.image is None:
            media[item.index]["state"] = "refused" if item.problem == "refused" else "rejected"
            continue
        if ticket is not None:
            store_photo(session, storage, ticket, item.image, user, message.channel)
        elif conversation is not None and _wants(conversation, message.id):
            _keep_for_draft(session, storage, conversation, item.image, user, message.channel)
        else:  # the draft was dropped meanwhile
            media[item.index]["state"] = "dropped"
            continue
        media[item.index]["state"] = "stored"
        kept += 1
    message.media = media
    if any(i.problem and i.problem != "refused" for i in fetched) and message.error_message is None:
        message.error_message = "photo unusable"
        _tell_unusable(session, user)
    return kept


def _wants(conversation: Conversation, message_id: int) -> bool:
    draft = Draft.of(conversation.context)
    return draft is not None and draft.media_wanted(message_id) > 0


def _keep_for_draft(
    session: Session,
    storage: Storage,
    conversation: Conversation,
    image: CleanImage,
    user: User | None,
    channel: str,
) -> None:
    """A Photo row without a ticket yet; the draft lists its id for CreateTicket."""
    draft = Draft.of(conversation.context) or Draft()
    photo_ids = list(draft.photo_ids)
    if photo_ids and session.scalar(
        select(Photo.id).where(Photo.id.in_(photo_ids), Photo.sha256 == image.sha256)
    ):
        return  # the same picture twice
    key = f"{DRAFT_PREFIX}{conversation.id}/{uuid.uuid4().hex}.{image.extension}"
    storage.put(key, image.data, image.content_type)
    photo = photo_row(image, key, ticket_id=None, uploaded_by=user, source=channel)
    session.add(photo)
    session.flush()
    conversation.context = draft.with_photo_id(photo.id).into(conversation.context)
    conversation.version = (conversation.version or 0) + 1


# --- photos of drafts that never became a ticket ---------------------------------------------


@shared_task(name="tasks.media.purge_abandoned_draft_photos", bind=True, ignore_result=True)
def purge_abandoned_draft_photos(self: SoSoftTask) -> int:
    settings = self.settings
    # Far beyond any draft's life, so a draft still being written never loses a photo.
    keep = max(timedelta(days=1), 2 * timedelta(minutes=settings.CONVERSATION_TIMEOUT_MINUTES))
    return purge_draft_photos(self.database, self.storage, datetime.now(UTC) - keep)


def purge_draft_photos(database: Database, storage: Storage, before: datetime) -> int:
    """Delete draft photos (no ticket) stored before `before`, files first."""
    with database.transaction() as session:
        photos = session.scalars(
            select(Photo)
            .where(
                Photo.ticket_id.is_(None),
                Photo.storage_key.startswith(DRAFT_PREFIX),
                Photo.created_at < before,
            )
            .limit(500)
            .with_for_update(skip_locked=True)
        ).all()
        for photo in photos:
            storage.delete(photo.storage_key)
            session.delete(photo)
    return len(photos)


def _tell_unusable(session: Session, user: User | None) -> None:
    if user is None:
        return
    body = PHOTO_UNUSABLE.get(user.locale) or PHOTO_UNUSABLE["tr"]
    queue_message(session, user, "photo_unusable", body)
    log.info("told %s a photo was unusable", mask_phone(user.phone or ""))
