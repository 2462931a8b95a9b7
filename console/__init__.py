"""The staff console under `/console/`: server-rendered pages where support works
tickets every day (inbox, ticket page), signed in by phone and one-time code.

The pages call the same core use cases and the same permission table as the REST
API; what is new here is presentation, the browser session and a few lines of
plain JavaScript (console/static/console.js) for polling and the map.
"""

from __future__ import annotations

from flask import Blueprint

# Each module adds its views (and error handlers) to the one blueprint.
from console import (  # noqa: F401
    admin_people,
    admin_setup,
    bulk,
    category_questions_page,
    dashboard,
    dashboard_exports,
    errors,
    escalation_queue,
    inbox,
    saved_replies_page,
    sign_in,
    template_helpers,
    ticket_actions,
    ticket_page,
)
from console.blueprint import bp


def blueprints() -> list[Blueprint]:
    return [bp]
