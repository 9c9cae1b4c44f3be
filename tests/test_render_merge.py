"""render keeps a team's edits through a config change (issue #17, point 1).

The real command (a child process) on a project in a tmp dir: an untouched
file is replaced, an edited one merged, a clash marked and exit 1, --check
passes on an edited current project and fails on a stale or unresolved one.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mkmultiarch import __version__
from mkmultiarch.render.config import parse
from mkmultiarch.render.output import BACKUP_SUFFIX, TEMP_SUFFIX
from mkmultiarch.render.templates import render
from tests.support.cli import run_cli

CONFIG = "image: org/app\narches: [amd64, arm/v7]\n"
NOT_LATEST = CONFIG + "latest: false\n"
TEAM_TARGET = "\n.PHONY: team-target\nteam-target:\n\t@echo ours\n"


def render_cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("render", "--config", str(project / "multiarch.yaml"), *args)


def rendering(config: str) -> dict[str, str]:
    return {item.path: item.text for item in render(parse(config))}


def recorded(project: Path) -> dict[str, str]:
    rendered = project / ".mkmultiarch" / "rendered"
    return {
        path.relative_to(rendered).as_posix(): path.read_text()
        for path in rendered.rglob("*")
        if path.is_file()
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project rendered once from CONFIG, its files as render wrote them."""
    (tmp_path / "multiarch.yaml").write_text(CONFIG)
    result = render_cli(tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path


def test_render_records_what_it_wrote(project: Path) -> None:
    assert recorded(project) == rendering(CONFIG)
    readme = (project / ".mkmultiarch" / "README").read_text()
    assert "Do not edit it" in readme and "diff -r" in readme


def test_an_untouched_project_takes_a_config_change_without_force(project: Path) -> None:
    (project / "multiarch.yaml").write_text(NOT_LATEST)
    result = render_cli(project)
    assert result.returncode == 0, result.stderr
    assert f"wrote {project / 'Makefile'}" in result.stdout
    assert (project / "Makefile").read_text() == rendering(NOT_LATEST)["Makefile"]
    assert recorded(project) == rendering(NOT_LATEST)


def test_an_edited_makefile_survives_a_config_change(project: Path) -> None:
    makefile = project / "Makefile"
    makefile.write_text(makefile.read_text() + TEAM_TARGET)
    assert render_cli(project, "--check").returncode == 0  # the team's own edit is not stale
    (project / "multiarch.yaml").write_text(NOT_LATEST)

    check = render_cli(project, "--check")
    assert check.returncode == 1 and f"merged: {makefile}" in check.stdout
    diff = render_cli(project, "--diff")
    assert diff.returncode == 1
    assert "-LATEST ?= 1\n+LATEST ?= 0\n" in diff.stdout and "team-target" not in diff.stdout

    result = render_cli(project)
    assert result.returncode == 0, result.stderr
    assert f"merged {makefile} (your edits kept)" in result.stdout
    assert makefile.read_text() == rendering(NOT_LATEST)["Makefile"] + TEAM_TARGET
    assert recorded(project) == rendering(NOT_LATEST)
    assert render_cli(project, "--check").returncode == 0
    assert render_cli(project).stdout == "up to date\n"


def test_a_conflicting_edit_is_marked_named_and_exits_1(project: Path) -> None:
    makefile = project / "Makefile"
    ours = makefile.read_text().replace("LATEST ?= 1\n", "LATEST ?= 1  # we always publish it\n")
    makefile.write_text(ours + TEAM_TARGET)
    changed = NOT_LATEST + 'go_version: "1.22"\n'  # also changes the Dockerfile
    (project / "multiarch.yaml").write_text(changed)

    result = render_cli(project)
    assert result.returncode == 1
    errors = result.stderr.splitlines()
    assert errors[0] == (
        f"mkmultiarch: {makefile}: 1 conflict(s) between your edits and the new rendering, "
        "marked <<<<<<< yours ... >>>>>>> new rendering"
    )
    assert len(errors) == 2 and "1 file(s) with conflicts" in errors[1]
    text = makefile.read_text()
    assert (
        "<<<<<<< yours\nLATEST ?= 1  # we always publish it\n"
        "||||||| last rendering\nLATEST ?= 1\n=======\nLATEST ?= 0\n>>>>>>> new rendering\n"
    ) in text
    assert text.endswith(TEAM_TARGET)  # the clean part of the edit merged in
    # Everything else is whole: the other files and the record are the new rendering.
    assert (project / "Dockerfile").read_text() == rendering(changed)["Dockerfile"]
    assert recorded(project) == rendering(changed)
    leftovers = [p for p in project.rglob("*") if p.name.endswith((TEMP_SUFFIX, BACKUP_SUFFIX))]
    assert leftovers == []

    check = render_cli(project, "--check")
    assert check.returncode == 1 and f"unresolved: {makefile}" in check.stdout
    again = render_cli(project)
    assert again.returncode == 1 and "still holds <<<<<<< conflict markers" in again.stderr
    assert makefile.read_text() == text  # untouched until the team resolves it

    makefile.write_text(rendering(changed)["Makefile"].replace("LATEST ?= 0\n", "LATEST ?= 1\n"))
    assert render_cli(project, "--check").returncode == 0  # resolved their way: their edit


def test_check_fails_on_a_stale_edited_project(project: Path) -> None:
    makefile = project / "Makefile"
    makefile.write_text(makefile.read_text() + TEAM_TARGET)
    (project / "multiarch.yaml").write_text(NOT_LATEST)
    check = render_cli(project, "--check")
    assert check.returncode == 1 and "out of date" in check.stderr
    makefile_changes = [line for line in check.stdout.splitlines() if "Makefile" in line]
    assert makefile_changes == [f"merged: {makefile}"]


def test_force_takes_the_rendering_over_edits(project: Path) -> None:
    makefile = project / "Makefile"
    makefile.write_text(makefile.read_text() + TEAM_TARGET)
    (project / "multiarch.yaml").write_text(NOT_LATEST)
    result = render_cli(project, "--force")
    assert result.returncode == 0, result.stderr
    assert makefile.read_text() == rendering(NOT_LATEST)["Makefile"]
    assert recorded(project) == rendering(NOT_LATEST)


def test_a_record_behind_an_up_to_date_file_is_not_stale(project: Path) -> None:
    """Two branches that each re-rendered merge to files that are current: nothing to do."""
    (project / "multiarch.yaml").write_text(NOT_LATEST)
    (project / "Makefile").write_text(rendering(NOT_LATEST)["Makefile"])
    assert render_cli(project, "--check").returncode == 0
    assert render_cli(project).stdout == "up to date (recorded in .mkmultiarch/rendered/)\n"
    assert recorded(project) == rendering(NOT_LATEST)  # the record caught up
    assert render_cli(project).stdout == "up to date\n"


ANSWERS = f"""\
# Changes here will be overwritten by Copier; change answers with `copier update`.
_commit: {__version__}
_src_path: /somewhere/mkmultiarch
arches:
- amd64
- arm/v7
go_module: example.com/org/app
image: org/app
latest: true
"""


@pytest.fixture
def copier_project(tmp_path: Path) -> Path:
    """A project as Copier left it, before render kept a record."""
    (tmp_path / "multiarch.yaml").write_text(CONFIG)
    (tmp_path / ".copier-answers.yml").write_text(ANSWERS)
    for path, text in rendering(CONFIG).items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    return tmp_path


def test_copiers_answers_stand_in_for_a_missing_record(copier_project: Path) -> None:
    makefile = copier_project / "Makefile"
    makefile.write_text(makefile.read_text() + TEAM_TARGET)
    (copier_project / "multiarch.yaml").write_text(NOT_LATEST)
    result = render_cli(copier_project)
    assert result.returncode == 0, result.stderr
    assert makefile.read_text() == rendering(NOT_LATEST)["Makefile"] + TEAM_TARGET
    assert recorded(copier_project) == rendering(NOT_LATEST)


def test_answers_from_another_template_version_are_no_base(copier_project: Path) -> None:
    answers = copier_project / ".copier-answers.yml"
    answers.write_text(ANSWERS.replace(f"_commit: {__version__}", "_commit: 0.0.9"))
    makefile = copier_project / "Makefile"
    makefile.write_text(makefile.read_text() + TEAM_TARGET)
    (copier_project / "multiarch.yaml").write_text(NOT_LATEST)
    result = render_cli(copier_project)
    assert result.returncode == 1 and "no record of the last rendering" in result.stderr
    assert makefile.read_text().endswith(TEAM_TARGET)


def test_a_disagreement_with_copier_is_one_line_per_setting(copier_project: Path) -> None:
    (copier_project / "multiarch.yaml").write_text(NOT_LATEST.replace("arm/v7", "arm64"))
    for args in [("--check",), ()]:
        result = render_cli(copier_project, *args)
        notes = [line for line in result.stderr.splitlines() if "note:" in line]
        assert notes == [
            "mkmultiarch: note: arches: multiarch.yaml says [amd64, arm64], .copier-answers.yml "
            "says [amd64, arm/v7]; multiarch.yaml wins for mkmultiarch render (to bring Copier "
            "in line: copier update --defaults --vcs-ref=:current: --data-file multiarch.yaml)",
            "mkmultiarch: note: latest: multiarch.yaml says false, .copier-answers.yml says "
            "true; multiarch.yaml wins for mkmultiarch render (to bring Copier in line: "
            "copier update --defaults --vcs-ref=:current: --data-file multiarch.yaml)",
        ]
    assert (copier_project / "Makefile").read_text() == rendering(
        NOT_LATEST.replace("arm/v7", "arm64")
    )["Makefile"]


def test_a_record_that_is_a_link_is_refused(project: Path, tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    record = project / ".mkmultiarch" / "rendered"
    record.rename(outside / "rendered")
    record.symlink_to(outside / "rendered", target_is_directory=True)
    (project / "multiarch.yaml").write_text(NOT_LATEST)
    result = render_cli(project)
    assert result.returncode == 2 and "rendered: is a symbolic link" in result.stderr
    assert (outside / "rendered" / "Makefile").read_text() == rendering(CONFIG)["Makefile"]


def test_an_oversized_record_is_refused_in_one_line(project: Path) -> None:
    (project / ".mkmultiarch" / "rendered" / "Makefile").write_bytes(b"#" * (1024 * 1024 + 1))
    result = render_cli(project, "--check")
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
    assert "rendered/Makefile: larger than 1024 KiB" in result.stderr


def test_unreadable_answers_are_a_note_not_a_stop(copier_project: Path) -> None:
    (copier_project / ".copier-answers.yml").write_text("image: Not/Valid\n")
    result = render_cli(copier_project)
    assert result.returncode == 0, result.stderr
    (note,) = result.stderr.splitlines()
    assert note.startswith("mkmultiarch: note: ignoring ") and "image: 'Not/Valid'" in note
