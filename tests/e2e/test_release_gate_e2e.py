"""End-to-end: a Dockerfile that compiles on the build host without the target arch.

Such a Dockerfile builds, and every arch's image gets an x86-64 binary in its slot. render
warns when it reads it; the Makefile's docker-check, with the engine and coreutils alone
(mkmultiarch is not on PATH), stops the release before any list is pushed: on the
docker manifest path (docker-push), on the merge of split runners (docker-manifest, from
per-arch images another runner pushed without the gate), and on the buildx path.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from .conftest import (
    PLAIN_PATH,
    E2EEnv,
    MakeProject,
    arch_suffix,
    new_project,
    registry_tag_exists,
    run_cmd,
)

pytestmark = pytest.mark.docker

ARCHES = ("amd64", "arm64", "arm/v7")

# Pinned to the build host, and no TARGETARCH: `go build` compiles for the host.
HOST_ONLY_DOCKERFILE = """\
ARG GO_IMAGE=golang:1.23
FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build
WORKDIR /src
COPY go.mod main.go ./
RUN CGO_ENABLED=0 go build -o /out/liar .
FROM scratch
COPY --from=build /out/liar /usr/local/bin/liar
ENTRYPOINT ["/usr/local/bin/liar"]
"""

MAIN_GO = 'package main\n\nfunc main() { println("liar") }\n'

CONFIG = """\
image: e2e/liar
language: dockerfile
builder: {builder}
arches: [{arches}]
extra_build_args: GO_IMAGE={go_image}
"""


def liar_project(
    e2e: E2EEnv, root: Path, local_repos: set[str], builder: str = "docker"
) -> MakeProject:
    """The host-only Dockerfile, rendered (render must warn about it), as a MakeProject
    that passes no GO_IMAGE (the config's extra_build_args carries the mirror)."""
    root.mkdir()
    (root / "go.mod").write_text("module example.com/liar\n\ngo 1.19\n")
    (root / "main.go").write_text(MAIN_GO)
    (root / "Dockerfile").write_text(HOST_ONLY_DOCKERFILE)
    config = CONFIG.format(builder=builder, arches=", ".join(ARCHES), go_image=e2e.go_image)
    (root / "multiarch.yaml").write_text(config)
    render = run_cmd(
        [sys.executable, "-m", "mkmultiarch", "render"], env=dict(os.environ), cwd=root
    )
    assert render.returncode == 0, render.tail()
    assert "warning: Dockerfile:2: stage build runs on the build host" in render.output
    project = new_project(
        e2e,
        root,
        root.parent / f"{root.name}-docker-config",
        local_repos,
        name="liar",
        arches=ARCHES,
        pass_arches=False,
    )
    return project


def assert_stopped_before_any_list(project: MakeProject, output: str) -> None:
    """The gate named arm64's x86-64 binary, and neither list tag exists."""
    assert "/usr/local/bin/liar is built for x86-64 (64-bit, little-endian), not aarch64" in output
    assert "No list was pushed." in output
    for tag in (project.version, "latest"):
        assert not registry_tag_exists(project.registry, project.img, tag), tag


def test_docker_push_stops_a_host_only_build_without_mkmultiarch(
    e2e_env: E2EEnv, tmp_path: Path, local_repos: set[str]
) -> None:
    project = liar_project(e2e_env, tmp_path / "liar", local_repos)
    result = project.make(
        "clean", "docker-build", "docker-push", unset=("GO_IMAGE",), env={"PATH": PLAIN_PATH}
    )
    assert result.returncode != 0, result.tail()
    assert "==> checked " in result.output  # amd64 passed: its binary is x86-64
    assert_stopped_before_any_list(project, result.output)


def test_docker_manifest_checks_what_other_runners_pushed(
    e2e_env: E2EEnv, tmp_path: Path, local_repos: set[str]
) -> None:
    """A runner without the gate pushed the per-arch images; the merge pulls and checks them."""
    project = liar_project(e2e_env, tmp_path / "liar", local_repos)
    built = project.make("docker-build", unset=("GO_IMAGE",))
    assert built.returncode == 0, built.tail()
    for arch in ARCHES:
        pushed = project.docker("push", project.arch_ref(arch))
        assert pushed.returncode == 0, pushed.tail()
        assert registry_tag_exists(
            project.registry, project.img, f"{arch_suffix(arch)}-{project.version}"
        )
    merged = project.make("docker-manifest", unset=("GO_IMAGE",), env={"PATH": PLAIN_PATH})
    assert merged.returncode != 0, merged.tail()
    assert_stopped_before_any_list(project, merged.output)


def test_buildx_push_stops_a_host_only_build(
    e2e_env: E2EEnv, tmp_path: Path, local_repos: set[str]
) -> None:
    project = liar_project(e2e_env, tmp_path / "liar", local_repos, builder="buildx")
    result = project.make("docker-push", unset=("GO_IMAGE",), env={"PATH": PLAIN_PATH})
    assert result.returncode != 0, result.tail()
    assert (
        "--platform linux/amd64,linux/arm64,linux/arm/v7"
        not in result.output.split("No list was pushed.")[0]
    ), "the multi-platform push ran before the gate"
    assert_stopped_before_any_list(project, result.output)
