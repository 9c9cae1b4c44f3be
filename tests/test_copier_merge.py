"""Copier and render on one project: edits survive `copier update`, and one source of truth.

The README's commands run as a team would, without a terminal (stdin closed,
--defaults): copier copy from a tagged template, the team's edits, a template
release, then copier update; and mkmultiarch render on the same project.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from mkmultiarch.render.config import parse
from mkmultiarch.render.templates import render
from tests.support.cli import run_cli
from tests.support.git import git, make_template_repo

TEAM_TARGET = "\n.PHONY: team-target\nteam-target:\n\t@echo ours\n"


def copier(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The copier CLI with no terminal: a question it would ask fails instead of hanging."""
    result = subprocess.run(
        ["copier", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def scaffold(tmp_path: Path) -> tuple[Path, Path]:
    """A template tagged 0.1.0, a project copied from it with the team's target committed."""
    template = make_template_repo(tmp_path / "template", tag="0.1.0")
    project = tmp_path / "project"
    copier(
        "copy", "--defaults", "--quiet", "--data", "image=acme/hello", str(template), str(project)
    )
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "scaffold")
    makefile = project / "Makefile"
    makefile.write_text(makefile.read_text() + TEAM_TARGET)
    git(project, "commit", "-q", "-am", "our own target")
    return template, project


def release(template: Path, old: str, new: str, tag: str) -> None:
    """A template release that replaces OLD with NEW in the Makefile template."""
    path = template / "templates" / "Makefile.jinja"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    git(template, "commit", "-q", "-am", f"release {tag}")
    git(template, "tag", tag)


def answers(project: Path) -> dict[str, object]:
    loaded: dict[str, object] = yaml.safe_load((project / ".copier-answers.yml").read_text())
    return loaded


def test_copier_update_keeps_the_edit_and_shows_one_conflict(tmp_path: Path) -> None:
    template, project = scaffold(tmp_path)
    makefile = project / "Makefile"
    makefile.write_text(makefile.read_text().replace("SHELL := bash\n", "SHELL := /bin/bash\n"))
    git(project, "commit", "-q", "-am", "our shell")
    release(template, "SHELL := bash\n", "SHELL := bash -o pipefail\n", "0.2.0")

    copier("update", "--defaults", "--quiet", cwd=project)
    text = makefile.read_text()
    assert text.count("<<<<<<< ") == 1 and text.count(">>>>>>> ") == 1
    assert "SHELL := /bin/bash\n" in text and "SHELL := bash -o pipefail\n" in text
    assert text.endswith(TEAM_TARGET)
    assert answers(project)["_commit"] == "0.2.0"


def test_readme_update_with_data_runs_without_a_terminal(tmp_path: Path) -> None:
    """`--vcs-ref=:current:` changes the answer only; without it the template is upgraded too."""
    template, project = scaffold(tmp_path)
    release(template, "SHELL := bash\n", "# Template 0.2.0 was here.\nSHELL := bash\n", "0.2.0")
    makefile = project / "Makefile"

    copier("update", "--defaults", "--vcs-ref=:current:", "--data", "latest=false", cwd=project)
    assert "LATEST ?= 0\n" in makefile.read_text()
    assert "Template 0.2.0" not in makefile.read_text()
    assert makefile.read_text().endswith(TEAM_TARGET)
    assert answers(project)["_commit"] == "0.1.0" and answers(project)["latest"] is False
    assert "latest: false" in (project / "multiarch.yaml").read_text()
    git(project, "commit", "-q", "-am", "latest off")

    result = copier("update", "--defaults", "--data", "latest=true", cwd=project)
    assert "multiarch.yaml wins" in result.stdout + result.stderr  # _message_after_update
    assert "# Template 0.2.0 was here.\n" in makefile.read_text()
    assert "LATEST ?= 1\n" in makefile.read_text()
    assert makefile.read_text().endswith(TEAM_TARGET)
    assert answers(project)["_commit"] == "0.2.0"


def test_render_on_a_copier_project_then_copier_agrees_again(tmp_path: Path) -> None:
    _, project = scaffold(tmp_path)
    config = project / "multiarch.yaml"
    config.write_text(config.read_text().replace("latest: true", "latest: false"))
    makefile = project / "Makefile"

    result = run_cli("render", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert f"merged {makefile} (your edits kept)" in result.stdout
    assert "note: latest: multiarch.yaml says false, .copier-answers.yml says true" in (
        result.stderr
    )
    expected = {item.path: item.text for item in render(parse(config.read_text()))}
    assert makefile.read_text() == expected["Makefile"] + TEAM_TARGET
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "render")

    copier(
        "update", "--defaults", "--vcs-ref=:current:", "--data-file", "multiarch.yaml", cwd=project
    )
    assert answers(project)["latest"] is False
    check = run_cli("render", "--config", str(config), "--check")
    assert (check.returncode, check.stderr) == (0, "")
    assert makefile.read_text() == expected["Makefile"] + TEAM_TARGET
