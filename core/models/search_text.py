"""The text search's SQL: what a ticket and a comment are indexed as, and how a query
is read, written once so that the indexes and the queries cannot drift apart (the
planner uses an expression index only for the very same expression).

A ticket's document is stored (`tickets.search_document`, kept by a trigger), not an
expression index: the newest-first list with a common word walks the newest tickets
and tests each one, which must be a stored value's read, not three `to_tsvector`
calls per row (186 ms against 15 ms at a million tickets).

Two readings of every text are indexed side by side:
- as written, with I/İ lower-cased the Turkish way first (the database's ctype would make
  "IŞIK" "işik"), so the Turkish stemmer sees real Turkish: "lambaları" → "lamba";
- folded to plain letters (ı/İ/I → i, ş → s, ğ → g, ü → u, ö → o, ç → c, â/î/û), because
  citizens and staff type on keyboards without them: "karanlik" finds "karanlık",
  "sisli" finds "Şişli".
A query is read both ways too and matches either: as written through the stemmer
("lambalar" finds "lamba"), folded word by word as prefixes ("isik" finds "IŞIKLAR",
whose folded suffix the stemmer does not know). The address is indexed folded only: it is a name, not a sentence.
"""

from __future__ import annotations

import re

_TURKISH_LETTERS = "IİıŞşĞğÜüÖöÇçÂâÎîÛû"
_PLAIN_LETTERS = "iiiSsGgUuOoCcAaIiUu"
assert len(_TURKISH_LETTERS) == len(_PLAIN_LETTERS)

CONFIG = "turkish"


def as_written(sql: str) -> str:
    return f"translate({sql}, 'Iİ', 'ıi')"


def folded(sql: str) -> str:
    return f"lower(translate({sql}, '{_TURKISH_LETTERS}', '{_PLAIN_LETTERS}'))"


def _vector(sql: str) -> str:
    return f"to_tsvector('{CONFIG}', {sql})"


def ticket_vector(row: str = "") -> str:
    """A ticket's searchable text: its description both ways and its address folded
    (`row` "NEW" in the trigger that keeps `tickets.search_document`)."""
    prefix = f"{row}." if row else ""
    description, address = f"{prefix}description", f"COALESCE({prefix}address, '')"
    return (
        f"(({_vector(as_written(description))} || {_vector(folded(description))})"
        f" || {_vector(folded(address))})"
    )


def comment_vector(table: str = "") -> str:
    prefix = f"{table}." if table else ""
    body = f"{prefix}body"
    return f"({_vector(as_written(body))} || {_vector(folded(body))})"


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
