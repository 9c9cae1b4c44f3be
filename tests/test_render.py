"""Rendered files: snapshots, linters, and the rules the templates must keep.

Refresh snapshots after an intended template change with
    UPDATE_SNAPSHOTS=1 python -m pytest tests/test_render.py
and review the diff like any other code change.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mkmultiarch.arches import SUPPORTED_ARCHES
from mkmultiarch.render.config import validate
from mkmultiarch.render.templates import ENVOPS, render, render_starter_config
from tests.support.paths import REPO_ROOT
from tests.support.rendering import CONFIGS, render_into

SNAPSHOTS = Path(__file__).parent / "snapshots"


# Snapshots only where the rendered structure differs; every other config is
# checked by targeted assertions below. A path ending in / covers its directory.
SNAPSHOTTED: dict[str, tuple[str, ...]] = {
    "seed": ("Dockerfile", "Makefile", "mk/"),  # engine docker, language go
    "podman": ("Makefile", ".github/", ".gitlab-ci.yml"),  # engine podman, native CI
    "buildx": ("Makefile", "mk/builder-buildx.mk", ".github/", ".gitlab-ci.yml"),
    "dockerfile": ("Makefile",),  # the team's own Dockerfile
    "ci-emulated": (".github/", ".gitlab-ci.yml"),  # the emulated CI strategy
    "ci-dockerfile": (".github/", ".gitlab-ci.yml"),  # native CI that needs QEMU
    # sign: cosign and a tag set: docker-sign, the signing CI steps (both strategies)
    "signed": ("Makefile", "mk/", ".github/", ".gitlab-ci.yml"),
    "signed-emulated": ("Makefile", ".github/", ".gitlab-ci.yml"),
    # several images (issue #18): mk/images.mk, the per-image stages of the Dockerfile
    "multi": ("Dockerfile", "Makefile", "mk/images.mk", "mk/common.mk"),
    # several images with CI: per-runner make goals, one digest per image (both strategies)
    "multi-ci": (".github/", ".gitlab-ci.yml"),
    "multi-ci-dockerfile": (".github/", ".gitlab-ci.yml"),
    "multi-ci-emulated": (".github/", ".gitlab-ci.yml"),
}


def _snapshotted(name: str, path: str) -> bool:
    return any(path == p or (p.endswith("/") and path.startswith(p)) for p in SNAPSHOTTED[name])


@pytest.mark.parametrize("name", sorted(SNAPSHOTTED))
def test_rendered_files_match_snapshots(name: str) -> None:
    rendered = {
        f.path: f.text for f in render(validate(CONFIGS[name])) if _snapshotted(name, f.path)
    }
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


def test_every_snapshotted_path_is_rendered() -> None:
    """A pattern in SNAPSHOTTED that matches nothing would silently snapshot nothing."""
    for name, patterns in SNAPSHOTTED.items():
        paths = [f.path for f in render(validate(CONFIGS[name]))]
        for pattern in patterns:
            assert any(_snapshotted(name, path) and pattern in path for path in paths), (
                name,
                pattern,
            )
    assert not (SNAPSHOTS / "variants").exists()


def test_variants_settings_reach_the_makefile_and_dockerfile() -> None:
    """The variants config has the seed's structure: its values are checked one by one."""
    makefile = rendered_text("variants", "Makefile")
    for line in (
        "IMG ?= team/edge-agent",
        "REGISTRY ?= localhost:5000",
        "VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo 2.3.4)",
        "REVISION ?= abc123",
        "ARCHES ?= amd64 arm/v6 arm/v7 386 riscv64",
        "LATEST ?= 0",
        "GO_IMAGE ?= mirror.example.com/library/golang:1.22",
        "RUNTIME_IMAGE ?= gcr.io/distroless/static:nonroot",
        "SOURCE ?= https://github.com/team/edge-agent",
    ):
        assert f"\n{line}\n" in makefile, line
    dockerfile = rendered_text("variants", "Dockerfile")
    assert "\nARG GO_IMAGE=mirror.example.com/library/golang:1.22\n" in dockerfile
    assert '\nARG ARCHES="amd64 arm/v6 arm/v7 386 riscv64"\n' in dockerfile
    assert ' -o "/out/$goarch$variant/agent" ./cmd/agent \\\n' in dockerfile
    assert "COPY --from=build /out/${TARGETARCH}${TARGETVARIANT}/agent /usr/local/bin/agent\n" in (
        dockerfile
    )
    assert dockerfile.rstrip().endswith('ENTRYPOINT ["/usr/local/bin/agent"]')
    # The structure is the seed's: same files, same lines apart from the values.
    seed = [f.path for f in render(validate(CONFIGS["seed"]))]
    assert [f.path for f in render(validate(CONFIGS["variants"]))] == seed


