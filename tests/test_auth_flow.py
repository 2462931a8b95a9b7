"""The whole story: a manager created on the command line signs in with a code from the
development message sink and adds a support user, who signs in too."""

from __future__ import annotations

from flask.testing import FlaskClient, FlaskCliRunner

from tests.auth_helpers import ME, REFRESH, VERIFY_OTP, request_code


def test_manager_from_cli_signs_in_and_adds_support(
    client: FlaskClient, runner: FlaskCliRunner
) -> None:
    created = runner.invoke(
        args=["create-user", "--phone", "05321234567", "--name", "Ayşe Yılmaz", "--role", "manager"]
    )
    assert created.exit_code == 0, created.output

    code = request_code(client, "05321234567")
    message = client.get("/dev/messages").get_json()["data"][0]
    assert message["to"] == "+905321234567" and code in message["body"]

    signed_in = client.post(VERIFY_OTP, json={"phone_number": "0532 123 45 67", "code": code})
    assert signed_in.status_code == 200
    tokens = signed_in.get_json()
    assert tokens["user"]["full_name"] == "Ayşe Yılmaz"
    manager = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get(ME, headers=manager).get_json()["role"] == "manager"

    added = client.post(
        "/api/v1/users",
        json={"phone_number": "0533 111 22 33", "full_name": "Mert Can", "role": "support"},
        headers=manager,
    )
    assert added.status_code == 201
    assert added.get_json()["phone"] == "+905331112233"

    support_code = request_code(client, "+905331112233")
    support = client.post(
        VERIFY_OTP, json={"phone_number": "05331112233", "code": support_code}
    ).get_json()
    assert support["user"]["role"] == "support"
    support_headers = {"Authorization": f"Bearer {support['access_token']}"}
    assert client.get("/api/v1/teams", headers=support_headers).status_code == 200
    assert client.post("/api/v1/users", json={}, headers=support_headers).status_code == 403

    refreshed = client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
