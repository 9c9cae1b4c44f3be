"""The hooks .pre-commit-hooks.yaml offers, run by pre-commit itself on a Copier scaffold.

`pre-commit try-repo` installs this repository (its working tree) into a hook virtualenv,
as a project that lists it in .pre-commit-config.yaml would get it (language: python:
nothing but PyPI, or its mirror, is needed), then runs the hooks on the scaffold.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import copier
import pytest
import yaml

from tests.support.git import git
from tests.support.paths import REPO_ROOT

PRE_COMMIT = str(Path(sys.executable).with_name("pre-commit"))
HOOKS = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))


def _try_repo(project: Path, home: Path, *hook: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PRE_COMMIT, "try-repo", str(REPO_ROOT), *hook, "--all-files"],
        cwd=project,
        env={**os.environ, "PRE_COMMIT_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_the_hooks_are_the_two_commands() -> None:
    entries = {hook["id"]: hook["entry"] for hook in HOOKS}
    assert entries == {
        "mkmultiarch-render-check": "mkmultiarch render --check",
        "mkmultiarch-audit": "mkmultiarch audit",
    }
    assert all(hook["language"] == "python" for hook in HOOKS)


@pytest.mark.slow
def test_try_repo_on_a_scaffold_passes_then_catches_drift_and_bad_images(
    template_repo: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    data = {"image": "acme/tool", "language": "dockerfile"}
    copier.run_copy(
        str(template_repo), str(project), data=data, defaults=True, unsafe=False, quiet=True
    )
    (project / "Dockerfile").write_text("FROM scratch\nCOPY tool /tool\n")
    git(project, "init", "-q")
    git(project, "add", "-A")
    home = tmp_path / "pre-commit-home"

    result = _try_repo(project, home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "mkmultiarch render --check" in result.stdout
    assert "mkmultiarch audit" in result.stdout

    # A hand edit to the Makefile is the team's own, not staleness: the hook passes.
    makefile = project / "Makefile"
    makefile.write_text(makefile.read_text() + "# hand edit\n")
    git(project, "add", "-A")
    result = _try_repo(project, home, "mkmultiarch-render-check")
    assert result.returncode == 0, result.stdout

    # A config change that was never rendered: the hook fails and names the file.
    config = project / "multiarch.yaml"
    config.write_text(config.read_text().replace("latest: true", "latest: false"))
    git(project, "add", "-A")
    result = _try_repo(project, home, "mkmultiarch-render-check")
    assert result.returncode == 1, result.stdout
    assert "Makefile" in result.stdout
    assert "file(s) out of date" in result.stdout

    # A base image audit cannot resolve fails the audit hook (no registry is asked).
    (project / "Dockerfile").write_text("ARG BASE\nFROM ${BASE}\n")
    git(project, "add", "-A")
    result = _try_repo(project, home, "mkmultiarch-audit")
    assert result.returncode == 1, result.stdout
    assert "cannot resolve BASE" in result.stdout
