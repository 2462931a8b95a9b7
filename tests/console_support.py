"""Helpers for the console tests: signing a test client in through the real pages,
and reading the CSRF token off a page."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from tests.auth_helpers import sent_code

SIGN_IN = "/console/sign-in"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: Any) -> str:
    match = _CSRF.search(page.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1)


def request_console_code(client: FlaskClient, phone: str) -> Any:
    token = csrf_of(client.get(SIGN_IN))
    return client.post(f"{SIGN_IN}/code", data={"csrf_token": token, "phone_number": phone})


def console_sign_in(client: FlaskClient, phone: str) -> Any:
    """The two sign-in steps; returns the verify response (a redirect when it worked)."""
    page = request_console_code(client, phone)
    assert page.status_code == 200, page.get_data(as_text=True)
    return client.post(
        f"{SIGN_IN}/verify",
        data={"csrf_token": csrf_of(page), "phone_number": phone, "code": sent_code(client)},
    )


def post_form(client: FlaskClient, page_url: str, target: str, **data: Any) -> Any:
    """Post a form of the page at `page_url` with the page's CSRF token."""
    token = csrf_of(client.get(page_url))
    return client.post(target, data={"csrf_token": token, **data})
