"""Map cells: tickets counted in hexagons or squares of a fixed size in metres.

Cells are laid out in the UTM zone of the area asked for (metres on the ground, not
Web Mercator's stretched ones), then returned as WGS 84 GeoJSON polygons for Leaflet,
QGIS or kepler.gl. Each point falls in exactly one cell, found by arithmetic on its
projected coordinates (no grid is generated); only the non-empty cells are drawn.

Counting is by integer cell ids only: each ticket's point is stored already projected
into its own UTM zone (`tickets.map_x`/`map_y`, written by a trigger with the location:
migration 0012) and read from a covering index, so a month of a busy city (120,000
points) is counted without projecting one; a point in another zone than the map's (or
not yet filled) is projected as before. Polygons are built only for the answer's cells,
and remembered per grid (shape, size, zone), shared by every map on that grid whatever
its period, filters or viewport.

A map's counts are remembered per process (core/analytics/answer_cache.py) with the
snapshot they were counted in. Every later call adds, in one statement, the ticket
moves that snapshot did not see (a trigger logs each moved ticket as it was, -1, and as
it is, +1, with the writer's transaction id: see `AnalyticsTicketMove`) and takes that
statement's snapshot as the new starting point; so a call costs what changed since the
last one, not what the month holds. A map not brought up to date for `RECOUNT_SECONDS`
is counted again, well within the `MOVES_KEPT_MINUTES` for which moves are kept.

Counts and polygons are shared between processes through Redis when the caller gives a
`SharedCells` (core/analytics/shared_cells.py): a snapshot is the database's, not the
process's, so a count taken by one process is brought up to date by another exactly as
by itself. A process without a count of its own reads the shared one (beat keeps the
default maps there: core/analytics/map_upkeep.py), and writes its own back after
counting, and then at most every `SHARE_SECONDS`. With each default map beat also
shares its cube (core/analytics/cell_cube.py: the counts per cell and filter
combination, in the same snapshot): a filtered map on that grid with no count anywhere
is summed from the cube and brought up to date with the filtered moves since.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.analytics import answer_cache, cell_cube
from core.analytics.scope import Scope
from core.analytics.shared_cells import SharedCells, SharedCount, stable_id
from core.models.tickets import CHANNELS, STATUSES

CELL_SHAPES = ("hex", "square")
MAX_CELLS = 250_000
BBox = tuple[float, float, float, float]
Counts = dict[tuple[int, int], int]  # (i, j) → tickets
Polygons = dict[tuple[int, int], str]  # (i, j) → GeoJSON polygon

RECOUNT_SECONDS = 600  # a remembered map not brought up to date for this long is recounted
MOVES_KEPT_MINUTES = 30
# A map's counts are written to Redis (core/analytics/shared_cells.py) when counted, and
# when brought up to date at most this often: each write is the whole map, and a reader
# adds the moves since whichever snapshot it finds.
SHARE_SECONDS = 30
# Rough sizes in the answer cache's units (about 2 kB): a remembered count is a small
# dict entry, a polygon about 300 bytes of text.
COUNTS_PER_UNIT = 12
POLYGONS_PER_UNIT = 6
# What a cube breaks a default map's counts down by (core/analytics/cell_cube.py): the
# columns behind Scope's filters and the heatmap's statuses.
CUBE_KEYS = ("category_id", "team_id", "channel", "status")

# Points in metres (UTM) and their weight, from the tickets asked for: the tickets
# themselves (1 each, their stored point when it is in the map's zone), or the moves
# since a snapshot (-1 as it was, +1 as it is; few, so projected here).
_POINTS = """
SELECT {x} AS x, {y} AS y, {weight} AS w{point_keys}
FROM {source} t
WHERE t.created_at >= :lo AND t.created_at < :hi {unseen}
  AND t.location && ST_MakeEnvelope(:min_lon, :min_lat, :max_lon, :max_lat, 4326)::geography
  AND ST_Covers(ST_MakeEnvelope(:min_lon, :min_lat, :max_lon, :max_lat, 4326),
                t.location::geometry) {statuses} {filters}
