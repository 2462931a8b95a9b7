"""The managers' pages (escalation queue, dashboard, administration): open to a role
with the page's permission from the one permission table; anyone else gets a plain
refusal page (403), never an error."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from console.i18n import error_page
from console.session import signed_in_user
from core.people.permissions import role_can


def manager_page(permission: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not role_can(signed_in_user().role, permission):
                return error_page(403, "error.managers_only")
            return view(*args, **kwargs)

        return guarded

    return decorate


def is_manager(role: str) -> bool:
    """Whether the navigation shows the managers' pages."""
    return role_can(role, "escalation.decide")
