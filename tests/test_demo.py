"""scripts/demo.sh where it cannot start an engine: it renders, names what is missing, and
exits non-zero. (tests/e2e/test_demo_e2e.py runs the whole job where it can.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.paths import EXAMPLE_PROJECT, REPO_ROOT

DEMO = REPO_ROOT / "scripts" / "demo.sh"


def test_without_root_or_engine_it_renders_says_what_is_missing_and_fails(
    tmp_path: Path,
) -> None:
    project = tmp_path / "example-project"
    shutil.copytree(EXAMPLE_PROJECT, project)
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOME": str(tmp_path),
        "MKMULTIARCH": str(Path(sys.executable).with_name("mkmultiarch")),
        "MKMA_DEMO_PROJECT": str(project),
        "MKMA_ENV_FILE": str(tmp_path / "no-env"),  # no engine test-env.sh made
    }
    # --no-start: what a user without root sees (as root the demo would start an engine).
    command = ["bash", str(DEMO), "--no-start"]
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "[3/7] mkmultiarch render" in result.stdout
    assert "up to date" in result.stdout  # it rendered (the copy is current)
    assert "[4/7]" not in result.stdout  # and built nothing
    err = result.stderr
    assert "demo: cannot build here: no engine is running" in err
    reason = (
        "not root: scripts/test-env.sh installs packages and starts dockerd"
        if os.getuid() != 0
        else "--no-start: this script installs and starts nothing"
    )
    assert reason in err
    assert f"no {tmp_path / 'no-env'}" in err
