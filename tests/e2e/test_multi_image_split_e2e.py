"""End-to-end: split runners for several images (issue #18), every make run with -j4.

A two-image Go project (server, worker) for amd64 and arm64 with the default builder
(``docker manifest``). Each runner pushes its arch of the images it is given
(``make -j4 docker-push-arch ARCHES=...``: the images and their builds in parallel), then
a merge run (its own DOCKER_CONFIG, so its own manifest store) makes the lists from the
registry alone (``make -j4 docker-manifest``):

* while worker's arm64 image is missing the merge refuses, naming it, and publishes no
  list for ANY image (server's per-arch images were all there: every image or none);
* once it is pushed, every image's list is made from exactly its per-arch images, each
  image's ``.digests/NAME/VERSION/index`` records its own list's digest, and every image
  runs its list's arm64 entry under QEMU.

Both image stores: the per-arch pushes build one platform each.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from tests.support.multi_e2e import (
    NAMES,
    check_every_list,
    check_recorded,
    list_digest,
    make,
    multi_project,
    repo,
    run_every_image,
)

from .conftest import CmdResult, E2EEnv, MakeProject, arch_suffix, platform_string

JOBS = 4


@dataclass
class Split:
    merge: MakeProject
    pushed: list[CmdResult]  # each runner's docker-push-arch, in order
    refused: CmdResult
    listed_after_refusal: list[str]  # list tags in the registry right after the refusal
    merged: CmdResult


def push_arch(runner: MakeProject, arch: str, images: str) -> CmdResult:
    result = make(runner, "docker-push-arch", jobs=JOBS, ARCHES=arch, IMAGES=images)
    assert result.returncode == 0, result.tail(60)
    return result


@pytest.fixture(scope="module")
def split(
    e2e_env: E2EEnv, tmp_path_factory: pytest.TempPathFactory, local_repos: set[str]
) -> Split:
    root = tmp_path_factory.mktemp("multi-split")
    runner = multi_project(e2e_env, root, local_repos, name="msplit")
    merge = replace(runner, docker_config=root / "merge-docker-config")
    merge.docker_config.mkdir()
    pushed = [push_arch(runner, "amd64", "server worker"), push_arch(runner, "arm64", "server")]
    # The merge reads the registry only: nothing of this version is left locally.
    cleaned = make(runner, "clean", jobs=JOBS)
    assert cleaned.returncode == 0, cleaned.tail()
    refused = make(merge, "docker-manifest", jobs=JOBS)
    listed = [
        f"{name}:{tag}"
        for name in NAMES
        for tag in (merge.version, "latest")
        if list_digest(merge, name, tag)
    ]
    pushed.append(push_arch(runner, "arm64", "worker"))
    cleaned = make(runner, "clean", jobs=JOBS)
    assert cleaned.returncode == 0, cleaned.tail()
    merged = make(merge, "docker-manifest", jobs=JOBS)
    return Split(merge, pushed, refused, listed, merged)


def test_runners_push_each_images_arch_in_parallel(split: Split) -> None:
    """Each run pushed its arch of exactly the images it was given."""
    project = split.merge
    given = [("amd64", NAMES), ("arm64", ("server",)), ("arm64", ("worker",))]
    for result, (arch, names) in zip(split.pushed, given, strict=True):
        for name in NAMES:
            ref = f"{project.registry}/{repo(project, name)}:{arch_suffix(arch)}-{project.version}"
            assert (f"==> checked {ref}: linux/{arch}," in result.output) == (name in names), (
                name,
                arch,
                result.tail(),
            )


def test_merge_with_one_images_arch_missing_publishes_no_list(split: Split) -> None:
    result = split.refused
    assert result.returncode != 0, result.tail()
    worker_arm64 = f"{split.merge.registry}/{repo(split.merge, 'worker')}:arm64-"
    assert f"not in the registry: {worker_arm64}{split.merge.version}." in result.output
    assert "manifest create" not in result.output, result.tail()
    # server's per-arch images were all there: its list was not made either.
    assert split.listed_after_refusal == [], split.listed_after_refusal


def test_merge_publishes_every_images_list_from_its_per_arch_images(split: Split) -> None:
    project, result = split.merge, split.merged
    assert result.returncode == 0, result.tail(80)
    assert "==> building" not in result.output, "the merge built something"
    for name, index in check_every_list(project, project.version).items():
        for entry in index["manifests"]:
            arch = platform_string(entry["platform"]).removeprefix("linux/")
            tagged = list_digest(project, name, f"{arch_suffix(arch)}-{project.version}")
            assert entry["digest"] == tagged, (name, arch)
    # -j4 ran both images' merges at once; each recorded its own list's digest.
    check_recorded(project, project.version)
    for name in NAMES:
        digest = list_digest(project, name, project.version)
        line = f"pushed {project.registry}/{repo(project, name)}:{project.version}@{digest}"
        assert line in result.output, result.tail()
    run_every_image(project, project.version)


def test_docker_verify_checks_every_images_list(split: Split) -> None:
    """make docker-verify: each image's run verifies its own list (mkmultiarch verify)."""
    result = make(split.merge, "docker-verify", jobs=JOBS)
    assert result.returncode == 0, result.tail(60)
    project = split.merge
    for name in NAMES:
        for tag in (project.version, "latest"):
            ref = f"{project.registry}/{repo(project, name)}:{tag}"
            assert f"OK: {ref} is a manifest list of 2 platform(s)" in result.output, ref
