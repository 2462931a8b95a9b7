"""Service requests: file one (api_key), list them, read one; tokens are never issued."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Response, current_app, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from admin_api.open311.blueprint import bp
from admin_api.open311.errors import Open311Error, bad_request, not_found
from admin_api.open311.filing import check_filing, ticket_error
from admin_api.open311.formats import render
from admin_api.open311.params import (
    check_format,
    check_jurisdiction,
    comma_list,
    optional,
    parse_w3c,
    request_locale,
    stripped,
    w3c,
)
from admin_api.open311.request_records import STATUS_FILTER, request_records
from core.errors import Refused
from core.models import Category, Ticket
from core.models.tickets import MAX_TICKET_NUMBER
from core.people.tokens import keyed_hash
from core.tickets.opening import open_ticket
from web.limits import limiter
from web.request_session import request_session

WINDOW = timedelta(days=90)
MAX_PAGE_SIZE = 1000
MAX_IDS = 1000


def _rate_limit() -> str:
    return current_app.config["SOSOFT"].OPEN311_RATE_LIMIT


def _rate_limit_bucket() -> str:
    # Per key, by a keyed hash: the secret never reaches Redis. The key is read as
    # authorisation reads it (`optional` strips it the same way), so "K", "K " and
    # "K\u00a0", all accepted as K, share K's budget, in the form or the query string.
    raw = stripped(request.form, "api_key") or stripped(request.args, "api_key")
    return "open311:" + keyed_hash(current_app.config["SOSOFT"], "open311-rate", raw)[:32]


@bp.post("/requests.<fmt>")
@limiter.limit(_rate_limit, key_func=_rate_limit_bucket)
def create_request(fmt: str) -> Response:
    """File a service request: a new ticket on the channel `open311`."""
    check_format(fmt)
    settings = current_app.config["SOSOFT"]
    session = request_session()
    form = request.form
    check_jurisdiction(settings, form)
    filing = check_filing(session, settings, form)
    locale = request_locale(settings)
    try:
        ticket = open_ticket(
            session,
            settings,
            category=filing.category,
            description=filing.description,
            channel="open311",
            lat=filing.lat,
            lon=filing.lon,
            address=filing.address,
            attributes=filing.attributes,
            source_details=filing.source_details,
            api_key_id=filing.api_key.id,
            contact_phone=filing.contact_phone,
            contact_email=filing.contact_email,
        )
    except Refused as exc:
        session.rollback()
        raise ticket_error(exc) from None
    session.commit()
    notice = _notice(ticket.public_number, w3c(ticket.due_at), locale)
    return render(
        [{"service_request_id": str(ticket.number), "service_notice": notice}],
        "service_requests",
        fmt,
    )


def _notice(number: str, due: str | None, locale: str) -> str:
    if locale == "en":
        return f"Filed as {number}; expected to be handled by {due}."
    return f"{number} numarasıyla kaydedildi; hedeflenen çözüm zamanı {due}."


@bp.get("/requests.<fmt>")
def list_requests(fmt: str) -> Response:
    """Requests by id, or by service, status and date (the last 90 days by default)."""
    check_format(fmt)
    settings = current_app.config["SOSOFT"]
    args = request.args
    check_jurisdiction(settings, args)
    page, page_size = _paging(args)
    query = (
        select(Ticket)
        .join(Category, Category.id == Ticket.category_id)
        .options(joinedload(Ticket.category), joinedload(Ticket.team))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    ids = comma_list(optional(args, "service_request_id"))
    # Spec: service_request_id overrides every other argument.
    query = query.where(Ticket.number.in_(_numbers(ids))) if ids else _filtered(query, args)
    session = request_session()
    tickets = list(session.scalars(query).unique())
    storage = current_app.extensions["sosoft.storage"]
    records = request_records(session, storage, tickets, request_locale(settings))
    return render(records, "service_requests", fmt)


@bp.get("/requests/<service_request_id>.<fmt>")
def read_request(service_request_id: str, fmt: str) -> Response:
    """One request, still wrapped in a list as the spec wants."""
    check_format(fmt)
    settings = current_app.config["SOSOFT"]
    check_jurisdiction(settings, request.args)
    numbers = _numbers([service_request_id])
    session = request_session()
    ticket = None
    if numbers:
        ticket = session.scalar(
            select(Ticket)
            .where(Ticket.number == numbers[0])
            .options(joinedload(Ticket.category), joinedload(Ticket.team))
        )
    if ticket is None:
        raise not_found(f"service_request_id {service_request_id!r} not found")
    storage = current_app.extensions["sosoft.storage"]
    records = request_records(session, storage, [ticket], request_locale(settings))
    return render(records, "service_requests", fmt)


@bp.get("/tokens/<token>.<fmt>")
def read_token(token: str, fmt: str) -> Response:
    """SoSoft answers a POST with the service_request_id at once, so no token exists."""
    check_format(fmt)
    check_jurisdiction(current_app.config["SOSOFT"], request.args)
    raise not_found(
        f"token {token!r} not found; this endpoint is realtime and returns service_request_id"
    )


@bp.route("/<path:resource>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown_resource(resource: str) -> Response:
    """Anything else under the endpoint, e.g. a resource without its .xml/.json suffix."""
    if request.method not in {"GET", "POST"}:
        raise Open311Error(405, f"{request.method} is not part of Open311; use GET or POST")
    raise not_found(
        f"no such Open311 resource: {resource}; resources end in .xml or .json, see discovery.xml"
    )


def _paging(args) -> tuple[int, int]:
    page = _whole_number(args, "page", 1)
    page_size = _whole_number(args, "page_size", MAX_PAGE_SIZE)
    if page < 1:
        raise bad_request("page must be 1 or more")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise bad_request(f"page_size must be from 1 to {MAX_PAGE_SIZE}")
    return page, page_size


def _whole_number(args, name: str, default: int) -> int:
    value = optional(args, name)
    if value is None:
        return default
    if not value.isdecimal() or len(value) > 9:
        raise bad_request(f"{name} must be a whole number")
    return int(value)


def _numbers(ids: list[str]) -> list[int]:
    """Ticket numbers among `ids`; anything else cannot name a request."""
    if len(ids) > MAX_IDS:
        raise bad_request(f"at most {MAX_IDS} service_request_id values at once")
    return [int(i) for i in ids if i.isdecimal() and len(i) <= 10 and int(i) <= MAX_TICKET_NUMBER]


def _filtered(query, args):
    codes = comma_list(optional(args, "service_code"))
    if codes:
        query = query.where(Category.code.in_(codes))
    statuses = comma_list(optional(args, "status"))
    unknown = [s for s in statuses if s not in STATUS_FILTER]
    if unknown:
        raise bad_request(f"status {unknown[0]!r} is not open or closed")
    if statuses:
        query = query.where(Ticket.status.in_([t for s in statuses for t in STATUS_FILTER[s]]))
    start, end = _window(args)
    return query.where(Ticket.created_at >= start, Ticket.created_at <= end)


def _window(args) -> tuple[datetime, datetime]:
    """[start_date, end_date] on requested_datetime: at most 90 days, the last 90 by default."""
    start_text, end_text = optional(args, "start_date"), optional(args, "end_date")
    start = parse_w3c("start_date", start_text) if start_text else None
    end = parse_w3c("end_date", end_text) if end_text else None
    if start is None and end is None:
        end = datetime.now(UTC)
    if start is None:
        start = _window_edge(end, -WINDOW, "end_date")  # type: ignore[arg-type]
    if end is None:
        end = _window_edge(start, WINDOW, "start_date")
    if end < start:
        raise bad_request("end_date must not be before start_date")
    if end - start > WINDOW:
        raise bad_request("start_date to end_date may span at most 90 days")
    return start, end


def _window_edge(moment: datetime, shift: timedelta, name: str) -> datetime:
    """The window's other end; a 400 when it would fall outside the years 1 to 9999."""
    try:
        return moment + shift
    except OverflowError:
        raise bad_request(
            f"{name} is too near the year 1 or 9999 for a 90-day window;"
            " send both start_date and end_date"
        ) from None
