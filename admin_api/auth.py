"""`/api/v1/auth`: sign in with a one-time code, refresh and end sessions.

request-otp answers the same for registered and unknown numbers (no account
enumeration): both get a code, which the unknown number can use to register.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from flask import Response, current_app
from flask_limiter.errors import RateLimitExceeded
from flask_smorest import abort

from admin_api.blueprint import ApiBlueprint
from admin_api.schemas.auth import (
    OtpSentSchema,
    RefreshSchema,
    RegisterSchema,
    RequestOtpSchema,
    TokenBundleSchema,
    VerifyOtpSchema,
)
from admin_api.schemas.users import UserSchema
from admin_api.security import current_principal, require
from core.config import Settings
from core.logging_setup import mask_phone
from core.messaging.gateway import GatewayError
from core.models import User
from core.people.otp import OtpRejected, check_code, new_code_message
from core.people.phones import InvalidPhone, normalize_mobile
from core.people.refresh_tokens import RefreshRejected, issue_refresh_token, revoke, rotate
from core.people.tokens import issue_access_token
from core.people.users import create_user, find_by_phone
from web.errors import error_response
from web.request_session import request_session
from web.sign_in_limits import REQUEST_CODE, TRY_CODE, per_ip, per_phone, retry_after_seconds

log = logging.getLogger(__name__)

blp = ApiBlueprint(
    "auth",
    __name__,
    url_prefix="/api/v1/auth",
    description="Sign in with a one-time code sent to a mobile number; refresh; sign out.",
)


def _settings() -> Settings:
    return current_app.config["SOSOFT"]


def _phone_or_422(raw: str) -> str:
    try:
        return normalize_mobile(raw, _settings().ALLOWED_COUNTRIES)
    except InvalidPhone as exc:
        abort(422, message=str(exc), errors={"json": {"phone_number": [str(exc)]}})


# --- rate limits: shared with the console's sign-in (web/sign_in_limits.py) -----------------


@blp.errorhandler(RateLimitExceeded)
def _too_many(exc: RateLimitExceeded) -> Response:
    retry_after = retry_after_seconds()
    return error_response(
        429,
        f"{exc.description}; try again in {retry_after} seconds",
        errors={"retry_after": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


# --- views -------------------------------------------------------------------------------


def _token_bundle(user: User) -> dict[str, Any]:
    settings = _settings()
    session = request_session()
    sign_in = uuid.uuid4()
    access_token, expires_in = issue_access_token(settings, user, sign_in=sign_in)
    refresh_token = issue_refresh_token(session, settings, user, family_id=sign_in)
    user.last_login_at = datetime.now(UTC)
    return {
        "access_token": access_token,
        "refresh_token": refresh_token,
        "token_type": "bearer",
        "expires_in": expires_in,
        "user": user,
    }


def _check_code_or_401(phone: str, code: str, *, consume: bool) -> None:
    session = request_session()
    try:
        check_code(session, _settings(), phone, code, consume=consume)
    except OtpRejected as exc:
        session.commit()  # the wrong try must count
        abort(401, message=str(exc))


@blp.route("/request-otp", methods=["POST"])
@per_phone("OTP_RATE_LIMIT_PHONE", REQUEST_CODE)
@per_ip("OTP_RATE_LIMIT_IP", REQUEST_CODE)
@blp.arguments(RequestOtpSchema)
@blp.response(202, OtpSentSchema)
@blp.alt_response(429, response=HTTPStatus(429).name)
@blp.alt_response(503, response=HTTPStatus(503).name)
def request_otp(body: dict[str, Any]) -> dict[str, Any]:
    """Send a 6-digit sign-in code to a mobile number (registered or not)."""
    settings = _settings()
    phone = _phone_or_422(body["phone_number"])
    session = request_session()
    message = new_code_message(session, settings, phone)
    session.commit()
    try:
        current_app.extensions["sosoft.gateway"].send(message)
    except GatewayError as exc:
        log.warning("sign-in code to %s not sent: %s", mask_phone(phone), exc)
        abort(503, message="the code could not be sent right now; try again in a minute")
    log.info("sign-in code sent to %s by %s", mask_phone(phone), message.channel)
    return {
        "message": "If the number can receive messages, a code is on its way.",
        "expires_in": settings.OTP_TTL_SECONDS,
    }


@blp.route("/verify-otp", methods=["POST"])
@per_phone("OTP_VERIFY_RATE_LIMIT_PHONE", TRY_CODE)
@per_ip("OTP_VERIFY_RATE_LIMIT_IP", TRY_CODE)
@blp.arguments(VerifyOtpSchema)
@blp.response(200, TokenBundleSchema)
@blp.alt_response(401, response=HTTPStatus(401).name)
@blp.alt_response(403, response=HTTPStatus(403).name)
@blp.alt_response(404, response=HTTPStatus(404).name)
@blp.alt_response(429, response=HTTPStatus(429).name)
def verify_otp(body: dict[str, Any]) -> dict[str, Any]:
    """Exchange a code for tokens. An unknown number gets 404: register with the same code."""
    phone = _phone_or_422(body["phone_number"])
    session = request_session()
    user = find_by_phone(session, phone)
    # Unknown numbers keep their code for /register; it is checked either way so the
    # answer only tells whoever holds the code that the number has no account.
    _check_code_or_401(phone, body["code"], consume=user is not None)
    if user is None:
        abort(404, message="no account for this number; call /api/v1/auth/register with this code")
    if not user.is_active:
        session.commit()
        abort(403, message="this account is deactivated")
    bundle = _token_bundle(user)
    session.commit()
    log.info("user %s signed in", user.id)
    return bundle


@blp.route("/register", methods=["POST"])
@per_phone("OTP_VERIFY_RATE_LIMIT_PHONE", TRY_CODE)
@per_ip("OTP_VERIFY_RATE_LIMIT_IP", TRY_CODE)
@blp.arguments(RegisterSchema)
@blp.response(201, TokenBundleSchema)
@blp.alt_response(401, response=HTTPStatus(401).name)
@blp.alt_response(409, response=HTTPStatus(409).name)
@blp.alt_response(429, response=HTTPStatus(429).name)
def register(body: dict[str, Any]) -> dict[str, Any]:
    """Create a citizen account with a code sent to the number (staff are added by managers)."""
    phone = _phone_or_422(body["phone_number"])
    session = request_session()
    _check_code_or_401(phone, body["otp_code"], consume=True)
    if find_by_phone(session, phone) is not None:
        session.commit()
        abort(409, message="this number already has an account; sign in with verify-otp")
    full_name = body["full_name"].strip()
    if not full_name:
        abort(422, message="full_name is empty", errors={"json": {"full_name": ["is empty"]}})
    user = create_user(
        session, _settings(), phone=phone, full_name=full_name, locale=body["locale"]
    )
    bundle = _token_bundle(user)
    session.commit()
    log.info("citizen %s registered", user.id)
    return bundle


@blp.route("/refresh", methods=["POST"])
@per_ip("REFRESH_RATE_LIMIT_IP", "refresh")
@blp.arguments(RefreshSchema)
@blp.response(200, TokenBundleSchema)
@blp.alt_response(401, response=HTTPStatus(401).name)
def refresh(body: dict[str, Any]) -> dict[str, Any]:
    """Trade a refresh token (once) for a new access and refresh token."""
    settings = _settings()
    session = request_session()
    try:
        user, refresh_token, sign_in = rotate(session, settings, body["refresh_token"])
    except RefreshRejected as exc:
        session.commit()  # a reused token has just revoked its family
        abort(401, message=str(exc))
    access_token, expires_in = issue_access_token(settings, user, sign_in=sign_in)
    session.commit()
    return {
        "access_token": access_token,
        "refresh_token": refresh_token,
        "token_type": "bearer",
        "expires_in": expires_in,
        "user": user,
    }


@blp.route("/logout", methods=["POST"])
@blp.arguments(RefreshSchema)
@blp.response(204)
def logout(body: dict[str, Any]) -> None:
    """End the session of a refresh token (its whole family, and the access tokens issued
    with it). Unknown tokens are ignored."""
    session = request_session()
    if revoke(session, _settings(), body["refresh_token"]):
        session.commit()


@blp.route("/me", methods=["GET"])
@require()
@blp.response(200, UserSchema)
@blp.alt_response(403, response=HTTPStatus(403).name)
def me() -> User:
    """The signed-in user."""
    user = current_principal().user
    if user is None:
        abort(403, message="an API key has no user profile")
    return user
