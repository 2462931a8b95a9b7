"""The rate limiter shared by every blueprint, stored in Redis so all web
processes count together. Bound to the app in `create_app`."""

from __future__ import annotations

from flask import Blueprint, request
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
