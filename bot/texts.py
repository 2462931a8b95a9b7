"""Everything the bot says, in Turkish and English.

Short on purpose. A reply stays under 320 characters (MAX_REPLY) on WhatsApp, and an
SMS reply within three paid segments (core/messaging/segments.py: one Turkish letter
makes a segment 67 characters, so about 200): a text `key` may have a `key_sms`
variant that says the same in fewer words, or how to do by text what needs WhatsApp
(a pin, a photo). Numbered choices and the skip hint look the same in every prompt
(`numbered`, `skip_hint`).
"""

from __future__ import annotations

from core.messaging.segments import MAX_SEGMENTS, is_gsm7, sms_segments

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
    "welcome_sms": {
        "tr": "Merhaba! Mahallenizdeki sorunları belediyeye bildirin. KVKK: bilgileriniz "
        "{days} gün saklanır, SİL ile silinir. Devam için EVET yazın.",
        "en": "Hi! Report problems in your neighbourhood to the city here. Privacy: we "
        "keep your number, name and reports for {days} days; reply DELETE to erase "
        "them. Reply YES to continue.",
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
        "tr": "Size nasıl hitap edelim? Adınızı yazın.\n2: Atla",
        "en": "What should we call you? Type your name.\n2: Skip",
    },
    "registered": {
        "tr": "Teşekkürler{name}, kaydınız tamam.",
        "en": "Thank you{name}, you are registered.",
    },
    "menu": {
        "tr": "Ne yapmak istersiniz?\n1: Yeni bildirim\n2: Bildirimlerim\n3: Yardım",
        "en": "What would you like to do?\n1: New report\n2: My reports\n3: Help",
    },
    "menu_hint": {
        "tr": "Sorunu doğrudan da yazabilirsiniz.",
        "en": "You can also just describe the problem.",
    },
    "welcome_reply": {"tr": "Rica ederiz!", "en": "You're welcome!"},
    "help": {
        "tr": "Komutlar: MENÜ, İPTAL (taslağı sil), DURUM [no], DİL EN, DUR (mesajları "
        "durdur), BAŞLA, SİL (verilerimi sil). Yorum için: #1234 mesajınız",
        "en": "Commands: MENU, CANCEL (drop the draft), STATUS [no], LANG TR, STOP (no more "
        "messages), START, DELETE (erase my data). To comment: #1234 your text",
    },
    "help_sms": {
        "tr": "Komutlar: MENÜ, İPTAL, DURUM [no], DİL EN, DUR, BAŞLA, SİL. Yorum: #1234 mesaj",
        "en": "Commands: MENU, CANCEL, STATUS [no], LANG TR, STOP, START, DELETE. "
        "Comment: #1234 text",
    },
    "miss": {"tr": "Anlayamadım.", "en": "Sorry, I didn't get that."},
    "choose_category": {
        "tr": "Sorun hangi konuda? Numara ya da ad yazın:\n{choices}",
        "en": "What is it about? Reply with a number or a name:\n{choices}",
    },
    "confirm_category": {
        "tr": "Konu: {category}. Doğruysa EVET yazın; değilse konunun numarasını yazın:\n{choices}",
        "en": "Topic: {category}. Reply YES if that's right, or the number of another:\n{choices}",
    },
    "which_category": {
        "tr": "Hangi konu? Numara yazın:\n{choices}",
        "en": "Which one is it? Reply with a number:\n{choices}",
    },
    "description_kept": {
        "tr": "Anlattıklarınızı aldım.",
        "en": "Got it, I've noted your description.",
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
    "ask_location_sms": {
        "tr": "Nerede? Adresi yazın (ör. Moda Cad. 25, Kadıköy) ya da koordinat "
        "(41.0082, 28.9784). Haritadan koordinatı kopyalayabilirsiniz.",
        "en": "Where is it? Type the address (e.g. Moda Cad. 25, Kadikoy) or coordinates "
        "(41.0082, 28.9784), which you can copy from a map app.",
    },
    "outside_area": {
        "tr": "Bu konum hizmet alanımızın dışında. Lütfen şehir içinden bir konum gönderin.",
        "en": "That location is outside our service area. Please send one inside the city.",
    },
    "looking_up": {
        "tr": "Adresi haritada arıyorum, birazdan yazacağım. Beklemeden konumunuzu da "
        "paylaşabilirsiniz.",
        "en": "Looking the address up on the map; I'll write back shortly. You can also "
        "share your location instead.",
    },
    "looking_up_sms": {
        "tr": "Adresi haritada arıyorum, birazdan yazacağım.",
        "en": "Looking the address up on the map; I'll write back shortly.",
    },
    "address_approximate": {
        "tr": "Adresi kaydettim; haritada yaklaşık olarak {area} görünecek, ekibimiz "
        "tam yeri adresten bulacak.",
        "en": "Address noted; it shows on the map around {area}, and our team will find "
        "the exact place from the address.",
    },
    "ask_photo": {
        "tr": "Fotoğraf gönderebilirsiniz (en fazla {limit}). Atlamak için GEÇ yazın.",
        "en": "You can send photos (up to {limit}). Reply SKIP to leave it out.",
    },
    "ask_photo_sms": {
        "tr": "Fotoğrafı MMS ile gönderebilirsiniz ya da bildirim açılınca WhatsApp'tan "
        "#numara yazıp ekleyebilirsiniz. Atlamak için GEÇ yazın.",
        "en": "You can send a photo by MMS, or add it on WhatsApp once the report is open "
        "by sending it with #number. Reply SKIP to leave it out.",
    },
    "photo_received": {
        "tr": "Fotoğraf alındı ({count}/{limit}). Başka fotoğraf gönderin ya da GEÇ yazın.",
        "en": "Photo received ({count}/{limit}). Send another or reply SKIP.",
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
        "tr": "En fazla {limit} fotoğraf ekleyebiliyoruz; fazlası eklenmedi.",
        "en": "We can take up to {limit} photos; the extra ones were not added.",
    },
    "summary": {
        "tr": "Özet:\nKonu: {category}\nAçıklama: {description}\n{answers}Konum: {location}\n"
        "Fotoğraf: {photos}\nGöndermek için EVET, vazgeçmek için HAYIR yazın.",
        "en": "Summary:\nTopic: {category}\nDescription: {description}\n{answers}"
        "Location: {location}\nPhotos: {photos}\nReply YES to send or NO to drop it.",
    },
    "summary_answer": {"tr": "{question} {answer}\n", "en": "{question} {answer}\n"},
    "pin": {"tr": "paylaşılan konum", "en": "shared location"},
    "around": {"tr": "{address} (haritada yaklaşık)", "en": "{address} (approximate on the map)"},
    "dropped": {"tr": "Bildirim gönderilmedi.", "en": "The report was not sent."},
    "duplicate_offer": {
        "tr": "Bu, {distance} m ötedeki #{number} bildirimine benziyor ({age}).\n"
        "1: #{number} takip et\n2: Yeni bildirim gönder",
        "en": "This looks like #{number}, {distance} m away, reported {age}.\n"
        "1: Follow #{number}\n2: Report a new one",
    },
    "duplicate_offer_own": {
        "tr": "{distance} m ötede sizin açık #{number} bildiriminiz var ({age}).\n"
        "1: Yazdıklarımı #{number} bildirimine ekle\n2: Yeni bildirim gönder",
        "en": "Your own report #{number} is open {distance} m away ({age}).\n"
        "1: Add this to #{number}\n2: Report a new one",
    },
    "age_today": {"tr": "bugün", "en": "today"},
    "age_days": {"tr": "{days} gün önce", "en": "{days} days ago"},
    "followed": {
        "tr": "#{number} bildirimini takip ediyorsunuz; anlattıklarınızı ekibe ilettim. "
        "Gelişmeleri size yazacağız.",
        "en": "You now follow #{number}; I've passed what you wrote on to the team. "
        "We'll keep you posted.",
    },
    "added_to_own": {
        "tr": "Yazdıklarınızı #{number} bildiriminize ekledim.",
        "en": "I've added this to your report #{number}.",
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
    "stop_confirm": {
        "tr": "Bizden mesaj almayı durdurmak mı istiyorsunuz? Durdurmak için EVET yazın "
        "(sonra BAŞLA ile yeniden başlarsınız). Bildirime devam etmek için HAYIR yazın.",
        "en": "Do you want to stop all messages from us? Reply YES to stop (START brings "
        "them back). Reply NO to go on with your report.",
    },
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
    "rate_again": {
        "tr": "#{number} için 1-5 arası bir puan yazın; sorun sürüyorsa DÜZELMEDİ yazın. "
        "Menü için MENÜ.",
        "en": "Please rate #{number} from 1-5, or reply NOT FIXED if the problem remains. "
        "MENU for the menu.",
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
    # A category's questions (bot/questions.py).
    "skip_hint": {"tr": "Atlamak için GEÇ yazın.", "en": "Reply SKIP to leave it out."},
    "hint_number": {"tr": "(Bir sayı yazın.)", "en": "(Send a number.)"},
    "hint_datetime": {
        "tr": "(Tarih ve saat, ör. 24.11.2026 14:30)",
        "en": "(Date and time, e.g. 24.11.2026 14:30)",
    },
    "hint_several": {
        "tr": "(Birden fazla seçebilirsiniz, ör. {example})",
        "en": "(You may pick several, e.g. {example})",
    },
    "answer_empty": {"tr": "Bir cevap yazın, lütfen.", "en": "Please send an answer."},
    "answer_required": {
        "tr": "Bu soru zorunlu, atlanamaz. Lütfen cevaplayın.",
        "en": "This question is required and cannot be skipped. Please answer it.",
    },
    "answer_number": {
        "tr": "Bu bir sayı değil. Lütfen yalnızca sayı yazın (ör. 30).",
        "en": "That is not a number. Please send just a number (e.g. 30).",
    },
    "answer_datetime": {
        "tr": "Tarihi anlayamadım. Şöyle yazın: 24.11.2026 14:30",
        "en": "I could not read that date. Write it like: 24.11.2026 14:30",
    },
    "answer_choice": {
        "tr": "Listeden bir seçenek yazın: numarasını ({first}-{last}) ya da adını.",
        "en": "Pick one option from the list: its number ({first}-{last}) or its name.",
    },
    "answer_choices": {
        "tr": "Listeden seçin: numaralarını virgülle ayırarak yazın (ör. {example}).",
        "en": "Pick from the list: send the numbers separated by commas (e.g. {example}).",
    },
    "answer_too_long": {
        "tr": "Cevap çok uzun (en fazla {limit} karakter).",
        "en": "That answer is too long (at most {limit} characters).",
    },
}

STATUS_NAMES: dict[str, dict[str, str]] = {
    "new": {"tr": "alındı", "en": "received"},
    "in_progress": {"tr": "üzerinde çalışılıyor", "en": "in progress"},
    "escalated": {"tr": "öncelikli", "en": "prioritised"},
    "resolved": {"tr": "çözüldü", "en": "resolved"},
    "closed": {"tr": "kapatıldı", "en": "closed"},
}


def t(key: str, locale: str, channel: str | None = None, **params: object) -> str:
    """The text `key` in `locale` (Turkish when missing), filled with `params`; on SMS
    its shorter `key_sms` variant when there is one."""
    if channel == "sms" and f"{key}_sms" in TEXTS:
        key = f"{key}_sms"
    texts = TEXTS[key]
    return (texts.get(locale) or texts["tr"]).format(**params)


def numbered(choices: list[str]) -> str:
    """Choices one per line as every prompt numbers them: "1: Altyapı"."""
    return "\n".join(f"{number}: {choice}" for number, choice in enumerate(choices, start=1))


def status_name(status: str, locale: str) -> str:
    names = STATUS_NAMES.get(status, {})
    return names.get(locale) or names.get("tr") or status


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def sms_budget(text: str) -> int:
    """How many characters of the kind `text` is written in fit MAX_SEGMENTS."""
    return MAX_SEGMENTS * (153 if is_gsm7(text) else 67)


def fits(text: str, channel: str) -> bool:
    """Within one reply: MAX_REPLY characters, and on SMS MAX_SEGMENTS segments."""
    if len(text) > MAX_REPLY:
        return False
    return channel != "sms" or sms_segments(text) <= MAX_SEGMENTS


def cut_to_fit(text: str, channel: str) -> str:
    """`text` cut (at a line where it can be, with an ellipsis) until it `fits`.

    An SMS in the GSM alphabet ends in "..." rather than "…", which is not in it and
    would make the whole message UCS-2."""
    if fits(text, channel):
        return text
    sms = channel == "sms"
    ellipsis = "..." if sms and is_gsm7(text) else "…"
    limit = min(MAX_REPLY, sms_budget(text)) if sms else MAX_REPLY
    cut = text[: limit - len(ellipsis)]
    if "\n" in cut[limit // 2 :]:
        cut = cut[: cut.rindex("\n")]
    cut = cut.rstrip() + ellipsis
    while not fits(cut, channel):
        cut = cut[: -len(ellipsis) - 1].rstrip() + ellipsis
    return cut
