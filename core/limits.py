"""The rate limiter shared by every blueprint, stored in Redis so all web
processes count together. Bound to the app in `create_app`."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, headers_enabled=True, strategy="fixed-window")
