"""The Twilio webhook end to end: signed requests in, TwiML out, rows in PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from bot_support import INBOUND, Phone, reply_of, sign, signed_post
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from bot.webhook import signature_valid
from core.conversations.expiry import expire_stale_drafts
from core.models import (
    Category,
    Comment,
    Conversation,
    Feedback,
    Message,
    Ticket,
    TicketFollower,
    User,
)
from core.tickets.workflow import apply_transition

IN_CITY = (41.0082, 28.9784)


def count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model))


def report(phone: Phone, category: str = "aydinlatma", where: tuple[float, float] = IN_CITY) -> str:
    phone.send("1")
    phone.send(category)
    phone.send("Sokak lambası iki gündür yanmıyor")
    phone.pin(*where)
    phone.send("geç")
    return phone.send("EVET")


# --- signature -------------------------------------------------------------------------------


def test_missing_signature_is_refused_and_nothing_stored(client, settings, db) -> None:
    phone = Phone(client, settings)
    response = client.post(INBOUND, data=phone.params("merhaba"))
    assert response.status_code == 403
    assert count(db, Message) == 0 and count(db, Conversation) == 0


def test_wrong_signature_is_refused(client, settings, db) -> None:
    params = Phone(client, settings).params("merhaba")
    signature = sign(settings, INBOUND, {**params, "Body": "something else"})
    response = client.post(INBOUND, data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert count(db, Message) == 0


def test_signature_over_the_internal_url_is_refused(client, settings, db) -> None:
    # Behind a TLS proxy the app sees http://localhost; Twilio signs the public URL.
    params = Phone(client, settings).params("merhaba")
    internal = settings.replace(PUBLIC_BASE_URL="http://localhost")
    response = client.post(
        INBOUND, data=params, headers={"X-Twilio-Signature": sign(internal, INBOUND, params)}
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("fragment", "status"),
    [("", 200), ("#rc=3&rp=ct,5xx", 200), ("#rp=all", 403), ("#rc=3&rp=ct,5xx&x", 403)],
)
def test_the_connection_overrides_fragment_may_be_signed_or_not(
    client, settings, seeded, fragment, status
) -> None:
    """Twilio retries a 503 only for a URL like …/inbound#rc=3&rp=ct,5xx. The fragment
    never reaches us and Twilio's docs do not say whether it is signed: the URL is
    accepted with our overrides (TWILIO_CONNECTION_OVERRIDES) or without any."""
    params = Phone(client, settings).params("merhaba")
    url = settings.PUBLIC_BASE_URL + INBOUND + fragment
    signature = RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(url, params)
    response = client.post(INBOUND, data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == status
    assert count(seeded, Message) == (1 if status == 200 else 0)


def test_a_captured_message_re_cut_at_the_signatures_seams_is_refused(
    client, settings, seeded
) -> None:
    """Names and values are signed with nothing between them, so `MessageSid=SM…` +
    `NumMedia=0` and `MessageSid=SM…NumMedia0` with no NumMedia verify alike; the new
    MessageSid would pass idempotency and replay the message. It is not a Twilio SID."""
    phone = Phone(client, settings)
    phone.register()
    captured = phone.params("SİL")
    signature = sign(settings, INBOUND, captured)
    headers = {"X-Twilio-Signature": signature}
    assert client.post(INBOUND, data=captured, headers=headers).status_code == 200
    stored = count(seeded, Message)

    replay = {name: value for name, value in captured.items() if name != "NumMedia"}
    replay["MessageSid"] = captured["MessageSid"] + "NumMedia" + captured["NumMedia"]
    assert sign(settings, INBOUND, replay) == signature  # the signature still holds
    response = client.post(INBOUND, data=replay, headers=headers)
    assert response.status_code == 400 and reply_of(response) == ""
    assert count(seeded, Message) == stored


def test_unknown_parameters_are_signed_over_and_tolerated(client, settings, seeded) -> None:
    phone = Phone(client, settings)
    reply = phone.send("merhaba", SomethingNew="x", FromCountry="TR", Forwarded="true")
    assert "KVKK" in reply


# --- the whole conversation --------------------------------------------------------------------


def test_full_report_in_turkish_with_pin_and_photo(client, settings, seeded) -> None:
    db = seeded
    phone = Phone(client, settings)
    assert "KVKK" in phone.send("Merhaba")
    assert count(db, User) == 0  # nobody is registered before consent and name
    assert "1: Ayşe" in phone.send("evet")
    assert "Teşekkürler Ayşe" in phone.send("1")
    assert "Aydınlatma" in phone.send("1")
    assert "en az 10" in phone.send("aydinlatma")
    assert "Konum" in phone.send("Sokak lambası iki gündür yanmıyor")
    assert "Fotoğraf" in phone.pin(*IN_CITY, label="Sultanahmet Meydanı")
    assert "(1/3)" in phone.photo(settings.twilio_media_prefix + "MM1/Media/ME1")
    summary = phone.send("geç")
    assert "Sultanahmet" in summary and "Fotoğraf: 1" in summary
    created = phone.send("EVET")

    ticket = db.scalars(select(Ticket)).one()
    assert f"#{ticket.number}" in created
    user = db.scalars(select(User)).one()
    assert (user.phone, user.full_name, user.locale) == ("+905321234567", "Ayşe", "tr")
    assert user.consent_at is not None
    assert ticket.reporter_id == user.id and ticket.channel == "whatsapp"
    assert ticket.location is not None and not ticket.needs_location
    assert ticket.address == "Sultanahmet Meydanı"
    photo_message = db.scalar(select(Message).where(Message.media != []))
    assert photo_message.ticket_id == ticket.id  # a photo still being fetched finds the ticket
    # The chat reply said it: the outbox copy of "report received" is not sent as well.
    outbound = db.scalars(select(Message).where(Message.direction == "outbound")).all()
    assert [(m.kind, m.status) for m in outbound] == [("report_received", "skipped")]
    conversation = db.scalars(select(Conversation)).one()
    assert conversation.state == "menu" and "draft" not in conversation.context


def test_full_report_in_english_over_sms_with_an_address(client, settings, seeded) -> None:
    db = seeded
    phone = Phone(client, settings, "+905331112233", channel="sms", profile=None)
    phone.send("hi")
    phone.send("DİL EN")
    assert "Type your name" in phone.send("yes")
    assert "Thank you John" in phone.send("John")
    phone.send("1")
    phone.send("Infrastructure")
    assert "Where" in phone.send("A deep pothole in the middle of the road")
    # Over SMS the photo step says how to send one without WhatsApp.
    assert "MMS" in phone.send("Corner of Bağdat Street and Söğütlüçeşme")
    assert "Summary" in phone.send("skip")
    assert "received" in phone.send("YES")
    ticket = db.scalars(select(Ticket)).one()
    assert ticket.channel == "sms" and ticket.needs_location and ticket.location is None
    assert db.scalars(select(User)).one().locale == "en"


def test_sms_and_whatsapp_are_the_same_citizen(client, settings, seeded) -> None:
    db = seeded
    Phone(client, settings).register()
    sms = Phone(client, settings, channel="sms")
    assert "Yeni bildirim" in sms.send("menü")
    assert count(db, User) == 1
    assert db.scalars(select(Conversation)).one().channel == "sms"


def test_a_user_with_the_phone_is_the_one_who_registers(
    client, settings, seeded, make_user
) -> None:
    """Registration trusts the message's own lookup by phone (it does not search again
    when that found no one): a user staff created with this number, no consent yet,
    is found by it and becomes the citizen, not a second user."""
    db = seeded
    known = make_user(phone="+905321234567", name="Ayşe Yılmaz", consent_at=None)
    db.flush()
    Phone(client, settings).register()
    assert count(db, User) == 1
    db.refresh(known)
    assert known.consent_at is not None and known.full_name == "Ayşe Yılmaz"
    assert db.scalars(select(Conversation)).one().user_id == known.id


def test_a_new_number_registers_one_new_user(client, settings, seeded) -> None:
    db = seeded
    Phone(client, settings, "+905321230000").register()
    user = db.scalars(select(User)).one()
    assert user.phone == "+905321230000" and user.consent_at is not None


def test_hidden_whatsapp_number_can_report(client, settings, seeded) -> None:
    db = seeded
    phone = Phone(client, settings, "tr.user.8f3a2c", profile="Deniz")
    phone.register()
    assert "#" in report(phone)
    user = db.scalars(select(User)).one()
    assert user.phone is None and user.whatsapp_id == "tr.user.8f3a2c"
    assert db.scalars(select(Ticket)).one().reporter_id == user.id


def test_unknown_country_is_refused_without_an_account(client, settings, seeded) -> None:
    phone = Phone(client, settings, "+12025550143")
    assert "TR" in phone.send("hello")
    assert "TR" in phone.send("YES")
    assert count(seeded, User) == 0


# --- idempotency and robustness ---------------------------------------------------------------------


def test_retried_message_sid_gets_the_same_reply_and_changes_nothing(
    client, settings, seeded
) -> None:
    phone = Phone(client, settings)
    phone.register()
    phone.send("1")
    params = phone.params("aydinlatma")
    first = signed_post(client, settings, INBOUND, params)
    again = signed_post(client, settings, INBOUND, params)
    assert first.get_data() == again.get_data()
    conversation = seeded.scalars(select(Conversation)).one()
    version = conversation.version
    signed_post(client, settings, INBOUND, params)
    seeded.refresh(conversation)
    assert conversation.version == version and conversation.state == "description"
    assert count(seeded, Message) == 5


@pytest.mark.parametrize(
    "extra",
    [
        {"NumMedia": "abc", "MediaUrl0": "https://example.com/x"},
        {"NumMedia": "-3"},
        {"NumMedia": "99999999999999999999"},
        {"Latitude": "200", "Longitude": "28.9"},
        {"Latitude": "nan", "Longitude": "inf"},
        {"Latitude": "41.0", "Longitude": ""},
        {"NumMedia": "1", "MediaUrl0": "javascript:alert(1)"},
        {"Body": "\x00\x07 control"},
        {"NumMedia": "1", "MediaUrl0": "https://example.com/a\x00b"},
        {"NumMedia": "1", "MediaUrl0": "https://example.com/a\nb"},
    ],
)
def test_malformed_parameters_are_treated_as_absent(client, settings, seeded, extra) -> None:
    phone = Phone(client, settings)
    phone.register()
    reply = phone.send(**{"body": extra.pop("Body", "selam")}, **extra)
    assert "Anlayamadım" in reply or "Ne yapmak" in reply
    stored = seeded.scalar(select(Message).order_by(Message.id.desc()).limit(1))
    assert stored.media == [] and "\x00" not in (stored.body or "")


def test_missing_message_sid_is_a_bad_request(client, settings, db) -> None:
    params = Phone(client, settings).params("merhaba")
    del params["MessageSid"]
    response = signed_post(client, settings, INBOUND, params)
    assert response.status_code == 400
    assert reply_of(response) == ""
    assert count(db, Message) == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MessageSid", "SM" + "a" * 31 + "\x00"),
        ("MessageSid", "SM\x07"),
        ("From", "whatsapp:+90532\x001234567"),
    ],
)
def test_a_control_character_in_an_identifier_is_a_bad_request(
    client, settings, db, name, value
) -> None:
    params = {**Phone(client, settings).params("merhaba"), name: value}
    response = signed_post(client, settings, INBOUND, params)
    assert response.status_code == 400
    assert reply_of(response) == ""
    assert count(db, Message) == 0 and count(db, Conversation) == 0


def test_a_control_character_in_a_media_type_is_dropped(client, settings, seeded) -> None:
    phone = Phone(client, settings)
    phone.register()
    phone.send(
        "", NumMedia="1", MediaUrl0="https://example.com/p.jpg", MediaContentType0="image/\x00jpeg"
    )
    stored = seeded.scalar(select(Message).order_by(Message.id.desc()).limit(1))
    assert stored.media == [{"url": "https://example.com/p.jpg", "content_type": "image/jpeg"}]


def test_a_1600_character_body_with_emoji(client, settings, seeded) -> None:
    phone = Phone(client, settings)
    phone.register()
    phone.send("1")
    phone.send("1")
    body = ("Çukur 🕳️🚗 " * 200)[:1600]
    reply = phone.send(body)
    assert "Konum" in reply and len(reply) < 320
    stored = seeded.scalar(select(Message).order_by(Message.id.desc()).limit(1))
    assert stored.body == body.strip()


def test_an_unexpected_error_is_a_polite_reply_not_a_500(
    client, settings, seeded, monkeypatch
) -> None:
    phone = Phone(client, settings)
    phone.register()

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("bot.receive.handle", broken)
    params = phone.params("1")
    response = signed_post(client, settings, INBOUND, params)
    assert response.status_code == 200
    assert "Bir sorun oluştu" in reply_of(response)
    monkeypatch.undo()
    # The retry of the same message gets the same answer; a new message works again.
    assert "Bir sorun oluştu" in reply_of(signed_post(client, settings, INBOUND, params))
    assert "Aydınlatma" in phone.send("1")


def test_empty_reply_is_an_empty_response(client, settings, seeded) -> None:
    phone = Phone(client, settings)
    phone.register()
    phone.send("DUR")
    response = phone.post("merhaba")
    assert response.status_code == 200
    assert response.get_data(as_text=True).endswith("<Response />")


# --- duplicates, keywords with effects, comments, feedback ---------------------------------------------


def test_duplicate_offer_follow_and_file_new(client, settings, seeded) -> None:
    db = seeded
    first = Phone(client, settings)
    first.register()
    report(first)
    original = db.scalars(select(Ticket)).one()

    second = Phone(client, settings, "+905331112233", profile="Can")
    second.register()
    offer = report(second, where=(41.0084, 28.9785))
    assert f"#{original.number}" in offer and "1:" in offer
    assert "takip ediyorsunuz" in second.send("1")
    follower = db.scalars(select(TicketFollower)).one()
    assert follower.ticket_id == original.id
    db.refresh(original)
    assert original.followers_count == 1
    assert count(db, Ticket) == 1

    report(second, where=(41.0084, 28.9785))
    assert "Bildiriminiz alındı" in second.send("2")
    assert count(db, Ticket) == 2


def test_other_category_or_far_away_is_no_duplicate(client, settings, seeded) -> None:
    phone = Phone(client, settings)
    phone.register()
    report(phone)
    assert "alındı" in report(phone, category="trafik")
    assert "alındı" in report(phone, where=(41.02, 28.99))


def test_draft_expiry_is_heard_on_the_next_message(client, settings, seeded) -> None:
    phone = Phone(client, settings)
    phone.register()
    phone.send("1")
    conversation = seeded.scalars(select(Conversation)).one()
    assert conversation.expires_at is not None
    conversation.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    seeded.flush()
    reply = phone.send("aydinlatma")
    assert "30 dakika" in reply and "Yeni bildirim" in reply


def test_the_expiry_sweep_drops_stale_drafts(client, settings, seeded) -> None:
    phone = Phone(client, settings)
    phone.register()
    phone.send("1")
    phone.send("aydinlatma")
    later = datetime.now(UTC) + timedelta(minutes=31)
    assert expire_stale_drafts(seeded, settings, datetime.now(UTC)) == 0
    assert expire_stale_drafts(seeded, settings, later) == 1
    conversation = seeded.scalars(select(Conversation)).one()
    seeded.refresh(conversation)
    assert conversation.state == "menu" and "draft" not in conversation.context
    assert "30 dakika" in phone.send("Sokak lambası yanmıyor")


def test_opt_out_and_back(client, settings, seeded) -> None:
    phone = Phone(client, settings)
    phone.register()
    assert "BAŞLA" in phone.send("DUR")
    user = seeded.scalars(select(User)).one()
    assert user.opted_out_at is not None
    assert phone.send("merhaba") == ""
    assert "yeniden açık" in phone.send("başla")
    seeded.refresh(user)
    assert user.opted_out_at is None
    assert "Aydınlatma" in phone.send("1")


def test_erase_replaces_personal_data(client, settings, seeded) -> None:
    db = seeded
    phone = Phone(client, settings)
    phone.register()
    report(phone)
    ticket = db.scalars(select(Ticket)).one()
    # An integration filed one for this number too (Open311): its contact goes as well.
    filed_for = Ticket(
        category_id=ticket.category_id, description="Open311 bildirimi", channel="open311",
        address="Kadıköy", contact_phone=phone.number, contact_email="me@example.org",
    )  # fmt: skip
    db.add(filed_for)
    db.flush()
    assert "EVET / HAYIR" in phone.send("SİL")
    assert "silindi" in phone.send("EVET")
    user = db.scalars(select(User)).one()
    db.refresh(user)
    assert user.phone is None and user.full_name == "Anonim" and user.erased_at is not None
    assert count(db, Conversation) == 0
    bodies = db.scalars(select(Message.body).where(Message.direction == "inbound")).all()
    assert all(b is None for b in bodies)
    assert db.scalars(select(Message.address)).all() == [None] * count(db, Message)
    db.refresh(ticket)
    db.refresh(filed_for)
    assert ticket.reporter_id == user.id  # the report stays, anonymous
    assert filed_for.contact_phone is None and filed_for.contact_email is None
    # Writing again starts afresh.
    assert "KVKK" in phone.send("merhaba")


def test_a_retried_erase_confirmation_leaves_nothing_behind(client, settings, seeded) -> None:
    db = seeded
    phone = Phone(client, settings)
    phone.register()
    phone.send("SİL")
    confirmation = f"SM{'e' * 32}"
    erased = phone.send("EVET", MessageSid=confirmation)
    assert "silindi" in erased and count(db, Conversation) == 0
    # Twilio retries the same message: the same reply, and no new conversation row
    # keyed by the phone that was just erased.
    assert phone.send("EVET", MessageSid=confirmation) == erased
    assert count(db, Conversation) == 0
    assert db.scalar(select(func.count()).where(Message.address == phone.number)) == 0


def test_erase_can_be_declined(client, settings, seeded) -> None:
    phone = Phone(client, settings)
    phone.register()
    phone.send("DELETE")
    assert "iptal edildi" in phone.send("hayır")
    assert seeded.scalars(select(User)).one().phone == "+905321234567"


def test_comment_on_own_ticket_only(client, settings, seeded) -> None:
    db = seeded
    owner = Phone(client, settings)
    owner.register()
    report(owner)
    number = db.scalars(select(Ticket)).one().number
    assert "eklendi" in owner.send(f"#{number} çukur daha da büyüdü")
    comment = db.scalars(select(Comment)).one()
    assert comment.body == "çukur daha da büyüdü" and not comment.is_internal
    # The message itself joins the ticket's thread, for staff to read in context.
    said = db.scalar(select(Message).where(Message.body == f"#{number} çukur daha da büyüdü"))
    assert said.ticket_id == db.scalars(select(Ticket)).one().id

    other = Phone(client, settings, "+905331112233")
    other.register()
    assert "bulunamadı" in other.send(f"#{number} benim de yorumum")
    assert count(db, Comment) == 1


def test_photo_captioned_with_a_ticket_number(client, settings, seeded) -> None:
    phone = Phone(client, settings)
    phone.register()
    report(phone)
    ticket = seeded.scalars(select(Ticket)).one()
    reply = phone.photo(settings.twilio_media_prefix + "MM9/Media/ME9", caption=f"#{ticket.number}")
    assert f"#{ticket.number}" in reply
    message = seeded.scalar(select(Message).order_by(Message.id.desc()).limit(1))
    assert message.ticket_id == ticket.id


def test_status_keyword(client, settings, seeded) -> None:
    phone = Phone(client, settings)
    phone.register()
    assert "Henüz" in phone.send("DURUM")
    report(phone)
    number = seeded.scalars(select(Ticket)).one().number
    assert f"#{number} Aydınlatma: alındı" in phone.send("durum")
    assert "alındı" in phone.send(f"DURUM {number}")
    assert "bulunamadı" in phone.send("DURUM 999999")
    # Beyond the column's range, and in Arabic-Indic digits: not found, not an error.
    assert "bulunamadı" in phone.send("DURUM 2147483648")
    assert "bulunamadı" in phone.send("DURUM " + "9" * 40)
    assert "bulunamadı" in phone.send("DURUM ٢١٤٧٤٨٣٦٤٨")


def test_feedback_rating_and_not_fixed_reopens(client, settings, seeded, make_user) -> None:
    db = seeded
    phone = Phone(client, settings)
    phone.register()
    report(phone)
    ticket = db.scalars(select(Ticket)).one()
    staff = make_user("support")
    apply_transition(db, ticket, "in_progress", actor=staff, role="support")
    apply_transition(db, ticket, "resolved", actor=staff, role="support")
    db.flush()
    assert "teşekkürler" in phone.send("4")
    assert db.scalars(select(Feedback)).one().rating == 4
    # Rated once: "1" is the menu again.
    assert "Aydınlatma" in phone.send("1")
    phone.send("iptal")
    assert "yeniden açıldı" in phone.send("düzelmedi")
    db.refresh(ticket)
    assert ticket.status == "in_progress" and ticket.reopen_count == 1
    assert db.scalars(select(Feedback)).one().fixed is False


def test_not_fixed_long_after_resolution_is_only_recorded(
    client, settings, seeded, make_user
) -> None:
    db = seeded
    phone = Phone(client, settings)
    phone.register()
    report(phone)
    ticket = db.scalars(select(Ticket)).one()
    staff = make_user("support")
    apply_transition(db, ticket, "in_progress", actor=staff, role="support")
    apply_transition(db, ticket, "resolved", actor=staff, role="support")
    ticket.resolved_at = datetime.now(UTC) - timedelta(days=settings.REOPEN_WINDOW_DAYS + 1)
    db.flush()
    assert "teşekkürler" in phone.send("not fixed")
    db.refresh(ticket)
    assert ticket.status == "resolved" and ticket.reopen_count == 0
    assert db.scalars(select(Feedback)).one().fixed is False


def test_a_failure_log_never_quotes_the_message(
    client, settings, seeded, monkeypatch, caplog
) -> None:
    phone = Phone(client, settings)
    phone.register()

    def broken(snapshot, inbound):
        raise ValueError(f"cannot handle {inbound.text}")

    monkeypatch.setattr("bot.receive.handle", broken)
    with caplog.at_level("ERROR", logger="bot.receive"):
        phone.send("gizli şikayet metni")
    assert "ValueError" in caplog.text and "broken" in caplog.text
    assert "gizli" not in caplog.text and "1234567" not in caplog.text


@pytest.mark.parametrize(("app_env", "checked"), [("development", False), ("production", True)])
def test_signature_opt_out_works_in_development_only(app, settings, app_env, checked) -> None:
    unsigned = Phone(None, settings).params("merhaba")
    opted_out = settings.replace(TWILIO_VALIDATE_SIGNATURE=False, APP_ENV=app_env)
    with app.test_request_context(INBOUND, method="POST", data=unsigned):
        assert signature_valid(opted_out) is not checked


def test_category_questions_are_asked_and_stored(client, settings, seeded) -> None:
    db = seeded
    lighting = db.scalars(select(Category).where(Category.code == "lighting")).one()
    lighting.questions = [
        {
            "code": "poles",
            "text_tr": "Kaç direk yanmıyor?",
            "text_en": "How many poles are out?",
            "datatype": "number",
            "required": True,
            "order": 1,
        },
        {
            "code": "since",
            "text_tr": "Ne zamandan beri?",
            "text_en": "Since when?",
            "datatype": "string",
            "required": False,
            "order": 2,
        },
    ]
    db.flush()
    phone = Phone(client, settings)
    phone.register()
    phone.send("1")
    phone.send("aydinlatma")
    assert "Kaç direk" in phone.send("Sokak lambaları yanmıyor")
    assert "sayı" in phone.send("birkaç")
    assert "Ne zamandan" in phone.send("3")
    assert "Konum" in phone.send("geç")
    phone.pin(*IN_CITY)
    phone.send("geç")
    phone.send("EVET")
    assert db.scalars(select(Ticket)).one().attributes == {"poles": 3}
