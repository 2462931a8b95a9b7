"""One domain error for every refusal a use case makes, whatever the channel.

A use case in `core/` raises a `DomainError` carrying what went wrong (`message`),
the input to fix (`field`, named as the API's JSON body names it), its `kind`, and a
stable `code` naming the rule (with the message's values in `params`).
Each channel presents it once: the HTTP floor as a status and the error envelope
(`web/errors.py`), Open311 as its error list, the bot as a chat reply. So a rule
refused on one channel is refused the same way on every other.
"""

from __future__ import annotations

from typing import Any, Literal

Kind = Literal["refused", "conflict", "not_found", "forbidden"]


class DomainError(Exception):
    """A use case said no. Raise one of the subclasses, which fix the kind."""

    kind: Kind = "refused"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        details: dict[str, Any] | None = None,
        location: str = "json",
        code: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        # A stable name for the rule, for channels that say it in their own words (chat).
        self.code = code
        # The values the message is worded from, so such a channel can word them too
        # (kept out of `details`, which the API sends as they are).
        self.params = params or {}
        # Extra structured context for API clients (e.g. the moves allowed from here).
        self.details = details or {}
        # Where `field` came from in an HTTP request: the JSON body or the query string.
        self.location = location

    def for_field(self, field: str) -> DomainError:
        """The same refusal, naming the caller's own name for the input."""
        return type(self)(
            self.message, field=field, details=self.details, location=self.location,
            code=self.code, params=self.params,
        )  # fmt: skip


class Refused(DomainError):
    """The input does not fit the rule (HTTP 422)."""

    kind = "refused"


class Conflict(DomainError):
    """The thing is not in a state that allows it (HTTP 409)."""

    kind = "conflict"


class NotFound(DomainError):
    """What the request points at does not exist for this caller (HTTP 404)."""

    kind = "not_found"


class Forbidden(DomainError):
    """This caller may not do it (HTTP 403)."""

    kind = "forbidden"
