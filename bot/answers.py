"""Everyday answers, as citizens write them: yes, no, done, skip, a rating, "still broken",
a greeting, thanks, what they want at the menu.

Turkish first, English alike; every word is matched folded (bot.keywords.fold), so
"Tamam", "tmm", "👍" and "EVET EVET" are read the same way. An answer is a message
whose words are all of the kind asked for (or filler such as "lütfen", "please"):
"evet gönder" is a yes at the summary, "evet ama konum yanlış" is not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.keywords import fold

YES = frozenset(
    {"evet", "evt", "eevet", "e", "yes", "y", "yeah", "yep", "yup", "sure", "ok", "okay", "okey",
     "oki", "tamam", "tmm", "tamamdir", "olur", "tabii", "tabi", "tabiki", "elbette", "peki",
     "kabul", "onay", "onayliyorum", "onaylarim", "agree", "aynen", "uygun"}
)  # fmt: skip
NO = frozenset(
    {"hayir", "hyr", "h", "no", "n", "nope", "nah", "yok", "istemiyorum", "istemem", "etmiyorum",
     "vazgec", "olmaz", "degil", "reddediyorum"}
)  # fmt: skip
# Words that go along with an answer without changing it.
FILLER = frozenset(
    {"lutfen", "please", "i", "ki", "ederim", "ediyorum", "thanks", "thank", "you", "tesekkurler",
     "tesekkur", "sagol", "sagolun", "ben", "de", "da", "it", "that", "is", "bu", "sekilde"}
)  # fmt: skip
# Leaving something out (an optional question, the name, photos): one set everywhere.
SKIP = frozenset({"gec", "gecelim", "skip", "atla", "atlayalim", "pas", "yok", "hayir", "no"})
# "I don't know": an optional question is then left out too.
UNKNOWN = frozenset(
    {"bilmiyorum", "bilmem", "emin degilim", "fikrim yok", "bilemiyorum", "dont know",
     "don t know", "do not know", "not sure", "no idea", "idk", "unknown"}
)  # fmt: skip
# No (more) photos.
DONE = frozenset(
    {"tamam", "tmm", "tamamdir", "bitti", "bitirdim", "yok", "yoktur", "evet", "hayir", "gec",
     "atla", "skip", "done", "finished", "ok", "okay", "no", "none", "nope", "yeter",
     "cekemedim", "cekemiyorum", "cekemem", "olmadi", "nothing"}
)  # fmt: skip
PHOTO_WORDS = frozenset(
    {"foto", "fotom", "fotograf", "fotografim", "fotograflar", "resim", "resmim", "photo",
     "photos", "picture", "pictures", "pic", "image"}
)  # fmt: skip
DONE_FILLER = frozenset(
    {"maalesef", "sorry", "simdi", "su", "an", "gerek", "baska", "bu", "kadar", "that", "s",
     "all", "it", "is", "any", "more", "hepsi", "de", "da", "cekmedim", "yeterli", "thanks",
     "tesekkurler", "lutfen"}
)  # fmt: skip
DONE_PHRASES = frozenset({"bu kadar", "that s all", "thats all", "hepsi bu", "that is all"})
# Declining to give something (the name): skip and no words, and these.
DECLINE = frozenset(
    {"gerek", "istemiyorum", "istemem", "soylemek", "soylemem", "soylemeyeyim", "dont", "don",
     "t", "want", "to", "say", "rather", "not"}
)  # fmt: skip

GREETINGS = (
    "selamun aleykum", "selamunaleykum", "aleykum selam", "iyi gunler", "iyi aksamlar",
    "iyi geceler", "hayirli gunler", "kolay gelsin", "good morning", "good afternoon",
    "good evening", "merhabalar", "merhaba", "meraba", "mrhb", "mrb", "selamlar", "selam", "slm",
    "sa", "gunaydin", "hello", "hi", "hey", "hiya",
)  # fmt: skip
THANKS = frozenset(
    {"tesekkurler", "tesekkur", "tesekkurlr", "tsk", "tskler", "tskrler", "sagol", "sagolun",
     "sag", "eyvallah", "eyv", "thanks", "thank", "thx", "ty", "cheers"}
)  # fmt: skip
THANKS_FILLER = frozenset(
    {"ederim", "ederiz", "cok", "ol", "olun", "you", "a", "lot", "much", "so", "very",
     "tamam", "ok", "rica"}
)  # fmt: skip

# At the menu: wanting to report, wanting one's reports, wanting help.
NEW_REPORT = frozenset(
    {"yeni", "bildirim", "bildirmek", "bildir", "sikayet", "sorun", "ihbar", "new", "report",
     "problem", "complaint", "issue"}
)  # fmt: skip
NEW_REPORT_FILLER = frozenset(
    {"yapmak", "istiyorum", "etmek", "bir", "var", "a", "i", "want", "to", "make", "file", "have",
     "there", "is", "please", "lutfen", "vermek", "olustur", "olusturmak", "acmak", "belediyeye",
     "bildirimi", "the", "an", "like", "would", "d", "id", "sikayetim", "yapacagim", "edecegim"}
)  # fmt: skip
MY_REPORTS = frozenset(
    {"bildirimlerim", "sikayetlerim", "basvurularim", "bildirimim", "sikayetim", "basvurum",
     "taleplerim", "talebim"}
)  # fmt: skip
MY_REPORTS_PHRASES = ("my reports", "my report", "my complaints", "my tickets")
HELP_PHRASES = frozenset(
    {"ne yapabilirim", "nasil", "nasil kullanilir", "nasil calisiyor", "nasil yapacagim",
     "komutlar", "yardim lazim", "how does it work", "how does this work", "what can i do",
     "commands"}
)  # fmt: skip

NUMBER_WORDS = {
    "bir": 1, "iki": 2, "uc": 3, "dort": 4, "bes": 5, "alti": 6, "yedi": 7, "sekiz": 8,
    "dokuz": 9, "on": 10, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip
RATING_FILLER = frozenset(
    {"yildiz", "yildizi", "puan", "puanim", "puani", "veriyorum", "verdim", "stars", "star",
     "out", "of", "idare", "eder", "iyi", "cok", "kotu", "harika", "super", "berbat", "fena",
     "degil", "tesekkurler", "thanks", "good", "great", "bad", "ok", "points", "i", "give", "it",
     "rating", "puanlama", "olarak"}
)  # fmt: skip
_STAR = "⭐"
_RATING_OUT_OF = re.compile(r"^\s*([1-5])\s*/\s*5\s*$")

FIXED = frozenset({"duzeldi", "cozuldu", "fixed", "yapildi", "yapilmis", "onarildi", "halloldu"})
NOT_FIXED = frozenset(
    {"duzelmedi", "duzelmemis", "cozulmedi", "cozulmemis", "yapilmadi", "yapilmamis",
     "onarilmadi", "onarilmamis", "hala", "still", "halen"}
)  # fmt: skip
NOT_FIXED_PHRASES = frozenset(
    {"not fixed", "still broken", "hala bozuk", "nothing was done", "nothing has been done",
     "hicbir sey yapilmadi", "hicbir sey degismedi", "ayni durumda", "ayni", "not solved"}
)  # fmt: skip


def words(text: str) -> list[str]:
    return fold(text).split()


def _all_in(found: Iterable[str], *allowed: frozenset[str]) -> bool:
    return all(any(word in group for group in allowed) for word in found)


def yes_no(
    text: str, *, yes: frozenset[str] = frozenset(), no: frozenset[str] = frozenset()
) -> bool | None:
    """True for a yes, False for a no, None for anything else.

    `yes`/`no`: the step's own words ("gönder" at the summary). A no word among yes
    words wins: "kabul etmiyorum" is a no.
    """
    found = words(text)
    yes_words, no_words = YES | yes, NO | no
    if not found or not _all_in(found, yes_words, no_words, FILLER):
        return None
    if any(word in no_words for word in found):
        return False
    if any(word in yes_words for word in found):
        return True
    return None


def is_skip(text: str) -> bool:
    """One of the skip words, on its own."""
    found = words(text)
    return bool(found) and _all_in(found, SKIP, FILLER)


def is_unknown(text: str) -> bool:
    return fold(text) in UNKNOWN


def declines(text: str) -> bool:
    """The citizen would rather not say ("istemiyorum", "gerek yok", "skip")."""
    found = words(text)
    return bool(found) and _all_in(found, SKIP, NO, DECLINE, FILLER)


def photos_done(text: str) -> bool:
    """No (more) photos: "tamam", "bitti", "foto yok", "bu kadar", "👍"."""
    folded = fold(text)
    if folded in DONE_PHRASES:
        return True
    found = folded.split()
    return (
        bool(found)
        and _all_in(found, DONE, PHOTO_WORDS, DONE_FILLER)
        and any(word in DONE for word in found)
    )


def without_greeting(text: str) -> str:
    """`text` folded, with the greetings it starts with taken off."""
    folded = fold(text)
    changed = True
    while changed and folded:
        changed = False
        for greeting in GREETINGS:
            if folded == greeting or folded.startswith(greeting + " "):
                folded = folded[len(greeting) :].strip()
                changed = True
                break
    return folded


def is_greeting(text: str) -> bool:
    return bool(fold(text)) and not without_greeting(text)


def is_thanks(text: str) -> bool:
    found = without_greeting(text).split()
    return (
        bool(found)
        and _all_in(found, THANKS, THANKS_FILLER)
        and any(word in THANKS for word in found)
    )


def menu_intent(text: str) -> str | None:
    """ "new" (a report, nothing said about it yet), "mine" (my reports) or "help"."""
    if text.strip().strip("?!. ") == "" and "?" in text:
        return "help"
    rest = without_greeting(text)
    found = rest.split()
    if not found:
        return None
    if rest in HELP_PHRASES:
        return "help"
    if any(word in MY_REPORTS for word in found) or any(
        rest.startswith(phrase) for phrase in MY_REPORTS_PHRASES
    ):
        return "mine"
    if _all_in(found, NEW_REPORT, NEW_REPORT_FILLER) and any(w in NEW_REPORT for w in found):
        return "new"
    return None


def number_of(text: str) -> int | None:
    """A number typed as digits or as a word: "3", "3.", "üç", "three"."""
    folded = fold(text)
    if folded.isdecimal() and len(folded) <= 3:
        return int(folded)
    return NUMBER_WORDS.get(folded)


def rating_of(text: str) -> int | None:
    """A 1–5 rating: "5", "5/5", "4 yıldız", "⭐⭐⭐⭐", "beş", "3 idare eder"."""
    stripped = text.strip()
    if stripped and set(stripped) <= {_STAR, "\ufe0f", " "}:
        stars = stripped.count(_STAR)
        return stars if 1 <= stars <= 5 else None
    out_of = _RATING_OUT_OF.match(stripped)
    if out_of:
        return int(out_of.group(1))
    numbers, others = [], []
    for word in words(stripped.replace(_STAR, " ")):
        number = int(word) if word.isdecimal() and len(word) <= 2 else NUMBER_WORDS.get(word)
        (numbers if number is not None else others).append(number if number is not None else word)
    if len(numbers) != 1 or not 1 <= numbers[0] <= 5:
        return None
    return numbers[0] if _all_in(others, RATING_FILLER) else None


def fixed_answer(text: str, *, loose: bool = False) -> bool | None:
    """True for "düzeldi"/"fixed", False for "düzelmedi"/"still broken", else None.

    `loose` (at the menu, where the resolved ticket was just asked about): also a
    sentence that says it ("hâlâ yanmıyor", "düzeldi teşekkürler").
    """
    folded = fold(text)
    if folded in NOT_FIXED_PHRASES or folded in NOT_FIXED:
        return False
    if folded in FIXED:
        return True
    if not loose:
        return None
    found = folded.split()
    if any(word in NOT_FIXED for word in found):
        return False
    if any(word in FIXED for word in found) and _all_in(found, FIXED, FILLER, THANKS_FILLER):
        return True
    return None
