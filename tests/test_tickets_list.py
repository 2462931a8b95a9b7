"""GET /api/v1/tickets and /tickets/nearby: visibility, filters, sort orders, keyset
pages, Turkish full-text search, and distances against hand-placed points."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from geoalchemy2 import Geography
from sqlalchemy import cast, func, select, update

from admin_api.pagination import encode_cursor
from core.geo import point
from core.models import Category, Comment, Ticket, TicketFollower

URL = "/api/v1/tickets"
ORIGIN = (41.0082, 28.9784)  # Sultanahmet


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json
    return [t["id"] for t in response.json["data"]]


def place_at(db, ticket, metres: float, bearing_deg: float = 45.0) -> None:
    """Put `ticket` exactly `metres` from ORIGIN on the spheroid (PostGIS ST_Project)."""
    projected = func.ST_Project(point(*ORIGIN), metres, func.radians(bearing_deg))
    db.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id)
        .values(location=cast(projected, Geography(srid=4326)))
    )
    db.expire(ticket)


def category(db, code: str) -> int:
    return db.scalar(select(Category.id).where(Category.code == code))


# --- visibility --------------------------------------------------------------------------


def test_citizens_see_what_they_reported_or_follow(client, db, make_user, make_ticket, bearer):
    a, b = make_user("citizen"), make_user("citizen")
    own = make_ticket(a)
    followed = make_ticket(b)
    make_ticket(b)  # a stranger's
    db.add(TicketFollower(ticket_id=followed.id, user_id=a.id))
    db.flush()

    assert sorted(ids(client.get(URL, headers=bearer(a)))) == sorted([own.id, followed.id])
    assert len(ids(client.get(URL, headers=bearer(make_user("support"))))) == 3


def test_citizen_may_not_filter_by_reporter(client, make_user, bearer, seeded) -> None:
    response = client.get(f"{URL}?reporter=1", headers=bearer(make_user("citizen")))
    assert response.status_code == 403


def test_internal_notes_do_not_leak_through_list_search(
    client, db, make_user, make_ticket, bearer
) -> None:
    a = make_user("citizen")
    ticket = make_ticket(a, description="Sokak lambası yanmıyor, karanlık.")
    db.add(Comment(ticket_id=ticket.id, body="Müteahhit gecikiyor", is_internal=True))
    db.flush()
    assert ids(client.get(f"{URL}?q=müteahhit", headers=bearer(a))) == []
    assert ids(client.get(f"{URL}?q=müteahhit", headers=bearer(make_user("support")))) == [
        ticket.id
    ]


# --- filters -------------------------------------------------------------------------------


@pytest.fixture
def spread(db, make_user, make_ticket):
    """Five tickets differing in every filterable way."""
    team_of = {c.code: c.default_team_id for c in db.scalars(select(Category))}
    support = make_user("support")
    reporter = make_user("citizen")
    now = datetime.now(UTC)
    t = {
        "new_roads": make_ticket(reporter, status="new", created_at=now - timedelta(days=5)),
        "wip_light": make_ticket(
            category="lighting", status="in_progress", priority="urgent",
            assignee_id=support.id, created_at=now - timedelta(days=4),
        ),
        "overdue": make_ticket(
            category="waste", status="in_progress", priority="high",
            due_at=now - timedelta(hours=1), created_at=now - timedelta(days=3),
        ),
        "resolved": make_ticket(
            category="lighting", status="resolved", priority="low",
            due_at=now - timedelta(days=1), created_at=now - timedelta(days=2),
        ),
        "closed": make_ticket(status="closed", created_at=now - timedelta(days=1)),
    }  # fmt: skip
    db.flush()
    return t, team_of, support, reporter


FILTERS = [
    ("status=new", ["new_roads"]),
    ("status=in_progress&status=resolved", ["wip_light", "overdue", "resolved"]),
    ("status=in_progress,resolved", ["wip_light", "overdue", "resolved"]),
    ("priority=urgent,high", ["wip_light", "overdue"]),
    ("category={lighting}", ["wip_light", "resolved"]),
    ("team={lighting_team}", ["wip_light", "resolved"]),
    ("assignee={support}", ["wip_light"]),
    ("assignee=none&status=in_progress", ["overdue"]),
    ("reporter={reporter}", ["new_roads"]),
    ("overdue=true", ["overdue"]),
    ("overdue=false", ["new_roads", "wip_light", "resolved", "closed"]),
    ("category=lighting", ["wip_light", "resolved"]),
    ("created_from={three_days_ago}", ["overdue", "resolved", "closed"]),
    ("created_to={three_days_ago}", ["new_roads", "wip_light"]),
    ("status=closed&category={lighting}", []),
]


@pytest.mark.parametrize(("query", "expected"), FILTERS)
def test_filters(client, db, make_user, bearer, spread, query, expected) -> None:
    t, team_of, support, reporter = spread
    values = {
        "lighting": category(db, "lighting"),
        "lighting_team": team_of["lighting"],
        "support": support.id,
        "reporter": reporter.id,
        "three_days_ago": (datetime.now(UTC) - timedelta(days=3, hours=1)).isoformat(),
    }
    url = f"{URL}?sort=oldest&{query.format(**values)}".replace("+", "%2B")
    assert ids(client.get(url, headers=bearer(make_user("manager")))) == [t[n].id for n in expected]


def test_assignee_me(client, make_user, bearer, spread) -> None:
    t, _, support, _ = spread
    assert ids(client.get(f"{URL}?assignee=me", headers=bearer(support))) == [t["wip_light"].id]


BAD_QUERIES = [
    ("status=done", "status"),
    ("priority=extreme", "priority"),
    ("limit=0", "limit"),
    ("limit=201", "limit"),
    ("category=no_such_code", "category"),
    ("category=999999", "category"),
    ("needs_location=perhaps", "needs_location"),
    # Never a silent filter: a parameter the list does not have (a typo) is refused.
    ("numbr=1001", "numbr"),
    ("overdue=true&color=red", "color"),
    ("created_from=yesterday", "created_from"),
    ("overdue=perhaps", "overdue"),
    ("bbox=1,2,3", "bbox"),
    ("bbox=29,41,28,40", "bbox"),
    ("bbox=a,b,c,d", "bbox"),
    # Half the globe or more: no great-circle box (PostGIS refuses antipodal edges).
    ("bbox=-90,0,90,10", "bbox"),
    ("bbox=10,-90,11,90", "bbox"),
    ("bbox=-180,-90,180,90", "bbox"),
    ("bbox=nan,40,29,41", "bbox"),
    ("near=41.0", "near"),
    ("near=95,29", "near"),
    ("near=41,29&radius_m=0", "radius_m"),
    ("near=41,29&radius_m=50001", "radius_m"),
    ("sort=distance", "sort"),
    ("sort=random", "sort"),
    ("assignee=someone", "assignee"),
    ("cursor=not-a-cursor", "cursor"),
    ("q=" + "a" * 201, "q"),
]


@pytest.mark.parametrize(("query", "field"), BAD_QUERIES)
def test_bad_query_is_422(client, make_user, bearer, seeded, query, field) -> None:
    response = client.get(f"{URL}?{query}", headers=bearer(make_user("manager")))
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]["query"]


def test_cursor_of_another_sort_is_422(client, make_user, bearer, seeded) -> None:
    cursor = encode_cursor(["x", 1])
    response = client.get(f"{URL}?cursor={cursor}", headers=bearer(make_user("manager")))
    assert response.status_code == 422


# --- sort and pages ------------------------------------------------------------------------


def test_sorts(client, make_user, bearer, spread) -> None:
    t, *_ = spread
    headers = bearer(make_user("manager"))
    by_age = [t[n].id for n in ("new_roads", "wip_light", "overdue", "resolved", "closed")]
    assert ids(client.get(f"{URL}?sort=oldest", headers=headers)) == by_age
    assert ids(client.get(f"{URL}?sort=newest", headers=headers)) == by_age[::-1]
    assert ids(client.get(f"{URL}?sort=priority", headers=headers))[:2] == [
        t["wip_light"].id,
        t["overdue"].id,
    ]
    due = ids(client.get(f"{URL}?sort=due", headers=headers))
    assert due[:2] == [t["resolved"].id, t["overdue"].id]


@pytest.mark.parametrize("sort", ["newest", "oldest", "priority", "due", "distance"])
def test_keyset_pages_cover_everything_once(
    client, db, make_user, make_ticket, bearer, sort
) -> None:
    reporter = make_user("citizen")
    same_time = datetime.now(UTC) - timedelta(hours=1)
    made = [
        make_ticket(reporter, created_at=same_time if i % 3 else same_time - timedelta(minutes=i),
                    priority=("low", "normal", "high")[i % 3])
        for i in range(13)
    ]  # fmt: skip
    for i, ticket in enumerate(made):
        place_at(db, ticket, 10 + (i % 4) * 5)  # ties in distance too
    headers = bearer(make_user("support"))
    extra = "&near=41.0082,28.9784&radius_m=500" if sort == "distance" else ""
    seen, cursor, pages = [], None, 0
    while True:
        url = f"{URL}?limit=4&sort={sort}{extra}" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(url, headers=headers)
        seen += ids(response)
        pages += 1
        cursor = response.json["next_cursor"]
        if cursor is None:
            break
    assert pages == 4
    assert sorted(seen) == sorted(t.id for t in made)
    assert len(seen) == len(set(seen))


def test_new_tickets_do_not_shift_later_pages(client, make_user, make_ticket, bearer) -> None:
    reporter = make_user("citizen")
    made = [make_ticket(reporter) for _ in range(4)]
    headers = bearer(make_user("support"))
    first = client.get(f"{URL}?limit=2", headers=headers)
    make_ticket(reporter)  # arrives between two page loads
    second = client.get(f"{URL}?limit=2&cursor={first.json['next_cursor']}", headers=headers)
    assert ids(first) + ids(second) == [t.id for t in made][::-1]


# --- text search ---------------------------------------------------------------------------


SEARCHES = [
    ("çukur", "pothole"),
    ("ÇUKUR", "pothole"),
    ("kırık", "shouting"),
    ("lambalar", "lamp"),
    ("ışık", "shouting"),
    ("taşmış", "comment"),
    # Typed without Turkish letters, as on most keyboards.
    ("cukur", "pothole"),
    ("isik", "shouting"),
    ("kirik direk", "shouting"),
    ("tasmis", "comment"),
    ("aksamlari", "lamp"),
    # The address is searched too, with or without its letters.
    ("sisli", "addressed"),
    ("Şişli", "addressed"),
    ("SISLI", "addressed"),
]


@pytest.mark.parametrize(("q", "expected"), SEARCHES)
def test_turkish_text_search(client, db, make_user, make_ticket, bearer, q, expected) -> None:
    reporter = make_user("citizen")
    tickets = {
        "pothole": make_ticket(reporter, description="Çukurlar yüzünden araçlar zarar görüyor."),
        "lamp": make_ticket(reporter, description="Parktaki lamba akşamları yanmıyor."),
        "shouting": make_ticket(reporter, description="IŞIKLAR YANMIYOR, DİREK KIRIK!"),
        "comment": make_ticket(reporter, description="Konteyner sorunu var, bakın lütfen."),
        "addressed": make_ticket(
            reporter, description="Kaldırım bozulmuş, yürümek zor.",
            lat=None, lon=None, address="Halaskargazi Caddesi 40, Şişli",
        ),
    }  # fmt: skip
    db.add(Comment(ticket_id=tickets["comment"].id, body="Konteynerler yine taşmış durumda."))
    db.flush()
    response = client.get(f"{URL}?q={q}", headers=bearer(make_user("support")))
    assert ids(response) == [tickets[expected].id]


def test_search_without_letters_finds_comments_of_staff_only_to_staff(
    client, db, make_user, make_ticket, bearer
) -> None:
    reporter = make_user("citizen")
    ticket = make_ticket(reporter)
    db.add(Comment(ticket_id=ticket.id, body="Müteahhit çalışmayı erteledi.", is_internal=True))
    db.flush()
    assert ids(client.get(f"{URL}?q=muteahhit", headers=bearer(reporter))) == []
    assert ids(client.get(f"{URL}?q=muteahhit", headers=bearer(make_user("support")))) == [
        ticket.id
    ]


def test_citizen_search_finds_public_comments(client, db, make_user, make_ticket, bearer) -> None:
    reporter = make_user("citizen")
    ticket = make_ticket(reporter)
    db.add(Comment(ticket_id=ticket.id, body="Ekiplerimiz kaldırımı onardı, çöpler toplandı."))
    db.flush()
    assert ids(client.get(f"{URL}?q=çöp", headers=bearer(reporter))) == [ticket.id]


# --- geography -----------------------------------------------------------------------------


def test_bbox_and_near_filters(client, db, make_user, make_ticket, bearer) -> None:
    here, there = make_ticket(), make_ticket(lat=41.1, lon=29.05)
    headers = bearer(make_user("support"))
    assert ids(client.get(f"{URL}?bbox=28.9,40.95,29.0,41.05", headers=headers)) == [here.id]
    near = client.get(f"{URL}?near=41.1,29.05&radius_m=100&sort=distance", headers=headers)
    assert ids(near) == [there.id]
    assert near.json["data"][0]["distance_m"] == pytest.approx(0, abs=0.01)


NEARBY = "/api/v1/tickets/nearby"


def test_nearby_finds_240m_but_not_260m(client, db, make_user, make_ticket, bearer) -> None:
    at_240 = make_ticket()
    at_260 = make_ticket()
    at_100_closed = make_ticket(status="closed")
    place_at(db, at_240, 240)
    place_at(db, at_260, 260, bearing_deg=200)
    place_at(db, at_100_closed, 100)
    url = f"{NEARBY}?lat={ORIGIN[0]}&lon={ORIGIN[1]}"
    response = client.get(url, headers=bearer(make_user("citizen")))
    assert response.status_code == 200, response.json
    assert [t["id"] for t in response.json["data"]] == [at_240.id]
    assert response.json["data"][0]["distance_m"] == pytest.approx(240, abs=0.5)
    assert "description" not in response.json["data"][0]

    wider = client.get(f"{url}&radius_m=300", headers=bearer(make_user("support")))
    assert [t["id"] for t in wider.json["data"]] == [at_240.id, at_260.id]
    assert "description" in wider.json["data"][0]


def test_nearby_by_category(client, db, make_user, make_ticket, bearer) -> None:
    roads, light = make_ticket(), make_ticket(category="lighting")
    place_at(db, roads, 50)
    place_at(db, light, 60)
    url = f"{NEARBY}?lat={ORIGIN[0]}&lon={ORIGIN[1]}&category={category(db, 'lighting')}"
    response = client.get(url, headers=bearer(make_user("citizen")))
    assert [t["id"] for t in response.json["data"]] == [light.id]


@pytest.mark.parametrize(
    "query", ["lat=41", "lat=91&lon=29", "lat=41&lon=29&radius_m=-5", "lat=x&lon=29"]
)
def test_nearby_bad_query_is_422(client, make_user, bearer, seeded, query) -> None:
    response = client.get(f"{NEARBY}?{query}", headers=bearer(make_user("citizen")))
    assert response.status_code == 422


def test_needs_location_lists_reports_waiting_for_a_pin(client, db, make_user, make_ticket, bearer):
    placed = make_ticket()
    address_only = make_ticket(lat=None, lon=None, address="Moda Caddesi 12, Kadıköy")
    staff = bearer(make_user("support"))
    assert ids(client.get(f"{URL}?needs_location=true", headers=staff)) == [address_only.id]
    assert ids(client.get(f"{URL}?needs_location=false", headers=staff)) == [placed.id]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/tickets/nearby?lat=41&lon=29",
        "/api/v1/users",
        "/api/v1/teams",
        "/api/v1/categories",
        "/api/v1/escalations",
        "/api/v1/feedback",
        "/api/v1/api-keys",
        "/api/v1/tickets/{ticket}/comments",
        "/api/v1/tickets/{ticket}/events",
        "/api/v1/tickets/{ticket}/messages",
        "/api/v1/analytics/kpis",
        "/api/v1/analytics/heatmap",
        "/api/v1/analytics/exports/tickets.csv",
    ],
)
def test_every_list_refuses_a_parameter_it_does_not_have(
    client, make_user, make_ticket, bearer, path
) -> None:
    url = path.format(ticket=make_ticket().id)
    joiner = "&" if "?" in url else "?"
    response = client.get(f"{url}{joiner}numbr=1001", headers=bearer(make_user("manager")))
    assert response.status_code == 422, response.json
    assert "numbr" in response.json["errors"]["query"]


def test_nearby_takes_a_category_code(client, db, make_user, make_ticket, bearer) -> None:
    light = make_ticket(category="lighting")
    make_ticket(category="waste")
    url = "/api/v1/tickets/nearby?lat=41.0082&lon=28.9784&category=lighting"
    found = client.get(url, headers=bearer(make_user("support"))).json["data"]
    assert [t["id"] for t in found] == [light.id]


def test_search_follows_a_corrected_address(client, make_user, make_ticket, bearer) -> None:
    ticket = make_ticket(lat=None, lon=None, address="Bağdat Caddesi, Kadıköy")
    staff = bearer(make_user("support"))
    assert ids(client.get(f"{URL}?q=bagdat", headers=staff)) == [ticket.id]
    patched = client.patch(
        f"{URL}/{ticket.id}", json={"address": "Büyükdere Caddesi, Şişli"}, headers=staff
    )
    assert patched.status_code == 200, patched.json
    assert ids(client.get(f"{URL}?q=buyukdere", headers=staff)) == [ticket.id]
    assert ids(client.get(f"{URL}?q=bagdat", headers=staff)) == []


def test_search_follows_comments_added_changed_and_removed(
    client, db, make_user, make_ticket, bearer
) -> None:
    reporter = make_user("citizen")
    ticket = make_ticket(reporter)
    staff, citizen = bearer(make_user("support")), bearer(reporter)
    note = Comment(ticket_id=ticket.id, body="Belediye ekibi yarın gelecek.")
    memo = Comment(ticket_id=ticket.id, body="Taşeron faturası bekleniyor.", is_internal=True)
    db.add_all([note, memo])
    db.flush()
    assert ids(client.get(f"{URL}?q=yarin", headers=citizen)) == [ticket.id]
    assert ids(client.get(f"{URL}?q=taseron", headers=staff)) == [ticket.id]
    assert ids(client.get(f"{URL}?q=taseron", headers=citizen)) == []
    note.body = "Ekip geldi, onarım tamam."
    db.delete(memo)
    db.flush()
    assert ids(client.get(f"{URL}?q=yarin", headers=citizen)) == []
    assert ids(client.get(f"{URL}?q=onarim", headers=citizen)) == [ticket.id]
    assert ids(client.get(f"{URL}?q=taseron", headers=staff)) == []
