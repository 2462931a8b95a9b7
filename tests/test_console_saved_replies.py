"""Saved replies changed in the console: their author or a manager may edit or
delete one; another support user is refused (403) and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.models import SavedReply
from core.tickets.saved_replies import add_saved_reply
from tests.console_support import console_sign_in, post_form

PAGE = "/console/saved-replies"
TEXTS = {"title": "Yolda", "body_tr": "Ekibimiz yolda.", "body_en": "Our crew is on the way."}


@pytest.fixture
def author(make_user, seeded):
    return make_user("support", name="Selin Destek")


@pytest.fixture
def reply(db, author) -> SavedReply:
    saved = add_saved_reply(db, author, **TEXTS)
    db.flush()
    return saved


def signed_in(client, user):
    assert console_sign_in(client, user.phone).status_code == 302
    return client


def test_the_author_edits_their_reply(client, author, reply, db) -> None:
    signed_in(client, author)
    assert f'id="edit-reply-{reply.id}"' in client.get(PAGE).get_data(as_text=True)
    done = post_form(client, PAGE, f"{PAGE}/{reply.id}", **{**TEXTS, "body_en": "On the way."})
    assert done.status_code == 302
    db.refresh(reply)
    assert reply.body_en == "On the way."
    empty = post_form(client, PAGE, f"{PAGE}/{reply.id}", **{**TEXTS, "body_tr": " "})
    assert empty.status_code == 422 and "body_tr" in empty.get_data(as_text=True)
    db.refresh(reply)
    assert reply.body_tr == "Ekibimiz yolda."


def test_another_support_user_may_use_it_but_not_change_it(client, make_user, reply, db) -> None:
    signed_in(client, make_user("support", name="Can Destek"))
    html = client.get(PAGE).get_data(as_text=True)
    assert "Ekibimiz yolda." in html and f'id="edit-reply-{reply.id}"' not in html
    edited = post_form(client, PAGE, f"{PAGE}/{reply.id}", **{**TEXTS, "title": "Benim"})
    removed = post_form(client, PAGE, f"{PAGE}/{reply.id}/remove")
    assert (edited.status_code, removed.status_code) == (403, 403)
    db.refresh(reply)
    assert (reply.title, reply.is_active) == ("Yolda", True)


def test_a_manager_edits_and_deletes_anyones_reply(client, make_user, make_ticket, reply, db):
    signed_in(client, make_user("manager", name="Mert Yönetici"))
    post_form(client, PAGE, f"{PAGE}/{reply.id}", **{**TEXTS, "title": "Ekip yolda"})
    db.refresh(reply)
    assert reply.title == "Ekip yolda"
    assert post_form(client, PAGE, f"{PAGE}/{reply.id}/remove").status_code == 302
    assert db.scalar(select(SavedReply.is_active)) is False
    assert "Ekibimiz yolda." not in client.get(PAGE).get_data(as_text=True)
    ticket_page = client.get(f"/console/tickets/{make_ticket().id}").get_data(as_text=True)
    assert "Ekibimiz yolda." not in ticket_page
    # Gone is gone: neither edited nor removed again.
    assert post_form(client, PAGE, f"{PAGE}/{reply.id}", **TEXTS).status_code == 404
    assert post_form(client, PAGE, f"{PAGE}/{reply.id}/remove").status_code == 404
    assert post_form(client, PAGE, f"{PAGE}/{2**70}/remove").status_code == 404
