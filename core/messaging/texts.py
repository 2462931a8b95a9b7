"""What SoSoft tells citizens and staff about tickets, in Turkish and English.

Short (SMS segments are paid for) and always with the ticket number.
"""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "report_received": {
        "tr": "Bildiriminiz alındı: #{number}. Ekibimiz inceleyecek; durum değiştikçe size yazacağız.",
        "en": "Report #{number} received. Our team will review it and keep you posted.",
    },
    # To an Open311 contact who is a consented citizen (core/tickets/contact.py).
    "filed_for_you": {
        "tr": "{integration} sizin için belediyeye bildirim iletti: #{number}. Bizden mesaj almak istemiyorsanız DUR yazın.",
        "en": "{integration} filed report #{number} with the city for you. Reply STOP to stop messages from us.",
    },
    "in_progress": {
        "tr": "#{number} numaralı bildiriminiz üzerinde çalışılıyor.",
        "en": "Work has started on report #{number}.",
    },
    "resolved": {
        "tr": '#{number} çözüldü. Memnun kaldınız mı? 1-5 arası puan verin ya da sorun sürüyorsa "düzelmedi" yazın.',
        "en": '#{number} is resolved. How did we do? Reply 1-5, or "not fixed" if the problem remains.',
    },
    "closed": {
        "tr": "#{number} numaralı bildiriminiz kapatıldı. Teşekkür ederiz.",
        "en": "Report #{number} is closed. Thank you.",
    },
    "closed_duplicate": {
        "tr": "#{number} başka bir bildirimin tekrarı olarak kapatıldı; #{duplicate_of} üzerinden takip ediliyor.",
        "en": "#{number} was closed as a duplicate; it is followed up as #{duplicate_of}.",
    },
    "reopened": {
        "tr": "#{number} yeniden açıldı; ekibimiz tekrar ilgilenecek.",
        "en": "#{number} has been reopened; our team will look at it again.",
    },
    "staff_comment": {
        "tr": "#{number} hakkında belediyeden not: {comment}",
        "en": "Update from the city on #{number}: {comment}",
    },
    "escalation_approved": {
        "tr": "#{number} öncelikli olarak ele alınıyor.",
        "en": "#{number} has been given higher priority.",
    },
    # The answer to a typed address looked up on the map (core/conversations/address_lookup.py).
    "address_found": {
        "tr": "Haritada bulduğum yer: {label}. Doğruysa EVET yazın; değilse konumunuzu paylaşın ya da adresi daha ayrıntılı yazın.",
        "en": "I found this on the map: {label}. Reply YES if that's it; otherwise share your location or type the address in more detail.",
    },
    "address_found_sms": {
        "tr": "Haritada bulduğum yer: {label}. Doğruysa EVET yazın; değilse adresi daha ayrıntılı yazın.",
        "en": "I found this on the map: {label}. Reply YES if that's it, or type the address in more detail.",
    },
    "address_not_found": {
        "tr": "Bu adresi haritada bulamadım. Yazdığınız gibi kaydetmek için EVET yazın; ya da konumunuzu paylaşın.",
        "en": "I couldn't find that address on the map. Reply YES to keep it as you typed it, or share your location.",
    },
    "address_not_found_sms": {
        "tr": "Bu adresi haritada bulamadım. Yazdığınız gibi kaydetmek için EVET yazın ya da daha ayrıntılı yazın.",
        "en": "I couldn't find that address on the map. Reply YES to keep it as you typed it, or type it in more detail.",
    },
    "sla_breached": {
        "tr": "SLA aşıldı: #{number} ({category}) {due} tarihinde çözülmüş olmalıydı.",
        "en": "SLA breached: #{number} ({category}) was due {due}.",
    },
}


def render(kind: str, locale: str, **params: object) -> str:
    texts = TEXTS[kind]
    template = texts.get(locale) or texts["tr"]
    return template.format(**params)
