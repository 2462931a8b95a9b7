"""`GET /media/<token>`: serves photos from the local storage backend.

Only the local backend needs it (S3 hands out presigned URLs to S3 itself); with S3 the
route answers 404 for every token. A token grants one key for a limited time, so the
URL can be pasted into a browser or an outbound message without a login.
"""

from __future__ import annotations

import mimetypes

from flask import Blueprint, Response, current_app
from flask_smorest import abort

from core.storage import InvalidMediaToken, LocalStorage, ObjectNotFound

bp = Blueprint("media", __name__)

# The types photos arrive in, pinned so the answer doesn't depend on the host's mime.types.
_CONTENT_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".gif": "image/gif",
}


def _content_type(key: str) -> str:
    suffix = key[key.rfind(".") :].lower() if "." in key else ""
    return _CONTENT_TYPES.get(suffix) or (
        mimetypes.guess_type(key)[0] or "application/octet-stream"
    )


@bp.get("/media/<token>")
def media_file(token: str) -> Response:
    """Download a stored photo through a signed, expiring link."""
    storage = current_app.extensions["sosoft.storage"]
    if not isinstance(storage, LocalStorage):
        abort(404, message="Media link not found.")
    try:
        grant = storage.open_token(token)
        data = storage.get(grant.key)
    except InvalidMediaToken:
        abort(404, message="Media link is invalid or has expired.")
    except ObjectNotFound:
        abort(404, message="Media file no longer exists.")
    response = Response(data, mimetype=_content_type(grant.key))
    # Private: the link is a capability; shared caches must not keep it past its lifetime.
    response.headers["Cache-Control"] = f"private, max-age={grant.seconds_left()}"
    # Whatever was uploaded, the browser must not run it as a page.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
