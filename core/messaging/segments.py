"""How many paid SMS segments a text takes.

A text in the GSM 7-bit alphabet fits 160 characters in one segment, 153 a segment
when split (the extension characters `^{}\\[~]|€` count twice); one character
outside it (ç, ğ, ı, İ, ş, an emoji) makes the whole text UCS-2: 70 in one segment,
67 a segment when split, counted in UTF-16 code units.
"""

from __future__ import annotations

import math

# GSM 03.38 basic character set (the line feed and carriage return included).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
MAX_SEGMENTS = 3


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def sms_segments(text: str) -> int:
    if not text:
        return 1
    if is_gsm7(text):
        septets = sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
        return 1 if septets <= 160 else math.ceil(septets / 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


def fits_sms(text: str, segments: int = MAX_SEGMENTS) -> bool:
    return sms_segments(text) <= segments
