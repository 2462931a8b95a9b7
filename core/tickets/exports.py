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

from core.tickets.queries import TicketFilters, fold_turkish

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


def _time(expr: str) -> str:
    return f"""to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


COLUMNS = (
    Column("number", "'#' || t.number", "text"),
    Column("created", _time("t.created_at"), "time"),
    Column("category", "c.code", "text"),
    Column("status", "t.status", "text"),
    Column("resolution", "t.resolution", "text"),
    Column("priority", "t.priority", "text"),
    Column("team", "tm.name", "text"),
    Column("assignee", "a.full_name", "text"),
    Column("lat", "round(ST_Y(t.location::geometry)::numeric, 6)", "number"),
    Column("lon", "round(ST_X(t.location::geometry)::numeric, 6)", "number"),
    Column("address", "t.address", "text"),
    Column("description", "t.description", "text"),
    Column("first_response", _time("t.first_response_at"), "time"),
    Column("resolved", _time("t.resolved_at"), "time"),
    Column("closed", _time("t.closed_at"), "time"),
    Column("due", _time("t.due_at"), "time"),
    Column(
        "overdue",
        "(t.status IN ('new', 'in_progress', 'escalated') AND t.due_at < %(now)s)",
        "bool",
    ),
    Column("rating", "f.rating", "number"),
    Column("fixed", "f.fixed", "bool"),
    Column("followers", "t.followers_count", "number"),
    Column("channel", "t.channel", "text"),
    Column("url", "%(ticket_url)s || t.id", "text"),
)
HEADERS = [column.header for column in COLUMNS]

_FROM = """
FROM tickets t
JOIN categories c ON c.id = t.category_id
LEFT JOIN teams tm ON tm.id = t.team_id
LEFT JOIN users a ON a.id = t.assignee_id
LEFT JOIN feedback f ON f.ticket_id = t.id
"""


def neutralise_sql(expr: str) -> str:
    """`expr` with a leading apostrophe when a spreadsheet would run it as a formula."""
    return f"CASE WHEN {expr} ~ '^[=+@\\t\\r-]' THEN '''' || {expr} ELSE {expr} END"


def _conditions(filters: TicketFilters) -> tuple[str, dict]:
    f = filters
    parts: list[str] = []
    params: dict = {}

    def add(sql: str, **values: object) -> None:
        parts.append(sql)
        params.update(values)

    if f.statuses:
        add("t.status = ANY(%(statuses)s)", statuses=list(f.statuses))
    if f.priorities:
        add("t.priority = ANY(%(priorities)s)", priorities=list(f.priorities))
    if f.category_id is not None:
        add("t.category_id = %(category_id)s", category_id=f.category_id)
    if f.team_id is not None:
        add("t.team_id = %(team_id)s", team_id=f.team_id)
    if f.assignee == "none":
        add("t.assignee_id IS NULL")
    elif f.assignee is not None:
        add("t.assignee_id = %(assignee_id)s", assignee_id=f.assignee)
    if f.reporter_id is not None:
        add("t.reporter_id = %(reporter_id)s", reporter_id=f.reporter_id)
    if f.created_from is not None:
        add("t.created_at >= %(created_from)s", created_from=f.created_from)
    if f.created_to is not None:
        add("t.created_at < %(created_to)s", created_to=f.created_to)
    if f.overdue:
        add("t.status IN ('new', 'in_progress', 'escalated') AND t.due_at < %(now)s")
    if f.q:
        add(
            "(t.search_vector @@ websearch_to_tsquery('turkish', %(q)s) OR EXISTS ("
            "SELECT 1 FROM comments cm WHERE cm.ticket_id = t.id AND "
            "to_tsvector('turkish', translate(cm.body, 'Iİ', 'ıi')) "
            "@@ websearch_to_tsquery('turkish', %(q)s)))",
            q=fold_turkish(f.q),
        )
    if f.bbox is not None:
        add(
            "ST_Intersects(t.location, ST_MakeEnvelope(%(b0)s, %(b1)s, %(b2)s, %(b3)s, 4326)"
            "::geography)",
            b0=f.bbox[0], b1=f.bbox[1], b2=f.bbox[2], b3=f.bbox[3],
        )  # fmt: skip
    if f.near is not None:
        add(
            "ST_DWithin(t.location, ST_SetSRID(ST_MakePoint(%(near_lon)s, %(near_lat)s), 4326)"
            "::geography, %(radius_m)s)",
            near_lat=f.near[0], near_lon=f.near[1], radius_m=f.radius_m or 1000,
        )  # fmt: skip
    return (" WHERE " + " AND ".join(parts)) if parts else "", params


def export_query(
    filters: TicketFilters, api_base_url: str, now: datetime, *, for_csv: bool
) -> tuple[str, dict]:
    """The export SELECT (psycopg `%(name)s` parameters), oldest ticket first."""
    where, params = _conditions(filters)
    select_list = []
    for column in COLUMNS:
        expr = column.sql
        if for_csv and column.kind == "text":
            expr = neutralise_sql(f"({expr})")
        elif for_csv and column.kind == "bool":
            expr = f"CAST(({expr}) AS text)"  # true/false rather than COPY's t/f
        select_list.append(f"{expr} AS {column.header}")
    params.update(now=now, ticket_url=api_base_url.rstrip("/") + "/api/v1/tickets/")
    sql = f"SELECT {', '.join(select_list)}{_FROM}{where} ORDER BY t.id"
    return sql, params


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
        },
    )
    sheet = workbook.add_worksheet("tickets")
    sheet.write_row(0, 0, HEADERS)
    count = 0
    for count, row in enumerate(_rows(conn, sql, params), start=1):
        sheet.write_row(count, 0, [_cell(value) for value in row])
    workbook.close()
    return count


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return value
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
