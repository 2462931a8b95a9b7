"""Text as people type it, folded for matching: case, diacritics and punctuation go.

`İPTAL`, `iptal`, `IPTAL` and `İptal` all fold to `iptal`; `Kadıköy'de` to
`kadikoy de`. Turkish dotted and dotless i fold to the same letter on purpose:
people type on keyboards without them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_TURKISH_I = str.maketrans({"ı": "i", "I": "i", "İ": "i"})
_PUNCTUATION = re.compile(r"[^\w\s#]+")
_SPACES = re.compile(r"\s+")


# A message is folded several times while it is understood (keywords, answers, the
# category it names), and so are the category names every time a citizen picks one:
# short texts are remembered (a few hundred kB at most), long ones folded each time.
_REMEMBERED_LENGTH = 200


def fold(text: str) -> str:
    """Lower case, without diacritics or punctuation (but `#`), single-spaced."""
    text = text or ""
    if len(text) <= _REMEMBERED_LENGTH:
        return _remembered_fold(text)
    return _fold(text)


@lru_cache(maxsize=2048)
def _remembered_fold(text: str) -> str:
    return _fold(text)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_TURKISH_I).lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", _PUNCTUATION.sub(" ", plain)).strip()
