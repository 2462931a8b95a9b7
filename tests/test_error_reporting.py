"""Error reports never carry request bodies, secrets or phone numbers."""

from __future__ import annotations

from core.config import Settings
from core.error_reporting import _scrub, init_error_reporting


def test_off_without_a_dsn() -> None:
    assert init_error_reporting(Settings.from_env({}), "web") is False


def test_events_are_scrubbed() -> None:
    event = {
        "request": {
            "data": {"phone_number": "+905321234567", "code": "123456"},
            "cookies": {"session": "x"},
            "headers": {"Authorization": "Bearer abc", "User-Agent": "curl"},
            "query_string": "q=+905321234567&api_key=sk_secret1234",
        },
        "exception": {"values": [{"value": "no user +905321234567"}]},
    }
    scrubbed = _scrub(event, {})
    assert "data" not in scrubbed["request"] and "cookies" not in scrubbed["request"]
    assert scrubbed["request"]["headers"] == {"Authorization": "[scrubbed]", "User-Agent": "curl"}
    assert "5321234567" not in str(scrubbed)
    assert "sk_secret1234" not in str(scrubbed) and "api_key=[scrubbed]" in str(scrubbed)
