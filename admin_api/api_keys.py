"""`/api/v1/api-keys`: keys for scripts and BI tools (managers only, never by a key)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import current_app
from flask_smorest import abort
from sqlalchemy import select

from admin_api.blueprint import ApiBlueprint
from admin_api.pagination import PaginationArgs, after_id, page
from admin_api.schemas.api_keys import (
    ApiKeyCreatedSchema,
    ApiKeyCreateSchema,
    ApiKeyPageSchema,
    ApiKeySchema,
)
from admin_api.schemas.tickets import MAX_ID
from admin_api.security import current_principal, require
from core.models import ApiKey
from core.people.api_keys import create_api_key, revoke_api_key
from web.request_session import request_session

blp = ApiBlueprint(
    "api_keys",
    __name__,
    url_prefix="/api/v1/api-keys",
    description="Keys for scripts and BI tools; each can do only what its scopes allow.",
)


@blp.route("", methods=["GET"])
@require("api_key.manage")
@blp.arguments(PaginationArgs, location="query")
@blp.response(200, ApiKeyPageSchema)
def list_api_keys(args: dict[str, Any]) -> dict[str, Any]:
    """Every key (revoked ones too), newest first, without secrets."""
    query = select(ApiKey)
    after = after_id(args["cursor"])
    if after is not None:
        query = query.where(ApiKey.id < after)
    rows = request_session().scalars(query.order_by(ApiKey.id.desc()).limit(args["limit"] + 1))
    return page(rows.all(), args["limit"], key=lambda key: (key.id,))


@blp.route("", methods=["POST"])
@require("api_key.manage")
@blp.arguments(ApiKeyCreateSchema)
@blp.response(201, ApiKeyCreatedSchema)
def create_api_key_view(body: dict[str, Any]) -> dict[str, Any]:
    """Create a key; the response is the only time its secret is shown."""
    session = request_session()
    key, secret = create_api_key(
        session,
        current_app.config["SOSOFT"],
        name=body["name"],
        scopes=body["scopes"],
        created_by=current_principal().user,
    )
    session.commit()
    return {"key": secret, **{name: getattr(key, name) for name in ApiKeySchema().fields}}


@blp.route("/<int:key_id>", methods=["DELETE"])
@require("api_key.manage")
@blp.response(204)
@blp.alt_response(404, response=HTTPStatus(404).name)
def revoke_api_key_view(key_id: int) -> None:
    """Revoke a key: it stops working at once."""
    session = request_session()
    key = session.get(ApiKey, key_id) if key_id <= MAX_ID else None
    if key is None:
        abort(404, message=f"no API key #{key_id}")
    revoke_api_key(key)
    session.commit()
