"""Saved replies: listed and added by staff, in both languages; changed or removed
by their author or a manager (core.tickets.saved_replies decides who, per reply)."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from console.blueprint import bp
from console.choices import forget_choices
from console.session import signed_in_user
from core.tickets.saved_replies import (
    active_saved_reply,
    add_saved_reply,
    may_change,
    remove_saved_reply,
    saved_replies,
    update_saved_reply,
)
from web.request_session import request_session

DONE = frozenset({"added", "saved", "removed"})


@bp.get("/saved-replies")
def saved_replies_list() -> str:
    replies, me = saved_replies(request_session()), signed_in_user()
    done = request.args.get("done", "")
    return render_template(
        "saved_replies.html",
        replies=replies,
        changeable={reply.id for reply in replies if may_change(me, reply)},
        done=done if done in DONE else "",
    )


def _texts() -> dict[str, str]:
    return {field: request.form.get(field, "") for field in ("title", "body_tr", "body_en")}


def _done(done: str):
    forget_choices()  # the ticket page's saved-reply menu
    return redirect(url_for("console.saved_replies_list", done=done))


@bp.post("/saved-replies")
def saved_reply_add():
    add_saved_reply(request_session(), signed_in_user(), **_texts())
    request_session().commit()
    return _done("added")


@bp.post("/saved-replies/<int:reply_id>")
def saved_reply_update(reply_id: int):
    session = request_session()
    reply = active_saved_reply(session, reply_id, lock=True)
    update_saved_reply(session, signed_in_user(), reply, **_texts())
    session.commit()
    return _done("saved")


@bp.post("/saved-replies/<int:reply_id>/remove")
def saved_reply_remove(reply_id: int):
    session = request_session()
    remove_saved_reply(session, signed_in_user(), active_saved_reply(session, reply_id, lock=True))
    session.commit()
    return _done("removed")
