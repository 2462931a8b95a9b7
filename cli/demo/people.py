"""Demo citizens and staff: the users tickets are reported, worked and followed by."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from cli.demo import copy_format as fmt
from cli.demo import texts

# Turkish mobile operator prefixes (Turkcell 53x, Vodafone 54x, Türk Telekom 50x/55x).
MOBILE_PREFIXES = tuple(
    [f"53{d}" for d in range(10)] + [f"54{d}" for d in range(10)]
    + ["501", "505", "506", "507", "551", "552", "553", "554", "555", "559"]
)  # fmt: skip
_SUBSCRIBER_SPACE = 10**7
# Multiplying by a number coprime to the space's size scatters consecutive ids
# over the whole number space without ever mapping two ids to one number.
_SCATTER = 7_919_993

USER_COLUMNS = (
    "id", "phone", "whatsapp_id", "full_name", "role", "locale", "is_active",
    "sla_alerts", "consent_at", "opted_out_at", "last_login_at", "created_at", "updated_at",
)  # fmt: skip
MEMBERSHIP_COLUMNS = ("user_id", "team_id")
# Every so many support users also cover the next team (staff often work for two crews).
SECOND_TEAM_EVERY = 5

EN_LOCALE_SHARE = 0.08
STAFF_PER_TICKETS = 15_000


@dataclass
class Cast:
    """Who the ticket generator may pick: citizen ids (with locales) and staff per team."""

    citizen_ids: list[int]
    citizen_locales: list[str]
    support_by_team: dict[int, list[int]] = field(default_factory=dict)
    managers_by_team: dict[int, list[int]] = field(default_factory=dict)


@dataclass
class Staff:
    """COPY lines for staff users and their team memberships, and who works where."""

    lines: list[str] = field(default_factory=list)
    memberships: list[str] = field(default_factory=list)
    support: dict[int, list[int]] = field(default_factory=dict)
    managers: dict[int, list[int]] = field(default_factory=dict)

    def join(self, user_id: int, team_id: int, members: list[int]) -> None:
        self.memberships.append(fmt.line(str(user_id), str(team_id)))
        members.append(user_id)


def demo_phone(user_id: int) -> str:
    """A valid-looking Turkish mobile number, distinct for every user id."""
    scattered = (user_id * _SCATTER) % (len(MOBILE_PREFIXES) * _SUBSCRIBER_SPACE)
    prefix, subscriber = divmod(scattered, _SUBSCRIBER_SPACE)
    return f"+90{MOBILE_PREFIXES[prefix]}{subscriber:07d}"


def staff_per_team(tickets: int) -> tuple[int, int]:
    """(support, managers) per team: enough hands for the volume."""
    support = max(2, min(60, tickets // STAFF_PER_TICKETS))
    return support, max(1, support // 8)


def citizen_rows(
    rng: random.Random, ids: list[int], taken_phones: set[str], anchor: int, window: int
) -> tuple[list[str], list[str]]:
    """COPY lines for citizens with `ids`, and their locales (same order)."""
    lines, locales = [], []
    for user_id in ids:
        locale = "en" if rng.random() < EN_LOCALE_SHARE else "tr"
        joined = anchor - window - rng.randint(3600, 120 * 86400)
        opted_out = anchor - rng.randint(3600, 90 * 86400) if rng.random() < 0.01 else None
        name = texts.full_name(rng) if rng.random() < 0.85 else None
        lines.append(_user_line(user_id, taken_phones, name, "citizen", locale, joined,
                                opted_out=opted_out))  # fmt: skip
        locales.append(locale)
    return lines, locales


def staff_rows(
    rng: random.Random,
    ids: list[int],
    team_ids: list[int],
    tickets: int,
    taken_phones: set[str],
    anchor: int,
    window: int,
) -> Staff:
    """Each team's support users and managers; some support users cover the next team
    too (with more than one team)."""
    support_count, manager_count = staff_per_team(tickets)
    staff = Staff()
    available = iter(ids)
    for index, team_id in enumerate(team_ids):
        next_team = team_ids[(index + 1) % len(team_ids)]
        for role, count, members in (
            ("support", support_count, staff.support.setdefault(team_id, [])),
            ("manager", manager_count, staff.managers.setdefault(team_id, [])),
        ):
            for number in range(count):
                user_id = next(available)
                joined = anchor - window - rng.randint(30 * 86400, 400 * 86400)
                staff.lines.append(_user_line(
                    user_id, taken_phones, texts.full_name(rng), role, "tr", joined,
                    last_login=anchor - rng.randint(600, 5 * 86400), sla_alerts=role == "manager",
                ))  # fmt: skip
                staff.join(user_id, team_id, members)
                if role == "support" and next_team != team_id and number % SECOND_TEAM_EVERY == 1:
                    staff.join(user_id, next_team, staff.support.setdefault(next_team, []))
    return staff


def staff_count(team_count: int, tickets: int) -> int:
    support, managers = staff_per_team(tickets)
    return team_count * (support + managers)


def _user_line(
    user_id: int,
    taken_phones: set[str],
    name: str | None,
    role: str,
    locale: str,
    joined: int,
    *,
    opted_out: int | None = None,
    last_login: int | None = None,
    sla_alerts: bool = False,
) -> str:
    phone: str | None = demo_phone(user_id)
    whatsapp_id = None
    if phone in taken_phones:
        # A real user already has this number: this demo user chats under a WhatsApp id.
        phone, whatsapp_id = None, f"demo-{user_id}"
    return fmt.line(
        str(user_id), fmt.text(phone), fmt.text(whatsapp_id), fmt.text(name), role,
        locale, "t", fmt.boolean(sla_alerts), fmt.timestamp(joined),
        fmt.timestamp(opted_out), fmt.timestamp(last_login), fmt.timestamp(joined),
        fmt.timestamp(opted_out or joined),
    )  # fmt: skip