"""
_PROJECTED_X = "ST_X(ST_Transform(t.location::geometry, :srid))"
_PROJECTED_Y = "ST_Y(ST_Transform(t.location::geometry, :srid))"
_TICKETS = {
    "source": "tickets",
    "weight": "1",
    "unseen": "",
    "x": f"CASE WHEN t.map_srid = :srid THEN t.map_x ELSE {_PROJECTED_X} END",
    "y": f"CASE WHEN t.map_srid = :srid THEN t.map_y ELSE {_PROJECTED_Y} END",
}
# Moves the snapshot did not see: other writers' not visible in it, and this
# transaction's own logged after it (a snapshot does not list its own transaction).
# Only writers from the snapshot's xmin on can be either (every earlier one had ended
# when it was taken): read by index (migration 0018), not the whole log.
_MOVES = {
    "source": "analytics_ticket_moves",
    "weight": "t.sign",
    "unseen": """AND t.writer_xid >= CAST(CAST(pg_snapshot_xmin(CAST(:snapshot AS pg_snapshot))
            AS text) AS bigint)
        AND (CASE WHEN t.writer_xid = :own_xid THEN t.id > :own_last
        ELSE NOT pg_visible_in_snapshot(
            CAST(CAST(t.writer_xid AS text) AS xid8), CAST(:snapshot AS pg_snapshot)) END)""",
    "x": _PROJECTED_X,
    "y": _PROJECTED_Y,
}
# The snapshot a count is taken in, and this transaction's id and last move then.
_SNAPSHOT = """
SELECT CAST(pg_current_snapshot() AS text) AS snapshot,
    CAST(CAST(pg_current_xact_id_if_assigned() AS text) AS bigint) AS own_xid,
    (SELECT coalesce(max(id), 0) FROM analytics_ticket_moves
     WHERE writer_xid = CAST(CAST(pg_current_xact_id_if_assigned() AS text) AS bigint)) AS own_last
"""
# A cube's cells come back as one bytea of int32 rows (cell_cube's columns), not as
# 50,000 result rows: fetching and converting those took longer than counting them.
# Every channel and status is in the lists (the tickets' check constraints).
_CUBE_ROWS = """
SELECT string_agg(int4send(i) || int4send(j) || int4send(CAST(category_id AS integer))
        || int4send(CAST(coalesce(team_id, :no_team) AS integer))
        || int4send(array_position(CAST(:channels AS text[]), CAST(channel AS text)) - 1)
        || int4send(array_position(CAST(:all_statuses AS text[]), CAST(status AS text)) - 1)
        || int4send(CAST(n AS integer)), CAST('' AS bytea))
FROM cells
"""
# Square (i, j) is [i*size, (i+1)*size) x [j*size, (j+1)*size), as ST_Square numbers it.
_SQUARES = """
SELECT w{keys}, CAST(floor(x / :size) AS integer) AS i,
    CAST(floor(y / :size) AS integer) AS j
FROM pts
"""
# ST_Hexagon's layout: flat-topped, centre of (i, j) at (1.5*size*i, h*j), odd columns
# raised by h/2 (h = size*sqrt(3)). A point lies in the nearer centre of the two
# columns that overlap at its x; a point exactly between goes to the lower column.
_HEXAGONS = """
SELECT w{keys}, CASE WHEN d0 <= d1 THEN i0 ELSE i0 + 1 END AS i,
    CASE WHEN d0 <= d1 THEN j0 ELSE j1 END AS j
