"""The admin REST API under /api/v1: one flask-smorest blueprint per resource."""

from __future__ import annotations

from flask_smorest import Blueprint


def blueprints() -> list[Blueprint]:
    """Every admin API blueprint, in the order they appear in the docs."""
    return []
