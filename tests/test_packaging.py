"""The wheel carries templates/ as package data, so `pip install` users can render."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.support.paths import REPO_ROOT


def test_wheel_ships_every_template(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(REPO_ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("mkmultiarch-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in (REPO_ROOT / "templates").rglob("*.jinja"):
        relative = template.relative_to(REPO_ROOT / "templates").as_posix()
        assert f"mkmultiarch/templates/{relative}" in names
