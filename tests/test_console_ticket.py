"""The console's ticket page: what it shows (answers in words, photos, the map, the
thread with delivery states, how a reply will go, exactly the allowed moves) and
what support does there, each through a core use case."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from core.models import Category, Comment, Escalation, Message, Photo, SavedReply, TicketView
from tests.console_support import console_sign_in, post_form
from tests.tickets_helpers import image_bytes


@pytest.fixture
def support(make_user, seeded):
    roads = seeded.scalar(select(Category).where(Category.code == "infrastructure"))
    return make_user("support", name="Selin Destek", team=roads.default_team)


@pytest.fixture
def browser(client, support):
    assert console_sign_in(client, support.phone).status_code == 302
    return client


def page_of(ticket) -> str:
    return f"/console/tickets/{ticket.id}"


def test_the_page_shows_the_ticket_and_records_the_look(browser, make_ticket, support, db) -> None:
    ticket = make_ticket(description="Kaldırımda derin çukur")
    db.add(Message(direction="outbound", channel="whatsapp", ticket_id=ticket.id,
                   user_id=ticket.reporter_id, body="Kaydınız alındı", status="failed",
                   error_message="63016 outside window"))  # fmt: skip
    db.flush()
    html = browser.get(page_of(ticket)).get_data(as_text=True)
    assert "Kaldırımda derin çukur" in html and ticket.public_number in html
    assert 'data-lat="41.0082"' in html
    assert "Kaydınız alındı" in html and "başarısız" in html and "63016 outside window" in html
    # New: start work or close; never "resolved" straight from new.
    assert 'id="move-in_progress"' in html and 'id="move-closed"' in html
    assert 'id="move-resolved"' not in html
    assert db.scalar(select(TicketView.seen_at).where(TicketView.ticket_id == ticket.id))


def test_a_reply_says_how_it_will_go_and_reaches_the_reporter(browser, make_ticket, db) -> None:
    ticket = make_ticket()
    html = browser.get(page_of(ticket)).get_data(as_text=True)
    # The reporter never wrote: outside WhatsApp's window, no template, so SMS.
    assert "SMS" in html
    response = post_form(browser, page_of(ticket), page_of(ticket) + "/reply", body="Ekip yolda")
    assert response.status_code == 302
    comment = db.scalar(select(Comment).where(Comment.ticket_id == ticket.id))
    assert comment.body == "Ekip yolda" and not comment.is_internal
    sent = db.scalar(select(Message).where(Message.kind == "staff_comment"))
    assert sent.user_id == ticket.reporter_id and "Ekip yolda" in sent.body


def test_an_internal_note_reaches_no_one(browser, make_ticket, db) -> None:
    ticket = make_ticket()
    post_form(browser, page_of(ticket), page_of(ticket) + "/note", body="Ekip cuma gidecek")
    assert db.scalar(select(Comment.is_internal).where(Comment.ticket_id == ticket.id)) is True
    assert db.scalar(select(Message).where(Message.kind == "staff_comment")) is None


def test_an_empty_reply_is_a_clear_422(browser, make_ticket) -> None:
    ticket = make_ticket()
    response = post_form(browser, page_of(ticket), page_of(ticket) + "/reply", body="   ")
    assert response.status_code == 422
    assert "empty" in response.get_data(as_text=True)


def test_close_as_a_duplicate_asks_the_other_number(browser, make_ticket, db) -> None:
    original, copy = make_ticket(), make_ticket()
    target = page_of(copy) + "/move"
    missing = post_form(browser, page_of(copy), target, to="closed", resolution="duplicate")
    assert missing.status_code == 404
    done = post_form(
        browser, page_of(copy), target, to="closed", resolution="duplicate",
        duplicate_of=f"#{original.number}",
    )  # fmt: skip
    assert done.status_code == 302
    db.refresh(copy)
    assert (copy.status, copy.duplicate_of_id) == ("closed", original.id)


def test_a_move_the_table_does_not_allow_is_refused(browser, make_ticket, db) -> None:
    ticket = make_ticket()
    response = post_form(browser, page_of(ticket), page_of(ticket) + "/move", to="resolved")
    assert response.status_code == 409
    db.refresh(ticket)
    assert ticket.status == "new"


def test_assign_to_me_then_escalate_with_a_reason(browser, make_ticket, support, db) -> None:
    ticket = make_ticket(status="in_progress")
    post_form(browser, page_of(ticket), page_of(ticket) + "/assign", assignee_id="me")
    db.refresh(ticket)
    assert ticket.assignee_id == support.id
    short = post_form(browser, page_of(ticket), page_of(ticket) + "/escalate", reason="x")
    assert short.status_code == 422
    post_form(browser, page_of(ticket), page_of(ticket) + "/escalate", reason="Bütçe gerekiyor")
    db.refresh(ticket)
    assert ticket.status == "escalated"
    assert db.scalar(select(Escalation.reason)) == "Bütçe gerekiyor"


def test_placing_the_pin_of_an_address_only_report(browser, make_ticket, db) -> None:
    ticket = make_ticket(lat=None, lon=None, address="Moda, iskelenin yanı", needs_location=True)
    html = browser.get(page_of(ticket)).get_data(as_text=True)
    assert "Moda, iskelenin yanı" in html and 'id="needs-location"' in html
    outside = post_form(
        browser, page_of(ticket), page_of(ticket) + "/place", lat="39.9", lon="32.8"
    )
    assert outside.status_code == 422
    typed = post_form(
        browser, page_of(ticket), page_of(ticket) + "/place", lat="40,9870", lon="29.0250"
    )
    assert typed.status_code == 302
    db.refresh(ticket)
    assert ticket.needs_location is False and ticket.location is not None
    garbage = post_form(browser, page_of(ticket), page_of(ticket) + "/place", lat="nan", lon="x")
    assert garbage.status_code == 422


def test_attaching_a_photo(browser, make_ticket, db) -> None:
    ticket = make_ticket()
    token_page = browser.get(page_of(ticket))
    from tests.console_support import csrf_of

    response = browser.post(
        page_of(ticket) + "/photos",
        data={
            "csrf_token": csrf_of(token_page),
            "photo": (io.BytesIO(image_bytes("JPEG")), "repair.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    photo = db.scalar(select(Photo).where(Photo.ticket_id == ticket.id))
    assert photo.source == "console" and not photo.is_internal
    assert "/media/" in browser.get(page_of(ticket)).get_data(as_text=True)
    bad = browser.post(
        page_of(ticket) + "/photos",
        data={"csrf_token": csrf_of(token_page), "photo": (io.BytesIO(b"not an image"), "x.jpg")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422


def test_the_thread_poll_brings_only_new_messages(browser, make_ticket, db) -> None:
    ticket = make_ticket()
    first = Message(direction="inbound", channel="whatsapp", ticket_id=ticket.id,
                    user_id=ticket.reporter_id, body="ilk", status="received")  # fmt: skip
    db.add(first)
    db.flush()
    assert (
        browser.get(page_of(ticket) + f"/thread?after={first.id}").get_data(as_text=True).strip()
        == ""
    )
    db.add(Message(direction="inbound", channel="whatsapp", ticket_id=ticket.id,
                   user_id=ticket.reporter_id, body="hala bekliyoruz", status="received"))  # fmt: skip
    db.flush()
    news = browser.get(page_of(ticket) + f"/thread?after={first.id}").get_data(as_text=True)
    assert "hala bekliyoruz" in news and "ilk" not in news


def test_saved_replies_in_both_languages(browser, make_ticket, db) -> None:
    response = post_form(
        browser, "/console/saved-replies", "/console/saved-replies", title="Yolda",
        body_tr="Ekibimiz yolda.", body_en="Our crew is on the way.",
    )  # fmt: skip
    assert response.status_code == 302
    assert db.scalar(select(SavedReply.body_en)) == "Our crew is on the way."
    missing = post_form(
        browser, "/console/saved-replies", "/console/saved-replies", title="Yarım", body_tr="x",
        body_en="",
    )  # fmt: skip
    assert missing.status_code == 422
    # The reporter writes Turkish: the ticket page offers the Turkish text.
    assert 'value="Ekibimiz yolda."' in browser.get(page_of(make_ticket())).get_data(as_text=True)


def test_how_a_reply_will_go_follows_the_outbox_rules(make_ticket, make_user, settings, db) -> None:
    from datetime import UTC, datetime

    from core.messaging.delivery_preview import reply_routes
    from core.models import Conversation

    reporter = make_user("citizen")
    ticket = make_ticket(reporter=reporter)
    assert [r.way for r in reply_routes(db, settings, ticket)] == ["sms"]
    with_template = settings.replace(TWILIO_TEMPLATE_STATUS_UPDATE="HX" + "1" * 32)
    assert [r.way for r in reply_routes(db, with_template, ticket)] == ["template"]
    no_sms = settings.replace(TWILIO_SMS_FROM="")
    (route,) = reply_routes(db, no_sms, ticket)
    assert route.way == "none" and "TWILIO_SMS_FROM" in route.reason
    db.add(Conversation(address=reporter.phone, user_id=reporter.id, channel="whatsapp",
                        last_inbound_at=datetime.now(UTC)))  # fmt: skip
    db.flush()
    assert [r.way for r in reply_routes(db, no_sms, ticket)] == ["whatsapp"]
    reporter.opted_out_at = datetime.now(UTC)
    db.flush()
    assert [r.way for r in reply_routes(db, settings, ticket)] == ["none"]


def test_assigning_someone_not_on_the_list_is_a_422(browser, make_ticket) -> None:
    ticket = make_ticket()
    bad = post_form(browser, page_of(ticket), page_of(ticket) + "/assign", assignee_id="nobody")
    assert bad.status_code == 422
    huge = post_form(browser, page_of(ticket), page_of(ticket) + "/assign", assignee_id="9" * 30)
    assert huge.status_code == 422 and "text/html" in huge.content_type


def test_the_thread_poll_redraws_a_message_whose_delivery_changed(browser, make_ticket, db) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    ticket = make_ticket()
    sent = Message(direction="outbound", channel="whatsapp", ticket_id=ticket.id,
                   user_id=ticket.reporter_id, body="Kaydınız alındı", status="sent")  # fmt: skip
    db.add(sent)
    db.flush()
    since = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    quiet = browser.get(
        page_of(ticket) + "/thread", query_string={"after": sent.id, "since": since}
    )
    assert quiet.get_data(as_text=True).strip() == "" and quiet.headers["X-Thread-Since"]
    db.execute(update(Message).where(Message.id == sent.id).values(
        status="delivered", updated_at=datetime.now(UTC) + timedelta(minutes=2)))  # fmt: skip
    redrawn = browser.get(
        page_of(ticket) + "/thread", query_string={"after": sent.id, "since": since}
    )
    assert f'data-message-id="{sent.id}"' in redrawn.get_data(as_text=True)
    assert "iletildi" in redrawn.get_data(as_text=True)


def test_a_long_thread_shows_its_latest_messages_and_offers_the_rest(
    browser, make_ticket, db, monkeypatch
) -> None:
    monkeypatch.setattr("console.ticket_page.THREAD_LIMIT", 3)
    ticket = make_ticket()
    for number in range(1, 6):
        db.add(Message(direction="inbound", channel="whatsapp", ticket_id=ticket.id,
                       user_id=ticket.reporter_id, body=f"mesaj-{number}", status="received"))  # fmt: skip
    db.flush()
    html = browser.get(page_of(ticket)).get_data(as_text=True)
    shown = [n for n in range(1, 6) if f"mesaj-{n}<" in html]
    assert shown == [3, 4, 5]  # the latest three, oldest first
    assert html.index("mesaj-3<") < html.index("mesaj-5<")
    assert 'id="thread-earlier"' in html and "Yalnızca son 3 mesaj" in html
    whole = browser.get(page_of(ticket) + "?thread=all").get_data(as_text=True)
    assert all(f"mesaj-{n}<" in whole for n in range(1, 6)) and "thread-earlier" not in whole
