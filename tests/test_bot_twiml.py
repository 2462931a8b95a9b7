"""The webhook's TwiML is written directly (bot/receive.py); it must be byte for byte
what the twilio library's MessagingResponse writes, whatever the reply holds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.twiml.messaging_response import MessagingResponse

from bot.receive import EMPTY_TWIML, twiml


def _library(text: str) -> str:
    response = MessagingResponse()
    response.message(text)
    return str(response)


def test_tricky_replies_match_the_library() -> None:
    for text in (
        "Bildirim #1234 alındı. <b>&amp;</b> \"tırnak\" 'tek' > < &",
        "{0} {name} %s \\n",
        "satır\nsatır\r\nsekme\t🚧 İıŞşĞğ",
        "]]> <![CDATA[ x ]]>",
    ):
        assert twiml(text) == _library(text)


@settings(max_examples=300, derandomize=True)
@given(st.text(min_size=1))
def test_any_reply_matches_the_library(text: str) -> None:
    assert twiml(text) == _library(text)


def test_nothing_to_say_is_an_empty_response() -> None:
    assert twiml(None) == twiml("") == EMPTY_TWIML == str(MessagingResponse())
