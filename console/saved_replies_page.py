"""Saved replies: listed, and added by staff, in both languages."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from console.blueprint import bp
from console.choices import forget_choices
from console.session import signed_in_user
from core.tickets.saved_replies import add_saved_reply, saved_replies
from web.request_session import request_session


@bp.get("/saved-replies")
def saved_replies_list() -> str:
    return render_template("saved_replies.html", replies=saved_replies(request_session()))


@bp.post("/saved-replies")
def saved_reply_add():
    add_saved_reply(
        request_session(), signed_in_user(), title=request.form.get("title", ""),
        body_tr=request.form.get("body_tr", ""), body_en=request.form.get("body_en", ""),
    )  # fmt: skip
    request_session().commit()
    forget_choices()
    return redirect(url_for("console.saved_replies_list"))
