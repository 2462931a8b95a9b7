"""Discovery, the service list and service definitions: read-only, no api_key."""

from __future__ import annotations

from flask import Response, current_app, request

from admin_api.open311.blueprint import bp
from admin_api.open311.catalog import (
    active_categories,
    changeset,
    definition_record,
    find_service,
    service_record,
)
from admin_api.open311.errors import not_found
from admin_api.open311.formats import CONTENT_TYPES, render
from admin_api.open311.params import check_format, check_jurisdiction, request_locale
from web.request_session import request_session

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


@bp.get("/discovery.<fmt>")
def discovery(fmt: str) -> Response:
    """Where the endpoint is, what it speaks and whom to ask for a key."""
    check_format(fmt)
    settings = current_app.config["SOSOFT"]
    stamp = changeset(request_session())
    document = {
        "changeset": stamp,
        "contact": settings.OPEN311_CONTACT,
        "key_service": settings.OPEN311_KEY_SERVICE,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": f"{settings.PUBLIC_BASE_URL.rstrip('/')}{bp.url_prefix}",
                "changeset": stamp,
                "type": "production" if settings.is_production else "test",
                "formats": [
                    CONTENT_TYPES["xml"].split(";")[0],
                    CONTENT_TYPES["json"].split(";")[0],
                ],
            }
        ],
    }
    return render(document, "discovery", fmt)


@bp.get("/services.<fmt>")
def service_list(fmt: str) -> Response:
    """The active categories as services."""
    check_format(fmt)
    settings = current_app.config["SOSOFT"]
    check_jurisdiction(settings, request.args)
    locale = request_locale(settings)
    services = [service_record(c, locale) for c in active_categories(request_session())]
    return render(services, "services", fmt)


@bp.get("/services/<service_code>.<fmt>")
def service_definition(service_code: str, fmt: str) -> Response:
    """A category's questions as the service's attributes."""
    check_format(fmt)
    settings = current_app.config["SOSOFT"]
    check_jurisdiction(settings, request.args)
    category = find_service(request_session(), service_code)
    if category is None:
        raise not_found(f"service_code {service_code!r} not found")
    return render(definition_record(category, request_locale(settings)), "service_definition", fmt)
