"""git with a fixed identity, and a git-tagged copy of the Copier template."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.support.paths import REPO_ROOT


def git(cwd: Path, *args: str) -> str:
    """Run git with a fixed identity, so tests work on a machine without one."""
    result = subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def make_template_repo(destination: Path, tag: str = "0.1.0") -> Path:
    """Copy copier.yml + templates/ into a fresh git repo tagged `tag`.

    Copier copies the latest PEP 440 tag of a template repository, and
    `copier update` needs that history, so tests never copy from the working
    tree of this repository (which may be dirty).
    """
    destination.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "copier.yml", destination / "copier.yml")
    shutil.copytree(REPO_ROOT / "templates", destination / "templates")
    git(destination, "init", "-q", "-b", "main")
    git(destination, "add", "-A")
    git(destination, "commit", "-q", "-m", "template")
    git(destination, "tag", tag)
    return destination
