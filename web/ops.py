"""Operations endpoints: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from sqlalchemy import text

from core.messaging.ways_out import kinds_without_way_out
from web.request_session import database

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process is up."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """PostgreSQL and Redis both answer; otherwise 503 naming what failed. In
    production the answer also names the kinds of message that cannot leave (no
    template, no SMS sender): a setup gap, not a reason to take the process out."""
    checks: dict[str, str] = {}
    try:
        with database().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready
        checks["database"] = f"unavailable: {type(exc).__name__}"
    try:
        current_app.extensions["sosoft.redis"].ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"unavailable: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    if ready:
        body: dict = {"status": "ready", "checks": checks}
        settings = current_app.config["SOSOFT"]
        if settings.is_production:
            body["messages_without_way_out"] = kinds_without_way_out(settings)
        return jsonify(body), 200
    failed = ", ".join(name for name, value in checks.items() if value != "ok")
    body = {
        "code": 503,
        "status": "Service Unavailable",
        "message": f"not ready: {failed}",
        "errors": checks,
    }
    return jsonify(body), 503


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text format, from this app's own registry."""
    registry = current_app.extensions["sosoft.metrics"].registry
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


class Metrics:
    """Request counters and latencies in a registry owned by one app.

    A registry per app (not prometheus_client's global one) so tests and tools can
    build several apps in one process.
    """

    def __init__(self, app: Flask) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "sosoft_http_requests_total",
            "HTTP requests by endpoint, method and status.",
            ["endpoint", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "sosoft_http_request_seconds",
            "HTTP request latency by endpoint.",
            ["endpoint"],
            registry=self.registry,
        )
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        app.extensions["sosoft.metrics"] = self
        app.before_request(self._start)
        app.after_request(self._finish)

    @staticmethod
    def _start() -> None:
        g.metrics_started = time.perf_counter()

    def _finish(self, response: Response) -> Response:
        started = g.pop("metrics_started", None)
        endpoint = request.endpoint or "unmatched"
        key = (endpoint, request.method, response.status_code)
        children = self._children.get(key)
        if children is None:
            # `labels()` checks and locks on every call; the children it returns are
            # the registry's own, so they are looked up once per combination.
            children = self._children[key] = (
                self.requests.labels(endpoint, request.method, str(response.status_code)),
                self.latency.labels(endpoint),
            )
        children[0].inc()
        if started is not None:
            children[1].observe(time.perf_counter() - started)
        return response
