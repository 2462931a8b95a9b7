"""JSON bodies that no schema can safely read are refused before anything reads them.

- JSON may spell a UTF-16 surrogate on its own (`"\\ud800"`), and Python's decoder
  turns that, or the same code point sent as raw bytes, into a str that no UTF-8
  encoder (PostgreSQL's driver included) accepts: every schema would let it through
  and the request would fail halfway, in the database.
- Arrays nested a few thousand deep exhaust the decoder's recursion, and an integer
  of more than 4,300 digits exceeds Python's limit on converting one: the argument
  parser only expects malformed JSON, so both were 500s, on endpoints open to anyone.

Each is a 400 naming the problem. Bodies that are not JSON at all are left to the
argument parser, which answers them as before.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, Response, request

from web.errors import error_response

# A surrogate escape (\uD800-\uDFFF) or a surrogate's UTF-8 bytes: only bodies with
# one of these can hold an unpaired surrogate, so only they are walked.
_MAYBE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")
TOO_DEEP_OR_LONG = "The JSON body is nested too deeply or holds a number too long to read."
UNPAIRED_SURROGATE = (
    "The JSON body holds an unpaired UTF-16 surrogate (\\ud800-\\udfff), which is not text."
)


def register(app: Flask) -> None:
    app.before_request(_refuse_unreadable_json)


def _refuse_unreadable_json() -> Response | None:
    if not request.is_json:
        return None
    body = request.get_data(cache=True)
    if not body:
        return None
    try:
        value = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None  # not JSON at all: the argument parser answers that
    except (RecursionError, ValueError):
        return error_response(400, TOO_DEEP_OR_LONG)
    try:
        if _MAYBE_SURROGATE.search(body) and _any_unencodable(value):
            return error_response(400, UNPAIRED_SURROGATE)
    except RecursionError:
        return error_response(400, TOO_DEEP_OR_LONG)
    return None


def _any_unencodable(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_any_unencodable(k) or _any_unencodable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_any_unencodable(item) for item in value)
    return False
