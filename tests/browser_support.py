"""The console's browser tests' machinery: the app served by a real server in a
thread, headless Chromium driven by Selenium through Debian's chromedriver, and a
screenshot kept in var/test-screenshots/ when a test fails."""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import REPO_ROOT

CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(REPO_ROOT) / "var" / "test-screenshots"


def browser_available() -> bool:
    return os.path.exists(CHROMEDRIVER) and shutil.which("chromium") is not None


def skip_without_browser() -> None:
    """CI must run these (make test installs chromium); elsewhere say what is missing."""
    if browser_available():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMEDRIVER} or chromium missing: apt-get install chromium chromium-driver")
    pytest.skip(
        "chromium / chromium-driver not installed (apt-get install chromium chromium-driver)"
    )


class LiveServer:
    """`app` on 127.0.0.1 at a free port, answering from a thread."""

    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.thread.join(5)


def start_chromium(width: int = 1280, height: int = 900) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", f"--window-size={width},{height}"):  # fmt: skip
        options.add_argument(argument)
    # The page's console (CSP refusals, script errors) for the tests to read.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # The driver's path given: Selenium never tries to download one.
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    return driver


def keep_screenshot(driver: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / (re.sub(r"[^\w.-]+", "_", name) + ".png")
    driver.save_screenshot(str(path))
    return path


def wait_for(check: Callable[[], Any], timeout: float = 6.0, every: float = 0.1) -> Any:
    """`check()`'s first truthy answer within `timeout` seconds (AssertionError if none)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {check}")
        time.sleep(every)


def screenshot_on_failure(request: pytest.FixtureRequest, driver: Any) -> Iterator[Any]:
    """Yields `driver`; keeps a screenshot named after the test if it failed."""
    yield driver
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        keep_screenshot(driver, request.node.name)
