"""The console's words: one catalogue per language (console/catalog/tr.json and
en.json, the same keys in both), Turkish by default, English by a user's choice."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from flask import current_app, g, render_template, request

from core.models import User
from core.models.people import LOCALES

CATALOG_DIR = Path(__file__).resolve().parent / "catalog"


@cache
def catalog(locale: str) -> dict[str, str]:
    return json.loads((CATALOG_DIR / f"{locale}.json").read_text(encoding="utf-8"))


def choose_locale(user: User | None) -> None:
    """The signed-in user's language; before sign-in `?lang=`, else the city's default."""
    wanted = user.locale if user is not None else request.values.get("lang", "")
    g.console_locale = wanted if wanted in LOCALES else current_app.config["SOSOFT"].DEFAULT_LOCALE


def locale() -> str:
    return g.get("console_locale") or current_app.config["SOSOFT"].DEFAULT_LOCALE


def t(key: str, **params: Any) -> str:
    """The text of `key` in the request's language (the key itself if it is missing,
    which the catalogue test prevents)."""
    text = catalog(locale()).get(key, key)
    return text.format(**params) if params else text


def t_or(key: str, fallback: str) -> str:
    """The text of `key`, or `fallback` for keys made from data (an event kind the
    catalogue does not name yet)."""
    return catalog(locale()).get(key, fallback)


def error_page(status: int, key: str, **params: Any) -> tuple[str, int]:
    return render_template("error.html", status=status, message=t(key, **params)), status
