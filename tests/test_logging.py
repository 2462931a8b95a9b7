"""Log lines never carry a full phone number."""

from __future__ import annotations

import json
import logging

import pytest

from core.logging_setup import JsonFormatter, _ContextFilter, mask_phone, mask_phones


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("+905321234567", "+90******4567"),
        ("05321234567", "*******4567"),
    ],
)
def test_mask_phone(raw: str, masked: str) -> None:
    assert mask_phone(raw) == masked


def test_phone_numbers_inside_text_are_masked() -> None:
    text = mask_phones("OTP for +905321234567 and whatsapp:+905321234568 sent")
    assert "5321234567" not in text and "5321234568" not in text
    assert "+90******4567" in text


def test_a_log_record_is_masked_and_json_in_production() -> None:
    record = logging.LogRecord(
        "t", logging.INFO, __file__, 1, "sent to %s", ("+905321234567",), None
    )
    _ContextFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "sent to +90******4567"
    assert line["request_id"] == "-"
    assert line["level"] == "INFO"
