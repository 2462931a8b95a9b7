"""The blueprint every `/api/v1` resource is built on.

webargs drops query parameters a schema does not declare, so `GET /tickets?numbr=1001`
(a typo) or a filter the API does not have answered the whole, unfiltered list as if it
had been applied. Here an unknown parameter is a 422 that names it. Open311 is not built
on this: its spec asks servers to ignore what they do not know.
"""

from __future__ import annotations

import flask_smorest
from marshmallow import RAISE
from webargs.flaskparser import FlaskParser


class ApiBlueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = FlaskParser(unknown=RAISE)
