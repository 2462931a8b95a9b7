"""Photo checks shared by the API and the bot: decode, refuse, strip, store.

Nothing about an upload is trusted: not its name, not its declared type. The bytes
are decoded with Pillow (JPEG, PNG and WebP only), refused when too large, too many
pixels (decompression bombs) or truncated, and re-encoded so no EXIF/XMP (GPS
position, device serial, owner name) is ever kept. The GPS position is read first,
so a ticket without a location can be offered the photo's.
"""

from __future__ import annotations

import hashlib
import io
import uuid
import warnings
from dataclasses import dataclass, replace
from fractions import Fraction

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from core.models import Photo, Ticket, User
from core.storage import Storage

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
# Pillow's own bomb guard, as a second line behind the explicit pixel check below.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

# Pillow format → (content type, file extension, save options).
FORMATS: dict[str, tuple[str, str, dict[str, object]]] = {
    "JPEG": ("image/jpeg", "jpg", {"quality": 90, "optimize": True}),
    "PNG": ("image/png", "png", {"optimize": True}),
    "WEBP": ("image/webp", "webp", {"quality": 90}),
}
_GPS_IFD = 0x8825


class ImageRejected(ValueError):
    """The upload is not a photo we accept; `reason` says why, for a human."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str
    size_bytes: int
    gps: tuple[float, float] | None


def inspect_image(
    data: bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS
) -> CleanImage:
    """Decode, check and re-encode `data`; raises ImageRejected with the reason."""
    if not data:
        raise ImageRejected("the file is empty")
    if len(data) > max_bytes:
        raise ImageRejected(f"the file is larger than {max_bytes // (1024 * 1024)} MB")
    with warnings.catch_warnings():
        # A bomb warning is a refusal here, not a note in the log.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = _open_checked(data, max_pixels)
            gps = _gps_position(image)
            clean = _reencode(image)
        except ImageRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRejected(_too_many_pixels(max_pixels)) from None
        except Exception:
            # Decoders answer hostile bytes with assorted exceptions (OSError,
            # SyntaxError, struct.error, …); each one means the same to the sender.
            raise ImageRejected("the image is damaged or truncated") from None
    return replace(clean, gps=gps)


def _too_many_pixels(max_pixels: int) -> str:
    return f"the image has more than {max_pixels // 1_000_000} megapixels"


def _open_checked(data: bytes, max_pixels: int) -> Image.Image:
    """Open as one of our formats, check size, verify structure, then fully decode."""
    try:
        image = Image.open(io.BytesIO(data), formats=list(FORMATS))
    except UnidentifiedImageError:
        raise ImageRejected(_unsupported_reason(data)) from None
    width, height = image.size
    if width * height > max_pixels:
        raise ImageRejected(_too_many_pixels(max_pixels))
    if width < 1 or height < 1:
        raise ImageRejected("the image has no pixels")
    image.verify()
    # verify() leaves the image unusable; decode a fresh one completely, so a
    # truncated file fails here rather than halfway through re-encoding.
    image = Image.open(io.BytesIO(data), formats=list(FORMATS))
    image.load()
    return image


def _unsupported_reason(data: bytes) -> str:
    try:
        with Image.open(io.BytesIO(data)) as other:
            kind = other.format or "this"
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return "the file is not an image (JPEG, PNG or WebP expected)"
    return f"{kind} images are not accepted; send a JPEG, PNG or WebP"


def _reencode(image: Image.Image) -> CleanImage:
    fmt = image.format or "JPEG"
    content_type, extension, options = FORMATS[fmt]
    # Apply the camera's rotation before the EXIF that carries it is dropped.
    upright = ImageOps.exif_transpose(image)
    if fmt == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    if getattr(image, "n_frames", 1) > 1:
        upright = upright.copy()  # first frame only: a report photo is a still
    keep = {k: v for k, v in upright.info.items() if k == "transparency"}
    upright.info = keep  # no exif, xmp, comments or text chunks survive
    out = io.BytesIO()
    upright.save(out, format=fmt, **options)
    cleaned = out.getvalue()
    return CleanImage(
        data=cleaned,
        content_type=content_type,
        extension=extension,
        width=upright.width,
        height=upright.height,
        sha256=hashlib.sha256(cleaned).hexdigest(),
        size_bytes=len(cleaned),
        gps=None,
    )


def _gps_position(image: Image.Image) -> tuple[float, float] | None:
    """(lat, lon) from EXIF GPS tags, or None when absent or nonsense."""
    try:
        gps = image.getexif().get_ifd(_GPS_IFD)
        lat = _degrees(gps[2], gps.get(1, "N"), "S")
        lon = _degrees(gps[4], gps.get(3, "E"), "W")
    except Exception:  # a malformed GPS block only means "no position"
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def _degrees(dms: tuple[object, ...], ref: object, negative_ref: str) -> float:
    d, m, s = (Fraction(str(float(v))) for v in dms)  # type: ignore[arg-type]
    value = float(d + m / 60 + s / 3600)
    ref_text = ref.decode() if isinstance(ref, bytes) else str(ref)
    return -value if ref_text.strip().upper() == negative_ref else value


def photo_key(ticket: Ticket, image: CleanImage) -> str:
    """A server-made key: nothing of the uploaded name reaches storage."""
    return f"tickets/{ticket.id}/{uuid.uuid4().hex}.{image.extension}"


def photo_row(
    image: CleanImage, key: str, *, ticket_id: int | None, uploaded_by: User | None, source: str
) -> Photo:
    """The Photo row describing `image` stored under `key`."""
    return Photo(
        ticket_id=ticket_id,
        uploaded_by_id=uploaded_by.id if uploaded_by else None,
        api_key_id=uploaded_by.acting_api_key_id if uploaded_by else None,
        storage_key=key,
        content_type=image.content_type,
        size_bytes=image.size_bytes,
        width=image.width,
        height=image.height,
        sha256=image.sha256,
        source=source,
    )


def store_photo(
    session: Session,
    storage: Storage,
    ticket: Ticket,
    image: CleanImage,
    uploaded_by: User | None,
    source: str,
) -> Photo | None:
    """Store `image` and record it on `ticket`; None when these bytes are already there.

    The file is written before the row; if the row cannot be written the file is
    deleted again, so storage never keeps a photo the database doesn't know.
    """
    if _already_stored(session, ticket, image):
        return None
    key = photo_key(ticket, image)
    storage.put(key, image.data, image.content_type)
    photo = photo_row(image, key, ticket_id=ticket.id, uploaded_by=uploaded_by, source=source)
    photo.is_internal = staff_only(ticket, uploaded_by)
    try:
        with session.begin_nested():
            session.add(photo)
    except IntegrityError:
        # The same bytes arrived concurrently through another request.
        storage.delete(key)
        return None
    except BaseException:
        storage.delete(key)
        raise
    return photo


def staff_only(ticket: Ticket, uploaded_by: User | None) -> bool:
    """A citizen's photo on a ticket someone else reported (she follows it) is for
    staff: it must not tell the reporter, or other followers, who she is or where
    she stood."""
    return (
        uploaded_by is not None
        and uploaded_by.role == "citizen"
        and ticket.reporter_id != uploaded_by.id
    )


def attach_draft_photos(
    session: Session, ticket: Ticket, photo_ids: list[int], uploaded_by: User | None
) -> None:
    """Photos stored while a chat report was written (no ticket yet) join `ticket`,
    staff-only when `staff_only` says so; one already on the ticket (the same bytes) stays
    unlinked and is purged with the abandoned drafts' photos."""
    if not photo_ids:
        return
    on_ticket = aliased(Photo)
    same_bytes = (
        select(on_ticket.id)
        .where(on_ticket.ticket_id == ticket.id, on_ticket.sha256 == Photo.sha256)
        .exists()
    )
    session.execute(
        update(Photo)
        .where(Photo.id.in_(photo_ids), Photo.ticket_id.is_(None), ~same_bytes)
        .values(ticket_id=ticket.id, is_internal=staff_only(ticket, uploaded_by))
        .execution_options(synchronize_session=False)
    )


def _already_stored(session: Session, ticket: Ticket, image: CleanImage) -> bool:
    return (
        session.scalar(
            select(Photo.id).where(Photo.ticket_id == ticket.id, Photo.sha256 == image.sha256)
        )
        is not None
    )
