"""The admin REST API under /api/v1: one flask-smorest blueprint per resource."""

from __future__ import annotations

from flask_smorest import Blueprint


def blueprints() -> list[Blueprint]:
    """Every admin API blueprint, in the order they appear in the docs."""
    from admin_api import (
        analytics,
        api_keys,
        auth,
        categories,
        category_questions,
        comments,
        escalations,
        exports,
        feedback,
        photos,
        teams,
        ticket_workflow,
        tickets,
        users,
    )

    return [
        auth.blp,
        users.blp,
        teams.blp,
        api_keys.blp,
        categories.blp,
        category_questions.blp,
        tickets.blp,
        ticket_workflow.blp,
        comments.blp,
        photos.blp,
        escalations.blp,
        feedback.blp,
        analytics.blp,
        exports.blp,
    ]
