"""The after-commit hook of the transactional outbox.

`core.messaging.notifications` writes outbound Message rows in the same transaction as the change
that causes them and lists them in `session.info["outbox"]`. Once that transaction has
committed (never before: a rolled-back change must not be announced), this hook hands
each id to Celery. If Redis is down the hand-off fails quietly and the rows stay
`pending` in PostgreSQL, where the relay (core/messaging/outbox_relay.py) finds them a minute later.

`install(settings)` is called by `create_app` and `make_celery`. The listener is
registered once on SQLAlchemy's `Session` class; which broker to use is looked up by the
database the session talks to, so a web app, a worker and a test run with different
settings in one process each enqueue to their own Redis.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from core import jobs
from core.config import Settings

log = logging.getLogger(__name__)

SEND_TASK = "tasks.notifications.send_message"
# A row whose last try may have reached Twilio: the next try asks Twilio first.
UNCONFIRMED = "unconfirmed: "
LOST_IN_SENDING = UNCONFIRMED + "the worker stopped while sending"
OUTBOX_KEY = "outbox"

_settings_by_database: dict[str, Settings] = {}
_lock = threading.Lock()
_listening = False


def _database_key(url: object) -> str:
    return make_url(str(url) if not isinstance(url, str) else url).render_as_string(
        hide_password=False
    )


def install(settings: Settings) -> None:
    """Enqueue committed outbox rows of sessions on `settings.DATABASE_URL` via its Redis."""
    global _listening
    with _lock:
        _settings_by_database[_database_key(settings.DATABASE_URL)] = settings
        if not _listening:
            event.listen(Session, "after_commit", _after_commit)
            event.listen(Session, "after_soft_rollback", _after_soft_rollback)
            _listening = True


def _message_id(item: Any) -> int | None:
    if isinstance(item, int):
        return item
    # The identity is known without SQL, even for an expired instance (after_commit
    # may not emit SQL on this session).
    identity = inspect(item).identity
    return identity[0] if identity else None


def _after_commit(session: Session) -> None:
    # Releasing a savepoint fires after_commit too; the rows are not committed yet.
    if session.in_nested_transaction():
        return
    pending = session.info.pop(OUTBOX_KEY, None)
    if not pending:
        return
    ids = [i for i in (_message_id(item) for item in pending) if i is not None]
    settings = _settings_for(session)
    if settings is None:
        log.warning("outbox: no settings installed for this database; the relay will send")
        return
    for position, message_id in enumerate(ids):
        if not jobs.enqueue(settings, SEND_TASK, message_id):
            # Redis is away: don't make the request wait a timeout per row.
            log.warning("outbox: %d message(s) left for the relay", len(ids) - position)
            return


def _after_soft_rollback(session: Session, previous_transaction: Any) -> None:
    # Only the outermost rollback undoes the rows; a released or rolled-back savepoint
    # inside a larger transaction leaves the list to the final commit or rollback.
    if previous_transaction.parent is None:
        session.info.pop(OUTBOX_KEY, None)


def _settings_for(session: Session) -> Settings | None:
    bind = session.get_bind()
    url = getattr(bind, "url", None) or bind.engine.url
    return _settings_by_database.get(_database_key(url))
