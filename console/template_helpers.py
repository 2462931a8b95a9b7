"""What every console template may call: the words of the catalogue, the language,
the signed-in user, dates in the city's time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app

from console.blueprint import bp
from console.i18n import locale, t, t_or
from console.manager_access import is_manager
from console.session import current_user
from core.models import Ticket
from core.models.tickets import OPEN_STATUSES


@bp.context_processor
def page_globals() -> dict[str, Any]:
    me = current_user()
    manager = me is not None and is_manager(me.role)
    return {"_": t, "_or": t_or, "lang": locale(), "me": me, "manager": manager}


@bp.app_template_filter("local_time")
def local_time(value: datetime | None) -> str:
    if value is None:
        return ""
    zone = ZoneInfo(current_app.config["SOSOFT"].CITY_TIMEZONE)
    return value.astimezone(zone).strftime("%d.%m.%Y %H:%M")


@bp.app_template_test("overdue")
def is_overdue(ticket: Ticket) -> bool:
    now = datetime.now(UTC)
    return ticket.status in OPEN_STATUSES and ticket.due_at is not None and ticket.due_at < now