ENGINE_FILES = ["mk/common.mk", "mk/engine-docker.mk", "mk/engine-podman.mk", "mk/guard.mk"]


def test_render_writes_makefile_and_dockerfile_for_go_only_makefile_for_dockerfile() -> None:
    seed = [f.path for f in render(validate(CONFIGS["seed"]))]
    assert seed == ["Dockerfile", "Makefile", *ENGINE_FILES]
    assert [f.path for f in render(validate(CONFIGS["dockerfile"]))] == ["Makefile", *ENGINE_FILES]


def test_both_engine_files_for_builder_docker_only_buildx_file_for_buildx() -> None:
    """make DOCKER=podman works on a docker project (and DOCKER=docker on a podman one)."""
    for name in ("seed", "podman"):
        paths = [f.path for f in render(validate(CONFIGS[name]))]
        assert [p for p in paths if p.startswith("mk/")] == ENGINE_FILES
    buildx = [f.path for f in render(validate(CONFIGS["buildx"]))]
    assert [p for p in buildx if p.startswith("mk/")] == [
        "mk/builder-buildx.mk",
        "mk/common.mk",
        "mk/guard.mk",
    ]


def rendered_text(name: str, path: str) -> str:
    return next(f.text for f in render(validate(CONFIGS[name])) if f.path == path)


_RENDER_IN_A_FRESH_PROCESS = """
import json, sys
from mkmultiarch.render.config import validate
from mkmultiarch.render.templates import render
config = validate(json.loads(sys.argv[1]))
print(json.dumps([[f.path, f.text] for f in render(config)]))
"""


