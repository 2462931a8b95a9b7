"""Through the webhook: the bot understands citizens as they really write, and a
returning citizen's report stays short."""

from __future__ import annotations

from bot_support import Phone
from sqlalchemy import select

from core.models import Category, Conversation, Feedback, Message, Ticket, User
from core.tickets.workflow import apply_transition

IN_CITY = (41.0082, 28.9784)


def test_a_complaint_typed_at_the_menu_starts_a_report_with_it(client, settings, seeded) -> None:
    db = seeded
    phone = Phone(client, settings)
    phone.register()
    reply = phone.send("Çöp konteyneri taşmış, kokuyor")
    assert "Konu: Atık Yönetimi" in reply and "Anlayamadım" not in reply
    assert "Nerede?" in phone.send("olur")
    phone.pin(*IN_CITY)
    assert "Özet" in phone.send("yok")
    assert "alındı" in phone.send("👍")
    ticket = db.scalars(select(Ticket)).one()
    assert ticket.description == "Çöp konteyneri taşmış, kokuyor"
    assert ticket.category_id == db.scalar(select(Category.id).where(Category.code == "waste"))


def test_a_returning_citizen_with_a_pin_reports_in_at_most_seven_messages(
    client, settings, seeded
) -> None:
    db = seeded
    phone = Phone(client, settings)
    phone.register()
    before = db.scalar(select(Message.id).order_by(Message.id.desc()).limit(1))
    # The shortest way (a complaint at the menu) and the way the menu offers.
    for messages in (
        ["Sokak lambası yanmıyor, her yer karanlık", "evet", ("pin",), "geç", "EVET"],
        ["1", "aydınlatma", "Sokak lambası yanmıyor, her yer karanlık", ("pin",), "geç", "EVET"],
    ):
        for message in messages:
            reply = phone.pin(*IN_CITY) if message == ("pin",) else phone.send(message)
            assert "Anlayamadım" not in reply
        assert "Bildiriminiz alındı" in reply
        sent = db.scalars(
            select(Message)
            .where(Message.direction == "inbound", Message.id > before)
            .order_by(Message.id)
        ).all()
        assert len(sent) == len(messages) <= 7
        before = sent[-1].id
        # "No duplicate nearby": the next report from the same spot finds none open.
        db.execute(Ticket.__table__.update().values(status="closed"))
    assert len(db.scalars(select(Ticket)).all()) == 2


def test_status_in_the_middle_of_a_report_repeats_the_open_question(
    client, settings, seeded
) -> None:
    phone = Phone(client, settings)
    phone.register()
    phone.send("1")
    phone.send("aydinlatma")
    reply = phone.send("DURUM")
    assert "Henüz bir bildiriminiz yok" in reply
    assert reply.rstrip().endswith("sorunu kısaca anlatın (en az 10 karakter).")
    assert "Nerede?" in phone.send("Sokak lambası iki gündür yanmıyor")


def test_a_reply_after_the_rating_question_gets_that_question_again(
    client, settings, seeded, make_user
) -> None:
    db = seeded
    phone = Phone(client, settings)
    phone.register()
    phone.send("sokak lambası yanmıyor, karanlık")
    phone.send("evet")
    phone.pin(*IN_CITY)
    phone.send("geç")
    phone.send("evet")
    ticket = db.scalars(select(Ticket)).one()
    staff = make_user("support")
    apply_transition(db, ticket, "in_progress", actor=staff, role="support")
    apply_transition(db, ticket, "resolved", actor=staff, role="support")
    db.flush()
    reply = phone.send("harika")
    assert f"#{ticket.number} için 1-5 arası" in reply and "Yeni bildirim" not in reply
    assert "teşekkürler" in phone.send("⭐⭐⭐⭐⭐")
    assert db.scalars(select(Feedback)).one().rating == 5


def test_dur_in_a_whatsapp_report_asks_and_sms_stop_is_immediate(client, settings, seeded) -> None:
    db = seeded
    phone = Phone(client, settings)
    phone.register()
    phone.send("1")
    phone.send("aydinlatma")
    assert "BAŞLA" in phone.send("DUR")
    user = db.scalars(select(User)).one()
    assert user.opted_out_at is None
    assert "Nerede?" in phone.send("Sokak lambası iki gündür yanmıyor")  # she meant "wait"
    assert "BAŞLA" in phone.send("dur")
    assert "göndermeyeceğiz" in phone.send("evet")
    db.refresh(user)
    assert user.opted_out_at is not None
    assert db.scalars(select(Conversation)).one().context["draft"]["description"]

    texter = Phone(client, settings, "+905331112233", channel="sms", profile=None)
    texter.register("Can")
    texter.send("1")
    assert "BAŞLA" in texter.send("STOP")
    stopped = db.scalar(select(User).where(User.phone == "+905331112233"))
    assert stopped.opted_out_at is not None
