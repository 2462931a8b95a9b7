"""Text as people type it, folded for matching: case, diacritics and punctuation go.

`İPTAL`, `iptal`, `IPTAL` and `İptal` all fold to `iptal`; `Kadıköy'de` to
`kadikoy de`. Turkish dotted and dotless i fold to the same letter on purpose:
people type on keyboards without them.
"""

from __future__ import annotations

import re
import unicodedata

_TURKISH_I = str.maketrans({"ı": "i", "I": "i", "İ": "i"})
_PUNCTUATION = re.compile(r"[^\w\s#]+")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower case, without diacritics or punctuation (but `#`), single-spaced."""
    decomposed = unicodedata.normalize("NFKD", (text or "").translate(_TURKISH_I).lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", _PUNCTUATION.sub(" ", plain)).strip()
