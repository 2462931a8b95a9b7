"""Who may do what: the one place roles and API-key scopes are decided.

| role     | may                                                                  |
|----------|----------------------------------------------------------------------|
| citizen  | create tickets, see their own (and followed) tickets, comment, feedback |
| support  | all of that on every ticket; status, assignment, internal notes, escalation requests (and the list of their own) |
| manager  | all of that; every escalation, deciding them, analytics and exports, users, teams, categories, API keys, everyone's saved replies |

API keys carry scopes instead of a role and can never manage users, teams, categories
or keys. A key with a `tickets:*` scope works tickets with support's rights, within its
scopes (core.people.api_keys.key_as_support), and its changes are recorded as the key's.
"""

from __future__ import annotations

CITIZEN = frozenset(
    {
        "ticket.create",
        "ticket.read_own",
        "ticket.follow",
        "comment.create",
        "photo.upload",
        "feedback.create",
        "category.read",
        "profile.update",
    }
)
SUPPORT = CITIZEN | {
    "ticket.read_all",
    "ticket.create_for_citizen",
    "ticket.update",
    "ticket.transition",
    "ticket.move_team",
    "ticket.events",
    "ticket.messages",
    "comment.internal",
    "escalation.request",
    "escalation.list_own",
    "team.read",
    "user.read_staff",
}
MANAGER = SUPPORT | {
    "escalation.decide",
    "escalation.list",
    "feedback.list",
    "analytics.read",
    "export.read",
    "user.manage",
    "team.manage",
    "category.manage",
    "api_key.manage",
    # Everyone's saved replies, not only one's own (core/tickets/saved_replies.py).
    "saved_reply.manage_all",
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "citizen": CITIZEN,
    "support": frozenset(SUPPORT),
    "manager": frozenset(MANAGER),
}

# A call-centre tool's share of support's rights: reading tickets, then working them.
TICKETS_READ = frozenset(
    {
        "ticket.read_own",
        "ticket.read_all",
        "ticket.events",
        "ticket.messages",
        "category.read",
        "team.read",
    }
)
TICKETS_WRITE = TICKETS_READ | {
    "ticket.create",
    "ticket.create_for_citizen",
    "ticket.update",
    "ticket.transition",
    "comment.create",
    "comment.internal",
    "photo.upload",
    "escalation.request",
}

# What each API-key scope grants. No scope grants user, team or key management.
SCOPE_PERMISSIONS: dict[str, frozenset[str]] = {
    "analytics:read": frozenset({"analytics.read", "export.read"}),
    "open311:write": frozenset({"open311.write"}),
    "tickets:read": TICKETS_READ,
    "tickets:write": frozenset(TICKETS_WRITE),
}
# Keys with one of these act as a support user on the ticket endpoints.
TICKET_SCOPES = frozenset({"tickets:read", "tickets:write"})
NEVER_FOR_API_KEYS = frozenset({"user.manage", "team.manage", "api_key.manage", "category.manage"})


def role_can(role: str, permission: str) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def works_tickets(scopes: list[str] | tuple[str, ...]) -> bool:
    return any(scope in TICKET_SCOPES for scope in scopes)


def scopes_can(scopes: list[str] | tuple[str, ...], permission: str) -> bool:
    if permission in NEVER_FOR_API_KEYS:
        return False
    return any(permission in SCOPE_PERMISSIONS.get(scope, frozenset()) for scope in scopes)