def test_rendering_is_stable_across_processes() -> None:
    """Output must not depend on hash seeds (set or dict order): re-renders stay quiet."""
    data = json.dumps(CONFIGS["buildx"])
    outputs = [
        subprocess.run(
            [sys.executable, "-c", _RENDER_IN_A_FRESH_PROCESS, data],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    ]
    assert outputs[0] == outputs[1] == outputs[2]
    in_process = [[f.path, f.text] for f in render(validate(CONFIGS["buildx"]))]
    assert json.loads(outputs[0]) == in_process


def test_envops_match_copier_yml() -> None:
    copier_yml = yaml.safe_load((REPO_ROOT / "copier.yml").read_text())
    envops = copier_yml["_envops"]
    assert envops["keep_trailing_newline"] is ENVOPS["keep_trailing_newline"]
    assert envops["undefined"] == "jinja2.StrictUndefined"
    assert ENVOPS["undefined"].__name__ == "StrictUndefined"


def test_makefile_and_copier_list_the_same_arches_as_python() -> None:
    common = rendered_text("seed", "mk/common.mk")
    line = next(x for x in common.splitlines() if x.startswith("override SUPPORTED_ARCHES :="))
    assert line.split(":=")[1].split() == list(SUPPORTED_ARCHES)
    copier_yml = yaml.safe_load((REPO_ROOT / "copier.yml").read_text())
    assert copier_yml["arches"]["choices"] == list(SUPPORTED_ARCHES)


def test_jinja_left_no_markers_and_go_templates_survive() -> None:
    """Recipe tabs are proven by make itself: every config is parsed by `make -n` below."""
    for name in CONFIGS:
        for rendered in render(validate(CONFIGS[name])):
            assert "{%" not in rendered.text and "{#" not in rendered.text
            assert rendered.text.endswith("\n") and not rendered.text.endswith("\n\n")
    # The Go template inside --format must survive Jinja untouched.
    assert "--format '{{.Client.Version}}'" in rendered_text("seed", "mk/engine-docker.mk")


def test_dockerfile_rules() -> None:
    dockerfile = rendered_text("seed", "Dockerfile")
    assert "# syntax=" not in dockerfile  # would pull from Docker Hub at build time
    assert "FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build" in dockerfile
    build, _, final = dockerfile.partition("\nFROM ${RUNTIME_IMAGE}\n")
    assert final, "the final stage is FROM ${RUNTIME_IMAGE}"
    # The compile stage never reads the target platform: every per-arch build shares it.
    assert "TARGET" not in build.split(" AS build\n", 1)[1]
    for name in ("TARGETARCH", "TARGETVARIANT"):
        assert f"\nARG {name}\n" in final  # bare: a default would override BuildKit
    # The arches come from ARCHES and --platform alone: no GOOS/GOARCH/GOARM build args.
    for name in ("GOOS", "GOARCH", "GOARM"):
        assert f"ARG {name}" not in dockerfile
    assert 'GOOS=linux GOARCH="$goarch" GOARM="$goarm"' in build
    assert "COPY --from=build /out/${TARGETARCH}${TARGETVARIANT}/somethingsoon " in final
    assert "FROM " not in final
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


def make_files(rendered: dict[str, str]) -> list[str]:
    """The rendered Make files: the Makefile and everything in mk/."""
    return sorted(p for p in rendered if p == "Makefile" or p.endswith(".mk"))


def engines(name: str) -> list[str]:
    """The DOCKER values that pick each engine file this config renders."""
    return (
        ["docker", "podman"] if CONFIGS[name].get("builder", "docker") == "docker" else ["docker"]
    )


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_makefile_checker_passes(name: str, tmp_path: Path) -> None:
    """mbake validates the Makefile with every mk/ file it includes, once per engine."""
    render_into(tmp_path, CONFIGS[name])
    for docker in engines(name):
        result = subprocess.run(
            ["mbake", "validate", str(tmp_path / "Makefile")],
            capture_output=True,
            text=True,
            env={**os.environ, "DOCKER": docker},
        )
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_every_rendered_mk_file_is_included(name: str, tmp_path: Path) -> None:
    """Each mk/ file is read by some engine's run, so the checks here cover all of them."""
    rendered = render_into(tmp_path, CONFIGS[name])
    read: set[str] = set()
    for docker in engines(name):
        database = subprocess.run(
            ["make", "-pn", f"DOCKER={docker}", "help"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        line = next(x for x in database.splitlines() if x.startswith("MAKEFILE_LIST := "))
        read.update(os.path.normpath(p) for p in line.split(":= ")[1].split())
    assert read == set(make_files(rendered))


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_no_make_line_is_longer_than_120_columns(name: str) -> None:
    rendered = {f.path: f.text for f in render(validate(CONFIGS[name]))}
    for path in make_files(rendered):
        for number, line in enumerate(rendered[path].splitlines(), 1):
            width = len(line.expandtabs(8))
            assert width <= 120, f"{name}/{path}:{number} is {width} columns: {line}"


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_main_makefile_is_settings_and_targets_then_machinery(name: str) -> None:
    """Short enough to read in one sitting; the includes come after the marker, but for
    mk/guard.mk, which must run before any setting is read (it refuses a `$` from outside)."""
    rendered = {f.path: f.text for f in render(validate(CONFIGS[name]))}
    lines = rendered["Makefile"].splitlines()
    assert len(lines) < 200
    marker = next(i for i, x in enumerate(lines) if x.startswith("# Machinery below"))
    assert "should not need editing" in lines[marker]
    first_setting = next(i for i, x in enumerate(lines) if x.startswith("# @VAR "))
    includes = {x: i for i, x in enumerate(lines) if x.startswith("include ")}
    guard = includes.pop("include $(MK_DIR)mk/guard.mk")
    assert guard < first_setting
    # And mk/images.mk (several images), right after it: each image's defaults come first.
    images = includes.pop("include $(MK_DIR)mk/images.mk", None)
    assert (images is not None) == ("images" in CONFIGS[name])
    assert images is None or guard < images < first_setting
    assert includes and min(includes.values()) > marker
    assert "ifeq" not in rendered["Makefile"]
    for path in make_files(rendered):
        if path != "Makefile":
            # Each mk/ file opens by naming itself and what it provides.
            assert rendered[path].startswith(f"# {path}: "), path


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_shellcheck_passes_on_every_recipe(name: str, tmp_path: Path) -> None:
    """`make -n` prints each recipe as the shell will run it; shellcheck reads that.

    Every public target, once per engine file, so each mk/ file's recipes are checked."""
    render_into(tmp_path, CONFIGS[name])
    goals = [
        "clean",
        "docker-build",
        "docker-push-arch",
        "docker-multiarch",
        "docker-push",
        "docker-manifest",
        "docker-verify",
        "docker-audit",
        "registry-login",
        "help",
        "version",
    ]
    for docker in engines(name):
        dry_run = subprocess.run(
            ["make", "-n", f"DOCKER={docker}", "VERSION=1.0.0", "INSECURE=1", *goals],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        )
        script = tmp_path / f"recipes-{docker}.sh"
        script.write_text("#!/usr/bin/env bash\nset -euo pipefail\n" + dry_run.stdout)
        result = subprocess.run(
            ["shellcheck", "--shell=bash", str(script)], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout
