"""One ORM object's row written or read directly, for the rows every report and
message touches (tickets, events, outbound messages, citizens, categories), at a
fraction of the cost of a flush or a `session.get`.

A flush of one new object walks the unit of work, compiles (or finds in the cache)
its INSERT and sets up a result for it: on these machines over a millisecond of CPU
for a single row, several times the statement itself. `insert_now` runs the same
INSERT … RETURNING, compiled once per table and set of columns, on the session's own
connection (inside its transaction), and hands the object to the session as if a
flush had just written it: persistent, every column loaded, nothing to flush.

`get_now` is `session.get` the same way: the row by its primary key through a SELECT
compiled once, the object built from it as a query would load it.

Only for objects given by their column values (foreign keys as ids, no related
objects pending): the row is written now, before anything else pending in the
session, so whatever it points to must already be in the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import Table, bindparam, inspect, select
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect
from sqlalchemy.orm import Mapper, Session, make_transient_to_detached

from core.db import driver_connection

T = TypeVar("T")

_DIALECT = psycopg_dialect()


@dataclass(frozen=True)
class _Statement:
    sql: str
    # Bind processors by parameter name (JSONB serialises its value, ...).
    binds: dict[str, Callable[[Any], Any]]
    # The attribute keys of the RETURNING columns, in order.
    returned: tuple[str, ...]
    # Their result processors, where a type has one (a geography becomes a WKBElement).
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]


@dataclass(frozen=True)
class _Columns:
    """What a mapper's objects give an INSERT: (attribute key, column key, default)
    for every loaded column, where default is None, a value, or a callable."""

    table: Table
    columns: tuple[tuple[str, str, Any, bool], ...]


def insert_now(session: Session, obj: T) -> T:
    """INSERT `obj`'s row now and make `obj` persistent in `session`, as a flush would."""
    state = inspect(obj)
    plan = _columns(state.mapper)
    given = state.dict
    values: dict[str, Any] = {}
    for key, column_key, default, callable_default in plan.columns:
        if key in given:
            values[column_key] = given[key]
        elif callable_default:
            values[column_key] = default(None)
        elif default is not None:
            values[column_key] = default
    statement = _insert(plan.table, tuple(values))
    binds = statement.binds
    params = {
        name: (binds[name](value) if name in binds else value) for name, value in values.items()
    }
    with driver_connection(session).cursor() as cursor:
        row = cursor.execute(statement.sql, params, prepare=True).fetchone()
    assert row is not None  # INSERT … RETURNING returns the row
    # Loaded as a query would load it: the values become the committed state below.
    given.update(zip(statement.returned, _processed(statement, row), strict=True))
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


def get_now(session: Session, model: type[T], key: int) -> T | None:
    """`session.get(model, key)`: the object from the session's identity map, else its
    row read directly (None when there is none)."""
    mapper: Mapper[Any] = inspect(model)
    known = session.identity_map.get(mapper.identity_key_from_primary_key((key,)))
    if known is not None:
        return known  # type: ignore[return-value]
    statement = _select(mapper.local_table)
    with driver_connection(session).cursor() as cursor:
        row = cursor.execute(statement.sql, {"key": key}, prepare=True).fetchone()
    if row is None:
        return None
    obj = mapper.class_manager.new_instance()
    inspect(obj).dict.update(zip(statement.returned, _processed(statement, row), strict=True))
    make_transient_to_detached(obj)
    session.add(obj)
    return obj  # type: ignore[return-value]


def _processed(statement: _Statement, row: tuple[Any, ...]) -> list[Any] | tuple[Any, ...]:
    if not statement.processors:
        return row
    values = list(row)
    for position, process in statement.processors:
        values[position] = process(values[position])
    return values


@lru_cache(maxsize=32)
def _columns(mapper: Mapper[Any]) -> _Columns:
    columns = []
    for prop in mapper.column_attrs:
        if prop.deferred:
            continue  # written by triggers, never by Python (core.models.tickets)
        column = prop.columns[0]
        default = column.default
        if default is not None and default.is_callable:
            columns.append((prop.key, column.key, default.arg, True))
        elif default is not None and default.is_scalar:
            columns.append((prop.key, column.key, default.arg, False))
        else:
            columns.append((prop.key, column.key, None, False))
    return _Columns(mapper.local_table, tuple(columns))


@lru_cache(maxsize=64)
def _insert(table: Table, names: tuple[str, ...]) -> _Statement:
    """Built once per table and set of given columns: compiling is the expensive part."""
    mapper = next(m for m in _mappers() if m.local_table is table)
    loaded = [prop for prop in mapper.column_attrs if not prop.deferred]
    statement = table.insert().returning(*(prop.columns[0] for prop in loaded))
    compiled = statement.compile(dialect=_DIALECT, column_keys=list(names))
    binds = {
        name: processor
        for name, processor in compiled._bind_processors.items()
        if processor is not None
    }
    processors = tuple(
        (position, process)
        for position, prop in enumerate(loaded)
        if (process := prop.columns[0].type.result_processor(_DIALECT, None)) is not None
    )
    return _Statement(str(compiled), binds, tuple(prop.key for prop in loaded), processors)


@lru_cache(maxsize=32)
def _select(table: Table) -> _Statement:
    """SELECT of the loaded columns by primary key, compiled once per table."""
    mapper = next(m for m in _mappers() if m.local_table is table)
    loaded = [prop for prop in mapper.column_attrs if not prop.deferred]
    (key_column,) = table.primary_key.columns
    statement = select(*(prop.columns[0] for prop in loaded)).where(key_column == bindparam("key"))
    compiled = statement.compile(dialect=_DIALECT)
    processors = tuple(
        (position, process)
        for position, prop in enumerate(loaded)
        if (process := prop.columns[0].type.result_processor(_DIALECT, None)) is not None
    )
    return _Statement(str(compiled), {}, tuple(prop.key for prop in loaded), processors)


def _mappers() -> Any:
    from core.models.base import Base

    return Base.registry.mappers
