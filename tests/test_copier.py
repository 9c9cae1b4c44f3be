"""The Copier entry point: copy, same bytes as `mkmultiarch render`, validators, update."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml

from mkmultiarch.render.config import validate
from mkmultiarch.render.templates import render
from tests.support.bad_values import BAD_VALUES
from tests.support.git import git, make_template_repo
from tests.support.paths import REPO_ROOT
from tests.support.rendering import CONFIGS

DATA = {"image": "acme/hello", "arches": ["amd64", "arm/v7"], "go_version": "1.19"}


def copy(template: Path, destination: Path, data: dict[str, Any]) -> None:
    copier.run_copy(
        str(template), str(destination), data=data, defaults=True, unsafe=False, quiet=True
    )


def test_copy_scaffolds_a_whole_project(template_repo: Path, tmp_path: Path) -> None:
    copy(template_repo, tmp_path, DATA)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        ".copier-answers.yml",
        ".dockerignore",
        ".gitignore",
        "Dockerfile",
        "Makefile",
        "README.md",
        "go.mod",
        "main.go",
        "mk",
        "multiarch.yaml",
    ]
    assert sorted(p.name for p in (tmp_path / "mk").iterdir()) == [
        "common.mk",
        "engine-docker.mk",
        "engine-podman.mk",
        "guard.mk",
    ]
    answers = yaml.safe_load((tmp_path / ".copier-answers.yml").read_text())
    assert answers["image"] == "acme/hello" and answers["_commit"] == "0.1.0"
    assert "scaffold" not in answers
    assert (tmp_path / "go.mod").read_text() == "module example.com/acme/hello\n\ngo 1.19\n"


def test_copy_renders_the_same_bytes_as_the_cli(template_repo: Path, tmp_path: Path) -> None:
    copy(template_repo, tmp_path, DATA)
    config = validate(yaml.safe_load((tmp_path / "multiarch.yaml").read_text()))
    assert config == validate(DATA)
    for rendered in render(config):
        assert (tmp_path / rendered.path).read_text() == rendered.text, rendered.path


def test_copy_keeps_tags_and_sign_in_multiarch_yaml(template_repo: Path, tmp_path: Path) -> None:
    """The scaffold's multiarch.yaml carries tags and sign, so render --check agrees."""
    data = CONFIGS["signed"]
    copy(template_repo, tmp_path, data)
    config = validate(yaml.safe_load((tmp_path / "multiarch.yaml").read_text()))
    assert config == validate(data)
    assert config.tags == ("version", "minor", "major") and config.sign == "cosign"
    for rendered in render(config):
        assert (tmp_path / rendered.path).read_text() == rendered.text, rendered.path


@pytest.mark.parametrize("name", ["buildx", "podman", "ci-dockerfile", "ci-emulated", "signed"])
def test_copy_writes_the_same_ci_workflows_as_the_cli(
    template_repo: Path, tmp_path: Path, name: str
) -> None:
    data = CONFIGS[name]
    copy(template_repo, tmp_path, data)
    rendered = {f.path: f.text for f in render(validate(data))}
    for path in (".github/workflows/multiarch.yml", ".gitlab-ci.yml"):
        assert (tmp_path / path).read_text() == rendered[path], path


def test_copy_from_a_multiarch_yaml_data_file(template_repo: Path, tmp_path: Path) -> None:
    data_file = REPO_ROOT / "example-project" / "multiarch.yaml"
    destination = tmp_path / "project"
    subprocess.run(
        [
            "copier",
            "copy",
            "--defaults",
            "--quiet",
            "--data-file",
            str(data_file),
            str(template_repo),
            str(destination),
        ],
        check=True,
        capture_output=True,
    )
    names = [
        "Makefile",
        "Dockerfile",
        "mk/common.mk",
        "mk/engine-docker.mk",
        "mk/engine-podman.mk",
        "mk/guard.mk",
    ]
    for name in names:
        expected = (REPO_ROOT / "example-project" / name).read_text()
        assert (destination / name).read_text() == expected


