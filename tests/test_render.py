"""Rendered files: snapshots, linters, and the rules the templates must keep.

Refresh snapshots after an intended template change with
    UPDATE_SNAPSHOTS=1 python -m pytest tests/test_render.py
and review the diff like any other code change.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from mkmultiarch.arches import SUPPORTED_ARCHES
from mkmultiarch.render.config import validate
from mkmultiarch.render.templates import ENVOPS, render, render_starter_config
from tests.support.paths import REPO_ROOT
from tests.support.rendering import CONFIGS, render_into

SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_rendered_files_match_snapshots(name: str) -> None:
    rendered = {f.path: f.text for f in render(validate(CONFIGS[name]))}
    directory = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        shutil.rmtree(directory, ignore_errors=True)
        for path, text in rendered.items():
            (directory / path).parent.mkdir(parents=True, exist_ok=True)
            (directory / path).write_text(text, encoding="utf-8")
    expected = {
        p.relative_to(directory).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }
    assert sorted(rendered) == sorted(expected)
    for path, text in rendered.items():
        assert text == expected[path], f"{name}/{path} differs; see the module docstring"


def test_render_writes_makefile_and_dockerfile_for_go_only_makefile_for_dockerfile() -> None:
    assert [f.path for f in render(validate(CONFIGS["seed"]))] == ["Dockerfile", "Makefile"]
    assert [f.path for f in render(validate(CONFIGS["dockerfile"]))] == ["Makefile"]


def test_rendering_is_stable() -> None:
    config = validate(CONFIGS["variants"])
    assert render(config) == render(config)


def test_envops_match_copier_yml() -> None:
    copier_yml = yaml.safe_load((REPO_ROOT / "copier.yml").read_text())
    envops = copier_yml["_envops"]
    assert envops["keep_trailing_newline"] is ENVOPS["keep_trailing_newline"]
    assert envops["undefined"] == "jinja2.StrictUndefined"
    assert ENVOPS["undefined"].__name__ == "StrictUndefined"


def test_makefile_and_copier_list_the_same_arches_as_python() -> None:
    makefile = render(validate(CONFIGS["seed"]))[1].text
    line = next(x for x in makefile.splitlines() if x.startswith("SUPPORTED_ARCHES :="))
    assert line.split(":=")[1].split() == list(SUPPORTED_ARCHES)
    copier_yml = yaml.safe_load((REPO_ROOT / "copier.yml").read_text())
    assert copier_yml["arches"]["choices"] == list(SUPPORTED_ARCHES)


def test_makefile_recipes_keep_their_tabs_and_jinja_left_no_markers() -> None:
    for name in CONFIGS:
        for rendered in render(validate(CONFIGS[name])):
            assert "{%" not in rendered.text and "{#" not in rendered.text
            assert rendered.text.endswith("\n") and not rendered.text.endswith("\n\n")
    makefile = render(validate(CONFIGS["seed"]))[1].text
    # The Go template inside --format must survive Jinja untouched.
    assert "--format '{{.Client.Version}}'" in makefile
    recipe_lines = [x for x in makefile.splitlines() if x.startswith(("docker", "\tdocker"))]
    assert recipe_lines, "expected docker commands in recipes"


def test_dockerfile_rules() -> None:
    dockerfile = render(validate(CONFIGS["seed"]))[0].text
    assert "# syntax=" not in dockerfile  # would pull from Docker Hub at build time
    assert "FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build" in dockerfile
    for name in ("TARGETOS", "TARGETARCH", "TARGETVARIANT"):
        assert f"\nARG {name}\n" in dockerfile  # bare: a default would override BuildKit
    final_from = [x for x in dockerfile.splitlines() if x.startswith("FROM ")][-1]
    assert final_from == "FROM ${RUNTIME_IMAGE}"
    assert 'ENTRYPOINT ["/usr/local/bin/somethingsoon"]' in dockerfile


def test_starter_config_round_trips() -> None:
    config = validate(CONFIGS["variants"])
    text = render_starter_config(config)
    assert validate(yaml.safe_load(text)) == config


GO_CONFIGS = sorted(name for name, data in CONFIGS.items() if data.get("language", "go") == "go")


@pytest.mark.parametrize("name", GO_CONFIGS)
def test_hadolint_passes(name: str, tmp_path: Path) -> None:
    render_into(tmp_path, CONFIGS[name])
    result = subprocess.run(
        ["hadolint", str(tmp_path / "Dockerfile")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_makefile_checker_passes(name: str, tmp_path: Path) -> None:
    render_into(tmp_path, CONFIGS[name])
    result = subprocess.run(
        ["mbake", "validate", str(tmp_path / "Makefile")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_shellcheck_passes_on_every_recipe(name: str, tmp_path: Path) -> None:
    """`make -n` prints each recipe as the shell will run it; shellcheck reads that."""
    render_into(tmp_path, CONFIGS[name])
    goals = ["clean", "docker-build", "docker-push", "docker-manifest", "help", "version"]
    dry_run = subprocess.run(
        ["make", "-n", "VERSION=1.0.0", "INSECURE=1", *goals],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    script = tmp_path / "recipes.sh"
    script.write_text("#!/usr/bin/env bash\nset -euo pipefail\n" + dry_run.stdout)
    result = subprocess.run(
        ["shellcheck", "--shell=bash", str(script)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout
