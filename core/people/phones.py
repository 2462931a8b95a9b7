"""Phone numbers: every common way of writing a mobile number becomes E.164.

`05321234567`, `+90 532 123 45 67` and `5321234567` are the same Turkish mobile.
For accounts, landlines, VoIP numbers and numbers from countries the city does not
serve are refused with a reason a person can act on; a ticket's contact
(core.tickets.contact) may be any valid number.
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

MAX_INPUT_LENGTH = 32
_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


class InvalidPhone(ValueError):
    """The number cannot be used; `str(exc)` says why, in words for the caller."""


def normalize_mobile(raw: str, allowed_countries: tuple[str, ...]) -> str:
    """Return the E.164 form of a mobile number in one of `allowed_countries`."""
    number = _valid_number(raw, allowed_countries)
    region = phonenumbers.region_code_for_number(number)
    if region not in allowed_countries:
        allowed = ", ".join(allowed_countries)
        raise InvalidPhone(
            f"numbers from {region or 'that country'} are not served here ({allowed} only)"
        )
    kind = phonenumbers.number_type(number)
    if kind not in _MOBILE_TYPES:
        raise InvalidPhone(f"a mobile number is needed, this is a {_type_name(kind)} number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_phone(raw: str, allowed_countries: tuple[str, ...]) -> str:
    """The E.164 form of any valid number, landlines and other countries' included
    (written without a country code, it is read as the city's first country's)."""
    number = _valid_number(raw, allowed_countries)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _valid_number(raw: str, allowed_countries: tuple[str, ...]) -> phonenumbers.PhoneNumber:
    value = (raw or "").strip()
    if not value:
        raise InvalidPhone("phone number is empty")
    if len(value) > MAX_INPUT_LENGTH:
        raise InvalidPhone("phone number is too long")
    if any(c.isalpha() for c in value):
        raise InvalidPhone("phone number may contain only digits, spaces, dashes and +")
    default_region = allowed_countries[0] if allowed_countries else None
    try:
        number = phonenumbers.parse(value, default_region)
    except NumberParseException:
        raise InvalidPhone("not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("not a valid phone number")
    return number


@lru_cache(maxsize=4096)
def region_of(e164: str) -> str | None:
    """The country code (e.g. `TR`) of an E.164 number, or None when it cannot be told.

    Remembered: every webhook asks it of the sender, and parsing costs more than the
    rest of a typical message's Python work (a number's country never changes)."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None))
    except NumberParseException:
        return None


def _type_name(kind: int) -> str:
    names = {
        PhoneNumberType.FIXED_LINE: "landline",
        PhoneNumberType.VOIP: "VoIP",
        PhoneNumberType.TOLL_FREE: "toll-free",
        PhoneNumberType.PREMIUM_RATE: "premium-rate",
        PhoneNumberType.SHARED_COST: "shared-cost",
        PhoneNumberType.PAGER: "pager",
        PhoneNumberType.UAN: "corporate",
    }
    return names.get(kind, "non-mobile")
