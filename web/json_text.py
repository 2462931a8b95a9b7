"""JSON bodies whose strings are not text are refused before anything reads them.

JSON may spell a UTF-16 surrogate on its own (`"\\ud800"`), and Python's decoder
turns that, or the same code point sent as raw bytes, into a str that no UTF-8
encoder (PostgreSQL's driver included) accepts. Every schema would let it through,
so the check sits in front of them all: a 400 naming the problem, never a 500 from
the database driver halfway through a request.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, Response, request

from web.errors import error_response

# A surrogate escape (\uD800-\uDFFF) or a surrogate's UTF-8 bytes: only bodies with
# one of these can hold an unpaired surrogate, so only they are parsed and walked.
_MAYBE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


def register(app: Flask) -> None:
    app.before_request(_refuse_unpaired_surrogates)


def _refuse_unpaired_surrogates() -> Response | None:
    if not request.is_json:
        return None
    body = request.get_data(cache=True)
    if not _MAYBE_SURROGATE.search(body) or not _has_unpaired_surrogate(body):
        return None
    return error_response(
        400,
        "The JSON body holds an unpaired UTF-16 surrogate (\\ud800-\\udfff), which is not text.",
    )


def _has_unpaired_surrogate(body: bytes) -> bool:
    try:
        value = json.loads(body)
    except ValueError:
        return False  # not JSON at all: the schema's parser answers that
    return _any_unencodable(value)


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
