"""Background exports: POST gives a job, the worker's code writes the file to storage,
GET gives status, row count and a short-lived link that serves the same rows."""

from __future__ import annotations

import csv
import io
import json
import uuid
from urllib.parse import urlsplit

import pytest

from core.models import Category, ExportJob, Ticket
from core.people.api_keys import create_api_key
from core.storage import make_storage
from core.tickets import export_jobs
from core.tickets.seed_data import seed_defaults
from tasks.celery_app import make_celery
from tasks.exports import build_export
from tests.analytics_dataset import TRICKY_DESCRIPTION, build_city

BASE = "/api/v1/analytics/exports"


@pytest.fixture
def city(seeded, make_user):
    return build_city(seeded, make_user)


def _run_worker(app, db, job_id: str) -> ExportJob:
    """What the Celery task does, inside the test's transaction."""
    job = export_jobs.start(db, uuid.UUID(job_id))
    assert job is not None and job.status == "running"
    export_jobs.build(db, app.config["SOSOFT"], app.extensions["sosoft.storage"], job)
    db.flush()
    return job


def _download(client, url: str) -> bytes:
    parts = urlsplit(url)
    response = client.get(parts.path + (f"?{parts.query}" if parts.query else ""))
    assert response.status_code == 200
    return response.data


def test_background_csv_export(app, client, db, make_user, bearer, city):
    manager = bearer(make_user("manager"))
    started = client.post(
        BASE, json={"format": "csv", "filters": {"status": ["new", "in_progress"]}}, headers=manager
    )
    assert started.status_code == 202, started.json
    job = started.json
    assert job["status"] == "queued" and job["download_url"] is None
    assert started.headers["Location"].endswith(f"/exports/{job['id']}")
    assert client.get(f"{BASE}/{job['id']}", headers=manager).json["status"] == "queued"

    _run_worker(app, db, job["id"])
    done = client.get(f"{BASE}/{job['id']}", headers=manager).json
    assert done["status"] == "done"
    assert done["row_count"] == 3  # T3, T4, T5
    assert done["download_expires_in"] == app.config["SOSOFT"].EXPORT_URL_TTL_SECONDS
    rows = list(
        csv.reader(io.StringIO(_download(client, done["download_url"]).decode("utf-8-sig")))
    )
    assert [r[0] for r in rows[1:]] == [f"#{city.tickets[n].number}" for n in ("T3", "T4", "T5")]

    # A second run (a retried task) changes nothing.
    assert export_jobs.start(db, uuid.UUID(job["id"])) is None


@pytest.mark.parametrize("fmt", ["xlsx", "geojson"])
def test_background_other_formats(app, client, db, make_user, bearer, city, fmt):
    manager = bearer(make_user("manager"))
    job = client.post(BASE, json={"format": fmt}, headers=manager).json
    _run_worker(app, db, job["id"])
    done = client.get(f"{BASE}/{job['id']}", headers=manager).json
    assert (done["status"], done["row_count"]) == ("done", 8)
    data = _download(client, done["download_url"])
    if fmt == "geojson":
        features = json.loads(data)["features"]
        assert len(features) == 8
        assert features[0]["properties"]["description"] == TRICKY_DESCRIPTION
    else:
        assert data[:2] == b"PK"  # a zip, as every xlsx is


def test_jobs_are_private_to_who_asked(client, db, settings, make_user, bearer, seeded):
    owner = bearer(make_user("manager"))
    job = client.post(BASE, json={"format": "csv"}, headers=owner).json
    assert (
        client.get(f"{BASE}/{job['id']}", headers=bearer(make_user("manager"))).status_code == 404
    )
    _, secret = create_api_key(db, settings, name="BI", scopes=["analytics:read"], created_by=None)
    key = {"Authorization": f"Bearer {secret}"}
    assert client.get(f"{BASE}/{job['id']}", headers=key).status_code == 404
    keyed = client.post(BASE, json={"format": "geojson"}, headers=key)
    assert keyed.status_code == 202
    assert client.get(f"{BASE}/{keyed.json['id']}", headers=key).json["format"] == "geojson"
    assert client.get(f"{BASE}/{uuid.uuid4()}", headers=owner).status_code == 404
    assert client.get(f"{BASE}/not-a-uuid", headers=owner).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"format": "pdf"},
        {"format": "csv", "filters": {"status": ["lost"]}},
        {"format": "csv", "filters": {"bbox": "1,2"}},
        {"format": "csv", "filters": {"bbox": "-90,0,90,10"}},
        {"format": "csv", "filters": "everything"},
    ],
)
def test_bad_job_requests_are_422_and_write_nothing(client, db, make_user, bearer, seeded, body):
    response = client.post(BASE, json=body, headers=bearer(make_user("manager")))
    assert response.status_code == 422
    assert db.query(ExportJob).count() == 0


