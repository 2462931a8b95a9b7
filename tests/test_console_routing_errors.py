"""An address under /console/ that is no page, or a method it does not take, answers
with a console page in the user's language (and the console's headers), while the
API keeps its JSON errors."""

from __future__ import annotations

from tests.auth_helpers import REQUEST_OTP
from tests.console_support import console_sign_in


def test_a_wrong_method_on_a_console_address_is_a_page(client, make_user, db) -> None:
    support = make_user("support")
    console_sign_in(client, support.phone)
    response = client.get("/console/tickets/1/reply")  # the reply form only posts
    assert response.status_code == 405
    assert response.content_type.startswith("text/html")
    assert response.headers["Allow"].split(", ").count("POST") == 1
    assert "Content-Security-Policy" in response.headers
    assert "Bu adres bu isteği kabul etmiyor" in response.get_data(as_text=True)

    support.locale = "en"
    db.flush()
    english = client.get("/console/tickets/1/reply").get_data(as_text=True)
    assert "This address does not take that request" in english


def test_an_unknown_console_address_is_a_page_signed_in_or_not(client, make_user) -> None:
    assert client.get("/console/nowhere").status_code == 404
    assert "Böyle bir sayfa" in client.get("/console/nowhere").get_data(as_text=True)
    console_sign_in(client, make_user("support").phone)
    response = client.get("/console/nowhere")
    assert response.status_code == 404 and response.content_type.startswith("text/html")


def test_the_api_keeps_its_json_errors(client) -> None:
    missing = client.get("/api/v1/nowhere")
    assert missing.status_code == 404 and missing.get_json()["code"] == 404
    wrong = client.delete(REQUEST_OTP)
    assert wrong.status_code == 405 and wrong.get_json()["code"] == 405
    assert "POST" in wrong.headers["Allow"]