def test_copy_with_the_cli_and_no_trust(template_repo: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            "copier",
            "copy",
            "--defaults",
            "--data",
            "image=team/svc",
            str(template_repo),
            str(tmp_path / "svc"),
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert "IMG ?= team/svc" in (tmp_path / "svc" / "Makefile").read_text()


@pytest.mark.parametrize(("field", "value"), BAD_VALUES)
def test_copier_validators_refuse_what_the_cli_refuses(
    template_repo: Path, tmp_path: Path, field: str, value: Any
) -> None:
    data = {"image": "org/app", field: value}
    if field == "dockerfile":
        data["language"] = "dockerfile"
    if field.startswith(("github_", "gitlab_")):
        data["ci"] = [field.partition("_")[0]]  # asked only for that CI system
    if field == "ci_strategy":
        data["ci"] = ["github"]
    if field == "ci" and len(set(value)) < len(value):
        # As with arches, Copier's multiselect drops the repeat before validating.
        copy(template_repo, tmp_path / "out", data)
        assert (tmp_path / "out" / "Makefile").exists()
        return
    if (
        field == "arches"
        and value
        and len(set(value)) < len(value)
        and set(value) <= {"amd64", "arm64"}
    ):
        # Copier's multiselect drops repeated choices before validating, so the
        # duplicate can never reach the Makefile: check that instead.
        copy(template_repo, tmp_path / "out", data)
        makefile = (tmp_path / "out" / "Makefile").read_text()
        assert "ARCHES ?= amd64 arm64\n" in makefile
        return
    with pytest.raises(Exception) as raised:  # copier raises ValueError subclasses
        copy(template_repo, tmp_path / "out", data)
    assert field in str(raised.value)
    assert not (tmp_path / "out" / "Makefile").exists()


def test_copier_refuses_a_go_module_with_a_trailing_newline(
    template_repo: Path, tmp_path: Path
) -> None:
    """go_module is the scaffold's own question: no multiarch.yaml setting to compare with."""
    with pytest.raises(Exception) as raised:  # copier raises ValueError subclasses
        copy(template_repo, tmp_path / "out", {"image": "org/app", "go_module": "example.com/a\n"})
    assert "go_module" in str(raised.value)
    assert not (tmp_path / "out" / "go.mod").exists()


def test_update_carries_template_changes_and_keeps_team_edits(tmp_path: Path) -> None:
    template = make_template_repo(tmp_path / "template", tag="0.1.0")
    project = tmp_path / "project"
    copy(template, project, DATA)
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "scaffold")

    # The team adds its own target to the generated Makefile.
    makefile = project / "Makefile"
    makefile.write_text(
        makefile.read_text() + "\n.PHONY: team-target\nteam-target:\n\t@echo ours\n"
    )
    git(project, "commit", "-q", "-am", "our own target")

    # The template gains a new comment line in a different place; release 0.2.0.
    template_makefile = template / "templates" / "Makefile.jinja"
    text = template_makefile.read_text()
    template_makefile.write_text(
        text.replace("SHELL := bash\n", "# Template 0.2.0 was here.\nSHELL := bash\n")
    )
    git(template, "commit", "-q", "-am", "template change")
    git(template, "tag", "0.2.0")

    copier.run_update(str(project), defaults=True, overwrite=True, unsafe=False, quiet=True)
    updated = makefile.read_text()
    assert "# Template 0.2.0 was here." in updated
    assert "team-target:\n\t@echo ours" in updated
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "0.2.0"


def test_example_project_matches_a_copier_scaffold_of_its_config(
    template_repo: Path, tmp_path: Path
) -> None:
    """The example's main.go is the scaffold's main.go: one program, two places."""
    data = yaml.safe_load((REPO_ROOT / "example-project" / "multiarch.yaml").read_text())
    copy(template_repo, tmp_path, data)
    example_main = REPO_ROOT / "example-project" / "main.go"
    assert (tmp_path / "main.go").read_text() == example_main.read_text()
    shutil.rmtree(tmp_path)
