"""Settings: zero-configuration development defaults and production fail-fast."""

from __future__ import annotations

import pytest

from core.config import (
    DEV_JWT_SECRET,
    DEV_MEDIA_URL_PREFIX,
    DEV_TWILIO_AUTH_TOKEN,
    ConfigError,
    Settings,
)

STRONG_SECRET = "x" * 32


def production(**env: str) -> dict[str, str]:
    return {"APP_ENV": "production", "JWT_SECRET_KEY": STRONG_SECRET, **env}


def test_development_defaults_need_no_configuration() -> None:
    settings = Settings.from_env({}).check()
    assert settings.DATABASE_URL == "postgresql+psycopg://postgres@127.0.0.1:5432/sosoft"
    assert settings.STORAGE_BACKEND == "local"
    assert settings.TWILIO_ENABLED is False
    assert settings.uses_dev_sink
    assert settings.DEFAULT_LOCALE == "tr"
    assert settings.ALLOWED_COUNTRIES == ("TR",)
    assert settings.JWT_SECRET_KEY == DEV_JWT_SECRET


def test_environment_values_are_parsed_by_type() -> None:
    settings = Settings.from_env(
        {
            "PORT": "9000",
            "TWILIO_ENABLED": "yes",
            "ALLOWED_COUNTRIES": "TR, CY",
            "SERVICE_AREA_BBOX": "28.5,40.9,29.5,41.3",
            "SENTRY_DSN": "",
        }
    )
    assert settings.PORT == 9000
    assert settings.TWILIO_ENABLED is True
    assert settings.ALLOWED_COUNTRIES == ("TR", "CY")
    assert settings.SERVICE_AREA_BBOX == (28.5, 40.9, 29.5, 41.3)
    assert settings.SENTRY_DSN is None


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"PORT": "eighty"}, "PORT"),
        ({"TWILIO_ENABLED": "maybe"}, "TWILIO_ENABLED"),
        ({"SERVICE_AREA_BBOX": "1,2,3"}, "SERVICE_AREA_BBOX"),
        ({"SERVICE_AREA_BBOX": "29,41,28,40"}, "SERVICE_AREA_BBOX"),
    ],
)
def test_invalid_values_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env(env)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"JWT_SECRET_KEY": ""}, "JWT_SECRET_KEY"),
        ({"JWT_SECRET_KEY": "too-short"}, "JWT_SECRET_KEY"),
        ({"TWILIO_ENABLED": "true"}, "TWILIO_ACCOUNT_SID"),
        (
            {"TWILIO_ENABLED": "true", "TWILIO_ACCOUNT_SID": "AC1"},
            "TWILIO_AUTH_TOKEN",
        ),
        (
            {"TWILIO_ENABLED": "true", "TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t"},
            "TWILIO_SMS_FROM",
        ),
        ({"STORAGE_BACKEND": "s3"}, "S3_BUCKET"),
        ({"STORAGE_BACKEND": "s3", "S3_BUCKET": "photos"}, "S3_ACCESS_KEY"),
        (
            {"STORAGE_BACKEND": "s3", "S3_BUCKET": "photos", "S3_ACCESS_KEY": "a"},
            "S3_SECRET_KEY",
        ),
    ],
)
def test_production_fails_fast_naming_the_missing_variable(
    env: dict[str, str], variable: str
) -> None:
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env(production(**env)).check()


def test_production_with_everything_set_starts() -> None:
    settings = Settings.from_env(
        production(
            TWILIO_ENABLED="true",
            TWILIO_ACCOUNT_SID="AC1",
            TWILIO_AUTH_TOKEN="token",
            TWILIO_WHATSAPP_FROM="+14155238886",
            STORAGE_BACKEND="s3",
            S3_BUCKET="photos",
            S3_ACCESS_KEY="a",
            S3_SECRET_KEY="b",
        )
    ).check()
    assert settings.is_production
    assert not settings.uses_dev_sink


def test_production_never_gets_the_development_secret() -> None:
    settings = Settings.from_env({"APP_ENV": "production"})
    assert settings.JWT_SECRET_KEY == ""
    assert settings.TWILIO_AUTH_TOKEN == ""
    assert settings.twilio_media_prefix.startswith("https://api.twilio.com/")


def test_development_agrees_on_a_twilio_token_and_a_media_prefix_by_itself() -> None:
    # `flask bot chat` signs with the token the app checks, and serves /photo under
    # the prefix the worker fetches from: no configuration needed.
    settings = Settings.from_env({})
    assert settings.TWILIO_AUTH_TOKEN == DEV_TWILIO_AUTH_TOKEN
    assert settings.twilio_media_prefix == DEV_MEDIA_URL_PREFIX
    own = Settings.from_env({"TWILIO_AUTH_TOKEN": "mine", "TWILIO_MEDIA_URL_PREFIX": "http://x/"})
    assert (own.TWILIO_AUTH_TOKEN, own.twilio_media_prefix) == ("mine", "http://x/")
    # Real Twilio in development, or the test environment: nothing made up.
    real = Settings.from_env({"TWILIO_ENABLED": "true", "TWILIO_ACCOUNT_SID": "AC1"})
    assert real.TWILIO_AUTH_TOKEN == ""
    assert real.twilio_media_prefix.startswith("https://api.twilio.com/")
    assert Settings.from_env({"APP_ENV": "test"}).TWILIO_AUTH_TOKEN == ""


def test_production_refuses_the_development_twilio_token() -> None:
    settings = Settings.from_env(production(TWILIO_AUTH_TOKEN=DEV_TWILIO_AUTH_TOKEN))
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN"):
        settings.check()


def test_the_geocoder_is_off_unless_configured() -> None:
    assert Settings.from_env({}).GEOCODER_URL == ""
    settings = Settings.from_env(
        {"GEOCODER_URL": "https://geo.example", "GEOCODER_TIMEOUT_SECONDS": "3"}
    )
    assert (settings.GEOCODER_URL, settings.GEOCODER_TIMEOUT_SECONDS) == (
        "https://geo.example",
        3.0,
    )


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"APP_ENV": "staging"}, "APP_ENV"),
        ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND"),
        ({"DEFAULT_LOCALE": "de"}, "DEFAULT_LOCALE"),
    ],
)
def test_unknown_choices_are_refused(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env(env).check()
