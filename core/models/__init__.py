"""Every SoSoft table, importable from one place (Alembic reads `Base.metadata`)."""

# Defines indexes on tickets: imported so that they are part of Base.metadata.
from core.models import ticket_order as ticket_order
from core.models.analytics import (
    AnalyticsDaily,
    AnalyticsDirtyHour,
    AnalyticsHotspot,
    AnalyticsHotspotChange,
    AnalyticsHotspotState,
    AnalyticsRollupState,
)
from core.models.base import Base
from core.models.console import ConsoleSession, SavedReply, TicketView
from core.models.exports import ExportJob
from core.models.messages import Conversation, Message
from core.models.people import ApiKey, OtpCode, RefreshToken, Team, User, user_teams
from core.models.tickets import (
    Category,
    Comment,
    Escalation,
    Feedback,
    Photo,
    Ticket,
    TicketEvent,
    TicketFollower,
)

__all__ = [
    "AnalyticsDaily",
    "AnalyticsDirtyHour",
    "AnalyticsHotspot",
    "AnalyticsHotspotChange",
    "AnalyticsHotspotState",
    "AnalyticsRollupState",
    "ApiKey",
    "Base",
    "Category",
    "Comment",
    "ConsoleSession",
    "Conversation",
    "Escalation",
    "ExportJob",
    "Feedback",
    "Message",
    "OtpCode",
    "Photo",
    "RefreshToken",
    "SavedReply",
    "Team",
    "Ticket",
    "TicketEvent",
    "TicketFollower",
    "TicketView",
    "User",
    "user_teams",
]
