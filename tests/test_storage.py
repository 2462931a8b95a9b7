"""Photo storage: the local folder backend and the S3 backend (against moto's server)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from moto.server import ThreadedMotoServer

from core.config import Settings
from core.storage import (
    InvalidMediaToken,
    LocalStorage,
    ObjectNotFound,
    S3Storage,
    make_storage,
)

PHOTO = b"\xff\xd8\xff\xe0 not really a jpeg"


@pytest.fixture
def local(tmp_path: Path) -> LocalStorage:
    settings = Settings.from_env(
        {}, MEDIA_DIR=str(tmp_path / "media"), PUBLIC_BASE_URL="https://city.example/"
    )
    return LocalStorage(settings)


def test_local_put_get_exists_delete(local: LocalStorage) -> None:
    key = "tickets/42/photo.jpg"
    assert not local.exists(key)

    local.put(key, PHOTO, "image/jpeg")

    assert local.exists(key)
    assert local.get(key) == PHOTO
    local.delete(key)
    assert not local.exists(key)
    local.delete(key)  # deleting twice is fine: tasks may run twice


def test_local_get_missing_raises_object_not_found(local: LocalStorage) -> None:
    with pytest.raises(ObjectNotFound):
        local.get("tickets/1/missing.jpg")


def test_local_put_replaces_existing_object(local: LocalStorage) -> None:
    local.put("a.png", b"old", "image/png")
    local.put("a.png", b"new", "image/png")
    assert local.get("a.png") == b"new"
    # No temporary files are left next to the object.
    assert sorted(p.name for p in local.root.iterdir()) == ["a.png"]


def test_local_url_token_round_trip(local: LocalStorage) -> None:
    url = local.url("tickets/42/photo.jpg")

    prefix = "https://city.example/media/"
    assert url.startswith(prefix)
    token = url.removeprefix(prefix)
    assert local.resolve_token(token) == "tickets/42/photo.jpg"
    grant = local.open_token(token)
    assert 0 < grant.seconds_left() <= 900


def test_local_url_carries_its_own_lifetime(local: LocalStorage) -> None:
    short = local.url("a.jpg", expires_in=60).rsplit("/", 1)[1]
    long = local.url("a.jpg", expires_in=3600).rsplit("/", 1)[1]
    assert local.open_token(short).seconds_left() <= 60
    assert local.open_token(long).seconds_left() > 60


def test_local_expired_token_refused(local: LocalStorage) -> None:
    token = local.url("a.jpg", expires_in=-1).rsplit("/", 1)[1]
    with pytest.raises(InvalidMediaToken):
        local.resolve_token(token)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-5] + ("B" if t[-5] == "A" else "A") + t[-4:],
        lambda t: "x" + t,
        lambda t: "",
        lambda t: "not-a-token",
    ],
    ids=["signature", "payload", "empty", "garbage"],
)
def test_local_tampered_token_refused(local: LocalStorage, tamper) -> None:
    token = local.url("a.jpg").rsplit("/", 1)[1]
    with pytest.raises(InvalidMediaToken):
        local.resolve_token(tamper(token))


def test_local_token_cannot_be_moved_to_another_key(local: LocalStorage) -> None:
    mine = local.url("mine.jpg").rsplit("/", 1)[1]
    theirs = local.url("theirs.jpg").rsplit("/", 1)[1]
    # Payload of one token with the timestamp and signature of the other.
    spliced = theirs.split(".", 1)[0] + "." + mine.split(".", 1)[1]
    with pytest.raises(InvalidMediaToken):
        local.resolve_token(spliced)


def test_local_token_from_another_secret_refused(local: LocalStorage, tmp_path: Path) -> None:
    other = LocalStorage(
        Settings.from_env({}, MEDIA_DIR=str(tmp_path), JWT_SECRET_KEY="another-secret-" * 3)
    )
    token = other.url("a.jpg").rsplit("/", 1)[1]
    with pytest.raises(InvalidMediaToken):
        local.resolve_token(token)


@pytest.mark.parametrize(
    "key",
    [
        "../escape.jpg",
        "tickets/../../escape.jpg",
        "/etc/passwd",
        "..",
        ".hidden",
        "tickets//a.jpg",
        "tickets/a.jpg/",
        "tickets\\..\\a.jpg",
        "",
        "a\x00.jpg",
    ],
)
def test_local_unsafe_keys_refused(local: LocalStorage, key: str) -> None:
    for call in (
        lambda: local.put(key, PHOTO, "image/jpeg"),
        lambda: local.get(key),
        lambda: local.exists(key),
        lambda: local.delete(key),
        lambda: local.url(key),
    ):
        with pytest.raises(ValueError):
            call()
    assert not (local.root.parent / "escape.jpg").exists()


def test_local_symlink_out_of_media_dir_refused(local: LocalStorage, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    local.root.mkdir(parents=True, exist_ok=True)
    (local.root / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ValueError):
        local.put("link/a.jpg", PHOTO, "image/jpeg")
    assert not (outside / "a.jpg").exists()


def test_make_storage_picks_backend(tmp_path: Path) -> None:
    local = make_storage(Settings.from_env({}, STORAGE_BACKEND="local", MEDIA_DIR=str(tmp_path)))
    assert isinstance(local, LocalStorage)
    s3 = make_storage(
        Settings.from_env(
            {},
            STORAGE_BACKEND="s3",
            S3_BUCKET="b",
            S3_ACCESS_KEY="k",
            S3_SECRET_KEY="s",
            S3_ENDPOINT_URL="http://127.0.0.1:1",
        )
    )
    assert isinstance(s3, S3Storage)
    with pytest.raises(ValueError):
        make_storage(Settings.from_env({}, STORAGE_BACKEND="ftp"))


# --- S3 against moto's server ------------------------------------------------------------


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(moto_endpoint: str) -> S3Storage:
    settings = Settings.from_env(
        {},
        STORAGE_BACKEND="s3",
        S3_ENDPOINT_URL=moto_endpoint,
        S3_BUCKET=f"photos-{uuid.uuid4().hex[:12]}",
        S3_ACCESS_KEY="testing",
        S3_SECRET_KEY="testing",
        S3_REGION="eu-central-1",
    )
    storage = S3Storage(settings)
    storage.ensure_bucket()
    return storage


def test_s3_ensure_bucket_is_idempotent(s3: S3Storage) -> None:
    s3.ensure_bucket()
    names = [b["Name"] for b in s3.client.list_buckets()["Buckets"]]
    assert s3.bucket in names


def test_s3_put_get_exists_delete(s3: S3Storage) -> None:
    key = "tickets/42/photo.jpg"
    assert not s3.exists(key)

    s3.put(key, PHOTO, "image/jpeg")

    assert s3.exists(key)
    assert s3.get(key) == PHOTO
    head = s3.client.head_object(Bucket=s3.bucket, Key=key)
    assert head["ContentType"] == "image/jpeg"
    s3.delete(key)
    assert not s3.exists(key)
    s3.delete(key)


def test_s3_get_missing_raises_object_not_found(s3: S3Storage) -> None:
    with pytest.raises(ObjectNotFound):
        s3.get("tickets/1/missing.jpg")


def test_s3_presigned_url_serves_the_bytes(s3: S3Storage, moto_endpoint: str) -> None:
    s3.put("tickets/42/photo.jpg", PHOTO, "image/jpeg")

    url = s3.url("tickets/42/photo.jpg", expires_in=60)

    assert url.startswith(f"{moto_endpoint}/{s3.bucket}/tickets/42/photo.jpg?")
    response = requests.get(url, timeout=5)
    assert response.status_code == 200
    assert response.content == PHOTO
    assert response.headers["Content-Type"] == "image/jpeg"


def test_s3_refuses_unsafe_keys(s3: S3Storage) -> None:
    with pytest.raises(ValueError):
        s3.put("../x.jpg", PHOTO, "image/jpeg")
