"""Swagger UI and ReDoc assets served by the app itself.

City networks are often closed to the internet, so the docs pages load their
JavaScript from files vendored in `web/vendor/` (versions and licences in its
VENDORED.md) instead of a CDN, and nothing else needs installing for them.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint

ASSETS = Path(__file__).resolve().parent / "vendor"
URL_PREFIX = "/_docs-assets"

bp = Blueprint("docs_assets", __name__, static_folder=str(ASSETS), static_url_path=URL_PREFIX)

SWAGGER_UI_URL = f"{URL_PREFIX}/swagger-ui-dist/"
REDOC_URL = f"{URL_PREFIX}/redoc/redoc.standalone.js"


def openapi_config() -> dict[str, object]:
    return {
        "API_TITLE": "SoSoft API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/",
        "OPENAPI_JSON_PATH": "api/v1/openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": SWAGGER_UI_URL,
        "OPENAPI_REDOC_PATH": "redoc",
        "OPENAPI_REDOC_URL": REDOC_URL,
        "API_SPEC_OPTIONS": {
            "info": {
                "description": (
                    "Admin and citizen API of SoSoft, chat-first neighbourhood issue "
                    "reporting. Errors share one envelope: "
                    "`{code, status, message, errors}`."
                )
            },
            "components": {
                "securitySchemes": {
                    "bearerAuth": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "An access token from /api/v1/auth, or an API key.",
                    }
                }
            },
        },
    }
