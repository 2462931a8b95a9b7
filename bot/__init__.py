"""The WhatsApp/SMS bot: Twilio webhooks and the reporting conversation."""

from __future__ import annotations

from flask import Blueprint


def blueprints() -> list[Blueprint]:
    from bot import webhook

    return [webhook.bp]
