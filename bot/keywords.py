"""The commands that hold in every state, and folding what citizens type for matching.

Commands are whole messages (`İPTAL`, `DURUM 1234`, `DİL EN`), in Turkish and English,
whatever the case and whether or not the Turkish letters were used. Everyday answers
(yes, no, skip, a rating…) are read in bot/answers.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from core import folding

# Emoji people answer with, read as the word they stand for.
EMOJI_WORDS = {
    "👍": "evet",
    "👌": "tamam",
    "✅": "evet",
    "✔": "evet",
    "☑": "evet",
    "👎": "hayir",
    "❌": "hayir",
    "✖": "hayir",
    "🙏": "tesekkurler",
}
_EMOJI = str.maketrans({emoji: f" {word} " for emoji, word in EMOJI_WORDS.items()})


def fold(text: str) -> str:
    """Lower case, without diacritics, punctuation or emoji (but the ones that mean a
    word: 👍 is "evet"), single-spaced."""
    return folding.fold((text or "").translate(_EMOJI))


@dataclass(frozen=True)
class Command:
    name: str
    argument: str | None = None


# Whole-message commands, checked before the current step's handler.
COMMANDS: dict[str, str] = {
    "yardim": "help",
    "help": "help",
    "iptal": "cancel",
    "cancel": "cancel",
    "vazgectim": "cancel",
    "bosver": "cancel",
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


# Commands said in more than one word, or without the command word.
PHRASES: dict[str, Command] = {
    "bos ver": Command("cancel"),
    "never mind": Command("cancel"),
    "nevermind": Command("cancel"),
    "forget it": Command("cancel"),
    "ana menu": Command("menu"),
    "main menu": Command("menu"),
    "ingilizce": Command("lang", "en"),
    "ingilizce lutfen": Command("lang", "en"),
    "english": Command("lang", "en"),
    "english please": Command("lang", "en"),
    "in english": Command("lang", "en"),
    "turkce": Command("lang", "tr"),
    "turkce lutfen": Command("lang", "tr"),
    "turkish please": Command("lang", "tr"),
    "in turkish": Command("lang", "tr"),
}


def command_of(text: str) -> Command | None:
    """The command a message is, or None. `DURUM 1234` → status/1234, `DİL EN` → lang/en."""
    folded = fold(text)
    if folded in PHRASES:
        return PHRASES[folded]
    words = folded.split()
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


def choice_number(text: str) -> int | None:
    """`2`, `2.` or ` 2 ` → 2."""
    folded = fold(text)
    return int(folded) if folded.isdecimal() and len(folded) <= 3 else None
