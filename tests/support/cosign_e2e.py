"""cosign for the end-to-end tests: a key pair, and ``cosign verify --key`` of a reference.

Debian's cosign 2.5, key-based and without a transparency log, over plain HTTP (the local
registry), as the Makefile signs with COSIGN_TLOG=0.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import CmdResult, MakeProject, run_cmd

PASSWORD = "e2e-cosign-password"


def cosign() -> str:
    """The cosign binary; the e2e environment installs it (a missing one is a failure)."""
    found = shutil.which("cosign")
    if found is None:
        pytest.fail("cosign is not installed: run scripts/test-env.sh as root")
    return found


def key_pair(directory: Path) -> Path:
    """``cosign generate-key-pair`` in DIRECTORY; returns cosign.key (cosign.pub beside it)."""
    directory.mkdir(parents=True)
    made = run_cmd(
        [cosign(), "generate-key-pair"],
        env={"PATH": "/usr/bin:/bin", "COSIGN_PASSWORD": PASSWORD},
        cwd=directory,
    )
    assert made.returncode == 0, made.tail()
    return directory / "cosign.key"


def signing_env(key: Path) -> dict[str, str]:
    """What make needs in its environment to sign with KEY."""
    return {"COSIGN_KEY": str(key), "COSIGN_PASSWORD": PASSWORD}


def cosign_verify(project: MakeProject, ref: str, public_key: Path) -> CmdResult:
    """``cosign verify --key`` of REF over plain HTTP, without a transparency log."""
    args = [cosign(), "verify", "--key", str(public_key), "--insecure-ignore-tlog=true"]
    args += ["--allow-http-registry", "--allow-insecure-registry", ref]
    return run_cmd(args, env=project.env)
