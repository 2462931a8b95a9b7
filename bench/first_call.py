"""One analytics call, the first of a freshly started process (bench_analytics.py runs
this once per endpoint and mode):

    BENCH_TOKEN=… python bench/first_call.py DATABASE_URL REDIS_URL ENDPOINT

Builds the app as wsgi.py does, warms it up as a gunicorn worker does
(sosoft/warm_up.py), answers one health check (as a load balancer's before it sends
traffic), then times one GET of /api/v1/analytics/ENDPOINT: its database
session, everything the process remembers and every plan it compiles are this call's
own. Prints the seconds it took.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.config import Settings
from sosoft import create_app
from sosoft.warm_up import warm_up


def main() -> None:
    database_url, redis_url, endpoint = sys.argv[1:4]
    token = os.environ["BENCH_TOKEN"]  # not in argv, where every user of the machine sees it
    settings = Settings.from_env(
        {}, DATABASE_URL=database_url, REDIS_URL=redis_url, APP_ENV="development",
        LOG_LEVEL="WARNING", RATELIMIT_ENABLED=False,
    )  # fmt: skip
    app = create_app(settings)
    gc.freeze()
    warm_up(app)  # as gunicorn.conf.py's post_worker_init does
    client = app.test_client()
    client.get("/healthz")
    start = time.perf_counter()
    response = client.get(
        f"/api/v1/analytics/{endpoint}", headers={"Authorization": f"Bearer {token}"}
    )
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise SystemExit(f"{endpoint}: {response.status_code} {response.json}")
    print(elapsed)


if __name__ == "__main__":
    main()
