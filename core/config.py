"""Every setting SoSoft reads, from the environment, in one place.

Development defaults work with zero configuration (local PostgreSQL, local Redis,
photos on local disk, outbound messages recorded instead of sent). In production
(`APP_ENV=production`) `Settings.check()` refuses to start without the secrets and
credentials the chosen backends need, naming the missing variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

# Development only: production refuses to start without its own JWT_SECRET_KEY.
DEV_JWT_SECRET = "development-only-secret-change-me-0123456789"  # noqa: S105
# Development only (APP_ENV=development, no TWILIO_AUTH_TOKEN set): the app checks
# webhook signatures with this token and `flask bot chat` signs with it, so the
# simulator works with no configuration. Never used in production or by real Twilio.
DEV_TWILIO_AUTH_TOKEN = "development-only-twilio-token"  # noqa: S105
# Development only: where `flask bot chat` serves the photos it sends (`/photo`), and
# so the media prefix the worker fetches from when TWILIO_MEDIA_URL_PREFIX is unset.
DEV_MEDIA_URL_PREFIX = "http://127.0.0.1:8765/media/"


class ConfigError(RuntimeError):
    """A setting is missing or invalid; the message names the variable."""


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _bbox(value: str) -> tuple[float, float, float, float]:
    parts = tuple(float(part) for part in value.split(","))
    if len(parts) != 4:
        raise ValueError("expected minLon,minLat,maxLon,maxLat")
    min_lon, min_lat, max_lon, max_lat = parts
    if not (min_lon < max_lon and min_lat < max_lat):
        raise ValueError("min must be below max")
    return parts  # type: ignore[return-value]


_PARSERS: dict[Any, Any] = {
    "str": str,
    "int": int,
    "float": float,
    "bool": _bool,
    "tuple[str, ...]": _csv,
    "tuple[float, float, float, float]": _bbox,
    "str | None": lambda v: v or None,
}


@dataclass(frozen=True)
class Settings:
    # --- runtime ---------------------------------------------------------------
    APP_ENV: str = "development"
    LOG_LEVEL: str = "INFO"
    SENTRY_DSN: str | None = None
    PORT: int = 8000
    PUBLIC_BASE_URL: str = "http://127.0.0.1:8000"
    # How many reverse proxies stand in front of the web process. Their
    # X-Forwarded-For/-Proto are trusted that many hops deep, so per-IP rate limits
    # count real clients rather than the proxy. 0: use the socket's address.
    TRUSTED_PROXY_COUNT: int = 0
    DATABASE_URL: str = "postgresql+psycopg://postgres@127.0.0.1:5432/sosoft"
    DATABASE_POOL_SIZE: int = 5
    # A pooled connection idle this long is pinged before use (0: before every use).
    DATABASE_PING_AFTER_IDLE_SECONDS: float = 5.0
    # Longest wait for a new database connection before the request is answered 503.
    DATABASE_CONNECT_TIMEOUT_SECONDS: int = 5
    REDIS_URL: str = "redis://127.0.0.1:6379/0"
    MAX_CONTENT_LENGTH_MB: int = 55

    # --- the city ------------------------------------------------------------------
    DEFAULT_LOCALE: str = "tr"
    ALLOWED_COUNTRIES: tuple[str, ...] = ("TR",)
    CITY_TIMEZONE: str = "Europe/Istanbul"
    # Istanbul province; tickets outside it are refused.
    SERVICE_AREA_BBOX: tuple[float, float, float, float] = (27.95, 40.78, 29.95, 41.60)
    # A Nominatim-compatible geocoder for typed addresses (its base URL; `/search` is
    # added). Empty: nothing is called, addresses are placed by district name only.
    GEOCODER_URL: str = ""
    GEOCODER_TIMEOUT_SECONDS: float = 5.0

    # --- sign-in -------------------------------------------------------------------
    JWT_SECRET_KEY: str = ""
    JWT_ISSUER: str = "sosoft"
    JWT_AUDIENCE: str = "sosoft-api"
    ACCESS_TOKEN_MINUTES: int = 15
    REFRESH_TOKEN_DAYS: int = 30
    # A refresh token used again this soon (two tabs refreshing at once) gets another
    # token of its sign-in; used again later, it ends every session of that sign-in.
    REFRESH_REUSE_GRACE_SECONDS: int = 10
    OTP_TTL_SECONDS: int = 300
    OTP_MAX_ATTEMPTS: int = 5
    OTP_RATE_LIMIT_PHONE: str = "1 per 30 seconds;5 per hour;10 per day"
    OTP_RATE_LIMIT_IP: str = "20 per hour"
    OTP_VERIFY_RATE_LIMIT_PHONE: str = "10 per 5 minutes;30 per day"
    OTP_VERIFY_RATE_LIMIT_IP: str = "60 per hour"
    REFRESH_RATE_LIMIT_IP: str = "120 per hour"
    RATELIMIT_ENABLED: bool = True
    # The staff console (/console/): how long a browser stays signed in, how often its
    # pages ask for news, and the map tiles (a URL with {z}/{x}/{y}; empty: no tiles,
    # the maps draw their points on a plain background).
    CONSOLE_SESSION_HOURS: int = 12
    CONSOLE_POLL_SECONDS: int = 20
    CONSOLE_TILE_URL: str = ""
    CONSOLE_TILE_ATTRIBUTION: str = ""

    # --- Twilio ----------------------------------------------------------------------
    TWILIO_ENABLED: bool = False
    TWILIO_ACCOUNT_SID: str = ""
    TWILIO_AUTH_TOKEN: str = ""
    TWILIO_SMS_FROM: str = ""
    TWILIO_WHATSAPP_FROM: str = ""
    TWILIO_API_BASE_URL: str = "https://api.twilio.com"
    TWILIO_MEDIA_URL_PREFIX: str = ""
    TWILIO_TIMEOUT_SECONDS: float = 10.0
    TWILIO_VALIDATE_SIGNATURE: bool = True
    # Twilio's connection overrides, the fragment of our webhook URLs (put on the status
    # callback URL we send, and on the inbound URL by the city, README): with a 5xx in
    # `rp` Twilio retries a webhook answered 503 while the database is away.
    TWILIO_CONNECTION_OVERRIDES: str = "rc=3&rp=ct,5xx"
    TWILIO_TEMPLATE_STATUS_UPDATE: str = ""
    TWILIO_TEMPLATE_FEEDBACK_REQUEST: str = ""
    TWILIO_TEMPLATE_ADDRESS_LOOKUP: str = ""
    TWILIO_TEMPLATE_SLA_ALERT: str = ""
    # WhatsApp authentication template (content SID, variable "1" = the code); needed to
    # send sign-in codes by WhatsApp outside the 24-hour window.
    TWILIO_TEMPLATE_OTP: str = ""
    SMS_MESSAGES_PER_SECOND: float = 1.0
    WHATSAPP_MESSAGES_PER_SECOND: float = 50.0
    # Delivery: ~6 tries with exponential backoff (base × 2^n, jittered) for retryable
    # errors; a row claimed by a worker that died is retried after SENDING_STALE_SECONDS.
    SEND_MAX_ATTEMPTS: int = 6
    SEND_RETRY_BASE_SECONDS: float = 4.0
    SEND_RETRY_MAX_SECONDS: float = 600.0
    SEND_RATE_MAX_WAIT_SECONDS: float = 10.0
    SENDING_STALE_SECONDS: int = 300

    # --- photos ------------------------------------------------------------------------
    STORAGE_BACKEND: str = "local"
    MEDIA_DIR: str = "var/media"
    MEDIA_URL_TTL_SECONDS: int = 900
    S3_ENDPOINT_URL: str = ""
    S3_BUCKET: str = ""
    S3_ACCESS_KEY: str = ""
    S3_SECRET_KEY: str = ""
    S3_REGION: str = "us-east-1"

    # --- Open311 GeoReport v2 ------------------------------------------------------------
    # Per API key, on POST requests.
    OPEN311_RATE_LIMIT: str = "30 per minute;1000 per day"
    OPEN311_CONTACT: str = "SoSoft Open311 desk: open311@example.org"
    OPEN311_KEY_SERVICE: str = (
        "Ask the city's SoSoft manager for an API key with the open311:write scope"
    )
    # Empty: a single-jurisdiction endpoint that ignores jurisdiction_id; set it to refuse others.
    OPEN311_JURISDICTION_ID: str = ""
    # "Filed for you" texts to one number in 24 hours (only to citizens who consented
    # in the chat; see core/tickets/contact.py).
    OPEN311_TEXTS_PER_NUMBER_PER_DAY: int = 3

    # --- the bot and the sweeps --------------------------------------------------------
    CONVERSATION_TIMEOUT_MINUTES: int = 30
    DUPLICATE_RADIUS_M: int = 50
    # Fractions allowed (the soak suite closes tickets a minute after resolution).
    AUTO_CLOSE_DAYS: float = 7
    REOPEN_WINDOW_DAYS: int = 14
    RETENTION_DAYS: int = 730
    OUTBOX_RELAY_AFTER_SECONDS: int = 60
    # How often beat runs each sweep (tasks/celery_app.py). Production keeps the
    # defaults; tests/soak_harness.py shortens them so every schedule fires in minutes.
    OUTBOX_RELAY_INTERVAL_SECONDS: float = 60.0
    MEDIA_RELAY_INTERVAL_SECONDS: float = 60.0
    CONVERSATION_EXPIRY_INTERVAL_SECONDS: float = 60.0
    SLA_SWEEP_INTERVAL_SECONDS: float = 60.0
    AUTO_CLOSE_INTERVAL_SECONDS: float = 900.0
    # Retention runs daily by default; a crontab line in UTC (minute hour day month weekday).
    RETENTION_CRON: str = "30 3 * * *"

    # --- analytics and exports ---------------------------------------------------------
    # How often beat folds changed days into the analytics rollup (answers are exact
    # either way; this keeps the part computed live small).
    ANALYTICS_REFRESH_SECONDS: int = 60
    # Hotspots may be this old (beat retakes them every ANALYTICS_REFRESH_SECONDS when
    # open tickets changed); 0: only answers equal to the live one.
    HOTSPOTS_MAX_AGE_SECONDS: int = 120
    # How often beat brings the default heatmaps (the city, the default period, no
    # filters) up to date in Redis, so a freshly started web process's first map reads
    # them rather than counting a month (core/analytics/map_upkeep.py); 0: never.
    HEATMAP_PRECOMPUTE_SECONDS: float = 60.0
    # Which of them, `shape:metres` each: the console's map and the API's default
    # (hex 250 m) and the common sizes, 250 m to 1 km in both shapes (a filtered map on
    # any of them starts from its cube: core/analytics/cell_cube.py).
    HEATMAP_PRECOMPUTED: tuple[str, ...] = (
        "hex:250", "square:500", "square:250", "hex:1000", "hex:500", "square:1000",
    )  # fmt: skip
    # Lifetime of a finished background export's download link.
    EXPORT_URL_TTL_SECONDS: int = 900
    # A finished background export's file is deleted this long after it was built.
    EXPORT_KEEP_HOURS: int = 24

    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read every field from `environ` (default `os.environ`); `overrides` win."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            raw = environ.get(f.name)
            if raw is None:
                continue
            parser = _PARSERS[f.type]
            try:
                values[f.name] = parser(raw)
            except ValueError as exc:
                raise ConfigError(f"{f.name} is invalid: {exc}") from None
        values.update(overrides)
        settings = cls(**values)
        if not settings.JWT_SECRET_KEY and not settings.is_production:
            settings = settings.replace(JWT_SECRET_KEY=DEV_JWT_SECRET)
        if (
            not settings.TWILIO_AUTH_TOKEN
            and settings.is_development
            and not settings.TWILIO_ENABLED
        ):
            settings = settings.replace(TWILIO_AUTH_TOKEN=DEV_TWILIO_AUTH_TOKEN)
        return settings

    def replace(self, **changes: Any) -> Settings:
        current = {f.name: getattr(self, f.name) for f in fields(self)}
        current.update(changes)
        return type(self)(**current)

    @property
    def is_production(self) -> bool:
        return self.APP_ENV == "production"

    @property
    def is_development(self) -> bool:
        return self.APP_ENV == "development"

    @property
    def uses_dev_sink(self) -> bool:
        """True when outbound messages are recorded rather than sent."""
        return not self.TWILIO_ENABLED

    @property
    def twilio_media_prefix(self) -> str:
        if self.TWILIO_MEDIA_URL_PREFIX:
            return self.TWILIO_MEDIA_URL_PREFIX
        if self.is_development and not self.TWILIO_ENABLED:
            return DEV_MEDIA_URL_PREFIX
        base = self.TWILIO_API_BASE_URL.rstrip("/")
        return f"{base}/2010-04-01/Accounts/{self.TWILIO_ACCOUNT_SID}/Messages/"

    def twilio_webhook_url(self, path: str) -> str:
        """The public URL of one of our webhooks (`path` with any query) as Twilio is
        told to call it, connection overrides included."""
        url = self.PUBLIC_BASE_URL.rstrip("/") + path
        overrides = self.TWILIO_CONNECTION_OVERRIDES.strip().lstrip("#")
        return f"{url}#{overrides}" if overrides else url

    def check(self) -> Settings:
        """Fail fast on settings that would break at runtime; returns self."""
        if self.APP_ENV not in {"development", "test", "production"}:
            raise ConfigError("APP_ENV must be development, test or production")
        if self.STORAGE_BACKEND not in {"local", "s3"}:
            raise ConfigError("STORAGE_BACKEND must be local or s3")
        if self.DEFAULT_LOCALE not in {"tr", "en"}:
            raise ConfigError("DEFAULT_LOCALE must be tr or en")
        if not self.ALLOWED_COUNTRIES:
            raise ConfigError("ALLOWED_COUNTRIES must name at least one country")
        if len(self.RETENTION_CRON.split()) != 5:
            raise ConfigError("RETENTION_CRON must be five fields: minute hour day month weekday")
        for entry in self.HEATMAP_PRECOMPUTED:
            shape, _, metres = entry.partition(":")
            if shape not in {"hex", "square"} or not metres.replace(".", "", 1).isdigit():
                raise ConfigError(
                    f"HEATMAP_PRECOMPUTED: {entry!r} is not hex:<metres> or square:<metres>"
                )
        if not self.is_production:
            return self
        if not self.JWT_SECRET_KEY:
            raise ConfigError("JWT_SECRET_KEY must be set in production")
        if self.TWILIO_AUTH_TOKEN == DEV_TWILIO_AUTH_TOKEN:
            raise ConfigError("TWILIO_AUTH_TOKEN is the development token; set the real one")
        if len(self.JWT_SECRET_KEY.encode()) < 32:
            raise ConfigError("JWT_SECRET_KEY must be at least 32 bytes in production")
        if self.TWILIO_ENABLED:
            for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"):
                if not getattr(self, name):
                    raise ConfigError(f"{name} must be set when TWILIO_ENABLED=true")
            if not (self.TWILIO_SMS_FROM or self.TWILIO_WHATSAPP_FROM):
                raise ConfigError(
                    "TWILIO_SMS_FROM or TWILIO_WHATSAPP_FROM must be set when TWILIO_ENABLED=true"
                )
        if self.STORAGE_BACKEND == "s3":
            for name in ("S3_BUCKET", "S3_ACCESS_KEY", "S3_SECRET_KEY"):
                if not getattr(self, name):
                    raise ConfigError(f"{name} must be set when STORAGE_BACKEND=s3")
        return self
