"""The headline numbers: every measure for the scope, and the same split by channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from core.analytics.measures import empty, measures
from core.analytics.scope import Scope
from core.models.tickets import CHANNELS


def kpis(session: Session, scope: Scope, now: datetime) -> dict[str, Any]:
    per_channel = measures(session, scope, now, by="channel", total=True)
    total = per_channel.pop(None)
    channels = [scope.channel] if scope.channel else list(CHANNELS)
    total["by_channel"] = [
        {"channel": channel, **per_channel.get(channel, empty(now))} for channel in channels
    ]
    return total
