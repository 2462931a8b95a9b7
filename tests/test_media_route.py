"""`GET /media/<token>`: signed, expiring photo links for the local storage backend.

Uses the `app` and `client` fixtures from tests/conftest.py; the storage is swapped for
one in `tmp_path` so the test doesn't depend on where the app keeps its media.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.storage import LocalStorage, S3Storage

PHOTO = b"\xff\xd8\xff\xe0 not really a jpeg"


@pytest.fixture
def storage(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalStorage:
    settings = app.config["SOSOFT"].replace(
        STORAGE_BACKEND="local", MEDIA_DIR=str(tmp_path / "media")
    )
    local = LocalStorage(settings)
    monkeypatch.setitem(app.extensions, "sosoft.storage", local)
    return local


def path_of(url: str) -> str:
    return "/media/" + url.rsplit("/media/", 1)[1]


def assert_not_found(response) -> None:
    assert response.status_code == 404
    assert response.is_json
    body = response.get_json()
    assert body["code"] == 404
    assert body["status"] == "Not Found"
    assert body["message"]


def test_serves_photo_with_type_and_private_cache(
    client: FlaskClient, storage: LocalStorage
) -> None:
    storage.put("tickets/42/photo.jpg", PHOTO, "image/jpeg")

    response = client.get(path_of(storage.url("tickets/42/photo.jpg", expires_in=600)))

    assert response.status_code == 200
    assert response.data == PHOTO
    assert response.mimetype == "image/jpeg"
    cache = response.headers["Cache-Control"]
    assert cache.startswith("private, max-age=")
    assert 0 < int(cache.rsplit("=", 1)[1]) <= 600
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("key", "mimetype"),
    [("a.png", "image/png"), ("a.webp", "image/webp"), ("a.bin", "application/octet-stream")],
)
def test_content_type_follows_extension(
    client: FlaskClient, storage: LocalStorage, key: str, mimetype: str
) -> None:
    storage.put(key, b"x", "ignored/by-local")
    response = client.get(path_of(storage.url(key)))
    assert response.mimetype == mimetype


def test_expired_link_is_json_404(client: FlaskClient, storage: LocalStorage) -> None:
    storage.put("a.jpg", PHOTO, "image/jpeg")
    assert_not_found(client.get(path_of(storage.url("a.jpg", expires_in=-1))))


def test_tampered_link_is_json_404(client: FlaskClient, storage: LocalStorage) -> None:
    storage.put("a.jpg", PHOTO, "image/jpeg")
    path = path_of(storage.url("a.jpg"))
    assert_not_found(client.get(path[:-5] + ("B" if path[-5] == "A" else "A") + path[-4:]))
    assert_not_found(client.get("/media/garbage"))


def test_deleted_photo_is_json_404(client: FlaskClient, storage: LocalStorage) -> None:
    storage.put("a.jpg", PHOTO, "image/jpeg")
    path = path_of(storage.url("a.jpg"))
    storage.delete("a.jpg")
    assert_not_found(client.get(path))


def test_route_is_inert_with_s3(
    app: Flask, client: FlaskClient, storage: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage.put("a.jpg", PHOTO, "image/jpeg")
    path = path_of(storage.url("a.jpg"))
    s3_settings = app.config["SOSOFT"].replace(
        STORAGE_BACKEND="s3", S3_BUCKET="b", S3_ENDPOINT_URL="http://127.0.0.1:9"
    )
    monkeypatch.setitem(app.extensions, "sosoft.storage", S3Storage(s3_settings))
    assert_not_found(client.get(path))
