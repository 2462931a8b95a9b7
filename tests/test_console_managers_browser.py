"""The managers' console pages in a real browser (issue 18's list): an escalation
approved from the queue (raising the priority, moving the team, the note in the
timeline), the dashboard's numbers and map against the analytics API, the exports,
support refused, the dashboard in English, a category's questions edited and then
asked by the bot, a saved reply edited and deleted. Same server, Chromium and
fixtures as tests/test_console_browser.py."""

from __future__ import annotations

import csv
import io
import os

import pytest
from sqlalchemy import select

from core.models import Category, Escalation, ExportJob, SavedReply, Team, Ticket, TicketEvent
from core.people.tokens import issue_access_token
from tasks.celery_app import make_celery
from tasks.exports import build_export
from tests import test_console_browser as shared
from tests.browser_support import keep_screenshot, wait_for
from tests.test_console_browser import (
    by_id,
    choose,
    page_text,
    person,
    sign_in,
    submit,
    ticket_for,
)

# The same server, browser and data fixtures as the part-1 browser tests.
live, chromium, driver, db = shared.live, shared.chromium, shared.driver, shared.db

pytestmark = pytest.mark.browser


def api_get(live, user, path: str):
    token, _ = issue_access_token(live.settings, user)
    return live.app.test_client().get(path, headers={"Authorization": f"Bearer {token}"})


def test_support_escalates_and_the_manager_approves_from_the_queue(driver, live, db) -> None:
    ticket = ticket_for(db, live.settings)
    support, manager = person(db, "support"), person(db, "manager")
    sign_in(driver, live, support)
    driver.get(f"{live.url}/console/tickets/{ticket.id}")
    submit(driver, "move-in_progress")
    by_id(driver, "escalate-form").find_element("xpath", "..").find_element(
        "tag name", "summary"
    ).click()
    by_id(driver, "reason").send_keys("Direk değişmeli, bütçe gerekiyor")
    submit(driver, "escalate")
    db.expire_all()
    escalation = db.scalar(select(Escalation).where(Escalation.ticket_id == ticket.id))
    assert escalation.status == "pending"

    driver.delete_all_cookies()
    sign_in(driver, live, manager)
    submit(driver, "nav-escalations")
    row = driver.find_element("css selector", f'tr[data-escalation="{escalation.id}"]')
    assert "Direk değişmeli" in row.text and support.full_name in row.text
    by_id(driver, f"note-{escalation.id}").send_keys("Bütçe ayrıldı")
    # The approval raises the priority and hands the ticket to another team.
    other = db.scalar(select(Team).where(Team.id != ticket.team_id, Team.is_active.is_(True))
                      .order_by(Team.id).limit(1))  # fmt: skip
    choose(driver, f"priority-{escalation.id}", "urgent")
    choose(driver, f"team-{escalation.id}", str(other.id))
    submit(driver, f"approve-{escalation.id}")
    assert "kayıt yeniden işlemde" in by_id(driver, "notice").text
    assert "Bütçe ayrıldı" in by_id(driver, "decided-escalations").text
    db.expire_all()
    decided = db.get(Ticket, ticket.id)
    assert (decided.status, decided.priority) == ("in_progress", "urgent")
    assert decided.team_id == other.id
    assert db.scalar(select(TicketEvent.id).where(TicketEvent.ticket_id == ticket.id,
                                                  TicketEvent.kind == "escalation_decided"))  # fmt: skip
    driver.get(f"{live.url}/console/tickets/{ticket.id}")
    assert by_id(driver, "ticket-status").text == "İşlemde"
    timeline = by_id(driver, "timeline").text
    assert "Üst birim kararı" in timeline and manager.full_name in timeline
    asked = "Üst birime iletildi: in_progress → escalated · Support tr · Gerekçe: Direk değişmeli"
    assert asked in timeline
    assert "onaylandı · Yönetici notu: Bütçe ayrıldı" in timeline


def readme_screenshot(driver, live, db) -> None:
    """The README's picture: more tickets, in clusters, on a tall window."""
    import random
    from datetime import UTC, datetime, timedelta

    from core.tickets.workflow import apply_transition

    spots, crew = random.Random(7), person(db, "support")
    for centre in ((41.01, 28.96), (41.04, 29.0), (40.99, 29.03), (41.06, 28.93)):
        for n in range(15):
            ticket = ticket_for(db, live.settings, lat=centre[0] + spots.gauss(0, 0.0025),
                                lon=centre[1] + spots.gauss(0, 0.003))  # fmt: skip
            if n % 3 == 0:
                later = datetime.now(UTC) + timedelta(hours=spots.uniform(1, 30))
                apply_transition(db, ticket, "in_progress", actor=crew, role="support",
                                 now=later - timedelta(hours=1))  # fmt: skip
                apply_transition(db, ticket, "resolved", actor=crew, role="support", now=later)
    db.commit()
    driver.set_window_size(1280, 2000)
    driver.refresh()
    wait_for(lambda: by_id(driver, "dashboard-map").get_attribute("data-hotspots-drawn"))
    wait_for(lambda: by_id(driver, "dashboard-map").get_attribute("data-features"))
    keep_screenshot(driver, "console-dashboard")
    driver.set_window_size(1280, 900)


