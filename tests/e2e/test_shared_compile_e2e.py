"""End-to-end: the one compile step every arch shares never serves an arch another's binary.

The generated Dockerfile compiles every arch of ARCHES in one step on the build platform,
and each per-arch build (``--platform``) reuses that step from the BuildKit cache. That is
only safe if the step's cache key holds everything that decides a binary: ARCHES, the
source, VERSION. One project and one VERSION are built locally (``make docker-build``)
several times with different ARCHES and sources, and every image's binary is read back
(ELF machine, GOARM from the Go build info) and run under QEMU. arm/v6 and arm/v7 share
GOARCH=arm, so they are built side by side and told apart by GOARM.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mkmultiarch.arches import Arch
from mkmultiarch.inspect.elf import identify

from .conftest import (
    CmdResult,
    E2EEnv,
    MakeProject,
    compile_runs,
    copy_example,
    expected_version_line,
    new_project,
)

pytestmark = pytest.mark.docker

BINARY = "hello"
# A source file only arm64 compiles: it changes the arm64 binary and no other.
ARM64_ONLY = 'package main\n\nfunc init() { version += "+arm64" }\n'


@pytest.fixture(scope="module")
def project(
    e2e_env: E2EEnv, tmp_path_factory: pytest.TempPathFactory, local_repos: set[str]
) -> MakeProject:
    """A copy of example-project with a unique IMG and VERSION (so nothing is cached yet)."""
    root = tmp_path_factory.mktemp("shared-compile")
    source = copy_example(root / "project")
    return new_project(
        e2e_env, source, root / "docker-config", local_repos, name="shared", arches=()
    )


def build(project: MakeProject, arches: tuple[str, ...]) -> CmdResult:
    """``make docker-build`` of ARCHES (serially), which must succeed."""
    result = project.make("docker-build", ARCHES=" ".join(arches))
    assert result.returncode == 0, result.tail(60)
    return result


def compiles(result: CmdResult) -> int:
    """How many times RESULT's build ran the `go build` step (BuildKit serves the rest)."""
    builds, runs = compile_runs(result.output)
    assert builds, f"no compile step in:\n{result.tail(60)}"
    return runs


def binary_of(project: MakeProject, arch: str, tmp: Path) -> bytes:
    """The binary in the local per-arch image of ARCH, copied out of a created container."""
    created = project.docker(
        "create", "--platform", f"linux/{arch}", project.arch_ref(arch), merge_stderr=False
    )
    assert created.returncode == 0, created.tail()
    container = created.stdout.strip()
    target = tmp / f"{Arch.parse(arch).tag_suffix}-{BINARY}"
    try:
        copied = project.docker("cp", f"{container}:/usr/local/bin/{BINARY}", str(target))
        assert copied.returncode == 0, copied.tail()
    finally:
        project.docker("rm", container)
    return target.read_bytes()


def check_images(project: MakeProject, arches: tuple[str, ...], tmp: Path, suffix: str) -> None:
    """Each arch's image holds a binary for exactly that arch (ELF machine, GOARM) which,
    run under QEMU, prints that arch and VERSION+SUFFIX."""
    for arch in arches:
        parsed = Arch.parse(arch)
        found = identify(binary_of(project, arch, tmp))
        assert (found.header.goarch, found.variant or "") == (parsed.goarch, parsed.variant), (
            f"{project.arch_ref(arch)} holds {found.describe()}"
        )
        ran = project.docker(
            "run", "--rm", "--platform", f"linux/{arch}", project.arch_ref(arch), "--version"
        )
        assert ran.returncode == 0, ran.tail()
        line = expected_version_line(BINARY, project.version, arch)
        expected = line.replace(project.version, project.version + suffix, 1)
        assert ran.stdout.strip().splitlines()[-1] == expected, ran.tail()


def test_one_compile_serves_every_arch(project: MakeProject, tmp_path: Path) -> None:
    """A serial build compiles once for every arch (one bake, or the first arch's build)."""
    arches = ("amd64", "arm64")
    assert compiles(build(project, arches)) == 1
    check_images(project, arches, tmp_path, "")


def test_other_arches_compile_again(project: MakeProject, tmp_path: Path) -> None:
    """Another ARCHES, same source and VERSION: compiled anew, and arm/v6 (GOARM=6) and
    arm/v7 (GOARM=7), one GOARCH, each get their own binary."""
    arches = ("arm/v6", "arm/v7", "arm64")
    assert compiles(build(project, arches)) == 1
    check_images(project, arches, tmp_path, "")


def test_one_arch_source_change_reaches_that_arch_only(
    project: MakeProject, tmp_path: Path
) -> None:
    """With the first ARCHES again, a file only arm64 compiles changes arm64's binary and
    leaves amd64's as it was; removing the file brings back the first build, from the cache."""
    arches = ("amd64", "arm64")
    extra = project.path / "only_arm64.go"
    extra.write_text("//go:build arm64\n\n" + ARM64_ONLY)
    try:
        assert compiles(build(project, arches)) == 1
        check_images(project, ("amd64",), tmp_path, "")
        check_images(project, ("arm64",), tmp_path, "+arm64")
    finally:
        extra.unlink()
    assert compiles(build(project, arches)) == 0
    check_images(project, arches, tmp_path, "")
