"""Every setting is documented: in .env.example and in the README's table."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from core.config import Settings

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = [f.name for f in fields(Settings) if f.name != "extra"]


@pytest.mark.parametrize("document", [".env.example", "README.md"])
def test_every_setting_is_documented(document: str) -> None:
    text = (ROOT / document).read_text(encoding="utf-8")
    missing = [name for name in SETTINGS if name not in text]
    assert not missing, f"{document} does not mention: {', '.join(missing)}"
