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
    "sla_breached": {
        "tr": "SLA aşıldı: #{number} ({category}) {due} tarihinde çözülmüş olmalıydı.",
        "en": "SLA breached: #{number} ({category}) was due {due}.",
    },
}


def render(kind: str, locale: str, **params: object) -> str:
    texts = TEXTS[kind]
    template = texts.get(locale) or texts["tr"]
    return template.format(**params)
