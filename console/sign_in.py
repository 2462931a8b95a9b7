"""Signing in to the console: a phone number, then the one-time code sent to it,
under the same code rules and the same rate limits as the API's sign-in."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Response, current_app, redirect, render_template, request, url_for

from console.blueprint import bp, settings
from console.i18n import error_page, t
from console.session import forget_browser, session_cookie_token, sign_in_browser, signed_in_user
from core.logging_setup import mask_phone
from core.messaging.gateway import GatewayError
from core.models.people import LOCALES
from core.people.console_sessions import end_session, may_use_console
from core.people.otp import OtpRejected, check_code, new_code_message
from core.people.phones import InvalidPhone, normalize_mobile
from core.people.users import find_by_phone
from web.request_session import request_session
from web.sign_in_limits import REQUEST_CODE, TRY_CODE, per_ip, per_phone

log = logging.getLogger(__name__)


def _safe_next(target: str | None) -> str:
    """Only a console path: never a redirect to another site."""
    if target and target.startswith("/console/") and not target.startswith("//"):
        return target
    return url_for("console.inbox")


def _form(step: str = "phone", *, phone: str = "", error: str | None = None, status: int = 200):
    page = render_template(
        "sign_in.html", step=step, phone=phone, error=error, next=request.values.get("next", "")
    )
    return page, status


def _phone_from_form() -> tuple[str, str | None]:
    """The number as typed, and as E.164 (None when it is no mobile we accept)."""
    raw = request.form.get("phone_number", "")
    try:
        return raw, normalize_mobile(raw, settings().ALLOWED_COUNTRIES)
    except InvalidPhone:
        return raw, None


@bp.get("/sign-in")
def sign_in_form():
    return _form()


@bp.post("/sign-in/code")
@per_phone("OTP_RATE_LIMIT_PHONE", REQUEST_CODE)
@per_ip("OTP_RATE_LIMIT_IP", REQUEST_CODE)
def request_code():
    """Send a code to the number (registered or not: the answer is the same)."""
    raw, phone = _phone_from_form()
    if phone is None:
        return _form(phone=raw, error=t("sign_in.bad_phone"), status=422)
    session = request_session()
    message = new_code_message(session, settings(), phone)
    session.commit()
    try:
        current_app.extensions["sosoft.gateway"].send(message)
    except GatewayError as exc:
        log.warning("console sign-in code to %s not sent: %s", mask_phone(phone), exc)
        return error_page(503, "sign_in.not_sent")
    return _form("code", phone=phone)


@bp.post("/sign-in/verify")
@per_phone("OTP_VERIFY_RATE_LIMIT_PHONE", TRY_CODE)
@per_ip("OTP_VERIFY_RATE_LIMIT_IP", TRY_CODE)
def verify_code():
    raw, phone = _phone_from_form()
    if phone is None:
        return _form(phone=raw, error=t("sign_in.bad_phone"), status=422)
    session = request_session()
    user = find_by_phone(session, phone)
    code = request.form.get("code", "").strip()
    try:
        check_code(session, settings(), phone, code, consume=user is not None)
    except OtpRejected as exc:
        session.commit()  # the wrong try must count
        log.info("console sign-in refused for %s: %s", mask_phone(phone), exc)
        return _form("code", phone=phone, error=t("sign_in.wrong_code"), status=401)
    if not may_use_console(user):
        session.commit()
        key = "sign_in.deactivated" if user is not None and user.is_staff else "sign_in.staff_only"
        return error_page(403, key)
    response = redirect(_safe_next(request.form.get("next")))
    sign_in_browser(response, user)
    user.last_login_at = datetime.now(UTC)
    session.commit()
    log.info("user %s signed in to the console", user.id)
    return response


@bp.post("/sign-out")
def sign_out() -> Response:
    session = request_session()
    end_session(session, settings(), session_cookie_token())
    session.commit()
    response = redirect(url_for("console.sign_in_form"))
    forget_browser(response)
    return response


@bp.post("/language")
def choose_language() -> Response:
    """The signed-in user's language, for the console and for what SoSoft sends them."""
    wanted = request.form.get("locale", "")
    if wanted in LOCALES:
        signed_in_user().locale = wanted
        request_session().commit()
    return redirect(_safe_next(request.form.get("next")))
