"""The Celery application the worker and beat start from (`celery -A tasks worker`).

Tasks never import the Flask app: they read the settings and open their own
database sessions through `tasks.context`.
"""

from __future__ import annotations

from tasks.celery_app import make_celery

app = make_celery()
celery = app
