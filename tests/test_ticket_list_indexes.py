"""The open tickets' list by due time and by priority is read from the indexes built
on its sort expressions (core/models/ticket_order.py): an ORDER BY that drifts from
the index's expression sorts every open ticket again (0.3–0.9 s a page at a million
tickets). Sorting and sequential scans are priced out, so a plan that can use the
index does; one that cannot still sorts, and the test fails."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.models.tickets import OPEN_STATUSES
from core.tickets.queries import TicketFilters, list_tickets_query
from tests.conftest import UserFactory

INDEX_OF = {"due": "ix_tickets_open_by_due", "priority": "ix_tickets_open_by_priority"}


@pytest.mark.parametrize("team", [False, True])
@pytest.mark.parametrize("sort", sorted(INDEX_OF))
def test_open_tickets_page_reads_the_sort_index(
    db: Session, make_ticket, make_user: UserFactory, sort: str, team: bool
) -> None:
    tickets = [make_ticket() for _ in range(3)]
    manager = make_user("manager")
    filters = TicketFilters(
        statuses=OPEN_STATUSES, team_ids=(tickets[0].team_id,) if team else None
    )
    query = list_tickets_query(filters, manager, sort=sort)
    first = query.rows(db)
    last = first[-1][0]
    next_page = list_tickets_query(
        filters, manager, sort=sort, after=query.order.key(last, None)
    ).statement
    db.execute(text("SET LOCAL enable_sort = off"))
    db.execute(text("SET LOCAL enable_seqscan = off"))
    for statement in (query.statement, next_page):
        compiled = statement.compile(db.get_bind(), compile_kwargs={"render_postcompile": True})
        explain = db.connection().exec_driver_sql(f"EXPLAIN {compiled}", compiled.params)
        plan = "\n".join(explain.scalars())
        assert f" using {INDEX_OF[sort]} on tickets" in plan, plan
        assert "Sort" not in plan, plan
