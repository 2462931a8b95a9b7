"""Open311 GeoReport v2 under /open311/v2: discovery, services, service definitions,
service requests. Plain Flask (JSON and XML), registered beside the admin API."""

from __future__ import annotations

from flask import Blueprint

from admin_api.open311 import errors, service_requests, services  # noqa: F401 - routes
from admin_api.open311.blueprint import bp


def blueprints() -> list[Blueprint]:
    return [bp]
