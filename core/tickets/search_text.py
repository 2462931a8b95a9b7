"""How the search box's words are read, to match the documents the database keeps.

Each ticket carries two stored documents, written by triggers (migration 0015):
`search_document` (description, address and public comments) and
`staff_search_document` (internal notes, which only staff may match). Every text in them
is there twice:
- as written, with I/İ lower-cased the Turkish way first (the database's ctype would make
  "IŞIK" "işik"), so the Turkish stemmer sees real Turkish: "lambaları" → "lamba";
- folded to plain letters (ı/İ/I → i, ş → s, ğ → g, ü → u, ö → o, ç → c, â/î/û), because
  citizens and staff type on keyboards without them: "karanlik" finds "karanlık",
  "sisli" finds "Şişli" (the address is there folded only: it is a name, not a sentence).
A query is read both ways too and matches either: as written through the stemmer
("lambalar" finds "lamba"), and folded word by word as prefixes ("isik" finds "IŞIKLAR",
whose folded suffix the stemmer does not know).

Both documents are columns of the ticket, not a join to comments, so that PostgreSQL
estimates a search well: with `OR EXISTS (comment …)` it took every search to match half
the tickets and walked the whole table newest first when one matched nothing (0.8 s at
a million tickets).
"""

from __future__ import annotations

import re

CONFIG = "turkish"

# The same letters the triggers fold (migration 0015's `_TR`, `_PLAIN`).
_TURKISH_LETTERS = "IİıŞşĞğÜüÖöÇçÂâÎîÛû"
_PLAIN_LETTERS = "iiiSsGgUuOoCcAaIiUu"
_AS_WRITTEN = str.maketrans("Iİ", "ıi")
_FOLDED = str.maketrans(_TURKISH_LETTERS, _PLAIN_LETTERS)
_WORDS = re.compile(r"[^\W_]+")


def as_written_query(q: str) -> str:
    """The search box's text for `websearch_to_tsquery` on the as-written reading."""
    return q.translate(_AS_WRITTEN)


def folded_query(q: str) -> str | None:
    """A `to_tsquery` of every folded word as a prefix (`isik:*`), or None without words.

    A prefix because the stemmer, made for Turkish letters, leaves folded suffixes on
    ("isiklar", "lambalari"): "isik" must still find "IŞIKLAR". Only letters and
    digits reach the query, so nothing typed can be read as tsquery syntax."""
    words = _WORDS.findall(q.translate(_FOLDED).lower())
    return " & ".join(f"{word}:*" for word in words) or None