FROM (
    SELECT w{keys}, i0, j0, j1,
        power(x - 1.5 * :size * i0, 2) + power(y - (:h * j0 + o0), 2) AS d0,
        power(x - 1.5 * :size * (i0 + 1), 2) + power(y - (:h * j1 + o1), 2) AS d1
    FROM (
        SELECT x, y, w{keys}, i0, o0, o1,
            CAST(round((y - o0) / :h) AS integer) AS j0,
            CAST(round((y - o1) / :h) AS integer) AS j1
        FROM (
            SELECT x, y, w{keys}, i0,
                CASE WHEN i0 % 2 <> 0 THEN :h / 2 ELSE 0 END AS o0,
                CASE WHEN (i0 + 1) % 2 <> 0 THEN :h / 2 ELSE 0 END AS o1
            FROM (SELECT x, y, w{keys}, CAST(floor(x / (1.5 * :size)) AS integer) AS i0
                  FROM pts OFFSET 0) AS a OFFSET 0
        ) AS b OFFSET 0
    ) AS c OFFSET 0
) AS d
"""
# The points are computed once (MATERIALIZED): inlined, each use of x and y would
# compute the point again.
_CELLS = """
WITH pts AS MATERIALIZED ({points})
SELECT i, j{keys}, sum(w) AS n FROM ({indexed}) AS cells GROUP BY i, j{keys}
"""
_POLYGONS = """
SELECT c.i, c.j, ST_AsGeoJSON(
    ST_Transform({cell}(:size, c.i, c.j, ST_SetSRID(ST_Point(0, 0), :srid)), 4326), 6
) AS geometry
FROM unnest(CAST(:i AS integer[]), CAST(:j AS integer[])) AS c(i, j)
"""


class GridTooFine(ValueError):
    """The bbox would be cut into more cells than we are willing to consider."""


def utm_srid(bbox: BBox) -> int:
    """The EPSG code of the UTM zone at the centre of `bbox` (Istanbul: 32635); the
    database's utm_srid() is the same arithmetic for one point."""
    lon = (bbox[0] + bbox[2]) / 2
    lat = (bbox[1] + bbox[3]) / 2
    zone = min(60, int((lon + 180) // 6) + 1)
    return (32600 if lat >= 0 else 32700) + zone


def approximate_cells(bbox: BBox, size_m: float, shape: str) -> int:
    mid_lat = math.radians((bbox[1] + bbox[3]) / 2)
    width = (bbox[2] - bbox[0]) * 111_320 * math.cos(mid_lat)
    height = (bbox[3] - bbox[1]) * 110_574
    area = size_m * size_m if shape == "square" else 3 * math.sqrt(3) / 2 * size_m * size_m
    return int(width * height / area) + 1


def heatmap(
    session: Session,
    scope: Scope,
    bbox: BBox,
    shape: str,
    size_m: float,
    statuses: list[str],
    shared: SharedCells | None = None,
) -> str:
    """A GeoJSON FeatureCollection (as JSON text) of the non-empty cells, busiest first:
    the remembered count (see the module) brought up to date with the moves since.
    With `shared`, a count another process left there serves when this one has none,
    or else one summed from the cube beat keeps of the same map without filters."""
    if approximate_cells(bbox, size_m, shape) > MAX_CELLS:
        raise GridTooFine(f"that would be over {MAX_CELLS} cells; use a larger size or bbox")
    grid = (scope, tuple(bbox), shape, size_m, tuple(sorted(statuses)))
    own_xid = session.execute(
        text("SELECT CAST(CAST(pg_current_xact_id_if_assigned() AS text) AS bigint)")
    ).scalar()
    database = session.get_bind().engine.url.render_as_string(hide_password=True)
    # A count taken with this transaction's own writes in it is this transaction's
    # alone: neither shared nor read from others (they could not tell its writes).
    key = ("heatmap", database, grid, own_xid)
    shared = shared if own_xid is None else None
    map_id = _map_id(database, grid)
    found = answer_cache.peek(key)
    if shared is not None and (found is None or _stale(found)):
        shared_count = _adopted(shared.counts(map_id, RECOUNT_SECONDS))
        found = shared_count or _from_cube(shared, database, grid) or found
    if found is not None and _stale(found):
        found = None
    taken, counts = _up_to_date(session, grid, found)
    # Nothing moved on this map: the text written last time is still its answer.
    answer = found.answer if found is not None and counts is found.counts else None
    shared_at = found.shared_at if found is not None else None
    if answer is None:
        answer = _collection(counts, _polygons(session, database, grid, counts, shared))
    now = time.monotonic()
    if shared is not None and (shared_at is None or now - shared_at > SHARE_SECONDS):
        shared.keep_counts(map_id, taken, counts, RECOUNT_SECONDS)
        shared_at = now
    weight = 1 + len(counts) // COUNTS_PER_UNIT + len(answer) // 2048
    remembered = RememberedMap(taken, counts, now, answer, shared_at)
    answer_cache.remember(key, remembered, weight=weight)
    return answer


def share_map(
    session: Session, scope: Scope, bbox: BBox, shape: str, size_m: float, shared: SharedCells
) -> int:
    """Beat: bring the map's shared cube up to date (or count it), make sure Redis holds
    its cells' polygons, and write the cube back with the map's count summed from it
    (the same snapshot: one statement for both); returns how many cells it has.
    Nothing is remembered in this process: the next run may be another worker's."""
    grid = (scope, tuple(bbox), shape, size_m, ())
    database = session.get_bind().engine.url.render_as_string(hide_password=True)
    cube_id = _cube_id(database, grid)
    cube = _cube_up_to_date(session, grid, shared.cube(cube_id, RECOUNT_SECONDS))
    counts = cell_cube.counts(cube, scope, ())
    srid = utm_srid(bbox)
    grid_id = _grid_id(database, shape, size_m, srid)
    cells = list(counts)
    have = shared.polygons(grid_id, cells)
    missing = [ij for ij in cells if ij not in have]
    if missing:
        shared.keep_polygons(grid_id, _built_polygons(session, shape, size_m, srid, missing))
    shared.keep_cube(cube_id, cube, RECOUNT_SECONDS)
    shared.keep_counts(_map_id(database, grid), cube.taken, counts, RECOUNT_SECONDS)
    return len(counts)


def _cube_up_to_date(
    session: Session, grid: tuple, found: tuple[cell_cube.Cube, float] | None
) -> cell_cube.Cube:
    """The shared cube with the moves its snapshot did not see, or counted afresh."""
    if found is None or found[1] > RECOUNT_SECONDS or not cell_cube.current(found[0]):
        return _cube_counted(session, grid, _TICKETS, {})
    cube = found[0]
    return cell_cube.added(cube, _cube_counted(session, grid, _MOVES, cube.taken))


def _from_cube(shared: SharedCells, database: str, grid: tuple) -> RememberedMap | None:
    """The map's count summed from its grid's shared cube (a default map's, with any
    filters), exact at the cube's snapshot; None when there is no such cube."""
    found = shared.cube(_cube_id(database, grid), RECOUNT_SECONDS)
    if found is None:
        return None
    cube, age = found
    scope, statuses = grid[0], grid[4]
    # Not shared yet: this process writes the filtered count back once it is up to date.
    return RememberedMap(
        cube.taken, cell_cube.counts(cube, scope, statuses), time.monotonic() - age, None, None
    )


def _up_to_date(
    session: Session, grid: tuple, found: RememberedMap | None
) -> tuple[dict[str, Any], Counts]:
    """`found`'s counts brought up to date (the very dict when nothing moved), or the
    map counted from scratch when there is none."""
    if found is None:
        return _counted(session, grid, _TICKETS, {})
    # One statement: the moves its snapshot did not see, and the snapshot that saw
    # them, which is what the next call starts from.
    taken, moved = _counted(session, grid, _MOVES, found.taken)
    return taken, (_add(found.counts, moved) if moved else found.counts)


@dataclass(frozen=True)
class RememberedMap:
    """A map's counts, the snapshot they are exact for and when they were brought up to
    date (monotonic), its answer's text (None: not written yet) and when this process
    last shared them (None: not since they were counted here or read from Redis)."""

    taken: dict[str, Any]
    counts: Counts
    updated: float
    answer: str | None
    shared_at: float | None


def _stale(found: RememberedMap) -> bool:
    return time.monotonic() - found.updated > RECOUNT_SECONDS


def _adopted(shared: SharedCount | None) -> RememberedMap | None:
    """Another process's count as if remembered here (its age kept); marked as shared
    now, since Redis holds it."""
    if shared is None:
        return None
    now = time.monotonic()
    return RememberedMap(shared.taken, shared.counts, now - shared.age, None, now - shared.age)


def _map_id(database: str, grid: tuple) -> str:
    """The map's key in Redis: the same in every process (sizes as floats: beat's 250 is
    the API's 250.0)."""
    scope, bbox, shape, size_m, statuses = grid
    return stable_id((database, scope, tuple(map(float, bbox)), shape, float(size_m), statuses))


def _cube_id(database: str, grid: tuple) -> str:
    """The cube's key: that of the map without its filters (a cube has them all)."""
    scope, bbox, shape, size_m, _ = grid
    bare = Scope(scope.first_day, scope.last_day, scope.timezone)
    return stable_id(("cube", database, bare, tuple(map(float, bbox)), shape, float(size_m)))


def _grid_id(database: str, shape: str, size_m: float, srid: int) -> str:
    return stable_id((database, shape, float(size_m), srid))


def _counted(
    session: Session, grid: tuple, source: dict[str, str], since: dict[str, Any]
) -> tuple[dict[str, Any], Counts]:
    """The cells of `source`'s points, and the snapshot they were counted in."""
    sql, params = _cells_sql(grid, source)
    rows = _in_snapshot(session, sql, "SELECT * FROM taken LEFT JOIN cells ON true", params, since)
    # Moves that cancel out in a cell (a status change on an unfiltered map) add nothing.
    counts = {(row.i, row.j): int(row.n) for row in rows if row.i is not None and row.n}
    return _taken(rows[0]), counts


def _cube_counted(
    session: Session, grid: tuple, source: dict[str, str], since: dict[str, Any]
) -> cell_cube.Cube:
    """The cells of `source`'s points per filter combination, as a cube exact in the
    snapshot they were counted in."""
    sql, params = _cells_sql(grid, source, CUBE_KEYS)
    params.update(no_team=cell_cube.NO_TEAM, channels=list(CHANNELS), all_statuses=list(STATUSES))
    select = f"SELECT taken.*, ({_CUBE_ROWS}) AS rows FROM taken"  # noqa: S608
    row = _in_snapshot(session, sql, select, params, since)[0]
    return cell_cube.built(_taken(row), row.rows)


def _in_snapshot(
    session: Session, cells: str, select: str, params: dict[str, Any], since: dict[str, Any]
) -> list[Any]:
    """`select` from `taken` (the statement's snapshot) and `cells`: one statement, so
    the cells are exactly those of that snapshot."""
    both = f"WITH taken AS ({_SNAPSHOT}), cells AS ({cells}) {select}"
    # PostGIS prices ST_Transform high, so the planner takes a month's count (even one
    # that never projects) for a huge query and compiles it with JIT: seconds of
    # compiling for a count of 0.1 s. Off for this statement only.
    jit = session.execute(text("SELECT current_setting('jit'), set_config('jit', 'off', true)"))
    before = jit.scalar()
    rows = session.execute(text(both), {**params, **since}).all()
    session.execute(text("SELECT set_config('jit', :v, true)"), {"v": before})
    return rows


def _taken(row: Any) -> dict[str, Any]:
    return {"snapshot": row.snapshot, "own_xid": row.own_xid, "own_last": row.own_last}


def _polygons(
    session: Session, database: str, grid: tuple, counts: Counts, shared: SharedCells | None
) -> Polygons:
    """The polygons of `counts`' cells: those of the grid remembered, then those shared
    in Redis, the others built (in one statement) and remembered and shared with them.
    Only ever added to (a cell's polygon never changes), so a new dict replaces the
    remembered one."""
    _, bbox, shape, size_m, _ = grid
    srid = utm_srid(bbox)
    key = ("heatmap polygons", database, shape, size_m, srid)
    known: Polygons = answer_cache.peek(key) or {}  # type: ignore[assignment]
    missing = [ij for ij in counts if ij not in known]
    if not missing:
        return known
    grid_id = _grid_id(database, shape, size_m, srid)
    found = shared.polygons(grid_id, missing) if shared is not None else {}
    built: Polygons = {}
    if len(found) < len(missing):
        built = _built_polygons(
            session, shape, size_m, srid, [c for c in missing if c not in found]
        )
        if shared is not None:
            shared.keep_polygons(grid_id, built)
    polygons = {**known, **found, **built}
    answer_cache.remember(key, polygons, weight=1 + len(polygons) // POLYGONS_PER_UNIT)
    return polygons


def _built_polygons(
    session: Session, shape: str, size_m: float, srid: int, cells: list[tuple[int, int]]
) -> Polygons:
    cell = "ST_Hexagon" if shape == "hex" else "ST_Square"
    rows = session.execute(
        text(_POLYGONS.format(cell=cell)),
        {"size": size_m, "srid": srid, "i": [i for i, _ in cells], "j": [j for _, j in cells]},
    )
    return {(row.i, row.j): row.geometry for row in rows}


def forget_old_moves(session: Session) -> int:
    """Beat: moves older than any remembered map can need. The caller commits."""
    return session.execute(
        text(
            "DELETE FROM analytics_ticket_moves WHERE logged_at < now() - make_interval(mins => :m)"
        ),
        {"m": MOVES_KEPT_MINUTES},
    ).rowcount


def _collection(counts: Counts, polygons: Polygons) -> str:
    """Written out directly: the polygons are already GeoJSON text, and a big city's map
    has thousands of them (building and encoding dicts would cost more than the count)."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    features = ",".join(
        f'{{"type":"Feature","id":"{i}:{j}","geometry":{polygons[i, j]},'
        f'"properties":{{"count":{n},"i":{i},"j":{j}}}}}'
        for (i, j), n in ordered
    )
    return f'{{"type":"FeatureCollection","features":[{features}]}}'


def _cells_sql(
    grid: tuple, source: dict[str, str], keys: tuple[str, ...] = ()
) -> tuple[str, dict[str, Any]]:
    scope, bbox, shape, size_m, statuses = grid
    filters, params = scope.filter_sql("t", no_index=True)
    # As the filters (Scope.filter_sql): written so that no index on status serves it.
    # Plain, the planner read the month through the open tickets' partial index and
    # fetched every row from the table (113 ms at a million, 68 ms from the covering one).
    status_sql = " AND (t.status || '') = ANY(:statuses)" if statuses else ""
    point_keys = "".join(f", t.{k}" for k in keys)
    grouped = "".join(f", {k}" for k in keys)
    indexed = (_HEXAGONS if shape == "hex" else _SQUARES).format(keys=grouped)
    points = _POINTS.format(**source, statuses=status_sql, filters=filters, point_keys=point_keys)
    params.update(
        srid=utm_srid(bbox), size=size_m, h=size_m * math.sqrt(3), lo=scope.start(),
        hi=scope.end(), statuses=list(statuses),
        min_lon=bbox[0], min_lat=bbox[1], max_lon=bbox[2], max_lat=bbox[3],
    )  # fmt: skip
    return _CELLS.format(points=points, indexed=indexed, keys=grouped), params


def _add(remembered: Counts, moved: Counts) -> Counts:
    """The two counts per cell summed, empty cells left out (a new dict: the remembered
    one is shared)."""
    total = dict(remembered)
    for ij, n in moved.items():
        total[ij] = total.get(ij, 0) + n
    return {ij: n for ij, n in total.items() if n}
