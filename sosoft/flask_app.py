"""The Flask class the web process runs: Flask, with one per-request cost taken out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

# Functions a request hands in once (`after_this_request` callbacks) would otherwise
# pile up in the memo; it starts over past this many.
_MEMO_LIMIT = 512


class SoSoftFlask(Flask):
    """`ensure_sync` remembered per function. Flask asks it of every request hook and
    the view on every request (eleven times a webhook message: an `inspect` walk each
    time), and for the same function the answer never changes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._synced: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            return self._synced[func]
        except KeyError:
            pass
        except TypeError:  # an unhashable callable: asked afresh every time
            return super().ensure_sync(func)
        if len(self._synced) >= _MEMO_LIMIT:
            self._synced.clear()
        synced = self._synced[func] = super().ensure_sync(func)
        return synced
