"""Reading what a citizen typed: keywords and answers in Turkish and English,
whatever the case and whether or not the Turkish letters were used.

`İPTAL`, `iptal`, `IPTAL` and `İptal` all fold to `iptal`; `aydinlatma` matches
`Aydınlatma`. Turkish dotted/dotless i are folded to the same letter on purpose:
people type on keyboards without them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_PUNCTUATION = re.compile(r"[^\w\s#]+")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower case, without diacritics or punctuation, single-spaced."""
    text = (text or "").replace("ı", "i").replace("I", "i").replace("İ", "i")
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = _PUNCTUATION.sub(" ", plain)
    return _SPACES.sub(" ", plain).strip()


# Whole-message commands, checked before the current step's handler.
COMMANDS: dict[str, str] = {
    "yardim": "help",
    "help": "help",
    "iptal": "cancel",
    "cancel": "cancel",
    "durum": "status",
    "status": "status",
    "dil": "lang",
    "lang": "lang",
    "language": "lang",
    "dur": "stop",
    "stop": "stop",
    "basla": "start",
    "start": "start",
    "sil": "delete",
    "delete": "delete",
    "menu": "menu",
}
LANGUAGES = {
    "tr": "tr",
    "turkce": "tr",
    "turkish": "tr",
    "en": "en",
    "english": "en",
    "ingilizce": "en",
}
YES = frozenset({"evet", "e", "yes", "y", "tamam", "ok", "onay", "onayliyorum"})
NO = frozenset({"hayir", "h", "no", "n", "vazgec"})
SKIP = frozenset({"gec", "skip", "atla", "yok", "hayir", "no"})
FIXED = frozenset({"duzeldi", "fixed", "cozuldu"})
NOT_FIXED = frozenset({"duzelmedi", "not fixed", "cozulmedi", "hala bozuk", "still broken"})


@dataclass(frozen=True)
class Command:
    name: str
    argument: str | None = None


def command_of(text: str) -> Command | None:
    """The command a message is, or None. `DURUM 1234` → status/1234, `DİL EN` → lang/en."""
    words = fold(text).split()
    if not words or len(words) > 2 or words[0] not in COMMANDS:
        return None
    name = COMMANDS[words[0]]
    argument = words[1] if len(words) == 2 else None
    if name == "status" and argument is not None:
        return Command(name, argument.lstrip("#")) if argument.lstrip("#").isdecimal() else None
    if name == "lang":
        language = LANGUAGES.get(argument or "")
        return Command(name, language) if language else None
    if argument is not None:
        return None
    return Command(name)


def is_yes(text: str) -> bool:
    return fold(text) in YES


def is_no(text: str) -> bool:
    return fold(text) in NO


def is_skip(text: str) -> bool:
    return fold(text) in SKIP


def fixed_answer(text: str) -> bool | None:
    """True for "düzeldi"/"fixed", False for "düzelmedi"/"not fixed", else None."""
    folded = fold(text)
    if folded in NOT_FIXED:
        return False
    if folded in FIXED:
        return True
    return None


def choice_number(text: str) -> int | None:
    """`2`, `2.` or ` 2 ` → 2."""
    folded = fold(text)
    return int(folded) if folded.isdecimal() and len(folded) <= 3 else None
