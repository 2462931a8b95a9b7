"""Ticket exports: CSV, XLSX and GeoJSON, streamed in constant memory.

One SELECT serves every format (`export_query`), so the columns and filters are the
same everywhere. CSV is PostgreSQL's own `COPY … TO STDOUT WITH CSV` passed through
(UTF-8 with a BOM so Excel reads Turkish letters); text cells that a spreadsheet would
take for a formula (starting with = + - @ tab or CR) get a leading apostrophe in SQL.
XLSX is written by xlsxwriter in constant-memory mode with formulas and URLs off.
GeoJSON is a FeatureCollection whose features PostgreSQL builds. Rows come through a
server-side cursor, never all at once. Internal notes and reporters' phone numbers are
not in the SELECT at all.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import psycopg
import xlsxwriter
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect

from core.config import Settings
from core.models import Category, Feedback, Team, Ticket, User
from core.tickets.queries import TicketFilters, ticket_conditions

CSV_BOM = "\ufeff".encode()
CHUNK_BYTES = 256 * 1024
FETCH_ROWS = 5_000
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
}


@dataclass(frozen=True)
class Column:
    header: str
    sql: str
    kind: str  # text | time | number | bool


def _local_time_text(expr: str) -> str:
    """ISO 8601 in the city's time zone with its offset that day (+03:00), e.g. for CSV.

    The offset is computed rather than taken from the session's TimeZone, so the
    statement means the same on every connection (the request's, a worker's, COPY's)."""
    offset = f"(({expr} AT TIME ZONE :tz) - ({expr} AT TIME ZONE 'UTC'))"
    return (
        f"""to_char({expr} AT TIME ZONE :tz, 'YYYY-MM-DD"T"HH24:MI:SS') || """
        f"CASE WHEN {offset} < interval '0' THEN '-' || to_char(-{offset}, 'HH24:MI') "
        f"ELSE '+' || to_char({offset}, 'HH24:MI') END"
    )


def _local_time(expr: str) -> str:
    """A zone-less timestamp of the city's wall clock: XLSX cells carry no zone."""
    return f"({expr} AT TIME ZONE :tz)"


COLUMNS = (
    Column("number", "'#' || tickets.number", "text"),
    Column("created", "tickets.created_at", "time"),
    Column("category", "c.code", "text"),
    Column("status", "tickets.status", "text"),
    Column("resolution", "tickets.resolution", "text"),
    Column("priority", "tickets.priority", "text"),
    Column("team", "tm.name", "text"),
    Column("assignee", "a.full_name", "text"),
    Column("lat", "round(ST_Y(tickets.location::geometry)::numeric, 6)", "number"),
    Column("lon", "round(ST_X(tickets.location::geometry)::numeric, 6)", "number"),
    Column("address", "tickets.address", "text"),
    Column("description", "tickets.description", "text"),
    Column("first_response", "tickets.first_response_at", "time"),
    Column("resolved", "tickets.resolved_at", "time"),
    Column("closed", "tickets.closed_at", "time"),
    Column("due", "tickets.due_at", "time"),
    Column(
        "overdue",
        "(tickets.status IN ('new', 'in_progress', 'escalated') AND tickets.due_at < :now)",
        "bool",
    ),
    Column("rating", "f.rating", "number"),
    Column("fixed", "f.fixed", "bool"),
    Column("followers", "tickets.followers_count", "number"),
    Column("channel", "tickets.channel", "text"),
    Column("url", ":ticket_url || tickets.id", "text"),
)
HEADERS = [column.header for column in COLUMNS]

_categories = Category.__table__.alias("c")
_teams = Team.__table__.alias("tm")
_assignees = User.__table__.alias("a")
_feedback = Feedback.__table__.alias("f")
_FROM = (
    Ticket.__table__.join(_categories, _categories.c.id == Ticket.category_id)
    .outerjoin(_teams, _teams.c.id == Ticket.team_id)
    .outerjoin(_assignees, _assignees.c.id == Ticket.assignee_id)
    .outerjoin(_feedback, _feedback.c.ticket_id == Ticket.id)
)
# The statements run on the driver connection (COPY, server-side cursors): compiled
# for psycopg, with `%(name)s` parameters.
_DIALECT = psycopg_dialect()


def neutralise_sql(expr: str) -> str:
    """`expr` with a leading apostrophe when a spreadsheet would run it as a formula."""
    return f"CASE WHEN {expr} ~ '^[=+@\\t\\r-]' THEN '''' || {expr} ELSE {expr} END"


def headers(fmt: str, timezone: str) -> list[str]:
    """Column names; a workbook's time columns name the zone their cells are in."""
    if fmt != "xlsx":
        return HEADERS
    return [f"{c.header} ({timezone})" if c.kind == "time" else c.header for c in COLUMNS]


def export_query(
    filters: TicketFilters, settings: Settings, now: datetime, *, fmt: str
) -> tuple[str, dict]:
    """The export SELECT for `fmt` (psycopg `%(name)s` parameters), oldest ticket
    first. Its filters are the ticket list's own (`ticket_conditions`), for a caller
    who sees every ticket. Times are the city's (CITY_TIMEZONE): text with the offset
    in CSV and GeoJSON, date-time values in XLSX."""
    select_list = []
    for column in COLUMNS:
        expr = column.sql
        if column.kind == "time":
            expr = _local_time(expr) if fmt == "xlsx" else _local_time_text(expr)
        elif fmt == "csv" and column.kind == "text":
            expr = neutralise_sql(f"({expr})")
        elif fmt == "csv" and column.kind == "bool":
            expr = f"CAST(({expr}) AS text)"  # true/false rather than COPY's t/f
        select_list.append(f"{expr} AS {column.header}")
    columns = text(", ".join(select_list)).bindparams(
        now=now,
        tz=settings.CITY_TIMEZONE,
        ticket_url=settings.PUBLIC_BASE_URL.rstrip("/") + "/api/v1/tickets/",
    )
    statement = (
        select(columns)
        .select_from(_FROM)
        .where(*ticket_conditions(filters, None, now))
        .order_by(Ticket.id)
    )
    compiled = statement.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
    return str(compiled), dict(compiled.params)


def csv_stream(
    conn: psycopg.Connection, sql: str, params: dict, stats: dict | None = None
) -> Iterator[bytes]:
    """BOM, header, then COPY's CSV in ~256 kB chunks; `stats["rows"]` at the end."""
    yield CSV_BOM + (",".join(HEADERS) + "\r\n").encode()
    buffer = bytearray()
    with conn.cursor() as cursor:
        with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            for data in copy:
                buffer += data
                if len(buffer) >= CHUNK_BYTES:
                    yield bytes(buffer)
                    buffer.clear()
        if stats is not None:
            stats["rows"] = cursor.rowcount
    if buffer:
        yield bytes(buffer)


def _rows(conn: psycopg.Connection, sql: str, params: dict) -> Iterator[tuple]:
    # A named (server-side) cursor: PostgreSQL hands rows over FETCH_ROWS at a time.
    with conn.cursor(name="sosoft_export") as cursor:
        cursor.itersize = FETCH_ROWS
        cursor.execute(sql, params)
        yield from cursor


def write_xlsx(conn: psycopg.Connection, sql: str, params: dict, path: str) -> int:
    """Write the workbook to `path`; returns the number of tickets written."""
    workbook = xlsxwriter.Workbook(
        path,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "tmpdir": os.path.dirname(path),
            # Time cells are real date-times, shown as the city's wall clock.
            "default_date_format": "yyyy-mm-dd hh:mm:ss",
        },
    )
    sheet = workbook.add_worksheet("tickets")
    sheet.write_row(0, 0, headers("xlsx", params["tz"]))  # the query's own zone
    count = 0
    for count, row in enumerate(_rows(conn, sql, params), start=1):
        sheet.write_row(count, 0, [_cell(value) for value in row])
    workbook.close()
    return count


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool | int | float | str | datetime):
        return value  # xlsxwriter writes bools and date-times as such
    return float(value)  # Decimal coordinates


