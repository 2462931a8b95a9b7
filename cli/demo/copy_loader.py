"""Getting demo rows into PostgreSQL: id reservation, COPY, and a prefetching
thread so Python builds the next batch while PostgreSQL stores this one."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Generic, TypeVar

import psycopg

T = TypeVar("T")
WRITE_CHUNK = 5000  # lines per write: large enough to be cheap, small enough to stream


def reserve_ids(cursor: psycopg.Cursor, table: str, count: int) -> list[int]:
    """`count` ids from the table's own sequence, so concurrent inserts never collide."""
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
        (table, count),
    )
    return [row[0] for row in cursor.fetchall()]


def reserve_ticket_ids(cursor: psycopg.Cursor, count: int) -> Iterator[tuple[int, int]]:
    """(id, public number) pairs, both from their sequences, in increasing order.

    The reservation comes back as runs of consecutive values (one run unless
    someone else took values meanwhile), so a million tickets cost no memory.
    """
    cursor.execute(
        """
        WITH reserved AS (
            SELECT nextval(pg_get_serial_sequence('tickets', 'id')) AS id,
                   nextval('ticket_number_seq') AS number
            FROM generate_series(1, %s)
        ), ranked AS (
            SELECT id, number, row_number() OVER (ORDER BY id) AS n FROM reserved
        )
        SELECT min(id), min(number), count(*) FROM ranked
        GROUP BY id - n, number - n ORDER BY min(id)
        """,
        (count,),
    )
    # Fetched now: the pairs are read later, in the generator thread.
    return _unroll(cursor.fetchall())


def _unroll(runs: list[tuple[int, int, int]]) -> Iterator[tuple[int, int]]:
    for first_id, first_number, size in runs:
        for k in range(size):
            yield first_id + k, first_number + k


def tune_for_bulk_load(cursor: psycopg.Cursor) -> None:
    """Settings for this transaction only: let the full-text (GIN) indexes gather
    many more new entries before merging them, which is much cheaper in bulk."""
    cursor.execute("SET LOCAL gin_pending_list_limit = '64MB'")
    cursor.execute("SET LOCAL work_mem = '128MB'")


def copy_lines(
    cursor: psycopg.Cursor, table: str, columns: Sequence[str], lines: list[str]
) -> None:
    """COPY already formatted text-format lines into `table`."""
    if not lines:
        return
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with cursor.copy(statement) as copy:
        for start in range(0, len(lines), WRITE_CHUNK):
            copy.write("".join(lines[start : start + WRITE_CHUNK]))


def prefetch(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """Iterate `items` computed in a background thread, `depth` ahead.

    An exception in the thread is raised here; leaving the loop early stops the thread.
    """
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(entry: tuple) -> bool:
        while not stop.is_set():
            try:
                buffer.put(entry, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((done, None))
        except BaseException as exc:  # handed over to the consumer
            put((done, exc))

    thread = threading.Thread(target=produce, name="demo-data-generator", daemon=True)
    thread.start()
    try:
        while True:
            item, error = buffer.get()
            if error is not None:
                raise error
            if item is done:
                return
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


class CopyWorker(Generic[T]):
    """A thread with its own connection that stores what it is handed, one
    transaction per item, while the caller goes on with the next one."""

    def __init__(
        self,
        connect: Callable[[], AbstractContextManager[psycopg.Connection]],
        store: Callable[[psycopg.Cursor, T], None],
    ) -> None:
        self._connect = connect
        self._store = store
        self._queue: queue.Queue = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="demo-data-copy", daemon=True)

    def __enter__(self) -> CopyWorker[T]:
        self._thread.start()
        return self

    def submit(self, item: T) -> None:
        self._put(item)
        self._raise_if_failed()

    def __exit__(self, exc_type, exc, traceback) -> None:
        self._put(None)
        self._thread.join()
        if exc_type is None:
            self._raise_if_failed()

    def _put(self, item: T | None) -> None:
        while self._thread.is_alive():
            try:
                self._queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        try:
            with self._connect() as connection:
                for item in iter(self._queue.get, None):
                    with connection.transaction(), connection.cursor() as cursor:
                        tune_for_bulk_load(cursor)
                        self._store(cursor, item)
        except BaseException as exc:  # raised in the caller's thread
            self._error = exc
