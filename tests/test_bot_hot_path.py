"""The webhook's one-round-trip reads (bot/store.py): the category list cached by
its fingerprint, and the user read along with the lock only when that is safe."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from auth_helpers import REQUEST_OTP
from bot_support import Phone
from sqlalchemy import select, update

from bot.inbound import parse_inbound
from bot.outcomes import Outcome
from bot.store import citizen_of, lock_conversation, next_state, save_reply
from core.models import Category, User
from core.tickets.seed_data import seed_defaults
from web.limits import limiter


def test_the_category_list_follows_every_change(client, settings, db, seeded) -> None:
    phone = Phone(client, settings)
    phone.register()
    first = phone.send("1")
    parks = db.scalar(select(Category).where(Category.code == "parks"))
    lighting = db.scalar(select(Category).where(Category.code == "lighting"))
    assert parks is not None and lighting is not None
    assert "Parklar" in first and "Aydınlatma" in first

    parks.is_active = False
    lighting.name_tr = "Sokak lambası"
    db.flush()
    phone.send("İPTAL")
    second = phone.send("1")
    assert "Parklar" not in second
    assert "Sokak lambası" in second and "Aydınlatma" not in second

    parks.is_active = True
    db.flush()
    phone.send("İPTAL")
    assert "Parklar" in phone.send("1")


def _inbound(phone: Phone, body: str):
    return parse_inbound(phone.params(body))


def _message(inbound) -> dict:
    return {"twilio_sid": inbound.sid, "body": inbound.text, "media": [], "reply": ""}


def test_a_message_that_waited_for_the_lock_reads_the_user_again(
    app, settings, committed_db
) -> None:
    with committed_db.transaction() as session:
        seed_defaults(session)
    phone = Phone(app.test_client(), settings)
    phone.register()
    now = datetime.now(UTC)

    first = committed_db.session()
    inbound = _inbound(phone, "DUR")
    locked = lock_conversation(first, settings, inbound, _message(inbound))
    # Nobody else holds this conversation: the user came with the lock.
    assert locked.user_read and locked.user is not None
    assert locked.user.opted_out_at is None
    first.execute(update(User).where(User.id == locked.user.id).values(opted_out_at=now))

    seen: dict = {}

    def second() -> None:
        with committed_db.transaction() as session:
            waiting = _inbound(phone, "merhaba")
            again = lock_conversation(session, settings, waiting, _message(waiting))
            user = citizen_of(session, again, waiting)
            seen.update(read=again.user_read, opted_out_at=user and user.opted_out_at)

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.5)
    assert thread.is_alive()  # waiting for the first message's lock
    state = next_state(
        Outcome([], "menu", {"opted_out": True}),
        locale="tr",
        channel=inbound.channel,
        settings=settings,
        now=now,
    )
    assert locked.message_id is not None
    save_reply(
        first,
        locked.message_id,
        "",
        locale="tr",
        conversation_id=locked.conversation.id,
        conversation=state,
    )
    first.commit()
    first.close()
    thread.join(timeout=10)

    # Its statement's snapshot predates the first commit: it must not trust that read.
    assert seen == {"read": False, "opted_out_at": now}
    with committed_db.transaction() as session:
        user = session.scalar(select(User).where(User.phone == phone.number))
        assert user is not None and user.opted_out_at == now


def test_the_webhook_skips_the_rate_limiter_the_api_goes_through(
    client, settings, seeded, monkeypatch
) -> None:
    # The limiter resolves which limits apply on every request it looks at; a
    # webhook request must not even get that far (web.limits.never_limit).
    resolved: list[str | None] = []
    resolve = limiter.limit_manager.resolve_limits

    def counting(app, endpoint, *args, **kwargs):
        resolved.append(endpoint)
        return resolve(app, endpoint, *args, **kwargs)

    monkeypatch.setattr(limiter.limit_manager, "resolve_limits", counting)
    phone = Phone(client, settings)
    assert phone.send("Merhaba")
    assert resolved == []

    client.post(REQUEST_OTP, json={"phone_number": "+905321234567"})
    assert resolved, "the API's requests still go through the limiter"


def test_the_limiters_hooks_sit_on_the_limited_blueprints_only(app, client) -> None:
    """Moved off the app (web.limits.scope_limiter_hooks): a webhook request calls none
    of them, every other blueprint's request all three, and an API response still gets
    the limiter's headers."""
    from web.limits import _is_limiters

    def limiters(hooks: dict, name: str | None) -> int:
        return sum(1 for hook in hooks.get(name, []) if _is_limiters(hook))

    for hooks in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        assert limiters(hooks, None) == 0
        assert limiters(hooks, "bot") == 0
        assert all(limiters(hooks, name) == 1 for name in app.blueprints if name != "bot")
    response = client.post(REQUEST_OTP, json={"phone_number": "+905321234567"})
    assert "X-RateLimit-Limit" in response.headers
