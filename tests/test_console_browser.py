"""The staff console in a real browser: headless Chromium (Debian's) driven by
Selenium through /usr/bin/chromedriver, against the app served by a real server in a
thread. The flows of issue 17; a failing test keeps a screenshot in
var/test-screenshots/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core.config import Settings
from core.models import Base, Category, Message, Team, Ticket, User
from core.people.tokens import issue_access_token
from core.tickets.opening import open_ticket
from core.tickets.seed_data import seed_defaults
from sosoft import create_app
from tasks.notifications import deliver, sender_for
from tests.auth_helpers import sent_code
from tests.bot_support import Phone
from tests.browser_support import (
    LiveServer,
    keep_screenshot,
    screenshot_on_failure,
    skip_without_browser,
    start_chromium,
    wait_for,
)
from tests.test_bot_webhook import report
from web.request_session import EXTENSION_KEY

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(settings: Settings, engine: Any) -> Iterator[Any]:
    skip_without_browser()
    # Polls every second, so "after the next poll" is a short wait.
    live_settings = settings.replace(CONSOLE_POLL_SECONDS=1)
    app = create_app(live_settings)
    app.config["TESTING"] = True
    database = app.extensions[EXTENSION_KEY]
    with database.transaction() as session:
        seed_defaults(session)
    with LiveServer(app) as server:
        server.app, server.settings, server.database = app, live_settings, database
        yield server
    database.dispose()
    tables = ", ".join(table.name for table in reversed(Base.metadata.sorted_tables))
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="module")
def chromium(live: Any) -> Iterator[Any]:
    driver = start_chromium()
    yield driver
    driver.quit()


@pytest.fixture
def driver(request: pytest.FixtureRequest, chromium: Any, live: Any) -> Iterator[Any]:
    chromium.set_window_size(1280, 900)
    chromium.get(live.url + "/console/sign-in")
    chromium.delete_all_cookies()
    yield from screenshot_on_failure(request, chromium)


@pytest.fixture
def db(live: Any) -> Iterator[Session]:
    """Setup and checks on committed data, which the server's threads see."""
    session = live.database.session()
    yield session
    session.close()


_phones = iter(range(1, 10_000))


def person(
    db: Session, role: str, *, team: str | None = "lighting", locale: str = "tr", **extra: Any
) -> User:
    teams = []
    if team:
        category = db.scalar(select(Category).where(Category.code == team))
        teams = [db.get(Team, category.default_team_id)]
    user = User(phone=f"+90533{next(_phones):07d}", full_name=f"{role.title()} {locale}",
                role=role, teams=teams, locale=locale, **extra)  # fmt: skip
    db.add(user)
    db.commit()
    return user


def ticket_for(
    db: Session, settings: Settings, *, address: str | None = None, **place: Any
) -> Ticket:
    citizen = person(db, "citizen", team=None)
    category = db.scalar(select(Category).where(Category.code == "lighting"))
    point = {} if address else {"lat": place.get("lat", 41.0082), "lon": place.get("lon", 28.9784)}
    ticket = open_ticket(db, settings, category=category, description="Sokak lambası yanmıyor",
                         channel="whatsapp", reporter=citizen, address=address, **point)  # fmt: skip
    db.commit()
    return ticket


def by_id(driver: Any, element_id: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, element_id)


