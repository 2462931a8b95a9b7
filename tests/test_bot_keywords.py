"""Reading what citizens type: case, Turkish letters and diacritics don't matter."""

from __future__ import annotations

import pytest
from bot_support import new_sid

from bot.answers import fixed_answer, is_skip, yes_no
from bot.inbound import MalformedInbound, parse_inbound
from bot.keywords import Command, command_of, fold

SID = "SM" + "5e" * 16


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("İPTAL", "iptal"),
        ("IPTAL", "iptal"),
        ("iptal", "iptal"),
        ("İptal!", "iptal"),
        ("Aydınlatma", "aydinlatma"),
        ("AYDINLATMA", "aydinlatma"),
        ("  Atık   Yönetimi ", "atik yonetimi"),
        ("ŞĞÜÖÇ", "sguoc"),
        ("DİL EN", "dil en"),
        ("👍🏻", "evet"),
        ("Kadıköy'de", "kadikoy de"),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("İPTAL", Command("cancel")),
        ("iptal", Command("cancel")),
        ("IPTAL", Command("cancel")),
        ("Cancel", Command("cancel")),
        ("yardım", Command("help")),
        ("HELP", Command("help")),
        ("DURUM", Command("status")),
        ("durum 1234", Command("status", "1234")),
        ("STATUS #1234", Command("status", "1234")),
        ("DİL EN", Command("lang", "en")),
        ("dil en", Command("lang", "en")),
        ("LANG TR", Command("lang", "tr")),
        ("lang türkçe", Command("lang", "tr")),
        ("DUR", Command("stop")),
        ("stop", Command("stop")),
        ("BAŞLA", Command("start")),
        ("basla", Command("start")),
        ("SİL", Command("delete")),
        ("delete", Command("delete")),
        ("Menü", Command("menu")),
        ("durum abc", None),
        ("dil fr", None),
        ("vazgeçtim", Command("cancel")),
        ("boş ver", Command("cancel")),
        ("never mind", Command("cancel")),
        ("İngilizce", Command("lang", "en")),
        ("english please", Command("lang", "en")),
        ("ana menü", Command("menu")),
        ("iptal et lütfen", None),
        ("dur artık", None),
        ("", None),
    ],
)
def test_commands(text: str, command: Command | None) -> None:
    assert command_of(text) == command


def test_answers() -> None:
    assert all(yes_no(w) is True for w in ("EVET", "evet", "Yes", "y", "tamam"))
    assert yes_no("evetmiş") is None
    assert all(is_skip(w) for w in ("geç", "GEÇ", "gec", "skip", "Atla"))
    assert fixed_answer("Düzelmedi") is False
    assert fixed_answer("NOT FIXED") is False
    assert fixed_answer("düzeldi") is True
    assert fixed_answer("belki") is None


def test_inbound_from_whatsapp_and_sms() -> None:
    whatsapp = parse_inbound(
        {
            "MessageSid": SID,
            "From": "whatsapp:+905321234567",
            "Body": " Merhaba ",
            "ProfileName": "Ayşe",
        }
    )
    assert (whatsapp.address, whatsapp.channel, whatsapp.text) == (
        "+905321234567",
        "whatsapp",
        "Merhaba",
    )
    assert whatsapp.is_phone and whatsapp.profile_name == "Ayşe"
    sms = parse_inbound({"MessageSid": new_sid(), "From": "+905321234567", "Body": "x"})
    assert (sms.address, sms.channel) == ("+905321234567", "sms")
    hidden = parse_inbound({"MessageSid": new_sid(), "From": "whatsapp:tr.user.ab12"})
    assert not hidden.is_phone


def test_inbound_location_media_and_buttons() -> None:
    inbound = parse_inbound(
        {
            "MessageSid": SID,
            "From": "whatsapp:+905321234567",
            "Latitude": "41.0082",
            "Longitude": "28.9784",
            "Label": "Sultanahmet",
            "Address": "Fatih, İstanbul",
            "NumMedia": "2",
            "MediaUrl0": "https://api.twilio.com/a",
            "MediaContentType0": "image/jpeg",
            "MediaUrl1": "https://api.twilio.com/b",
            "ButtonPayload": "1",
            "ButtonText": "Yeni bildirim",
            "Body": "Yeni bildirim",
        }
    )
    assert inbound.location == (41.0082, 28.9784)
    assert inbound.location_label == "Sultanahmet, Fatih, İstanbul"
    assert [m.url for m in inbound.media] == [
        "https://api.twilio.com/a",
        "https://api.twilio.com/b",
    ]
    assert inbound.text == "1"  # the quick reply's payload, not its label


@pytest.mark.parametrize(
    "form", [{"From": "+905321234567"}, {"MessageSid": SID}, {"MessageSid": SID, "From": "   "}]
)
def test_inbound_without_sid_or_sender(form: dict[str, str]) -> None:
    with pytest.raises(MalformedInbound):
        parse_inbound(form)


@pytest.mark.parametrize(
    "sid",
    [
        "SM1",
        SID + "NumMedia0",  # a captured request re-cut at the signature's seams
        " " + SID,
        SID.upper(),
        "SM" + "g" * 32,
        "AC" + "5" * 32,
        "MG" + "5" * 32,
        "SM" + "5" * 31,
    ],
)
def test_only_a_real_twilio_message_sid_identifies_a_message(sid: str) -> None:
    with pytest.raises(MalformedInbound):
        parse_inbound({"MessageSid": sid, "From": "+905321234567"})
    mms = "MM" + "0123456789abcdef" * 2
    assert parse_inbound({"MessageSid": mms, "From": "+905321234567"}).sid == mms
