"""Checking the type of a value decoded from JSON (a client's cursor, say)."""

from __future__ import annotations

from typing import Any


def of_type(value: Any, kind: type | tuple[type, ...]) -> bool:
    """isinstance, except that JSON's true and false, which Python counts as the ints 1
    and 0, are only ever booleans: a number column never compares with one."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return isinstance(value, kinds) and (not isinstance(value, bool) or bool in kinds)
