"""Which category a citizen means: by its number, its name, or the everyday words
managers keep for it (core/tickets/category_words.py), in a short answer or inside
a whole complaint.

Words are matched folded, Turkish ones with their suffixes ("lambası", "çöpler",
"parktaki", "direği") and English ones with a plural "s"; a single typo is forgiven
in long words ("aydnlatma"). A longer match covers the shorter ones inside it:
"trafik lambası" is Traffic, not also Lighting for "lamba". Words of two
categories both standing in the text make the answer ambiguous: the caller asks
which of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.answers import number_of
from bot.keywords import fold
from bot.outcomes import CategoryChoice

# Endings a short (three-letter) Turkish word takes: "çöpler", "yolda", "çimleri".
_SHORT_SUFFIXES = frozenset(
    {"ler", "lar", "leri", "lari", "lerin", "larin", "i", "u", "e", "a", "de", "da", "te", "ta",
     "den", "dan", "ten", "tan", "in", "un", "nin", "nun", "ni", "nu", "ne", "na", "deki", "daki",
     "teki", "taki", "cu", "ci", "yu", "yi", "ye", "ya"}
)  # fmt: skip
# Turkish softens a final consonant before a vowel: direk → direği, kapak → kapağı.
_SOFTENED = {"k": "g", "p": "b", "t": "d", "c": "c"}
_VOWELS = frozenset("aeiou")
MAX_SUFFIX = 7
TYPO_MIN_LENGTH = 6


@dataclass(frozen=True)
class _Term:
    words: tuple[str, ...]
    turkish: bool
    category_id: int


@dataclass(frozen=True)
class _Hit:
    category_id: int
    start: int
    end: int


def match_categories(
    categories: tuple[CategoryChoice, ...], text: str, *, numbers: bool = True
) -> tuple[CategoryChoice, ...]:
    """The categories `text` names, in menu order: none, one, or the ones it is
    ambiguous between. With `numbers`, a number picks from the list as shown."""
    number = number_of(text)
    if number is not None:
        if not numbers:
            return ()
        chosen = categories[number - 1] if 1 <= number <= len(categories) else None
        return (chosen,) if chosen else ()
    found = fold(text).split()
    if not found:
        return ()
    named = _by_name(categories, found)
    if named:
        return named
    hits = _hits(_terms(categories), found)
    ids = {hit.category_id for hit in hits}
    return tuple(c for c in categories if c.id in ids)


def _by_name(categories: tuple[CategoryChoice, ...], found: list[str]) -> tuple:
    """A whole answer that is a category's name or code, the start of one name
    ("aydınlatm", at least three letters) or a name with one typo."""
    answer = " ".join(found)
    joined = answer.replace(" ", "")
    exact = [c for c in categories if joined in _names(c)]
    if exact:
        return tuple(exact)
    if len(joined) >= 3:
        starts = [c for c in categories if any(n.startswith(joined) for n in _names(c))]
        if len(starts) == 1:
            return tuple(starts)
    typos = [c for c in categories if any(_one_typo(joined, n) for n in _names(c))]
    return tuple(typos) if len(typos) == 1 else ()


def _names(category: CategoryChoice) -> tuple[str, ...]:
    return tuple(
        fold(name).replace(" ", "") for name in (category.name_tr, category.name_en, category.code)
    )


def _terms(categories: tuple[CategoryChoice, ...]) -> tuple[_Term, ...]:
    terms = []
    for category in categories:
        phrases = [(category.name_tr, True), (category.name_en, False)]
        phrases += [(word, True) for word in category.words_tr]
        phrases += [(word, False) for word in category.words_en]
        for phrase, turkish in phrases:
            folded = tuple(fold(phrase).split())
            if folded:
                terms.append(_Term(folded, turkish, category.id))
    return tuple(terms)


def _hits(terms: tuple[_Term, ...], found: list[str]) -> list[_Hit]:
    """Every term standing in `found`, less the ones inside a longer one."""
    hits = []
    for term in terms:
        size = len(term.words)
        for start in range(len(found) - size + 1):
            window = found[start : start + size]
            if all(
                _word_matches(w, t, term.turkish) for w, t in zip(window, term.words, strict=True)
            ):
                hits.append(_Hit(term.category_id, start, start + size))
    return [
        hit
        for hit in hits
        if not any(
            other.start <= hit.start
            and hit.end <= other.end
            and (other.end - other.start) > (hit.end - hit.start)
            for other in hits
        )
    ]


def _word_matches(word: str, term: str, turkish: bool) -> bool:
    if word == term:
        return True
    if turkish and _inflected(word, term):
        return True
    if not turkish and word in (term + "s", term + "es"):
        return True
    return _one_typo(word, term)


def _inflected(word: str, stem: str) -> bool:
    stems = [stem]
    if stem[-1] in _SOFTENED:
        stems.append(stem[:-1] + _SOFTENED[stem[-1]])
    for candidate in stems:
        if not word.startswith(candidate) or word == candidate:
            continue
        suffix = word[len(candidate) :]
        if candidate != stem and suffix[0] not in _VOWELS:
            continue  # the softened stem only stands before a vowel
        if len(suffix) > MAX_SUFFIX:
            continue
        if len(stem) >= 4 or suffix in _SHORT_SUFFIXES:
            return True
    return False


def _one_typo(word: str, term: str) -> bool:
    """One letter wrong, missing, extra or two swapped, in a word of six letters or more."""
    if max(len(word), len(term)) < TYPO_MIN_LENGTH or abs(len(word) - len(term)) > 1:
        return False
    if word == term:
        return False
    if len(word) == len(term):
        diffs = [i for i, (a, b) in enumerate(zip(word, term, strict=True)) if a != b]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and word[diffs[0]] == term[diffs[1]]
            and word[diffs[1]] == term[diffs[0]]
        )
    short, long = sorted((word, term), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))
