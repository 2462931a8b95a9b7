"""Photos: real image bytes made with Pillow. Files are decoded, never trusted by
name or declared type; metadata is stripped; bad files are refused one by one and
nothing half-written remains."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from core.models import Photo
from core.tickets.photos import ImageRejected, inspect_image
from tests.tickets_helpers import image_bytes

GPS_IFD = 0x8825


def jpeg_with_gps(lat=(41, 0, 29.5), lon=(28, 58, 42.2)) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[GPS_IFD] = {1: "N", 2: lat, 3: "E", 4: lon}
    return image_bytes("JPEG", exif=exif.tobytes())


def upload(client, bearer, user, ticket, *files):
    data = {"files": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(
        f"/api/v1/tickets/{ticket.id}/photos", data=data, headers=bearer(user),
        content_type="multipart/form-data",
    )  # fmt: skip


def stored_files(settings) -> list[Path]:
    return [p for p in Path(settings.MEDIA_DIR).rglob("*") if p.is_file()]


@pytest.fixture
def media(settings):
    """Files written by this test only."""
    before = set(stored_files(settings))
    return lambda: [p for p in stored_files(settings) if p not in before]


def test_jpeg_comes_back_without_its_gps(
    client, db, settings, make_user, make_ticket, bearer, media
) -> None:
    reporter = make_user("citizen")
    ticket = make_ticket(reporter, lat=None, lon=None, address="Moda sahili")
    response = upload(client, bearer, reporter, ticket, ("IMG_0001.JPG", jpeg_with_gps()))
    assert response.status_code == 201, response.json
    photo = response.json["data"][0]
    assert photo["content_type"] == "image/jpeg"
    assert (photo["width"], photo["height"]) == (64, 48)
    assert response.json["suggested_location"] == pytest.approx(
        {"lat": 41 + 29.5 / 3600, "lon": 28 + 58 / 60 + 42.2 / 3600}
    )
    [path] = media()
    assert path.suffix == ".jpg" and "IMG_0001" not in str(path)
    with Image.open(path) as kept:
        assert dict(kept.getexif()) == {}
    assert b"PhoneMaker" not in path.read_bytes()
    row = db.scalar(select(Photo).where(Photo.ticket_id == ticket.id))
    assert row.size_bytes == path.stat().st_size and len(row.sha256) == 64

    detail = client.get(f"/api/v1/tickets/{ticket.id}", headers=bearer(reporter)).json
    link = detail["photos"][0]["url"].removeprefix(settings.PUBLIC_BASE_URL)
    downloaded = client.get(link)
    assert downloaded.status_code == 200 and downloaded.data == path.read_bytes()


def test_located_ticket_gets_no_suggestion(client, make_user, make_ticket, bearer) -> None:
    reporter = make_user("citizen")
    ticket = make_ticket(reporter)
    response = upload(client, bearer, reporter, ticket, ("a.jpg", jpeg_with_gps()))
    assert response.json["suggested_location"] is None


def test_png_renamed_jpg_is_stored_as_png(client, make_user, make_ticket, bearer, media):
    reporter = make_user("citizen")
    ticket = make_ticket(reporter)
    response = upload(client, bearer, reporter, ticket, ("photo.jpg", image_bytes("PNG")))
    assert response.status_code == 201
    assert response.json["data"][0]["content_type"] == "image/png"
    [path] = media()
    assert path.suffix == ".png"


def big_png() -> bytes:
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG")  # small file, 100 megapixels
    return out.getvalue()


BAD_FILES = [
    ("notes.jpg", b"this is not a picture at all, just text", "not an image"),
    ("huge.png", big_png(), "megapixels"),
    ("cut.jpg", image_bytes("JPEG", size=(256, 256))[:400], "damaged or truncated"),
    ("anim.gif", image_bytes("GIF"), "GIF images are not accepted"),
    ("empty.jpg", b"", "empty"),
]


@pytest.mark.parametrize(("name", "content", "reason"), BAD_FILES, ids=[f[0] for f in BAD_FILES])
def test_bad_file_is_422_and_nothing_is_stored(
    client, db, make_user, make_ticket, bearer, media, name, content, reason
) -> None:
    reporter = make_user("citizen")
    ticket = make_ticket(reporter)
    response = upload(
        client, bearer, reporter, ticket, ("good.png", image_bytes("PNG")), (name, content)
    )
    assert response.status_code == 422, response.json
    assert list(response.json["errors"]["files"]) == ["1"]
    assert reason in response.json["errors"]["files"]["1"][0]
    assert name in response.json["errors"]["files"]["1"][0]
    assert media() == []
    assert db.scalar(select(func.count()).select_from(Photo)) == 0


def test_duplicate_bytes_are_stored_once(client, db, make_user, make_ticket, bearer, media):
    reporter = make_user("citizen")
    ticket = make_ticket(reporter)
    same = image_bytes("PNG", color="blue")
    response = upload(client, bearer, reporter, ticket, ("a.png", same), ("b.png", same))
    assert response.status_code == 201
    assert len(response.json["data"]) == 1 and response.json["duplicates"] == 1
    again = upload(client, bearer, reporter, ticket, ("c.png", same))
    assert again.json["data"] == [] and again.json["duplicates"] == 1
    assert len(media()) == 1


def test_at_most_five_per_request(client, make_user, make_ticket, bearer, media) -> None:
    reporter = make_user("citizen")
    ticket = make_ticket(reporter)
    files = [(f"{n}.png", image_bytes("PNG", color=(n, 0, 0))) for n in range(6)]
    response = upload(client, bearer, reporter, ticket, *files)
    assert response.status_code == 422
    assert media() == []


def test_at_most_ten_per_ticket(client, make_user, make_ticket, bearer, media) -> None:
    reporter = make_user("citizen")
    ticket = make_ticket(reporter)
    for batch in range(2):
        files = [(f"{n}.png", image_bytes("PNG", color=(batch, n, 0))) for n in range(5)]
        assert upload(client, bearer, reporter, ticket, *files).status_code == 201
    response = upload(
        client, bearer, reporter, ticket, ("11.png", image_bytes("PNG", color="white"))
    )
    assert response.status_code == 422
    assert len(media()) == 10


def test_no_files_is_422(client, make_user, make_ticket, bearer) -> None:
    reporter = make_user("citizen")
    ticket = make_ticket(reporter)
    response = upload(client, bearer, reporter, ticket)
    assert response.status_code == 422


def test_database_failure_removes_stored_files(
    client, make_user, make_ticket, bearer, media, monkeypatch
) -> None:
    import admin_api.photos as photos_api

    calls = []
    real = photos_api.store_photo

    def failing_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(photos_api, "store_photo", failing_second)
    reporter = make_user("citizen")
    ticket = make_ticket(reporter)
    response = upload(
        client, bearer, reporter, ticket,
        ("a.png", image_bytes("PNG", color="red")), ("b.png", image_bytes("PNG", color="blue")),
    )  # fmt: skip
    assert response.status_code == 500
    assert media() == []


# --- core.tickets.photos directly (the bot uses it too) ----------------------------------------------


def test_webp_is_accepted() -> None:
    clean = inspect_image(image_bytes("WEBP"))
    assert (clean.content_type, clean.extension) == ("image/webp", "webp")


def test_limits_are_parameters() -> None:
    with pytest.raises(ImageRejected, match="larger than"):
        inspect_image(image_bytes("PNG"), max_bytes=10)
    with pytest.raises(ImageRejected, match="megapixels"):
        inspect_image(image_bytes("PNG", size=(2000, 1000)), max_pixels=1_000_000)


def test_camera_rotation_is_applied_before_exif_is_dropped() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    clean = inspect_image(image_bytes("JPEG", size=(64, 48), exif=exif.tobytes()))
    assert (clean.width, clean.height) == (48, 64)
    assert clean.gps is None
