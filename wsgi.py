"""Entry point for gunicorn (`gunicorn wsgi:app`) and the CLI (`flask --app wsgi …`)."""

import gc

from sosoft import create_app

app = create_app()

# Everything built so far (modules, the app, its routes and schemas) lives as long as
# the process: keep it out of the garbage collector's full passes, which otherwise
# show up as pauses in the slowest requests.
gc.freeze()