def submit(driver: Any, button_id: str) -> None:
    """Click a button that loads a new page, and wait for it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element(By.TAG_NAME, "html")
    by_id(driver, button_id).click()
    WebDriverWait(driver, 6).until(expected_conditions.staleness_of(old))
    # The old page is gone once the new one starts; an element read while it is still
    # loading can be replaced under the reader ("node does not belong to the document").
    WebDriverWait(driver, 6).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def choose(driver: Any, select_id: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(by_id(driver, select_id)).select_by_value(value)


def sign_in(driver: Any, live: Any, user: User, query: str = "") -> None:
    driver.get(f"{live.url}/console/sign-in{query}")
    by_id(driver, "phone_number").send_keys(user.phone)
    submit(driver, "send-code")
    by_id(driver, "code").send_keys(sent_code(live.app.test_client()))
    submit(driver, "verify-code")


def deliver_outbox(live: Any, db: Session) -> None:
    """What the worker would do: send every pending outbox row (to the dev sink)."""
    db.expire_all()
    for message_id in db.scalars(select(Message.id).where(Message.status == "pending")):
        deliver(live.database, sender_for(live.settings), message_id)


def page_text(driver: Any) -> str:
    return driver.find_element("tag name", "body").text


def test_a_report_from_the_webhook_is_found_worked_and_answered(driver, live, db) -> None:
    phone = Phone(live.app.test_client(), live.settings, "+905321110001")
    phone.register("Ayşe")
    report(phone)
    ticket = db.scalar(select(Ticket).order_by(Ticket.id.desc()).limit(1))
    support = person(db, "support")
    sign_in(driver, live, support)
    assert ticket.public_number in page_text(driver)

    by_id(driver, "q").send_keys(ticket.public_number)
    submit(driver, "apply-filters")
    rows = driver.find_elements("css selector", "tr[data-number]")
    assert [r.get_attribute("data-number") for r in rows] == [str(ticket.number)]
    if os.environ.get("CONSOLE_README_SCREENSHOTS"):
        keep_screenshot(driver, "console-inbox")
    rows[0].find_element("link text", ticket.public_number).click()
    wait_for(lambda: "Vatandaşla yazışma" in page_text(driver))

    choose(driver, "assign-person", "me")
    submit(driver, "assign")
    assert by_id(driver, "ticket-assignee").text == support.full_name
    submit(driver, "move-in_progress")
    assert by_id(driver, "ticket-status").text == "İşlemde"
    by_id(driver, "reply-body").send_keys("Ekibimiz yarın sabah orada olacak.")
    submit(driver, "send-reply")
    assert "Yanıt gönderildi." in page_text(driver)

    deliver_outbox(live, db)
    sink = live.app.test_client().get("/dev/messages?limit=20").get_json()["data"]
    assert any("Ekibimiz yarın sabah" in (m.get("body") or "") and m["to"].endswith("1110001")
               for m in sink)  # fmt: skip
    # The poll redraws the delivery state of what was queued ("sırada") a moment ago.
    wait_for(lambda: "sırada" not in by_id(driver, "thread").text)
    phone.send(f"#{ticket.number} Teşekkürler, bekliyorum")
    wait_for(lambda: "Teşekkürler, bekliyorum" in by_id(driver, "thread").text)
    if os.environ.get("CONSOLE_README_SCREENSHOTS"):
        keep_screenshot(driver, "console-ticket")
    refused = [
        e["message"] for e in driver.get_log("browser") if "Content Security Policy" in e["message"]
    ]
    assert not refused, refused  # the pages need nothing the policy forbids


def test_an_address_only_report_is_placed_and_then_on_the_maps(driver, live, db) -> None:
    ticket = ticket_for(db, live.settings, address="Pazar yerinin arkasındaki sokak")
    assert ticket.needs_location
    token, _ = issue_access_token(live.settings, person(db, "manager"))
    api, headers = live.app.test_client(), {"Authorization": f"Bearer {token}"}

    def on_the_heatmap() -> int:
        cells = api.get("/api/v1/analytics/heatmap", headers=headers).get_json()["features"]
        return sum(cell["properties"]["count"] for cell in cells)

    def in_the_export() -> bool:
        """On the export's map: its feature has a point."""
        export = api.get("/api/v1/analytics/exports/tickets.geojson", headers=headers).get_json()
        mine = [f for f in export["features"] if f["properties"]["number"] == ticket.public_number]
        return bool(mine and mine[0]["geometry"])

    before = on_the_heatmap()
    assert not in_the_export()
    sign_in(driver, live, person(db, "support"))
    driver.get(f"{live.url}/console/tickets/{ticket.id}")
    assert "Pazar yerinin arkasındaki sokak" in page_text(driver)
    by_id(driver, "map").click()  # the middle of the city's area
    wait_for(lambda: by_id(driver, "lat").get_attribute("value"))
    submit(driver, "place-pin")
    db.refresh(ticket)
    assert ticket.needs_location is False and ticket.location is not None
    assert on_the_heatmap() == before + 1
    assert in_the_export()


