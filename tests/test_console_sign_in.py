"""The console's door: staff sign in by phone and code, under the API's own limits;
a server-side session in an HttpOnly SameSite cookie; CSRF on every form; sign-out
and deactivation end the session on the next request; citizens never get in."""

from __future__ import annotations

import json

from flask import Response
from sqlalchemy import select

from console.i18n import CATALOG_DIR
from console.session import set_session_cookie
from core.models import OtpCode
from tests.auth_helpers import REQUEST_OTP
from tests.console_support import SIGN_IN, console_sign_in, csrf_of, request_console_code

INBOX = "/console/inbox"


def test_a_page_without_a_session_sends_to_sign_in(client) -> None:
    response = client.get(INBOX)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(SIGN_IN)


def test_support_signs_in_with_a_code_and_the_cookie_is_httponly_and_lax(client, make_user) -> None:
    support = make_user("support")
    response = console_sign_in(client, support.phone)
    assert response.status_code == 302 and response.headers["Location"] == INBOX
    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("sosoft_console=")
    )
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/console/" in cookie
    assert "Secure" not in cookie  # only in production
    assert client.get(INBOX).status_code == 200


def test_the_session_cookie_is_secure_in_production(settings) -> None:
    response = Response()
    set_session_cookie(response, "token", settings.replace(APP_ENV="production"))
    assert "Secure" in response.headers["Set-Cookie"]


def test_a_citizen_is_refused(client, make_user) -> None:
    citizen = make_user("citizen")
    response = console_sign_in(client, citizen.phone)
    assert response.status_code == 403
    assert "city staff" in response.get_data(as_text=True) or "personeli" in response.get_data(
        as_text=True
    )
    assert client.get(INBOX).status_code == 302


def test_a_wrong_code_is_refused_and_counted(client, make_user, db) -> None:
    support = make_user("support")
    page = request_console_code(client, support.phone)
    response = client.post(
        f"{SIGN_IN}/verify",
        data={"csrf_token": csrf_of(page), "phone_number": support.phone, "code": "000000"},
    )
    assert response.status_code == 401
    assert db.scalar(select(OtpCode.attempts).where(OtpCode.phone == support.phone)) == 1


def test_a_post_without_the_csrf_token_is_refused(client, make_user, db) -> None:
    support = make_user("support")
    console_sign_in(client, support.phone)
    response = client.post("/console/language", data={"locale": "en"})
    assert response.status_code == 403
    forged = client.post("/console/language", data={"locale": "en", "csrf_token": "x" * 40})
    assert forged.status_code == 403
    db.refresh(support)
    assert support.locale == "tr"


def test_sign_out_ends_the_session_on_the_next_request(client, make_user) -> None:
    support = make_user("support")
    console_sign_in(client, support.phone)
    cookie = client.get_cookie("sosoft_console", path="/console/").value
    token = csrf_of(client.get(INBOX))
    assert client.post("/console/sign-out", data={"csrf_token": token}).status_code == 302
    # Even a browser that kept the cookie is out.
    client.set_cookie("sosoft_console", cookie, path="/console/")
    assert client.get(INBOX).status_code == 302


def test_a_deactivated_user_is_out_on_the_next_click(client, make_user, db) -> None:
    support = make_user("support")
    console_sign_in(client, support.phone)
    assert client.get(INBOX).status_code == 200
    support.is_active = False
    db.flush()
    assert client.get(INBOX).status_code == 302
    assert client.get("/console/inbox/poll").status_code == 401


def test_the_sign_in_limits_are_the_apis(client, make_user, settings) -> None:
    """A number that asked the API for a code just now cannot ask the console at once."""
    support = make_user("support")
    assert client.post(REQUEST_OTP, json={"phone_number": support.phone}).status_code == 202
    response = request_console_code(client, support.phone)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0


def test_headers_forbid_inline_scripts_and_framing(client) -> None:
    response = client.get(SIGN_IN)
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "<script>" not in response.get_data(as_text=True)


def test_english_by_choice(client, make_user, db) -> None:
    support = make_user("support")
    console_sign_in(client, support.phone)
    assert "Gelen kutusu" in client.get(INBOX).get_data(as_text=True)
    token = csrf_of(client.get(INBOX))
    client.post("/console/language", data={"csrf_token": token, "locale": "en", "next": INBOX})
    db.refresh(support)
    assert support.locale == "en"
    assert "Inbox" in client.get(INBOX).get_data(as_text=True)


def test_both_catalogues_have_the_same_keys() -> None:
    tr = json.loads((CATALOG_DIR / "tr.json").read_text(encoding="utf-8"))
    en = json.loads((CATALOG_DIR / "en.json").read_text(encoding="utf-8"))
    assert set(tr) == set(en)
    assert all(tr.values()) and all(en.values())
