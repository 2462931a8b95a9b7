"""`flask --app wsgi demo-data`: fill the database with synthetic Istanbul tickets."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import click
import psycopg
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import Engine
from tqdm import tqdm

from web.request_session import database


@click.command("demo-data")
@click.option("--tickets", type=click.IntRange(min=1), required=True, help="Tickets to add.")
@click.option(
    "--seed", type=int, default=1, show_default=True, help="Same seed and --tickets, same tickets."
)
@click.option(
    "--citizens",
    type=click.IntRange(min=1),
    default=None,
    help="Citizens to add  [default: one per three tickets, at least 50].",
)
@click.option(
    "--batch",
    type=click.IntRange(min=100, max=200_000),
    default=10_000,
    show_default=True,
    help="Tickets per COPY batch (each batch is committed).",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1, max=2),
    default=2,
    show_default=True,
    help="Database connections: 2 stores tickets and their history side by side.",
)
@with_appcontext
def demo_data_command(tickets: int, seed: int, citizens: int | None, batch: int, jobs: int) -> None:
    """Add synthetic citizens, staff and tickets (with their history) over Istanbul's districts."""
    # Imported here: the generators' tables are only worth building when the command runs.
    from cli.demo.load import DemoDataError, DemoOptions, analyze, load_demo_data

    if current_app.config["SOSOFT"].APP_ENV == "production":
        # Demo citizens have real-looking mobile numbers: they must never be messaged.
        raise click.ClickException("demo data is never added when APP_ENV=production")
    options = DemoOptions(tickets=tickets, seed=seed, citizens=citizens, batch=batch)
    second = _connector(database().engine) if jobs > 1 else None
    with (
        database().transaction() as session,
        tqdm(total=tickets, unit="tickets", file=sys.stderr, mininterval=0.5) as bar,
    ):
        try:
            report = load_demo_data(session, options, progress=bar.update, second_connection=second)
        except DemoDataError as exc:
            raise click.ClickException(str(exc)) from None
        bar.close()
        click.echo("analyzing tables…", err=True)
        analyze(session)
    rows = ", ".join(f"{count} {table}" for table, count in report.rows.items())
    click.echo(f"added {rows}")
    click.echo(
        f"loaded {report.tickets} tickets in {report.seconds:.1f} s "
        f"({report.tickets_per_second:.0f} tickets/s)"
    )


def _connector(engine: Engine) -> Callable[[], AbstractContextManager[psycopg.Connection]]:
    @contextmanager
    def connect() -> Iterator[psycopg.Connection]:
        pooled = engine.raw_connection()
        try:
            yield pooled.driver_connection
        finally:
            pooled.close()

    return connect
