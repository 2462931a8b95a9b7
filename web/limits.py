"""The rate limiter shared by every blueprint, stored in Redis so all web
processes count together. Bound to the app in `create_app`."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
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


def scope_limiter_hooks(app: Flask) -> None:
    """The limiter's own request hooks (check, headers, clean-up) run for the limited
    blueprints' requests only: moved from the app to each of those blueprints, so a
    `never_limit` blueprint's request never calls them. Its request filter would
    answer them too, but only after the limiter had looked up the endpoint's limits (a
    tenth of a millisecond a webhook message), and even a hook that only checks the
    blueprint first cost 1.5 % of a message's instructions. Called once every
    blueprint is registered; the app's own routes (static files) have no limits.

    The app's own before-request checks now come first (blueprint hooks run after the
    app's): a body that is not readable JSON (web/json_text.py) is refused before the
    limiter counts the request, which costs nothing a limit protects."""
    moved = {key: [hook for hook in hooks[None] if _is_limiters(hook)] for key, hooks in (
        ("before", app.before_request_funcs),
        ("after", app.after_request_funcs),
        ("teardown", app.teardown_request_funcs),
    )}  # fmt: skip
    for hooks in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        hooks[None] = [hook for hook in hooks[None] if not _is_limiters(hook)]
    for name in app.blueprints:
        if "." in name or name in _unlimited:
            continue  # a nested blueprint runs its parent's hooks already
        app.before_request_funcs.setdefault(name, [])[:0] = moved["before"]
        app.after_request_funcs.setdefault(name, []).extend(moved["after"])
        app.teardown_request_funcs.setdefault(name, []).extend(moved["teardown"])


def _is_limiters(hook: Callable[..., Any]) -> bool:
    if isinstance(hook, partial):
        return bool(hook.args) and hook.args[0] is limiter
    return getattr(hook, "__self__", None) is limiter
