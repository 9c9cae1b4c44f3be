"""`make` in a rendered project, and the `make -n` plan: the commands a run would execute."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def make(
    project: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run make in PROJECT (output captured, never raises), ENV added to the environment."""
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


def plan(project: Path, *args: str) -> list[str]:
    """The command lines `make -n` would run, continuation lines joined, whitespace squeezed."""
    result = make(project, "-n", *args)
    assert result.returncode == 0, result.stderr
    joined = result.stdout.replace("\\\n", " ")
    return [" ".join(line.split()) for line in joined.splitlines() if line.strip()]
