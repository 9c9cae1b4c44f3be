"""A team's own build args (extra_build_args / make EXTRA_BUILD_ARGS), and the Makefile's
own ones, which nothing from outside can drop or replace (`make -n` plans)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.support.makeplan import make, plan
from tests.support.rendering import CONFIGS, render_into

BUILDERS = ["seed", "buildx", "dockerfile", "podman"]


def project(tmp_path: Path, name: str, **extra: Any) -> Path:
    render_into(tmp_path, {**CONFIGS[name], **extra})
    return tmp_path


def builds(root: Path, *args: str) -> list[str]:
    commands = plan(root, "VERSION=1", "ARCHES=arm64", "docker-build", *args)
    return [c for c in commands if re.match(r"(docker|podman) (buildx )?build ", c)]


@pytest.mark.parametrize("name", BUILDERS)
def test_config_and_command_line_args_reach_every_build(tmp_path: Path, name: str) -> None:
    root = project(tmp_path, name, extra_build_args="HTTP_PROXY=http://proxy:3128 FLAVOUR=slim")
    (build,) = builds(root)
    assert "--build-arg HTTP_PROXY=http://proxy:3128 --build-arg FLAVOUR=slim " in build
    (build,) = builds(root, "EXTRA_BUILD_ARGS=FLAVOUR=full")
    assert "--build-arg FLAVOUR=full " in build and "HTTP_PROXY" not in build
    # The Makefile's own arguments stay, whatever is added.
    for own in (
        "--build-arg VERSION=1 ",
        "--build-arg REVISION=",
        "--build-arg SOURCE=",
        "--file ",
    ):
        assert own in build, own


@pytest.mark.parametrize(
    "value",
    [
        "TARGETARCH=amd64",
        "BUILDPLATFORM=linux/amd64",
        "VERSION=2",
        "A=1;id",
        "A=`id`",
        "A=1\nB=2",
        "-A=1",
        "A",
        "A=*",
    ],
)
def test_a_bad_or_reserved_build_arg_is_refused_before_anything_runs(
    tmp_path: Path, value: str
) -> None:
    root = project(tmp_path, "seed")
    result = make(root, "VERSION=1", f"EXTRA_BUILD_ARGS={value}", "docker-build")
    assert result.returncode == 2
    assert "make: EXTRA_BUILD_ARGS=" in result.stderr
    assert "is not allowed" in result.stderr
    assert "building" not in result.stdout


def test_go_settings_are_refused_as_build_args_only_with_the_generated_dockerfile(
    tmp_path: Path,
) -> None:
    go = project(tmp_path / "go", "seed")
    result = make(go, "VERSION=1", "EXTRA_BUILD_ARGS=GO_IMAGE=x", "docker-build")
    assert result.returncode == 2 and "GO_IMAGE" in result.stderr
    own = project(tmp_path / "own", "dockerfile")
    (build,) = builds(own, "EXTRA_BUILD_ARGS=GO_IMAGE=mirror/golang:1.23")
    assert "--build-arg GO_IMAGE=mirror/golang:1.23 " in build


@pytest.mark.parametrize("name", ["GO_IMAGE", "RUNTIME_IMAGE"])
def test_a_go_setting_on_a_dockerfile_project_is_refused_not_ignored(
    tmp_path: Path, name: str
) -> None:
    root = project(tmp_path, "dockerfile")
    result = make(root, "-n", "VERSION=1", f"{name}=mirror/x:1", "docker-build")
    assert result.returncode == 2
    assert f'pass it to your Dockerfile as EXTRA_BUILD_ARGS="{name}=..."' in result.stderr
    # From the environment it is not this Makefile's business (CI may set it for others).
    assert make(root, "-n", "VERSION=1", "docker-build", env={name: "x"}).returncode == 0


DOCKER_BUILDER = [name for name, data in CONFIGS.items() if data.get("builder") != "buildx"]


@pytest.mark.parametrize("name", DOCKER_BUILDER)
def test_the_bake_builds_what_build_arch_builds(tmp_path: Path, name: str) -> None:
    """The Makefile's two build recipes stay in step: the docker engine's one bake of every
    changed arch (build_arches) passes each arch exactly the platform, build args, Dockerfile,
    tag and context that build_arch passes it one by one (podman's path, and a client
    without buildx). Read from `make -n` with each client, the bake as the builds it stands
    for (tests/support/makeplan.py)."""
    root = project(tmp_path, name)
    data = CONFIGS[name]
    goals = ["docker-build-" + data["images"][0]["name"]] if "images" in data else ["docker-build"]
    settings = ["VERSION=1.0", "ARCHES=amd64 arm/v7", "EXTRA_BUILD_ARGS=FLAVOUR=full LIST=a,b"]

    def builds(client: str) -> list[str]:
        commands = plan(root, f"DOCKER={client}", *settings, *goals)
        found = [c.replace(f"{client} build ", "build ", 1) for c in commands]
        return [c for c in found if c.startswith("build ")]

    baked, one_by_one = builds("docker"), builds("podman")
    assert len(baked) == 2, baked  # amd64 and arm/v7
    assert baked == one_by_one
