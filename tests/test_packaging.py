"""Packaging: what `pip install`, `python -m build` and `pipx install` users get.

The wheel carries templates/ (and the JSON Schema) as package data, so an installed
mkmultiarch renders without this repository. The slow tests build the sdist and the
wheel with `python -m build`, install the wheel in a clean virtualenv and render the
example project from it, and install with pipx from a path and from a git URL pinned to
a tag, the form of the default mkmultiarch_requirement CI installs from.
"""

from __future__ import annotations

import email.parser
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from mkmultiarch import __version__
from mkmultiarch.names import SCHEMA_FILE
from mkmultiarch.render.schema import schema_text
from tests.support.git import git
from tests.support.paths import EXAMPLE_PROJECT, REPO_ROOT

INSTALL_TIMEOUT = 600
# The templates, and the Jinja they import or include (*.jinja-lib).
TEMPLATES = sorted(
    path.relative_to(REPO_ROOT / "templates").as_posix()
    for pattern in ("*.jinja", "*.jinja-lib")
    for path in (REPO_ROOT / "templates").rglob(pattern)
)


def _run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        list(args),
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, f"$ {' '.join(args)}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_wheel_ships_every_template(tmp_path: Path) -> None:
    _run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path),
         str(REPO_ROOT))  # fmt: skip
    (wheel,) = tmp_path.glob("mkmultiarch-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for relative in TEMPLATES:
        assert f"mkmultiarch/templates/{relative}" in names
    assert f"mkmultiarch/{SCHEMA_FILE}" in names


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sdist and wheel from `python -m build` (the wheel is built from the sdist)."""
    out = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "build", "--outdir", str(out), str(REPO_ROOT))
    return out


@pytest.mark.slow
def test_build_gives_an_sdist_and_a_wheel_with_full_metadata(dist: Path) -> None:
    (sdist,) = dist.glob("mkmultiarch-*.tar.gz")
    (wheel,) = dist.glob("mkmultiarch-*-py3-none-any.whl")
    assert sdist.name == f"mkmultiarch-{__version__}.tar.gz"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = f"mkmultiarch-{__version__}.dist-info"
        metadata = email.parser.Parser().parsestr(archive.read(f"{info}/METADATA").decode())
    assert {f"mkmultiarch/templates/{t}" for t in TEMPLATES} <= names
    assert {f"{info}/licenses/LICENSE", "mkmultiarch/py.typed"} <= names
    assert metadata["Summary"].startswith("Generate plain, team-owned Makefiles")
    assert metadata["License-Expression"] == "MIT"
    assert metadata["Requires-Python"] == ">=3.11"
    classifiers = metadata.get_all("Classifier") or []
    assert "Topic :: Software Development :: Build Tools" in classifiers
    assert "Programming Language :: Python :: 3.11" in classifiers
    urls = dict(url.split(", ", 1) for url in metadata.get_all("Project-URL") or [])
    assert set(urls) == {"Homepage", "Documentation", "Source", "Issues", "Security"}
    assert str(metadata.get_payload()).startswith("# mkmultiarch")  # the README
    with tarfile.open(sdist) as archive:
        members = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for name in ("LICENSE", "README.md", "copier.yml", SCHEMA_FILE, ".pre-commit-hooks.yaml"):
        assert name in members
    assert {f"templates/{t}" for t in TEMPLATES} <= members


@pytest.mark.slow
def test_the_wheel_installs_in_a_clean_venv_and_renders(dist: Path, tmp_path: Path) -> None:
    (wheel,) = dist.glob("mkmultiarch-*.whl")
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", str(venv))
    _run(str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel))
    mkmultiarch = str(venv / "bin" / "mkmultiarch")
    assert _run(mkmultiarch, "--version") == f"mkmultiarch {__version__}\n"
    # Rendered from the installed package data, far from this checkout.
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE_PROJECT, project)
    for rendered in ("Makefile", "Dockerfile", "mk", ".github", ".gitlab-ci.yml"):
        target = project / rendered
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    _run(mkmultiarch, "render", "--config", str(project / "multiarch.yaml"), cwd=tmp_path)
    for path in sorted(EXAMPLE_PROJECT.rglob("*")):
        if path.is_file():
            relative = path.relative_to(EXAMPLE_PROJECT)
            assert (project / relative).read_bytes() == path.read_bytes(), relative
    # Every template ships, and the schema file is what `mkmultiarch schema` prints.
    found = _run(
        str(venv / "bin" / "python"),
        "-c",
        "from mkmultiarch.render.templates import templates_dir; print(templates_dir())",
        cwd=tmp_path,
    ).strip()
    assert str(venv) in found
    shipped = sorted(
        p.relative_to(found).as_posix()
        for pattern in ("*.jinja", "*.jinja-lib")
        for p in Path(found).rglob(pattern)
    )
    assert shipped == TEMPLATES
    package = Path(found).parent
    assert (package / SCHEMA_FILE).read_text(encoding="utf-8") == schema_text()
    assert _run(mkmultiarch, "schema", cwd=tmp_path) == schema_text()


def _pipx(tmp_path: Path, *args: str) -> Path:
    """`pipx install ARGS` into a private PIPX_HOME; the directory of its mkmultiarch."""
    home, bin_dir = tmp_path / "pipx-home", tmp_path / "pipx-bin"
    env = {"PIPX_HOME": str(home), "PIPX_BIN_DIR": str(bin_dir), "PIPX_MAN_DIR": str(home)}
    pipx = str(Path(sys.executable).with_name("pipx"))
    _run(pipx, "install", *args, env=env)
    return bin_dir


@pytest.mark.slow
def test_pipx_installs_from_a_path(tmp_path: Path) -> None:
    bin_dir = _pipx(tmp_path, str(REPO_ROOT))
    assert _run(str(bin_dir / "mkmultiarch"), "--version") == f"mkmultiarch {__version__}\n"


@pytest.mark.slow
def test_pipx_installs_from_a_git_url_at_the_release_tag(tmp_path: Path) -> None:
    """git+file://... @vX.Y.Z: the form of the default mkmultiarch_requirement, over file://."""
    clone = tmp_path / "clone"
    files = _run("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard",
                 cwd=REPO_ROOT).split("\0")  # fmt: skip
    for name in filter(None, files):
        source = REPO_ROOT / name
        if source.is_file() and not source.is_symlink():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    git(clone, "init", "-q")
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", "release")
    git(clone, "tag", f"v{__version__}")
    bin_dir = _pipx(tmp_path, f"git+file://{clone}@v{__version__}")
    mkmultiarch = str(bin_dir / "mkmultiarch")
    assert _run(mkmultiarch, "--version") == f"mkmultiarch {__version__}\n"
    out = tmp_path / "out"
    _run(mkmultiarch, "render", "--config", str(EXAMPLE_PROJECT / "multiarch.yaml"),
         "--output", str(out))  # fmt: skip
    assert (out / "Makefile").read_bytes() == (EXAMPLE_PROJECT / "Makefile").read_bytes()