def test_support_may_not_export(client, make_user, bearer, seeded):
    assert (
        client.post(BASE, json={"format": "csv"}, headers=bearer(make_user("support"))).status_code
        == 403
    )


def test_a_failed_build_is_recorded(app, db, make_user, seeded):
    job = ExportJob(id=uuid.uuid4(), format="csv", filters={"no_such_filter": 1})
    db.add(job)
    db.flush()
    export_jobs.start(db, job.id)
    with pytest.raises(TypeError):
        export_jobs.build(db, app.config["SOSOFT"], app.extensions["sosoft.storage"], job)
    export_jobs.fail(db, job.id, "TypeError: the export failed")
    assert (job.status, job.error) == ("failed", "TypeError: the export failed")


def test_tasks_are_registered():
    from tasks.celery_app import TASK_MODULES, make_celery

    assert {"tasks.exports", "tasks.analytics"} <= set(TASK_MODULES)
    app = make_celery()
    schedule = app.conf.beat_schedule
    assert schedule["analytics-rollup"]["task"] == "tasks.analytics.refresh_rollups"
    assert schedule["export-requeue"]["task"] == "tasks.exports.requeue_stale_exports"


def test_the_celery_task_builds_a_committed_job(committed_db, settings, seeded_committed):
    """The real task, run eagerly: its own sessions, the worker's storage, twice."""
    make_celery(settings)  # the current Celery app carries the settings tasks read
    with committed_db.transaction() as session:
        job = ExportJob(id=uuid.uuid4(), format="csv", filters={"statuses": ["new"]})
        session.add(job)
    assert build_export.apply(args=[str(job.id)]).get() == "done"
    assert build_export.apply(args=[str(job.id)]).get() is None  # already done
    with committed_db.transaction() as session:
        done = session.get(ExportJob, job.id)
        assert (done.status, done.row_count) == ("done", 1)
        key = done.storage_key
    data = make_storage(settings).get(key).decode("utf-8-sig")
    assert data.splitlines()[1].startswith(f"#{seeded_committed},")


@pytest.fixture
def seeded_committed(committed_db):
    """One committed new ticket (for tasks that open their own sessions); its number."""
    with committed_db.transaction() as session:
        seed_defaults(session)
        session.flush()
        category = session.query(Category).first()
        ticket = Ticket(category_id=category.id, description="köprü çöktü", channel="api")
        session.add(ticket)
        session.flush()
        return ticket.number


def test_old_export_files_are_deleted_and_the_job_says_expired(
    app, client, db, make_user, bearer, city
):
    from datetime import timedelta

    from tasks.exports import expire
    from web.request_session import EXTENSION_KEY

    database = app.extensions[EXTENSION_KEY]  # its sessions join the test's transaction
    manager = bearer(make_user("manager"))
    job = client.post(BASE, json={"format": "csv"}, headers=manager).json
    built = _run_worker(app, db, job["id"])
    waiting = client.post(BASE, json={"format": "xlsx"}, headers=manager).json  # never built
    storage = app.extensions["sosoft.storage"]
    key, finished = built.storage_key, built.finished_at
    assert storage.exists(key)

    assert expire(database, storage, finished) == 0  # not older than the cut-off yet
    assert expire(database, storage, finished + timedelta(seconds=1)) == 1
    assert not storage.exists(key)
    view = client.get(f"{BASE}/{job['id']}", headers=manager).json
    assert (view["status"], view["download_url"]) == ("expired", None)
    assert client.get(f"{BASE}/{waiting['id']}", headers=manager).json["status"] == "queued"
    assert expire(database, storage, finished + timedelta(seconds=1)) == 0  # done once


def test_expiry_runs_every_hour():
    from tasks.celery_app import BEAT_SCHEDULE

    assert BEAT_SCHEDULE["export-expiry"] == {
        "task": "tasks.exports.expire_exports",
        "schedule": 3600.0,
    }
