"""Photo storage: one interface, an S3 implementation and a local-folder one.

Production keeps photos in any S3-compatible store (MinIO in docker-compose); development
keeps them in `MEDIA_DIR` and serves them through signed `/media/<token>` URLs
(`web/media.py`), so code that stores or links a photo never asks which backend it has.
Both backends accept the same keys (see `validate_key`), so a key that works on a laptop
also works in production.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from itsdangerous import BadSignature, URLSafeTimedSerializer

from core.config import Settings

# Segments start with a letter or digit, so "..", "." and hidden files can't be named,
# and there is no leading "/" or "\\": a key can't leave the media folder on any backend.
_KEY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)*")
_MAX_KEY_LENGTH = 512
_NOT_FOUND_CODES = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}


class StorageError(Exception):
    """The storage backend failed."""


class ObjectNotFound(StorageError, KeyError):
    """No object is stored under the key."""


class InvalidMediaToken(Exception):
    """A `/media/<token>` token is forged, tampered with or expired."""


def validate_key(key: str) -> str:
    """Return `key` if it is a safe relative object key, else raise ValueError."""
    if len(key) > _MAX_KEY_LENGTH or not _KEY_RE.fullmatch(key):
        raise ValueError(
            "storage key must be relative path segments of letters, digits, '.', '_' or '-', "
            "each starting with a letter or digit"
        )
    return key


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes:
        """Raises ObjectNotFound when nothing is stored under `key`."""
        ...

    def delete(self, key: str) -> None:
        """Deleting a missing key is not an error (tasks may run twice)."""
        ...

    def exists(self, key: str) -> bool: ...

    def url(self, key: str, expires_in: int | None = None) -> str:
        """A short-lived download URL; default lifetime `MEDIA_URL_TTL_SECONDS`."""
        ...


class S3Storage:
    """Objects in one S3 bucket; downloads go straight to S3 through presigned URLs."""

    def __init__(self, settings: Settings) -> None:
        self.bucket = settings.S3_BUCKET
        self.default_ttl = settings.MEDIA_URL_TTL_SECONDS
        self.client = boto3.client(
            "s3",
            endpoint_url=settings.S3_ENDPOINT_URL or None,
            region_name=settings.S3_REGION,
            # Empty credentials fall through to boto3's chain (e.g. an instance role).
            aws_access_key_id=settings.S3_ACCESS_KEY or None,
            aws_secret_access_key=settings.S3_SECRET_KEY or None,
            # Path style works with MinIO and any S3 clone without wildcard DNS.
            config=Config(
                s3={"addressing_style": "path"},
                connect_timeout=5,
                read_timeout=20,
                retries={"max_attempts": 3},
            ),
        )

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=validate_key(key), Body=data, ContentType=content_type
        )

    def get(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=validate_key(key))
        except ClientError as exc:
            if _is_not_found(exc):
                raise ObjectNotFound(key) from None
            raise
        return response["Body"].read()

    def delete(self, key: str) -> None:
        # S3 answers 204 for a missing key too, which is the behaviour we promise.
        self.client.delete_object(Bucket=self.bucket, Key=validate_key(key))

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=validate_key(key))
        except ClientError as exc:
            if _is_not_found(exc):
                return False
            raise
        return True

    def url(self, key: str, expires_in: int | None = None) -> str:
        return self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": validate_key(key)},
            ExpiresIn=self.default_ttl if expires_in is None else expires_in,
        )

    def ensure_bucket(self) -> None:
        """Create the bucket if it is missing (fresh MinIO, tests); safe to call twice."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as exc:
            if not _is_not_found(exc):
                raise
        region = self.client.meta.region_name
        extra = {}
        # us-east-1 is the one region S3 refuses an explicit LocationConstraint for.
        if region and region != "us-east-1":
            extra["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            self.client.create_bucket(Bucket=self.bucket, **extra)
        except ClientError as exc:
            # Another process won the race: the bucket exists, which is all we wanted.
            if exc.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
                raise


@dataclass(frozen=True)
class MediaGrant:
    """What a valid `/media/<token>` token allows: reading `key` until `expires_at`."""

    key: str
    expires_at: int

    def seconds_left(self, now: float | None = None) -> int:
        now = time.time() if now is None else now
        return max(0, int(self.expires_at - now))


class LocalStorage:
    """Objects as files under `MEDIA_DIR`; downloads through signed `/media/<token>` URLs."""

    def __init__(self, settings: Settings) -> None:
        self.root = Path(settings.MEDIA_DIR).resolve()
        self.public_base_url = settings.PUBLIC_BASE_URL.rstrip("/")
        self.default_ttl = settings.MEDIA_URL_TTL_SECONDS
        self._signer = URLSafeTimedSerializer(settings.JWT_SECRET_KEY, salt="media-url")

    def _path(self, key: str) -> Path:
        path = (self.root / validate_key(key)).resolve()
        # The key syntax already rules out "..": this also catches a symlink pointing out.
        if not path.is_relative_to(self.root):
            raise ValueError("storage key resolves outside MEDIA_DIR")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        # The type is recovered from the key's extension when served; nothing to keep.
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a concurrent reader never sees half a photo.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key) from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def url(self, key: str, expires_in: int | None = None) -> str:
        ttl = self.default_ttl if expires_in is None else expires_in
        # The expiry rides in the signed payload so each URL carries its own lifetime
        # (the serializer's own max_age is one value for every token at load time).
        token = self._signer.dumps({"k": validate_key(key), "e": int(time.time()) + ttl})
        return f"{self.public_base_url}/media/{token}"

    def open_token(self, token: str, max_age: int | None = None) -> MediaGrant:
        """Check a token's signature and expiry; `max_age` optionally caps its age too."""
        try:
            payload = self._signer.loads(token, max_age=max_age)
            grant = MediaGrant(key=validate_key(payload["k"]), expires_at=int(payload["e"]))
        except (BadSignature, KeyError, TypeError, ValueError):
            raise InvalidMediaToken("invalid media token") from None
        if time.time() >= grant.expires_at:
            raise InvalidMediaToken("media token expired")
        return grant

    def resolve_token(self, token: str, max_age: int | None = None) -> str:
        """The key a valid token grants; raises InvalidMediaToken."""
        return self.open_token(token, max_age).key


def _is_not_found(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    return str(error.get("Code")) in _NOT_FOUND_CODES


def make_storage(settings: Settings) -> Storage:
    if settings.STORAGE_BACKEND == "s3":
        return S3Storage(settings)
    if settings.STORAGE_BACKEND == "local":
        return LocalStorage(settings)
    raise ValueError(f"unknown STORAGE_BACKEND {settings.STORAGE_BACKEND!r}")
