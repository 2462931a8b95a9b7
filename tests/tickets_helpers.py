"""Helpers shared by the ticket API tests: the cast of callers and image bytes."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from core.models import User


@dataclass
class Cast:
    """Citizen A reports, citizen B is a stranger; support and manager work tickets."""

    a: User
    b: User
    support: User
    manager: User

    def __getitem__(self, name: str) -> User:
        return getattr(self, name)


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 48), color: str = "red", **save) -> bytes:  # fmt: skip
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt, **save)
    return out.getvalue()
