"""Every list refuses a cursor whose values do not fit its sort key with a 422:
a cursor is opaque to clients, but nothing stops one from being made by hand."""

from __future__ import annotations

import pytest

from admin_api.pagination import encode_cursor

# Each list with the sort key its cursors hold, and keys of the right length with a
# value of the wrong type.
LISTS = {
    "/api/v1/users": [["abc"], [None], [True], [1.5]],
    "/api/v1/teams": [[1, 2], ["a", "b"], [None, 1], ["a", None]],
    "/api/v1/api-keys": [[None], ["1"], [False]],
    "/api/v1/categories": [["a", 1], [1, None], [True, 1]],
}
CASES = [(url, key) for url, keys in LISTS.items() for key in keys]


@pytest.mark.parametrize(("url", "key"), CASES, ids=[f"{u}-{k}" for u, k in CASES])
def test_a_cursor_of_the_wrong_types_is_422(client, make_user, bearer, seeded, url, key) -> None:
    response = client.get(
        f"{url}?cursor={encode_cursor(key)}", headers=bearer(make_user("manager"))
    )

    assert response.status_code == 422, response.json
    assert "cursor" in response.json["errors"]["query"]


@pytest.mark.parametrize("url", list(LISTS))
def test_a_real_cursor_still_pages(client, make_user, bearer, seeded, url) -> None:
    headers = bearer(make_user("manager"))
    make_user("support")  # a second staff member, so users has two pages of one
    for name in ("first", "second"):  # and two keys, so api-keys has too
        client.post(
            "/api/v1/api-keys", json={"name": name, "scopes": ["open311:write"]}, headers=headers
        )
    first = client.get(f"{url}?limit=1", headers=headers)
    assert first.status_code == 200 and first.json["next_cursor"], first.json

    second = client.get(f"{url}?limit=1&cursor={first.json['next_cursor']}", headers=headers)

    assert second.status_code == 200, second.json
    assert second.json["data"] and second.json["data"] != first.json["data"]


@pytest.mark.parametrize("key", [[False, 1], [1.5, True], [None, 1]])
def test_a_distance_cursor_of_the_wrong_types_is_422(client, make_user, bearer, seeded, key):
    url = "/api/v1/tickets?near=41.01,28.97&radius_m=1000&sort=distance"
    response = client.get(
        f"{url}&cursor={encode_cursor(key)}", headers=bearer(make_user("manager"))
    )

    assert response.status_code == 422, response.json
