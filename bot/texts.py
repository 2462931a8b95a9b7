"""Everything the bot says, in Turkish and English.

Short on purpose: one Turkish letter makes an SMS UCS-2 (70 characters a segment)
and every segment is paid for. Each reply stays under 320 characters.
"""

from __future__ import annotations

MAX_REPLY = 320

TEXTS: dict[str, dict[str, str]] = {
    "welcome": {
        "tr": "Merhaba! Mahallenizdeki sorunları buradan belediyeye bildirebilirsiniz.\n"
        "KVKK: Numaranız, adınız ve bildirimleriniz {days} gün saklanır; SİL yazarak "
        "silebilirsiniz.\nDevam etmek için EVET yazın.",
        "en": "Hi! Report problems in your neighbourhood to the city here.\n"
        "Privacy: we keep your number, name and reports for {days} days; reply DELETE "
        "to erase them.\nReply YES to continue.",
    },
    "consent_reprompt": {
        "tr": "Devam etmek için EVET, vazgeçmek için HAYIR yazın.",
        "en": "Reply YES to continue or NO to stop.",
    },
    "consent_declined": {
        "tr": "Anlaşıldı, hiçbir bilginiz kaydedilmedi. Fikrinizi değiştirirseniz yeniden yazın.",
        "en": "Understood, nothing about you was kept. Write again if you change your mind.",
    },
    "refused_country": {
        "tr": "Üzgünüz, bu hizmet yalnızca şu ülkelerin numaralarına açık: {countries}.",
        "en": "Sorry, this service is only open to numbers from: {countries}.",
    },
    "ask_name_profile": {
        "tr": "Size nasıl hitap edelim? Adınızı yazın.\n1: {profile}\n2: Atla",
        "en": "What should we call you? Type your name.\n1: {profile}\n2: Skip",
    },
    "ask_name": {
        "tr": "Size nasıl hitap edelim? Adınızı yazın ya da 2: Atla",
        "en": "What should we call you? Type your name, or 2: Skip",
    },
    "registered": {
        "tr": "Teşekkürler{name}, kaydınız tamam.",
        "en": "Thank you{name}, you are registered.",
    },
    "menu": {
        "tr": "Ne yapmak istersiniz?\n1: Yeni bildirim\n2: Bildirimlerim\n3: Yardım",
        "en": "What would you like to do?\n1: New report\n2: My reports\n3: Help",
    },
    "help": {
        "tr": "Komutlar: MENÜ, İPTAL (taslağı sil), DURUM [no], DİL EN, DUR (mesajları "
        "durdur), BAŞLA, SİL (verilerimi sil). Yorum için: #1234 mesajınız",
        "en": "Commands: MENU, CANCEL (drop the draft), STATUS [no], LANG TR, STOP (no more "
        "messages), START, DELETE (erase my data). To comment: #1234 your text",
    },
    "miss": {"tr": "Anlayamadım.", "en": "Sorry, I didn't get that."},
    "choose_category": {
        "tr": "Sorun hangi konuda? Numara ya da ad yazın:\n{choices}",
        "en": "What is it about? Reply with a number or a name:\n{choices}",
    },
    "no_categories": {
        "tr": "Şu an bildirim alamıyoruz, lütfen daha sonra deneyin.",
        "en": "We cannot take reports right now, please try later.",
    },
    "ask_description": {
        "tr": "{category}: sorunu kısaca anlatın (en az 10 karakter).",
        "en": "{category}: describe the problem briefly (at least 10 characters).",
    },
    "description_short": {
        "tr": "Biraz daha ayrıntı lütfen (en az 10 karakter).",
        "en": "A little more detail, please (at least 10 characters).",
    },
    "ask_location": {
        "tr": "Nerede? Konum gönderin, koordinat yazın (41.0082, 28.9784) ya da "
        "adres veya yer tarifi yazın.",
        "en": "Where is it? Share a location, type coordinates (41.0082, 28.9784) or "
        "type an address or landmark.",
    },
    "outside_area": {
        "tr": "Bu konum hizmet alanımızın dışında. Lütfen şehir içinden bir konum gönderin.",
        "en": "That location is outside our service area. Please send one inside the city.",
    },
    "ask_photo": {
        "tr": "Fotoğraf gönderebilirsiniz (en fazla 3). Fotoğraf yoksa GEÇ yazın.",
        "en": "You can send photos (up to 3). No photo? Reply SKIP.",
    },
    "photo_received": {
        "tr": "Fotoğraf alındı ({count}/3). Başka fotoğraf gönderin ya da GEÇ yazın.",
        "en": "Photo received ({count}/3). Send another or reply SKIP.",
    },
    "photo_kept": {
        "tr": "Fotoğrafınızı bildiriminize ekleyeceğim.",
        "en": "I'll add your photo to the report.",
    },
    "location_kept": {
        "tr": "Konumu bildiriminize ekledim.",
        "en": "I've added the location to your report.",
    },
    "too_many_photos": {
        "tr": "En fazla 3 fotoğraf ekleyebiliyoruz; fazlası eklenmedi.",
        "en": "We can take up to 3 photos; the extra ones were not added.",
    },
    "summary": {
        "tr": "Özet:\nKonu: {category}\nAçıklama: {description}\nKonum: {location}\n"
        "Fotoğraf: {photos}\nGöndermek için EVET, vazgeçmek için HAYIR yazın.",
        "en": "Summary:\nTopic: {category}\nDescription: {description}\nLocation: {location}\n"
        "Photos: {photos}\nReply YES to send or NO to drop it.",
    },
    "pin": {"tr": "paylaşılan konum", "en": "shared location"},
    "dropped": {"tr": "Bildirim gönderilmedi.", "en": "The report was not sent."},
    "duplicate_offer": {
        "tr": "Bu, {distance} m ötedeki #{number} bildirimine benziyor ({age}).\n"
        "1: #{number} takip et\n2: Yeni bildirim gönder",
        "en": "This looks like #{number}, {distance} m away, reported {age}.\n"
        "1: Follow #{number}\n2: Report a new one",
    },
    "age_today": {"tr": "bugün", "en": "today"},
    "age_days": {"tr": "{days} gün önce", "en": "{days} days ago"},
    "followed": {
        "tr": "#{number} bildirimini takip ediyorsunuz; gelişmeleri size yazacağız.",
        "en": "You now follow #{number}; we'll keep you posted.",
    },
    "created": {
        "tr": "Bildiriminiz alındı: #{number}. Ekibimiz inceleyecek; durum değiştikçe "
        "size yazacağız. Durum için: DURUM {number}",
        "en": "Report #{number} received. Our team will review it and keep you posted. "
        "Status: STATUS {number}",
    },
    "create_failed": {
        "tr": "Bildiriminizi kaydedemedim: {reason}. Lütfen yeniden deneyin.",
        "en": "I couldn't file your report: {reason}. Please try again.",
    },
    "cancelled": {"tr": "Taslak silindi.", "en": "Draft dropped."},
    "nothing_to_cancel": {
        "tr": "Silinecek bir taslak yok.",
        "en": "There is no draft to drop.",
    },
    "expired": {
        "tr": "{minutes} dakika işlem olmadığı için taslağınız silindi.",
        "en": "Your draft was dropped after {minutes} minutes without a reply.",
    },
    "status_none": {"tr": "Henüz bir bildiriminiz yok.", "en": "You have no reports yet."},
    "status_line": {"tr": "#{number} {category}: {status}", "en": "#{number} {category}: {status}"},
    "not_found": {
        "tr": "#{number} numaralı bir bildiriminiz bulunamadı.",
        "en": "You have no report #{number}.",
    },
    "lang_set": {"tr": "Dil: Türkçe.", "en": "Language: English."},
    "stopped": {
        "tr": "Artık size mesaj göndermeyeceğiz. Yeniden başlamak için BAŞLA yazın.",
        "en": "We won't message you any more. Reply START to resume.",
    },
    "started": {"tr": "Mesajlar yeniden açık.", "en": "Messages are back on."},
    "erase_confirm": {
        "tr": "Adınız, numaranız ve mesajlarınız silinecek; bildirimleriniz anonim kalacak. "
        "Onaylıyor musunuz? EVET / HAYIR",
        "en": "Your name, number and messages will be erased; your reports stay, anonymous. "
        "Are you sure? YES / NO",
    },
    "erased": {
        "tr": "Verileriniz silindi. Yeniden yazarsanız yeni bir kayıt başlar.",
        "en": "Your data has been erased. If you write again, you start afresh.",
    },
    "erase_kept": {"tr": "Silme işlemi iptal edildi.", "en": "Nothing was erased."},
    "comment_added": {
        "tr": "Yorumunuz #{number} bildirimine eklendi.",
        "en": "Your comment was added to #{number}.",
    },
    "photo_for_ticket": {
        "tr": "Fotoğraf #{number} bildirimine eklenecek.",
        "en": "The photo will be added to #{number}.",
    },
    "feedback_thanks": {
        "tr": "Değerlendirmeniz için teşekkürler.",
        "en": "Thank you for your feedback.",
    },
    "feedback_reopened": {
        "tr": "Üzgünüz! #{number} yeniden açıldı; ekibimiz tekrar bakacak.",
        "en": "Sorry! #{number} has been reopened; our team will look again.",
    },
    "error": {
        "tr": "Bir sorun oluştu, lütfen tekrar deneyin.",
        "en": "Something went wrong, please try again.",
    },
    # A use case's refusal (bot/refusals.py): by the rule's code, else by its kind.
    "refused_feedback_given": {
        "tr": "#{number} için değerlendirmenizi zaten aldık, teşekkürler.",
        "en": "We already have your feedback on #{number}, thank you.",
    },
    "refused_feedback_not_resolved": {
        "tr": "#{number} henüz çözülmedi; çözüldüğünde değerlendirebilirsiniz.",
        "en": "#{number} is not resolved yet; you can rate it once it is.",
    },
    "refused_follow_own": {
        "tr": "#{number} sizin bildiriminiz; gelişmeleri zaten size iletiyoruz.",
        "en": "#{number} is your own report; you hear of it already.",
    },
    "refused_follow_done": {
        "tr": "#{number} artık açık değil; takip edilecek bir şey kalmadı.",
        "en": "#{number} is no longer open; there is nothing left to follow.",
    },
    "refused_comment_empty": {
        "tr": "Yorum boş görünüyor. Örnek: #{number} Sorun devam ediyor",
        "en": "The comment looks empty. Example: #{number} Still broken",
    },
    "refused_conflict": {
        "tr": "#{number} için bu şu anda yapılamıyor.",
        "en": "That can't be done for #{number} right now.",
    },
    "refused_refused": {
        "tr": "Bunu kaydedemedim; lütfen farklı yazıp tekrar deneyin.",
        "en": "I couldn't save that; please try again in other words.",
    },
}

STATUS_NAMES: dict[str, dict[str, str]] = {
    "new": {"tr": "alındı", "en": "received"},
    "in_progress": {"tr": "üzerinde çalışılıyor", "en": "in progress"},
    "escalated": {"tr": "öncelikli", "en": "prioritised"},
    "resolved": {"tr": "çözüldü", "en": "resolved"},
    "closed": {"tr": "kapatıldı", "en": "closed"},
}


def t(key: str, locale: str, **params: object) -> str:
    """The text `key` in `locale` (Turkish when missing), filled with `params`."""
    texts = TEXTS[key]
    return (texts.get(locale) or texts["tr"]).format(**params)


def status_name(status: str, locale: str) -> str:
    names = STATUS_NAMES.get(status, {})
    return names.get(locale) or names.get("tr") or status


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
