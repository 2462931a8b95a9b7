"""Starting SoSoft's processes exactly as the Procfile does, for tests that run them.

The command line is read from the Procfile itself and run through `bash -c`, as honcho
would, so a test exercises what a city deploys (prefork Celery worker, gunicorn with
its own configuration), not a test-only variant of it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def procfile_command(name: str) -> str:
    """The Procfile's command line for process `name` (web, worker, beat, release)."""
    for line in (REPO / "Procfile").read_text().splitlines():
        key, sep, command = line.partition(":")
        if sep and key.strip() == name:
            return command.strip()
    raise KeyError(f"the Procfile has no {name!r} process")


def start_process(name: str, env: Mapping[str, str], log_path: Path) -> subprocess.Popen:
    """Run the Procfile's `name` in its own process group (so kill -9 takes all of it)."""
    full_env = {**os.environ, **env, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = procfile_command(name)
    # `exec` makes a single command the group's leader itself (signals reach it, not a
    # shell); a list of commands (release: migrate && seed) must run whole.
    script = command if any(op in command for op in ("&&", "||", ";")) else f"exec {command}"
    with log_path.open("ab") as log:
        return subprocess.Popen(
            ["bash", "-c", script],
            cwd=REPO,
            env=full_env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
