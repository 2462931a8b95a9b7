"""Helpers for the bot tests: Twilio-signed webhook requests and a simulated phone."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from typing import Any

from twilio.request_validator import RequestValidator

from core.config import Settings

INBOUND = "/bot/twilio/inbound"
STATUS = "/bot/twilio/status"
_sids = itertools.count(1)


def new_sid() -> str:
    return f"SM{next(_sids):032d}"


def sign(settings: Settings, path: str, params: dict[str, str]) -> str:
    url = settings.PUBLIC_BASE_URL.rstrip("/") + path
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(url, params)


def signed_post(client: Any, settings: Settings, path: str, params: dict[str, str]):
    headers = {"X-Twilio-Signature": sign(settings, path, params)}
    return client.post(path, data=params, headers=headers)


def reply_of(response: Any) -> str:
    """The text of the TwiML reply ('' for an empty <Response/>)."""
    root = ET.fromstring(response.get_data(as_text=True))  # noqa: S314 - our own reply
    assert root.tag == "Response"
    return "\n".join(el.text or "" for el in root.iter("Message"))


class Phone:
    """A citizen texting the bot through signed webhook requests."""

    def __init__(
        self,
        client: Any,
        settings: Settings,
        number: str = "+905321234567",
        *,
        channel: str = "whatsapp",
        profile: str | None = "Ayşe",
    ) -> None:
        self.client = client
        self.settings = settings
        self.number = number
        self.channel = channel
        self.profile = profile

    def params(self, body: str = "", **extra: str) -> dict[str, str]:
        sender = f"whatsapp:{self.number}" if self.channel == "whatsapp" else self.number
        params = {
            "MessageSid": extra.pop("MessageSid", None) or new_sid(),
            "AccountSid": self.settings.TWILIO_ACCOUNT_SID,
            "From": sender,
            "To": "whatsapp:+14155238886" if self.channel == "whatsapp" else "+14155238886",
            "Body": body,
            "NumMedia": "0",
        }
        if self.profile and self.channel == "whatsapp":
            params["ProfileName"] = self.profile
        params.update(extra)
        return params

    def post(self, body: str = "", **extra: str):
        return signed_post(self.client, self.settings, INBOUND, self.params(body, **extra))

    def send(self, body: str = "", **extra: str) -> str:
        response = self.post(body, **extra)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "text/xml"
        return reply_of(response)

    def pin(self, lat: float, lon: float, label: str = "") -> str:
        extra = {"Latitude": str(lat), "Longitude": str(lon)}
        if label:
            extra["Label"] = label
        return self.send("", **extra)

    def photo(self, url: str, caption: str = "", content_type: str = "image/jpeg") -> str:
        return self.send(caption, NumMedia="1", MediaUrl0=url, MediaContentType0=content_type)

    def register(self, name: str = "1") -> str:
        self.send("merhaba")
        self.send("EVET")
        return self.send(name)