def kpis_on_page(driver) -> dict[str, str]:
    return {name: by_id(driver, f"kpi-{name}").get_attribute("data-value")
            for name in ("created", "resolved", "backlog")}  # fmt: skip


def test_the_dashboard_matches_the_api_and_its_exports_download(driver, live, db) -> None:
    for lon in (28.95, 28.97, 29.02):
        ticket_for(db, live.settings, lat=41.02, lon=lon)
    manager = person(db, "manager")
    sign_in(driver, live, manager)
    submit(driver, "nav-dashboard")
    api = api_get(live, manager, "/api/v1/analytics/kpis").get_json()
    assert kpis_on_page(driver) == {"created": str(api["created"]),
                                    "resolved": str(api["resolved"]),
                                    "backlog": str(api["backlog"]["open"])}  # fmt: skip
    cells = api_get(live, manager, "/api/v1/analytics/heatmap").get_json()["features"]
    map_element = by_id(driver, "dashboard-map")
    wait_for(lambda: map_element.get_attribute("data-features") == str(len(cells)))
    assert len(
        driver.find_elements("css selector", "#dashboard-map path.leaflet-interactive")
    ) >= len(cells)
    if os.environ.get("CONSOLE_README_SCREENSHOTS"):
        readme_screenshot(driver, live, db)

    # A filter changes the page as it changes the API.
    from selenium.webdriver.support.ui import Select

    Select(by_id(driver, "channel")).select_by_value("sms")
    submit(driver, "apply-dashboard")
    sms = api_get(live, manager, "/api/v1/analytics/kpis?channel=sms").get_json()
    assert kpis_on_page(driver)["created"] == str(sms["created"]) == "0"

    # The CSV link, fetched with the browser's own session cookie.
    href = by_id(driver, "download-csv").get_attribute("href").replace("channel=sms", "")
    body = driver.execute_script(
        "var r = new XMLHttpRequest(); r.open('GET', arguments[0], false); r.send(); return r.responseText;",
        href,
    )
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert len(rows) >= 3

    Select(by_id(driver, "export-format")).select_by_value("xlsx")
    submit(driver, "start-export")
    db.expire_all()
    job = db.scalar(select(ExportJob).where(ExportJob.requested_by_id == manager.id))
    make_celery(live.settings)  # the worker's settings, then its task, run eagerly
    assert build_export.apply(args=[str(job.id)]).get() == "done"
    driver.refresh()
    row = driver.find_element("css selector", f'tr[data-job="{job.id}"]')
    assert row.get_attribute("data-status") == "done"
    link = row.find_element("css selector", "a.export-download").get_attribute("href")
    assert link


def test_support_is_refused_the_managers_pages(driver, live, db) -> None:
    sign_in(driver, live, person(db, "support"))
    assert not driver.find_elements("id", "nav-dashboard")
    for path in ("/console/dashboard", "/console/escalations"):
        driver.get(live.url + path)
        assert by_id(driver, "error-message").text.startswith("Bu sayfa yalnızca yöneticiler")
        assert "403" in page_text(driver)


def test_the_dashboard_in_english(driver, live, db) -> None:
    sign_in(driver, live, person(db, "manager", locale="en"))
    driver.get(live.url + "/console/dashboard")
    text = page_text(driver)
    for words in ("Dashboard", "Created", "Backlog", "SLA compliance", "Reopen rate",
                  "Satisfaction", "Heatmap and hotspots", "Download CSV", "Teams"):  # fmt: skip
        assert words in text, words
    assert "Açılan" not in text
    wait_for(lambda: by_id(driver, "dashboard-map").get_attribute("data-hotspots-drawn"))
    logs = driver.get_log("browser")
    refused = [e["message"] for e in logs if "Content Security Policy" in e["message"]]
    assert not refused, refused  # the chart and the map need nothing the policy forbids