def test_bulk_assign_three_and_close_two_as_duplicates(driver, live, db) -> None:
    tickets = [ticket_for(db, live.settings) for _ in range(5)]
    support = person(db, "support")
    sign_in(driver, live, support)

    def tick(ticket: Ticket) -> None:
        driver.find_element("css selector", f'tr[data-number="{ticket.number}"] input').click()

    for ticket in tickets[:3]:
        tick(ticket)
    choose(driver, "bulk-assignee", "me")
    submit(driver, "bulk-assign")
    assert "3" in by_id(driver, "notice").text
    for ticket in tickets[:3]:
        db.refresh(ticket)
        assert ticket.assignee_id == support.id

    original = tickets[4]
    for ticket in tickets[2:4]:
        tick(ticket)
    by_id(driver, "bulk-original").send_keys(original.public_number)
    submit(driver, "bulk-duplicate")
    for ticket in tickets[2:4]:
        db.refresh(ticket)
        assert (ticket.status, ticket.duplicate_of_id) == ("closed", original.id)


def test_citizens_forged_posts_signed_out_and_deactivated_users_stay_out(driver, live, db) -> None:
    sign_in(driver, live, person(db, "citizen", team=None))
    assert "belediye personeli" in page_text(driver)

    support = person(db, "support")
    sign_in(driver, live, support)
    # Another site's form posting to the console: no token, refused.
    driver.get("about:blank")
    driver.execute_script(
        "var f = document.createElement('form'); f.method = 'post'; f.action = arguments[0];"
        "var i = document.createElement('input'); i.name = 'locale'; i.value = 'en';"
        "f.appendChild(i); document.body.appendChild(f); f.submit();",
        f"{live.url}/console/language",
    )
    wait_for(lambda: "403" in driver.title)
    db.refresh(support)
    assert support.locale == "tr"

    driver.get(f"{live.url}/console/inbox")
    submit(driver, "sign-out")
    driver.get(f"{live.url}/console/inbox")
    assert "/console/sign-in" in driver.current_url

    # (Another colleague: one number may ask for a code once in 30 seconds.)
    colleague = person(db, "support")
    sign_in(driver, live, colleague)
    assert driver.current_url.endswith("/console/inbox")
    colleague.is_active = False
    db.commit()
    submit(driver, "apply-filters")
    assert "/console/sign-in" in driver.current_url


def test_the_same_flow_in_english(driver, live, db) -> None:
    ticket = ticket_for(db, live.settings)
    sign_in(driver, live, person(db, "support", locale="en"), "?lang=en")
    assert "Inbox" in page_text(driver)
    driver.get(f"{live.url}/console/tickets/{ticket.id}")
    assert by_id(driver, "move-in_progress").text == "Start work"
    submit(driver, "move-in_progress")
    assert by_id(driver, "ticket-status").text == "In progress"
    by_id(driver, "reply-body").send_keys("Our crew is on the way.")
    submit(driver, "send-reply")
    assert "Reply sent." in page_text(driver)


def test_the_ticket_page_fits_a_phone(driver, live, db) -> None:
    ticket = ticket_for(db, live.settings)
    sign_in(driver, live, person(db, "support"))
    driver.set_window_size(360, 800)
    driver.get(f"{live.url}/console/tickets/{ticket.id}")
    width = driver.execute_script("return window.innerWidth")
    scroll = driver.execute_script("return document.documentElement.scrollWidth")
    wide = driver.execute_script(
        "return Array.from(document.querySelectorAll('body *')).filter("
        "e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5)"
        ".map(e => e.tagName + '#' + e.id + '.' + e.className)"
    )
    assert scroll <= width, f"the page is {scroll} px wide in a {width} px window: {wide}"
    for element_id in ("reply-body", "send-reply", "move-in_progress", "map"):
        element = by_id(driver, element_id)
        assert element.is_displayed() and element.rect["x"] + element.rect["width"] <= width + 1


def test_the_inbox_fits_a_tablet(driver, live, db) -> None:
    for _ in range(3):
        ticket_for(db, live.settings)
    sign_in(driver, live, person(db, "support"))
    driver.set_window_size(1024, 768)
    driver.get(f"{live.url}/console/inbox")
    width = driver.execute_script("return window.innerWidth")
    scroll = driver.execute_script("return document.documentElement.scrollWidth")
    assert scroll <= width, f"the inbox is {scroll} px wide in a {width} px window"
