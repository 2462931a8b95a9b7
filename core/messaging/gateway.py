"""The messaging gateway: outbound SMS and WhatsApp.

`TwilioGateway` sends through Twilio's REST API; `DevSinkGateway` records messages in
Redis instead (development, tests, demos), where `GET /dev/messages` shows them. Callers
(the notifier task) depend only on `MessagingGateway.send` and on `GatewayError.retryable`
to choose between retrying later and giving up.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

import requests
from redis import Redis
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from core.config import Settings
from core.logging_setup import mask_phone, mask_phones

logger = logging.getLogger(__name__)

Channel = Literal["sms", "whatsapp"]
DEV_MESSAGES_KEY = "sosoft:dev:messages"
DEV_MESSAGES_KEEP = 500

# Twilio codes that mean "not now" rather than "never": 20429 too many requests,
# 63018 WhatsApp sender rate limit.
_RETRYABLE_CODES = {20429, 63018}
_WHATSAPP_PREFIX = "whatsapp:"


@dataclass(frozen=True)
class OutboundMessage:
    to: str
    channel: Channel
    body: str | None = None
    content_sid: str | None = None
    content_variables: dict[str, Any] | None = None
    status_callback: str | None = None
    media_urls: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.channel not in ("sms", "whatsapp"):
            raise ValueError(f"unknown channel {self.channel!r}")
        if not (self.body or self.content_sid or self.media_urls):
            raise ValueError("a message needs a body, a content_sid or media")


@dataclass(frozen=True)
class SendResult:
    sid: str
    status: str


class GatewayError(Exception):
    """Sending failed. The message never contains the recipient's number."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        http_status: int | None = None,
        retryable: bool = False,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.http_status = http_status
        self.retryable = retryable


class MessagingGateway(Protocol):
    def send(self, msg: OutboundMessage) -> SendResult: ...


def _strip_whatsapp(address: str) -> str:
    return address.removeprefix(_WHATSAPP_PREFIX)


class TwilioGateway:
    """Sends through Twilio's Messages API, with a timeout on every request."""

    def __init__(self, settings: Settings) -> None:
        self.sms_from = settings.TWILIO_SMS_FROM
        whatsapp_from = _strip_whatsapp(settings.TWILIO_WHATSAPP_FROM)
        self.whatsapp_from = f"{_WHATSAPP_PREFIX}{whatsapp_from}" if whatsapp_from else ""
        self.client = Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            http_client=TwilioHttpClient(timeout=settings.TWILIO_TIMEOUT_SECONDS),
        )
        # The client picks up TWILIO_EDGE/TWILIO_REGION from os.environ and would rewrite
        # the host behind our back; TWILIO_API_BASE_URL is the one place the host is set.
        self.client.edge = None
        self.client.region = None
        # twilio-python 9 builds every Messages URL from the Api domain's base_url
        # (`Domain.absolute_url`), so this one assignment points it at a test double,
        # a proxy or a regional host.
        self.client.api.base_url = settings.TWILIO_API_BASE_URL.rstrip("/")

    def _addresses(self, msg: OutboundMessage) -> tuple[str, str]:
        if msg.channel == "whatsapp":
            sender, to = self.whatsapp_from, f"{_WHATSAPP_PREFIX}{_strip_whatsapp(msg.to)}"
        else:
            sender, to = self.sms_from, msg.to
        if not sender:
            setting = "TWILIO_WHATSAPP_FROM" if msg.channel == "whatsapp" else "TWILIO_SMS_FROM"
            raise GatewayError(f"{setting} is not set; cannot send {msg.channel}")
        return sender, to

    def send(self, msg: OutboundMessage) -> SendResult:
        sender, to = self._addresses(msg)
        params: dict[str, Any] = {"to": to, "from_": sender}
        if msg.content_sid:
            params["content_sid"] = msg.content_sid
            if msg.content_variables is not None:
                params["content_variables"] = json.dumps(msg.content_variables)
        else:
            params["body"] = msg.body
        if msg.status_callback:
            params["status_callback"] = msg.status_callback
        if msg.media_urls:
            params["media_url"] = list(msg.media_urls)
        try:
            created = self.client.messages.create(**params)
        except (TwilioRestException, TwilioServiceException) as exc:
            raise _from_twilio(exc) from None
        except requests.RequestException as exc:
            raise _from_transport(exc) from None
        return SendResult(sid=str(created.sid), status=str(created.status or "queued"))