def test_a_manager_adds_staff_a_category_and_an_api_key(driver, live, db) -> None:
    from core.models import ApiKey, Category, Conversation, Team, User
    from tests.bot_support import Phone

    manager = person(db, "manager")
    sign_in(driver, live, manager)
    submit(driver, "nav-admin")
    two = db.scalars(select(Team).where(Team.is_active.is_(True)).order_by(Team.id).limit(2)).all()
    by_id(driver, "new-phone").send_keys("+905551112233")
    by_id(driver, "new-name").send_keys("Deniz Yeni")
    for team in two:
        by_id(driver, f"new-team-{team.id}").click()
    submit(driver, "add-user")
    assert "Personel eklendi" in by_id(driver, "notice").text
    db.expire_all()
    added = db.scalar(select(User).where(User.phone == "+905551112233"))
    assert added.role == "support" and sorted(added.team_ids) == [t.id for t in two]

    by_id(driver, "new-code").send_keys("benches")
    by_id(driver, "new-cat-tr").send_keys("Banklar")
    by_id(driver, "new-cat-en").send_keys("Benches")
    by_id(driver, "new-cat-words-tr").send_keys("oturak, bank")
    submit(driver, "add-category")
    assert "Kategori eklendi" in by_id(driver, "notice").text
    phone = Phone(live.app.test_client(), live.settings, "+905321110077")
    phone.register("Ali")
    phone.send("1")
    assert "Banklar" in phone.send("oturak kırılmış")
    db.expire_all()
    benches = db.scalar(select(Category.id).where(Category.code == "benches"))
    conversation = db.scalar(select(Conversation).order_by(Conversation.id.desc()).limit(1))
    assert conversation.context["draft"]["category_id"] == benches

    by_id(driver, "key-name").send_keys("Çağrı merkezi")
    by_id(driver, "scope-tickets-read").click()
    submit(driver, "add-key")
    secret = by_id(driver, "new-key-secret").text
    api = live.app.test_client().get(
        "/api/v1/tickets", headers={"Authorization": f"Bearer {secret}"}
    )
    assert api.status_code == 200
    driver.get(live.url + "/console/admin")
    assert secret not in driver.page_source  # shown once
    key = db.scalar(select(ApiKey).where(ApiKey.name == "Çağrı merkezi"))
    submit(driver, f"revoke-key-{key.id}")
    assert "Anahtar iptal edildi" in by_id(driver, "notice").text
    assert (
        live.app.test_client()
        .get("/api/v1/tickets", headers={"Authorization": f"Bearer {secret}"})
        .status_code
        == 401
    )


def test_a_manager_edits_a_categorys_questions_and_a_saved_reply(driver, live, db) -> None:
    from core.tickets.saved_replies import add_saved_reply
    from tests.bot_support import Phone

    fountains = Category(code="fountains", name_tr="Çeşmeler", name_en="Fountains",
                         everyday_words={"tr": ["çeşme"], "en": ["fountain"]})  # fmt: skip
    db.add(fountains)
    reply = add_saved_reply(db, person(db, "support"), title="Yolda", body_tr="Ekibimiz yolda.",
                            body_en="Our crew is on the way.")  # fmt: skip
    db.commit()
    sign_in(driver, live, person(db, "manager"))
    submit(driver, "nav-admin")
    submit(driver, "questions-fountains")
    by_id(driver, "new-question-code").send_keys("leak")
    by_id(driver, "new-question-tr").send_keys("Su nereden akıyor?")
    by_id(driver, "new-question-en").send_keys("Where is the water coming from?")
    choose(driver, "new-question-type", "singlevaluelist")
    by_id(driver, "new-question-values").send_keys("tap | Musluk | Tap\npipe | Boru | Pipe")
    submit(driver, "add-question")
    assert "Soru eklendi" in by_id(driver, "notice").text
    by_id(driver, "new-question-code").send_keys("since")
    by_id(driver, "new-question-tr").send_keys("Ne zamandır akıyor?")
    by_id(driver, "new-question-en").send_keys("Since when?")
    submit(driver, "add-question")
    submit(driver, "up-since")
    listed = driver.find_elements("css selector", "#questions > li")
    assert [item.get_attribute("data-question") for item in listed] == ["since", "leak"]
    edited = by_id(driver, "q-leak-tr")
    edited.clear()
    edited.send_keys("Su tam olarak nereden akıyor?")
    submit(driver, "save-question-leak")
    assert "Soru kaydedildi" in by_id(driver, "notice").text
    submit(driver, "remove-since")
    db.expire_all()
    asked = db.get(Category, fountains.id).questions
    assert [(q["code"], q["order"], q["text_tr"]) for q in asked] == [
        ("leak", 1, "Su tam olarak nereden akıyor?")
    ]
    phone = Phone(live.app.test_client(), live.settings, "+905321110088")
    phone.register("Ece")
    phone.send("1")
    phone.send("çeşme")
    question = phone.send("Parktaki çeşme sürekli akıyor")
    assert "Su tam olarak nereden akıyor?" in question and "1: Musluk" in question

    driver.get(live.url + "/console/saved-replies")
    by_id(driver, f"edit-reply-{reply.id}").click()
    title = by_id(driver, f"reply-{reply.id}-title")
    title.clear()
    title.send_keys("Ekip yolda")
    submit(driver, f"save-reply-{reply.id}")
    assert "Hazır yanıt kaydedildi" in by_id(driver, "notice").text
    assert "Ekip yolda" in by_id(driver, "saved-replies").text
    submit(driver, f"remove-reply-{reply.id}")
    assert "Hazır yanıt silindi" in by_id(driver, "notice").text
    db.expire_all()
    gone = db.get(SavedReply, reply.id)
    assert (gone.title, gone.is_active) == ("Ekip yolda", False)
