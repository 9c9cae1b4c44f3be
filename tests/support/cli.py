"""The real `mkmultiarch` command as a subprocess, under a memory limit and a timeout."""

from __future__ import annotations

import functools
import resource
import signal
import subprocess
import sys
from pathlib import Path

MEMORY_LIMIT = 512 * 1024 * 1024  # address space of the child: a bomb fails, not the host
TIMEOUT = 30  # seconds: a hang fails the test instead of stalling the suite
MAX_LINE = 300  # a refusal is one short line


def _limit(file_size: int | None) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    if file_size is not None:
        # A write past FILE_SIZE bytes fails with EFBIG (SIGXFSZ ignored: it would kill).
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))


def run_cli(
    *args: str, cwd: Path | None = None, file_size: int | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m mkmultiarch ARGS` with at most MEMORY_LIMIT bytes and TIMEOUT seconds.

    FILE_SIZE: no file the command writes may grow past that many bytes (a full disk).
    """
    return subprocess.run(
        [sys.executable, "-m", "mkmultiarch", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        errors="replace",
        stdin=subprocess.DEVNULL,
        timeout=TIMEOUT,
        preexec_fn=functools.partial(_limit, file_size),
    )


def refusal(result: subprocess.CompletedProcess[str]) -> str:
    """The one line of a refusal: exit 2, one short stderr line, no traceback; returned."""
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and result.stderr.endswith("\n"), result.stderr[-2000:]
    line = lines[0]
    assert line.startswith("mkmultiarch: "), line
    assert len(line) < MAX_LINE, line
    assert "\x1b" not in line, line
    return line