def _from_twilio(exc: TwilioRestException | TwilioServiceException) -> GatewayError:
    status = int(exc.status) if exc.status is not None else None
    code = int(exc.code) if exc.code is not None else None
    retryable = code in _RETRYABLE_CODES or status == 429 or (status is not None and status >= 500)
    # Twilio's messages quote the number ("The 'To' number +90... is not valid").
    detail = exc.msg if isinstance(exc, TwilioRestException) else exc.title
    return GatewayError(
        f"Twilio error {code} (HTTP {status}): {mask_phones(str(detail))}",
        code=code,
        http_status=status,
        retryable=retryable,
    )


def _from_transport(exc: requests.RequestException) -> GatewayError:
    # The request may or may not have reached Twilio; retrying is still the right call
    # for timeouts and dropped connections. Anything else (a malformed URL) is config.
    retryable = isinstance(
        exc, requests.Timeout | requests.ConnectionError | requests.exceptions.ChunkedEncodingError
    )
    return GatewayError(f"Twilio unreachable: {type(exc).__name__}", retryable=retryable)


class DevSinkGateway:
    """Records outbound messages in a Redis list instead of sending them.

    Redis, not process memory, so the web process can show what the worker "sent".
    """

    def __init__(
        self,
        settings: Settings,
        redis_client: Redis,
        *,
        list_key: str = DEV_MESSAGES_KEY,
        keep: int = DEV_MESSAGES_KEEP,
    ) -> None:
        self.settings = settings
        self.redis = redis_client
        self.list_key = list_key
        self.keep = keep

    def send(self, msg: OutboundMessage) -> SendResult:
        record = {
            "sid": f"SMdev{uuid.uuid4().hex}",
            "to": msg.to,
            "channel": msg.channel,
            "body": msg.body,
            "content_sid": msg.content_sid,
            "content_variables": msg.content_variables,
            "media_urls": list(msg.media_urls),
            "created_at": datetime.now(UTC).isoformat(),
        }
        with self.redis.pipeline() as pipe:
            pipe.lpush(self.list_key, json.dumps(record, ensure_ascii=False))
            pipe.ltrim(self.list_key, 0, self.keep - 1)
            pipe.execute()
        # Length only: bodies carry one-time sign-in codes.
        logger.info(
            "dev sink recorded %s message %s to %s (%d chars)",
            msg.channel,
            record["sid"],
            mask_phone(msg.to),
            len(msg.body or ""),
        )
        return SendResult(sid=record["sid"], status="sent")

    def list_messages(self, limit: int = 100) -> list[dict[str, Any]]:
        """Recorded messages, newest first."""
        if limit <= 0:
            return []
        return [json.loads(raw) for raw in self.redis.lrange(self.list_key, 0, limit - 1)]

    def clear(self) -> None:
        """Forget the recorded messages; skipped ones from before now are no longer listed."""
        with self.redis.pipeline() as pipe:
            pipe.delete(self.list_key)
            pipe.set(f"{self.list_key}:cleared_at", datetime.now(UTC).isoformat())
            pipe.execute()

    def cleared_at(self) -> datetime | None:
        raw = self.redis.get(f"{self.list_key}:cleared_at")
        if not raw:
            return None
        return datetime.fromisoformat(raw if isinstance(raw, str) else raw.decode())


def make_gateway(settings: Settings, redis_client: Redis) -> MessagingGateway:
    if settings.TWILIO_ENABLED:
        return TwilioGateway(settings)
    return DevSinkGateway(settings, redis_client)


# --- SMS segments ---------------------------------------------------------------------
# GSM 03.38 default alphabet (basic table, 1 septet each). Note Ç is in it but ç is not.
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: sent as ESC + char, so each costs 2 septets.
_GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
_GSM7_SINGLE, _GSM7_PART = 160, 153
_UCS2_SINGLE, _UCS2_PART = 70, 67


def _pack(unit_costs: list[int], single: int, part: int) -> int:
    if sum(unit_costs) <= single:
        return 1
    # Parts never split a character (an ESC pair or a surrogate pair), so pack greedily.
    parts, used = 1, 0
    for cost in unit_costs:
        if used + cost > part:
            parts, used = parts + 1, 0
        used += cost
    return parts


def segments(body: str) -> int:
    """How many SMS segments `body` is billed and throttled as (1 for an empty body)."""
    if all(ch in _GSM7_BASIC or ch in _GSM7_EXTENSION for ch in body):
        costs = [2 if ch in _GSM7_EXTENSION else 1 for ch in body]
        return _pack(costs, _GSM7_SINGLE, _GSM7_PART)
    # UCS-2 on the wire is UTF-16: characters outside the BMP (emoji) take two units.
    costs = [2 if ord(ch) > 0xFFFF else 1 for ch in body]
    return _pack(costs, _UCS2_SINGLE, _UCS2_PART)
