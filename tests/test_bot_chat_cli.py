"""`flask bot chat`: signed requests to a real running app, photos served locally."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from PIL import Image
from sqlalchemy import select
from werkzeug.serving import make_server

from cli.bot_chat import Chat
from core.config import Settings
from core.models import Message, Photo, Ticket
from core.tickets.seed_data import seed_defaults
from tasks.media import process_inbound_media


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_app(app, committed_db) -> Iterator[str]:
    with committed_db.transaction() as session:
        seed_defaults(session)
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_chat_command_talks_to_the_running_app(app, live_app, settings) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["bot", "chat", "--phone", "+905321234567", "--url", live_app],
        input="merhaba\nEVET\n/quit\n",
    )
    assert result.exit_code == 0, result.output
    assert "KVKK" in result.output and "1: Demo" in result.output


def test_chat_report_with_pin_and_a_local_photo(
    app, live_app, settings, committed_db, tmp_path: Path
) -> None:
    media_settings = settings.replace(
        TWILIO_MEDIA_URL_PREFIX=f"http://127.0.0.1:{free_port()}/media/"
    )
    picture = tmp_path / "lamp.png"
    Image.new("RGB", (40, 30), (10, 200, 10)).save(picture)
    chat = Chat(media_settings, "+905331112233", sms=False, profile="Ece", base_url=live_app)
    try:
        for line in ("merhaba", "evet", "1", "1", "aydinlatma", "Lamba yanmıyor, sokak karanlık"):
            chat.say(line)
        assert "Fotoğraf" in chat.say("/pin 41.0082, 28.9784")
        assert "(1/3)" in chat.say(f"/photo {picture}")
        with committed_db.transaction() as session:
            message_id = session.scalar(select(Message.id).where(Message.media != []))
        storage = app.extensions["sosoft.storage"]
        kept = process_inbound_media(
            committed_db, media_settings, storage, message_id, requests.Session()
        )
        assert kept == 1
        chat.say("geç")
        assert "alındı" in chat.say("EVET")
    finally:
        chat.close()
    with committed_db.transaction() as session:
        ticket = session.scalars(select(Ticket)).one()
        assert session.scalars(select(Photo)).one().ticket_id == ticket.id


def test_photos_need_a_local_media_prefix(settings) -> None:
    chat = Chat(settings, "+905321234567", sms=True, profile="x", base_url="http://127.0.0.1:9")
    with pytest.raises(ValueError, match="TWILIO_MEDIA_URL_PREFIX"):
        chat.say(f"/photo {__file__}")


def test_chat_works_on_development_defaults(app_factory, settings, committed_db) -> None:
    # No TWILIO_AUTH_TOKEN anywhere: the app and the simulator agree on the
    # development token by themselves (as after `make run` with no .env).
    development = Settings.from_env(
        {},
        DATABASE_URL=settings.DATABASE_URL,
        REDIS_URL=settings.REDIS_URL,
        MEDIA_DIR=settings.MEDIA_DIR,
        LOG_LEVEL="WARNING",
    )
    assert development.is_development and development.TWILIO_VALIDATE_SIGNATURE
    dev_app = app_factory(development)
    with committed_db.transaction() as session:
        seed_defaults(session)
    server = make_server("127.0.0.1", free_port(), dev_app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        result = dev_app.test_cli_runner().invoke(
            args=["bot", "chat", "--phone", "+905331112233", "--url", url],
            input="merhaba\nEVET\n/quit\n",
        )
    finally:
        server.shutdown()
    assert result.exit_code == 0, result.output
    assert "KVKK" in result.output and "1: Demo" in result.output
