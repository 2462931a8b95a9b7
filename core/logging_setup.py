"""Structured logging: JSON in production, readable in development.

Every line carries the request id (when there is one) and has phone numbers
masked, whatever the caller passed in: a city's citizens' numbers must never
end up in a log aggregator.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# Long runs of digits, optionally with a leading + and separators, as in phone numbers.
_PHONE_RE = re.compile(r"(?<![\w])\+?\d(?:[\d\s\-().]{7,18})\d(?![\w])")


def mask_phone(value: str) -> str:
    """`+905321234567` -> `+90*******4567` (keeps the country hint and the last 4)."""
    digits = [c for c in value if c.isdecimal()]
    if len(digits) < 8:
        return value
    keep_head = 2 if value.startswith("+") else 0
    masked = (
        "".join(digits[:keep_head]) + "*" * (len(digits) - keep_head - 4) + "".join(digits[-4:])
    )
    return ("+" if value.startswith("+") else "") + masked


def mask_phones(text: str) -> str:
    return _PHONE_RE.sub(lambda m: mask_phone(m.group(0)), text)


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        message = record.getMessage()
        record.msg = mask_phones(message)
        record.args = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            entry["exception"] = mask_phones(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, json_lines: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ContextFilter())
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-5s [%(request_id)s] %(name)s: %(message)s")
        )
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_sosoft", False):
            root.removeHandler(existing)
    handler._sosoft = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
