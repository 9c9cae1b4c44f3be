"""End-to-end: projects generated from scratch, then built with the seed command line.

- a project scaffolded by ``copier copy`` from a tagged git copy of the template;
- a project with its own Dockerfile (``language: dockerfile``) whose Makefile comes from
  ``mkmultiarch render``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from .conftest import (
    E2EEnv,
    check_list,
    check_runs,
    new_project,
    run_cmd,
)

pytestmark = pytest.mark.docker

SEED_TARGETS = ("clean", "docker-build", "docker-push")


def test_seed_line_on_copier_scaffold(
    e2e_env: E2EEnv, template_repo: Path, tmp_path: Path, local_repos: set[str]
) -> None:
    """``copier copy`` a new project (three arches, Go 1.19), then the seed line publishes
    a list of exactly those arches, each of which runs."""
    arches = ("amd64", "arm64", "arm/v7")
    dest = tmp_path / "scaffold"
    copy = run_cmd(
        [
            sys.executable,
            "-m",
            "copier",
            "copy",
            "--defaults",
            "--vcs-ref",
            "HEAD",
            "--data",
            "image=e2e/scaffold",
            "--data",
            "go_version=1.19",
            "--data",
            f"arches=[{', '.join(arches)}]",
            str(template_repo),
            str(dest),
        ],
        env=dict(os.environ),
        timeout=120,
    )
    assert copy.returncode == 0, copy.tail()
    for name in ("Makefile", "Dockerfile", "main.go", "go.mod", "multiarch.yaml", "mk/common.mk"):
        assert (dest / name).is_file(), f"copier did not write {name}"
    assert "ARCHES ?= amd64 arm64 arm/v7" in (dest / "Makefile").read_text()

    project = new_project(
        e2e_env,
        dest,
        tmp_path / "docker-config",
        local_repos,
        name="scaffold",
        arches=arches,
        pass_arches=False,  # the scaffold's own ARCHES
    )
    result = project.make(*SEED_TARGETS)
    assert result.returncode == 0, result.tail()
    for tag in project.list_tags:
        check_list(project.registry, project.img, tag, arches)
    check_runs(project, "scaffold", arches)


# A project of its own: a Go program that says what it was built for, and a Dockerfile
# that cross-compiles it for the TARGETOS/TARGETARCH/TARGETVARIANT that BuildKit sets from
# the --platform the Makefile passes (the Makefile passes no GOARCH build args).
DF_MAIN_GO = """\
package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

var version = "dev"

func main() {
	p := runtime.GOOS + "/" + runtime.GOARCH
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "GOARM" && s.Value != "" {
				p += " GOARM=" + s.Value
			}
		}
	}
	fmt.Printf("dfhello %s %s\\n", version, p)
}
"""

DF_DOCKERFILE = """\
# The mirror comes from multiarch.yaml's extra_build_args: the default is out of reach.
ARG GO_IMAGE=golang:1.23
FROM --platform=$BUILDPLATFORM ${{GO_IMAGE}} AS build
WORKDIR /src
COPY go.mod main.go ./
ARG TARGETOS
ARG TARGETARCH
ARG TARGETVARIANT
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS="$TARGETOS" GOARCH="$TARGETARCH" GOARM="${{TARGETVARIANT#v}}" \\
       go build -trimpath -ldflags "-X main.version=$VERSION" -o /out/dfhello .

FROM scratch
COPY --from=build /out/dfhello /usr/local/bin/dfhello
ENTRYPOINT ["/usr/local/bin/dfhello"]
"""

DF_CONFIG = """\
image: e2e/dfhello
registry: docker.io
version: "0.0.1"
arches: [{arches}]
language: dockerfile
dockerfile: Dockerfile
extra_build_args: GO_IMAGE={go_image}
"""


def test_language_dockerfile_project(
    e2e_env: E2EEnv, tmp_path: Path, local_repos: set[str]
) -> None:
    """``mkmultiarch render`` writes only the Makefile next to the project's own Dockerfile;
    the seed line then publishes a list of the configured arches, each of which runs."""
    arches = ("amd64", "arm64", "arm/v7")
    root = tmp_path / "dfproject"
    root.mkdir()
    (root / "go.mod").write_text("module example.com/dfhello\n\ngo 1.19\n")
    (root / "main.go").write_text(DF_MAIN_GO)
    dockerfile = DF_DOCKERFILE.format()  # {{ }} in it are braces for the shell
    (root / "Dockerfile").write_text(dockerfile)
    config = DF_CONFIG.format(arches=", ".join(arches), go_image=e2e_env.go_image)
    (root / "multiarch.yaml").write_text(config)

    render = run_cmd(
        [sys.executable, "-m", "mkmultiarch", "render"],
        env=dict(os.environ),
        cwd=root,
        timeout=60,
    )
    assert render.returncode == 0, render.tail()
    assert "warning" not in render.output, "the Dockerfile cross-compiles"
    assert (root / "Dockerfile").read_text() == dockerfile, "render touched the own Dockerfile"
    makefile = (root / "Makefile").read_text()
    assert "ARCHES ?= amd64 arm64 arm/v7" in makefile
    assert "GO_IMAGE ?=" not in makefile and "--build-arg GO_IMAGE" not in makefile

    project = new_project(
        e2e_env,
        root,
        tmp_path / "docker-config",
        local_repos,
        name="dockerfile",
        arches=arches,
        pass_arches=False,
    )
    # make GO_IMAGE=... is refused here: the custom build arg is the way in.
    refused = project.make("docker-build")
    assert refused.returncode != 0
    assert 'pass it to your Dockerfile as EXTRA_BUILD_ARGS="GO_IMAGE=..."' in refused.output
    result = project.make(*SEED_TARGETS, unset=("GO_IMAGE",))
    assert result.returncode == 0, result.tail()
    # The team's own build arg reaches the build: docker build's --build-arg, or the bake's
    # --set '*.args.NAME=value' (the docker engine builds every changed arch in one bake).
    passed = (f"--build-arg GO_IMAGE={e2e_env.go_image} ", f"*.args.GO_IMAGE={e2e_env.go_image}'")
    assert any(form in result.output for form in passed), result.tail()
    for arch, found in (("amd64", "x86-64"), ("arm64", "aarch64"), ("arm/v7", "arm GOARM=7")):
        line = f"==> checked {project.arch_ref(arch)}: linux/{arch}, /usr/local/bin/dfhello is"
        assert f"{line} {found}\n" in result.output, result.tail()
    for tag in project.list_tags:
        check_list(project.registry, project.img, tag, arches)
    check_runs(project, "dfhello", arches)
