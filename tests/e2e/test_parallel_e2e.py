"""End-to-end: ``make -j4`` per-arch builds, and assembling a list from the registry.

One version is built twice into two repositories: first with ``make -j4`` and the per-arch
push targets (no layer is cached for this new version, so every arch really is compiled and
linked, in parallel), then serially with ``docker-push-arch``. The BuildKit cache makes the
second build reuse the first one's layers, so both must push the very same per-arch
digests. ``docker-manifest`` then assembles a list from what is in the registry, and
refuses when an arch is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from .conftest import (
    CmdResult,
    E2EEnv,
    MakeProject,
    arch_suffix,
    check_list,
    copy_example,
    new_project,
    platform_string,
    registry_manifest_digest,
    registry_tag_exists,
)

pytestmark = pytest.mark.docker

ARCHES = ("amd64", "arm64", "arm/v7", "riscv64")


@dataclass
class ParallelBuilds:
    """The -j4 and the serial build of one version, each in its own repository."""

    parallel: MakeProject
    serial: MakeProject
    parallel_result: CmdResult
    serial_result: CmdResult


def arch_digests(project: MakeProject) -> dict[str, str | None]:
    """Registry digest of each per-arch tag of PROJECT."""
    return {
        arch: registry_manifest_digest(
            project.registry, project.img, f"{arch_suffix(arch)}-{project.version}"
        )
        for arch in project.arches
    }


@pytest.fixture(scope="module")
def builds(
    e2e_env: E2EEnv, tmp_path_factory: pytest.TempPathFactory, local_repos: set[str]
) -> ParallelBuilds:
    """``make -j4 clean docker-push-<arch>...`` then ``make clean docker-push-arch``."""
    root = tmp_path_factory.mktemp("parallel")
    source = copy_example(root / "project")
    parallel = new_project(
        e2e_env, source, root / "docker-config", local_repos, name="par", arches=ARCHES
    )
    serial = new_project(
        e2e_env, source, root / "docker-config", local_repos, name="ser", arches=ARCHES
    )
    serial.version = parallel.version  # the same VERSION: the same binaries
    push_targets = [f"docker-push-{arch_suffix(arch)}" for arch in ARCHES]
    parallel_result = parallel.make("clean", *push_targets, jobs=4)
    if parallel_result.returncode != 0:
        pytest.fail(f"make -j4 failed:\n{parallel_result.tail(60)}", pytrace=False)
    serial_result = serial.make("clean", "docker-push-arch")
    if serial_result.returncode != 0:
        pytest.fail(f"serial make failed:\n{serial_result.tail(60)}", pytrace=False)
    return ParallelBuilds(parallel, serial, parallel_result, serial_result)


def test_j4_builds_in_parallel(builds: ParallelBuilds) -> None:
    """All four builds start before the first one finishes."""
    out = builds.parallel_result.output
    starts = [m.start() for m in re.finditer(r"^==> building ", out, re.MULTILINE)]
    # BuildKit writes the step's time before "done" when it took long enough to show.
    first_done = re.search(r"naming to \S+ (\d+\.\ds )?done", out)
    assert len(starts) == len(ARCHES), builds.parallel_result.tail()
    assert first_done and max(starts) < first_done.start(), (
        "builds ran one after another:\n" + builds.parallel_result.tail(80)
    )


def test_j4_and_serial_push_the_same_digests(builds: ParallelBuilds) -> None:
    """Per arch, the -j4 image and the serial (cached) rebuild have the same digest."""
    parallel, serial = arch_digests(builds.parallel), arch_digests(builds.serial)
    assert all(parallel.values()), parallel
    timing = (
        f"-j4 {builds.parallel_result.seconds:.1f}s, serial {builds.serial_result.seconds:.1f}s"
    )
    assert parallel == serial, f"digests differ ({timing}):\n{parallel}\n{serial}"
    print(f"\nper-arch builds of {len(ARCHES)} arches: {timing}")


def test_docker_manifest_assembles_from_registry(builds: ParallelBuilds) -> None:
    """``make docker-manifest`` builds the list(s) from per-arch images already pushed."""
    project = builds.serial
    result = project.make("docker-manifest")
    assert result.returncode == 0, result.tail()
    assert "docker build" not in result.output and "==> building" not in result.output
    by_platform = {f"linux/{arch}": digest for arch, digest in arch_digests(project).items()}
    for tag in project.list_tags:
        index = check_list(project.registry, project.img, tag, ARCHES)
        for entry in index["manifests"]:
            assert entry["digest"] == by_platform[platform_string(entry["platform"])], entry


def test_docker_manifest_refuses_missing_arch(builds: ParallelBuilds) -> None:
    """With an arch never pushed, ``docker-manifest`` names it and pushes no list."""
    project = builds.parallel
    arches = " ".join((*ARCHES, "s390x"))
    result = project.make("docker-manifest", ARCHES=arches)
    assert result.returncode != 0, result.tail()
    missing = project.arch_ref("s390x")
    assert f"not in the registry: {missing}." in result.output, result.tail()
    for tag in project.list_tags:
        assert not registry_tag_exists(project.registry, project.img, tag), tag
