"""The rate limiter shared by every blueprint, stored in Redis so all web
processes count together. Bound to the app in `create_app`."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial, wraps
from typing import Any

from flask import Blueprint, Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, headers_enabled=True, strategy="fixed-window")

_unlimited: set[str] = set()


def never_limit(blueprint: Blueprint) -> None:
    """No limit and no limiter bookkeeping at all on `blueprint`'s requests.

    `limiter.exempt` still has the limiter resolve, per request, which limits do not
    apply; a request filter answers before any of that, which on the webhook's hot
    path is a tenth of the framework's work.
    """
    _unlimited.add(blueprint.name)


@limiter.request_filter
def _unlimited_blueprint() -> bool:
    return request.blueprint in _unlimited


def skip_limiter_hooks(app: Flask) -> None:
    """The limiter's own request hooks (check, headers, clean-up) are not called at all
    for a `never_limit` blueprint's requests. Its request filter answers them too, but
    only after the limiter has looked up the endpoint's limits: on the webhook that
    was a tenth of a millisecond a message. Called once the limiter is bound."""
    for hooks, hands_on in (
        (app.before_request_funcs, False),
        (app.after_request_funcs, True),  # an after-request hook returns the response
        (app.teardown_request_funcs, False),
    ):
        hooks[None] = [
            _unless_unlimited(hook, hands_on) if _is_limiters(hook) else hook
            for hook in hooks[None]
        ]


def _is_limiters(hook: Callable[..., Any]) -> bool:
    if isinstance(hook, partial):
        return bool(hook.args) and hook.args[0] is limiter
    return getattr(hook, "__self__", None) is limiter


def _unless_unlimited(hook: Callable[..., Any], hands_on: bool) -> Callable[..., Any]:
    @wraps(hook)
    def guarded(*args: Any) -> Any:
        if request.blueprint in _unlimited:
            return args[0] if hands_on else None
        return hook(*args)

    return guarded
