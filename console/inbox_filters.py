"""The inbox's query string -> core's TicketFilters, the same filters the REST list
and the exports use. Anything that does not parse is left out rather than refused:
a hand-edited address bar should still show an inbox."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from werkzeug.datastructures import MultiDict

from core.models import User
from core.models.tickets import OPEN_STATUSES, STATUSES
from core.tickets.queries import SORTS, TicketFilters, public_number

INBOX_SORTS = tuple(s for s in SORTS if s != "distance")
DEFAULT_SORT = "due"
_DATETIME_TAG = "$dt"


def _int(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 < number < 2**63 else None


@dataclass(frozen=True)
class InboxView:
    """What the inbox shows, as chosen in its filter form."""

    statuses: tuple[str, ...]
    category_id: int | None
    team: str  # "mine", "any" or a team id
    assignee: str  # "anyone", "me", "none"
    overdue: bool
    needs_location: bool
    citizen_wrote: bool
    q: str
    sort: str

    def filters(self, user: User) -> TicketFilters:
        team_id, team_ids = None, None
        if self.team == "mine":
            team_ids = tuple(user.team_ids) or None
        elif self.team != "any":
            team_id = _int(self.team)
        assignee: int | str | None = None
        if self.assignee == "me":
            assignee = user.id
        elif self.assignee == "none":
            assignee = "none"
        return TicketFilters(
            statuses=self.statuses,
            category_id=self.category_id,
            team_id=team_id,
            team_ids=team_ids,
            assignee=assignee,
            overdue=True if self.overdue else None,
            needs_location=True if self.needs_location else None,
            citizen_wrote=self.citizen_wrote,
            q=self.q or None,
        )

    def searched_number(self) -> int | None:
        return public_number(self.q) if self.q else None


def inbox_view(args: MultiDict[str, str], user: User) -> InboxView:
    """The inbox's filters; the first visit shows the open tickets of the user's team."""
    first_visit = "sort" not in args
    statuses = tuple(s for s in args.getlist("status") if s in STATUSES)
    if first_visit and not statuses:
        statuses = OPEN_STATUSES
    team = args.get("team", "mine" if user.team_ids else "any")
    assignee = args.get("assignee", "anyone")
    sort = args.get("sort", DEFAULT_SORT)
    return InboxView(
        statuses=statuses,
        category_id=_int(args.get("category")),
        team=team if team in ("mine", "any") or _int(team) else "any",
        assignee=assignee if assignee in ("anyone", "me", "none") else "anyone",
        overdue=args.get("overdue") == "1",
        needs_location=args.get("needs_location") == "1",
        citizen_wrote=args.get("citizen_wrote") == "1",
        q=args.get("q", "").strip()[:200],
        sort=sort if sort in INBOX_SORTS else DEFAULT_SORT,
    )


def encode_cursor(key: tuple[Any, ...]) -> str:
    values = [{_DATETIME_TAG: v.isoformat()} if isinstance(v, datetime) else v for v in key]
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


def decode_cursor(raw: str | None) -> tuple[Any, ...]:
    """The previous page's last key; () when absent or unreadable (page one)."""
    if not raw or len(raw) > 1000:
        return ()
    try:
        values = json.loads(base64.urlsafe_b64decode(raw.encode()))
        return tuple(
            datetime.fromisoformat(v[_DATETIME_TAG]) if isinstance(v, dict) else v for v in values
        )
    except (ValueError, TypeError, KeyError):
        return ()
