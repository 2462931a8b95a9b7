"""The everyday words that name a category in a chat, kept by managers.

Stored on `Category.everyday_words` as {"tr": [...], "en": [...]}: "lamba",
"sokak lambası", "karanlık" for Lighting. The bot finds a category by them (and by
its names); how a word is matched (case, Turkish suffixes, typos) is the bot's
business (bot/category_match.py). Here: what a valid list is, checked the same for
every channel that writes one.
"""

from __future__ import annotations

from typing import Any

LANGUAGES = ("tr", "en")
MAX_WORDS = 100
MAX_WORD = 60


class InvalidWords(ValueError):
    """Bad word lists; `errors` maps a language (or `_schema`) to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("invalid everyday words")
        self.errors = errors


def empty_words() -> dict[str, list[str]]:
    return {language: [] for language in LANGUAGES}


def validate_words(raw: Any) -> dict[str, list[str]]:
    """The cleaned lists (single-spaced, each word once whatever its case).

    Raises InvalidWords naming every problem at once."""
    if not isinstance(raw, dict):
        raise InvalidWords({"_schema": ['an object like {"tr": ["lamba"], "en": ["lamp"]}']})
    errors: dict[str, list[str]] = {}
    for unknown in sorted(set(raw) - set(LANGUAGES), key=str):
        errors.setdefault(str(unknown), []).append("unknown language; use tr or en")
    cleaned = empty_words()
    for language in LANGUAGES:
        words = raw.get(language, [])
        if not isinstance(words, list):
            errors.setdefault(language, []).append("a list of words")
            continue
        if len(words) > MAX_WORDS:
            errors.setdefault(language, []).append(f"at most {MAX_WORDS} words")
            continue
        seen: set[str] = set()
        for position, word in enumerate(words, start=1):
            problem = _problem(word)
            if problem:
                errors.setdefault(language, []).append(f"word {position}: {problem}")
                continue
            text = " ".join(word.split())
            if text.casefold() not in seen:
                seen.add(text.casefold())
                cleaned[language].append(text)
    if errors:
        raise InvalidWords(errors)
    return cleaned


def _problem(word: Any) -> str | None:
    if not isinstance(word, str) or not word.strip():
        return "text expected"
    if len(word.strip()) > MAX_WORD:
        return f"at most {MAX_WORD} characters"
    if not any(ch.isalpha() for ch in word):
        return "a word needs a letter"
    if not word.isprintable():
        return "no control characters"
    return None