def xlsx_stream(conn: psycopg.Connection, sql: str, params: dict) -> Iterator[bytes]:
    """The workbook goes to a temporary file (xlsx is a zip), then streams from disk."""
    with tempfile.TemporaryDirectory(prefix="sosoft-xlsx-") as folder:
        path = os.path.join(folder, "tickets.xlsx")
        write_xlsx(conn, sql, params, path)
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK_BYTES):
                yield chunk


def geojson_query(sql: str) -> str:
    """Wrap the export SELECT so PostgreSQL builds each Feature's JSON."""
    names = ", ".join(f"'{h}', e.{h}" for h in HEADERS if h not in ("lat", "lon"))
    return (
        "SELECT json_build_object('type', 'Feature', 'geometry', CASE WHEN e.lat IS NULL "  # noqa: S608
        "THEN NULL ELSE json_build_object('type', 'Point', 'coordinates', "
        f"json_build_array(e.lon, e.lat)) END, 'properties', json_build_object({names}))::text "
        f"FROM ({sql}) AS e"
    )


def geojson_stream(
    conn: psycopg.Connection, sql: str, params: dict, stats: dict | None = None
) -> Iterator[bytes]:
    yield b'{"type":"FeatureCollection","features":['
    buffer: list[str] = []
    size = rows = 0
    for (feature,) in _rows(conn, geojson_query(sql), params):
        buffer.append("," + feature if rows else feature)
        rows += 1
        size += len(feature)
        if size >= CHUNK_BYTES:
            yield "".join(buffer).encode()
            buffer, size = [], 0
    yield ("".join(buffer) + "]}").encode()
    if stats is not None:
        stats["rows"] = rows


STREAMS = {"csv": csv_stream, "xlsx": xlsx_stream, "geojson": geojson_stream}


def stream(fmt: str, conn: psycopg.Connection, sql: str, params: dict) -> Iterator[bytes]:
    return STREAMS[fmt](conn, sql, params)
