"""The managers' console pages through the test client: the escalation queue (decided
through core's decide_escalation), the dashboard's numbers (the analytics API's own),
the administration pages; support is refused them with a plain 403 page."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from core.models import Category, Escalation, ExportJob, TicketEvent
from core.tickets.escalations import request_escalation
from tests.console_support import console_sign_in, post_form

QUEUE = "/console/escalations"
DASHBOARD = "/console/dashboard"
MANAGER_PAGES = (
    QUEUE,
    DASHBOARD,
    "/console/admin",
    DASHBOARD + "/heatmap",
    DASHBOARD + "/tickets.csv",
)


@pytest.fixture
def manager(make_user, seeded):
    return make_user("manager", name="Mert Yönetici")


@pytest.fixture
def support(make_user, seeded):
    return make_user("support", name="Selin Destek")


@pytest.fixture
def as_manager(client, manager):
    assert console_sign_in(client, manager.phone).status_code == 302
    return client


@pytest.fixture
def escalated(make_ticket, support, db):
    ticket = make_ticket(status="in_progress")
    escalation = request_escalation(db, ticket, support, "Bütçe onayı gerekiyor")
    db.flush()
    return escalation


def test_support_gets_a_refusal_page_for_every_managers_page(client, support) -> None:
    console_sign_in(client, support.phone)
    for url in MANAGER_PAGES:
        page = client.get(url)
        assert page.status_code == 403, url
        html = page.get_data(as_text=True)
        assert "yalnızca yöneticiler" in html and 'role="alert"' in html
    assert "nav-escalations" not in client.get("/console/").get_data(as_text=True)


def test_the_queue_lists_ticket_reason_and_who_asked(as_manager, escalated) -> None:
    html = as_manager.get(QUEUE).get_data(as_text=True)
    assert "Bütçe onayı gerekiyor" in html and "Selin Destek" in html
    assert f'data-escalation="{escalated.id}"' in html and 'id="nav-escalations"' in html


def test_approving_puts_the_ticket_back_in_progress_with_the_note(
    as_manager, escalated, manager, db
) -> None:
    target = f"{QUEUE}/{escalated.id}/decision"
    done = post_form(as_manager, QUEUE, target, decision="approve", note="Bütçe ayrıldı")
    assert done.status_code == 302
    db.refresh(escalated)
    assert (escalated.status, escalated.decision_note) == ("approved", "Bütçe ayrıldı")
    assert escalated.decided_by_id == manager.id
    ticket = escalated_ticket(db, escalated)
    assert ticket.status == "in_progress"
    html = as_manager.get(QUEUE + "?done=approved").get_data(as_text=True)
    assert "Bütçe ayrıldı" in html and "onaylandı" in html and "Bekleyen talep yok." in html
    again = post_form(as_manager, QUEUE, target, decision="reject")
    assert again.status_code == 409 and "already approved" in again.get_data(as_text=True)


def test_rejecting_is_recorded_in_the_timeline(as_manager, escalated, db) -> None:
    post_form(as_manager, QUEUE, f"{QUEUE}/{escalated.id}/decision", decision="reject")
    db.refresh(escalated)
    assert escalated.status == "rejected"
    kinds = db.scalars(
        select(TicketEvent.kind).where(TicketEvent.ticket_id == escalated.ticket_id)
    ).all()
    assert "escalation_decided" in kinds


def test_an_unknown_escalation_is_a_404_page(as_manager) -> None:
    assert (
        post_form(as_manager, QUEUE, f"{QUEUE}/999999/decision", decision="approve").status_code
        == 404
    )
    assert (
        post_form(as_manager, QUEUE, f"{QUEUE}/{2**70}/decision", decision="approve").status_code
        == 404
    )


def escalated_ticket(db, escalation: Escalation):
    from core.models import Ticket

    return db.get(Ticket, escalation.ticket_id)


def tile(html: str, name: str) -> str:
    match = re.search(rf'id="kpi-{name}" data-value="([^"]*)"', html)
    assert match, name
    return match.group(1)


def test_the_dashboard_shows_the_analytics_apis_numbers_for_the_same_filters(
    as_manager, manager, make_ticket, bearer, seeded
) -> None:
    for _ in range(3):
        make_ticket(category="infrastructure")
    make_ticket(category="lighting", status="resolved")
    lighting = seeded.scalar(select(Category.id).where(Category.code == "lighting"))
    for query in ("", f"?category={lighting}", "?channel=sms"):
        api = as_manager.get("/api/v1/analytics/kpis" + query, headers=bearer(manager)).get_json()
        html = as_manager.get(DASHBOARD + query).get_data(as_text=True)
        assert int(tile(html, "created")) == api["created"], query
        assert int(tile(html, "backlog")) == api["backlog"]["open"], query
        assert int(tile(html, "resolved")) == api["resolved"], query
    assert int(tile(as_manager.get(DASHBOARD).get_data(as_text=True), "created")) == 4


def test_the_map_layer_is_the_apis_heatmap_text(as_manager, manager, make_ticket, bearer) -> None:
    for lon in (28.97, 28.98, 29.05):
        make_ticket(lat=41.01, lon=lon)
    layer = as_manager.get(DASHBOARD + "/heatmap")
    api = as_manager.get("/api/v1/analytics/heatmap", headers=bearer(manager))
    assert layer.get_data() == api.get_data()
    assert len(layer.get_json()["features"]) >= 2
    hotspots = as_manager.get(DASHBOARD + "/hotspots")
    assert hotspots.status_code == 200 and "data" in hotspots.get_json()


def test_the_csv_download_holds_the_dashboards_tickets(as_manager, make_ticket) -> None:
    tickets = [make_ticket(description=f"Kaldırımda çukur {i}") for i in range(2)]
    answer = as_manager.get(DASHBOARD + "/tickets.csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == len(tickets)
    assert as_manager.get(DASHBOARD + "/tickets.pdf").status_code == 404


def test_the_exports_keep_the_dashboards_channel(as_manager, make_ticket, db) -> None:
    by_sms = make_ticket(channel="sms")
    make_ticket()  # whatsapp
    answer = as_manager.get(DASHBOARD + "/tickets.csv?channel=sms")
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert [row["number"] for row in rows] == [by_sms.public_number]
    post_form(as_manager, DASHBOARD, DASHBOARD + "/exports?channel=sms", format="csv")
    job = db.scalar(select(ExportJob))
    assert job.filters["channel"] == "sms"


def test_a_background_export_is_listed_with_its_state(as_manager, db) -> None:
    started = post_form(as_manager, DASHBOARD, DASHBOARD + "/exports", format="xlsx")
    assert started.status_code == 302
    job = db.scalar(select(ExportJob))
    assert job.format == "xlsx" and job.filters["created_from"]
    html = as_manager.get(DASHBOARD).get_data(as_text=True)
    assert f'data-job="{job.id}"' in html and 'data-status="queued"' in html


def test_bad_dashboard_filters_are_left_out_not_a_500(as_manager) -> None:
    page = as_manager.get(
        DASHBOARD + "?from=2025-13-01&to=yesterday&team=x&channel=fax&team_sort=evil"
    )
    assert page.status_code == 200


ADMIN = "/console/admin"


def test_support_is_refused_the_administration(client, support) -> None:
    console_sign_in(client, support.phone)
    assert client.get(ADMIN).status_code == 403
    token_page = client.get("/console/saved-replies")
    from tests.console_support import csrf_of

    refused = client.post(ADMIN + "/teams", data={"csrf_token": csrf_of(token_page), "name": "X"})
    assert refused.status_code == 403
    assert not db_has_team(client, "X")


def db_has_team(client, name: str) -> bool:
    from core.models import Team
    from web.request_session import EXTENSION_KEY

    database = client.application.extensions[EXTENSION_KEY]
    with database.session() as session:
        return session.scalar(select(Team.id).where(Team.name == name)) is not None


def test_a_manager_adds_support_to_two_teams_then_deactivates_them(as_manager, seeded, db) -> None:
    from core.models import Team, User

    teams = seeded.scalars(select(Team).order_by(Team.id).limit(2)).all()
    added = post_form(as_manager, ADMIN, ADMIN + "/users", phone_number="0532 999 88 77",
                      full_name="Deniz Yeni", role="support", locale="en",
                      team_ids=[str(t.id) for t in teams])  # fmt: skip
    assert added.status_code == 302
    user = db.scalar(select(User).where(User.full_name == "Deniz Yeni"))
    assert user.phone == "+905329998877" and sorted(user.team_ids) == sorted(t.id for t in teams)
    again = post_form(as_manager, ADMIN, ADMIN + "/users", phone_number="+905329998877",
                      full_name="Deniz", role="support")  # fmt: skip
    assert again.status_code == 409
    post_form(as_manager, ADMIN, f"{ADMIN}/users/{user.id}", role="support",
              team_ids=[str(teams[0].id)])  # fmt: skip
    db.refresh(user)
    assert user.team_ids == [teams[0].id] and user.is_active is False
    bad = post_form(
        as_manager, ADMIN, ADMIN + "/users", phone_number="12", full_name="X", role="support"
    )
    assert bad.status_code == 422 and "phone_number" in bad.get_data(as_text=True)


def test_the_last_manager_cannot_deactivate_themselves(as_manager, manager) -> None:
    answer = post_form(as_manager, ADMIN, f"{ADMIN}/users/{manager.id}", role="manager")
    assert answer.status_code == 409


def test_a_category_with_both_names_and_an_everyday_word(as_manager, seeded, db) -> None:
    from core.models import Category, Team

    team = seeded.scalar(select(Team).limit(1))
    made = post_form(as_manager, ADMIN, ADMIN + "/categories", code="benches", name_tr="Banklar",
                     name_en="Benches", sla_hours="48", default_team_id=str(team.id),
                     words_tr="bank, oturak", words_en="bench")  # fmt: skip
    assert made.status_code == 302
    category = db.scalar(select(Category).where(Category.code == "benches"))
    assert (category.name_tr, category.name_en, category.sla_hours) == ("Banklar", "Benches", 48)
    assert category.everyday_words == {"tr": ["bank", "oturak"], "en": ["bench"]}
    assert "Banklar" in as_manager.get(ADMIN).get_data(as_text=True)
    bad = post_form(as_manager, ADMIN, ADMIN + "/categories", code="Bad Code", name_tr="a",
                    name_en="b", sla_hours="48")  # fmt: skip
    assert bad.status_code == 422
    no_sla = post_form(as_manager, ADMIN, f"{ADMIN}/categories/{category.id}", name_tr="Banklar",
                       name_en="Benches", sla_hours="zero")  # fmt: skip
    assert no_sla.status_code == 422


def test_an_api_key_is_shown_once_and_then_revoked(as_manager, settings, db) -> None:
    from core.models import ApiKey
    from core.people.api_keys import find_api_key

    page = post_form(as_manager, ADMIN, ADMIN + "/api-keys", name="Çağrı merkezi",
                     scopes=["tickets:read"])  # fmt: skip
    html = page.get_data(as_text=True)
    secret = re.search(r'id="new-key-secret">([^<]+)<', html).group(1)
    key = find_api_key(db, settings, secret)
    assert key is not None and key.scopes == ["tickets:read"]
    assert secret not in as_manager.get(ADMIN).get_data(as_text=True)
    post_form(as_manager, ADMIN, f"{ADMIN}/api-keys/{key.id}/revoke")
    db.refresh(key)
    assert key.revoked_at is not None
    unknown = post_form(as_manager, ADMIN, ADMIN + "/api-keys", name="x", scopes=["root"])
    assert unknown.status_code == 422
    assert db.scalar(select(ApiKey).where(ApiKey.name == "x")) is None


def test_the_bot_matches_a_word_added_in_the_console(as_manager, client, settings, db) -> None:
    from core.models import Category, Conversation
    from tests.bot_support import Phone

    post_form(as_manager, ADMIN, ADMIN + "/categories", code="benches", name_tr="Banklar",
              name_en="Benches", sla_hours="48", words_tr="oturak", words_en="bench")  # fmt: skip
    phone = Phone(client, settings)
    phone.register()
    phone.send("1")
    reply = phone.send("oturak")
    assert "Banklar" in reply
    conversation = db.scalars(select(Conversation)).one()
    benches = db.scalar(select(Category.id).where(Category.code == "benches"))
    assert conversation.context["draft"]["category_id"] == benches


def test_the_trend_chart_has_a_point_per_day_of_the_apis_trends(
    as_manager, manager, bearer
) -> None:
    query = "?from=2026-01-01&to=2026-01-10"
    api = as_manager.get("/api/v1/analytics/trends" + query, headers=bearer(manager)).get_json()
    html = as_manager.get(DASHBOARD + query).get_data(as_text=True)
    assert f'data-buckets="{len(api["data"])}"' in html and len(api["data"]) == 10


def test_an_approval_raises_the_priority_and_moves_the_team(as_manager, escalated, seeded, db):
    from core.models import Team

    ticket = escalated_ticket(db, escalated)
    other = seeded.scalars(select(Team).where(Team.id != ticket.team_id).order_by(Team.id)).first()
    html = as_manager.get(QUEUE).get_data(as_text=True)
    assert f'id="priority-{escalated.id}"' in html and '<option value="low">' not in html
    target = f"{QUEUE}/{escalated.id}/decision"
    done = post_form(as_manager, QUEUE, target, decision="approve", note="Acil",
                     priority="urgent", team_id=str(other.id))  # fmt: skip
    assert done.status_code == 302
    db.refresh(ticket)
    assert (ticket.status, ticket.priority, ticket.team_id) == ("in_progress", "urgent", other.id)


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"decision": "approve", "priority": "low"}, "may only be raised"),
        ({"decision": "approve", "priority": "highest"}, "choose one from the list"),
        ({"decision": "approve", "team_id": "abc"}, "team_id"),
        ({"decision": "approve", "team_id": "99999999"}, "no active team"),
        ({"decision": "reject", "priority": "urgent"}, "only an approval"),
    ],
)
def test_a_bad_plan_is_refused_and_the_escalation_stays_pending(
    as_manager, escalated, db, fields, says
) -> None:
    answer = post_form(as_manager, QUEUE, f"{QUEUE}/{escalated.id}/decision", **fields)
    assert answer.status_code == 422 and says in answer.get_data(as_text=True)
    db.refresh(escalated)
    ticket = escalated_ticket(db, escalated)
    assert (escalated.status, ticket.status, ticket.priority) == ("pending", "escalated", "normal")


def test_the_timeline_shows_the_reason_the_decision_and_the_note(as_manager, escalated, db):
    target = f"{QUEUE}/{escalated.id}/decision"
    post_form(as_manager, QUEUE, target, decision="reject", note="Bütçe yok, ekip çözsün")
    html = as_manager.get(f"/console/tickets/{escalated.ticket_id}").get_data(as_text=True)
    timeline = html[html.index('id="timeline"') :]
    timeline = timeline[: timeline.index("</ol>")]
    assert "Gerekçe: <q" in timeline and "Bütçe onayı gerekiyor" in timeline
    assert "reddedildi" in timeline and "Yönetici notu: <q" in timeline
    assert "Bütçe yok, ekip çözsün" in timeline
