"""End-to-end: several images (issue #18) with ``builder: buildx`` and ``sign: cosign``.

A two-image Go project (server, worker) for amd64 and arm64, signed with a cosign key
(no transparency log), published to the local registry two ways:

* the one-call path, ``make VERSION=x docker-push``: every image checked (the release
  gate), then ONE multi-platform ``buildx build --push`` per image and each image's index
  signed. Only the containerd image store lets buildx's docker driver build several
  platforms at once; on the classic store buildx refuses and the test checks that no
  image got anything in the registry (no list, no per-arch tag, no signature);
* the split path: a runner per arch pushes every image's per-arch image
  (``docker-push-arch``, one platform per build: both stores), a merge runner gets their
  ``.digests/`` files and runs ``docker-manifest``. With one image's arm64 digest missing
  it publishes no list for ANY image; with all of them every image's index is made
  from exactly the handed digests and signed.

Every list is read back with the registry API (exactly its platforms), every signature is
checked with ``cosign verify --key`` per image, and every image runs its list's arm64
entry under QEMU.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from tests.support.cosign_e2e import cosign_verify, key_pair, signing_env
from tests.support.multi_e2e import (
    ARCHES,
    NAMES,
    check_every_list,
    check_no_tags,
    check_recorded,
    index_file,
    list_digest,
    make,
    multi_project,
    repo,
    run_every_image,
)

from .conftest import CmdResult, E2EEnv, MakeProject, arch_suffix, platform_string

CONFIG = {"builder": "buildx", "sign": "cosign"}
# What buildx 0.13 says when the docker driver (classic store) gets several platforms.
MULTI_PLATFORM_REFUSAL = "Multi-platform build is not supported for the docker driver"


def check_signed(project: MakeProject, output: str, key: Path) -> None:
    """make said it signed each image's index, and cosign verifies each with the key."""
    for name in NAMES:
        digest = list_digest(project, name, project.version)
        ref = f"{project.registry}/{repo(project, name)}@{digest}"
        assert f"signed {ref}" in output, f"{name}: no signed line"
        verified = cosign_verify(project, ref, key.with_suffix(".pub"))
        assert verified.returncode == 0, verified.tail()
        assert "signatures were verified against the specified public key" in verified.output


# --- 1. the one-call path -----------------------------------------------------------------


@dataclass
class Release:
    project: MakeProject
    key: Path
    pushed: CmdResult


@pytest.fixture(scope="module")
def one_call(
    e2e_env: E2EEnv, tmp_path_factory: pytest.TempPathFactory, local_repos: set[str]
) -> Release:
    root = tmp_path_factory.mktemp("multi-buildx-one")
    project = multi_project(e2e_env, root, local_repos, name="mbx-one", config=CONFIG)
    key = key_pair(root / "keys")
    pushed = make(project, "docker-push", env=signing_env(key), COSIGN_TLOG="0")
    return Release(project, key, pushed)


def test_one_call_publishes_and_signs_every_image(one_call: Release, e2e_env: E2EEnv) -> None:
    project, result = one_call.project, one_call.pushed
    if e2e_env.store == "classic":
        # The first image's multi-platform push is refused before it builds: no image
        # of the release got a list, a per-arch tag or a signature.
        assert result.returncode != 0, result.tail()
        assert MULTI_PLATFORM_REFUSAL in result.output, result.tail()
        check_no_tags(project)
        assert "signed " not in result.output, result.tail()
        for name in NAMES:
            assert not index_file(project, name, project.version).exists(), name
        return
    assert result.returncode == 0, result.tail(80)
    platforms = ",".join(f"linux/{arch}" for arch in ARCHES)
    assert result.output.count(f"--platform {platforms}") == len(NAMES), result.tail()
    # The gate checked every arch of every image before the first push.
    first_push = result.output.index(f"--platform {platforms}")
    for name in NAMES:
        for arch in ARCHES:
            ref = f"{project.registry}/{repo(project, name)}:{arch_suffix(arch)}-{project.version}"
            checked = result.output.find(f"==> checked {ref}: linux/{arch},")
            assert 0 <= checked < first_push, f"{name} {arch} not checked before the push"
    check_every_list(project, project.version)
    check_recorded(project, project.version)
    check_signed(project, result.output, one_call.key)
    run_every_image(project, project.version)


# --- 2. the split path: a runner per arch, then the merge ---------------------------------


@dataclass
class Split:
    merge: MakeProject
    key: Path
    handed: dict[tuple[str, str], str]  # (image, arch) -> the digest its runner recorded
    refused: CmdResult
    listed_after_refusal: list[str]  # list tags in the registry right after the refusal
    merged: CmdResult


def digest_file(project: MakeProject, name: str, arch: str) -> Path:
    return project.path / ".digests" / name / project.version / arch_suffix(arch)


@pytest.fixture(scope="module")
def split(
    e2e_env: E2EEnv, tmp_path_factory: pytest.TempPathFactory, local_repos: set[str]
) -> Split:
    root = tmp_path_factory.mktemp("multi-buildx-split")
    base = multi_project(e2e_env, root / "a", local_repos, name="mbx-split", config=CONFIG)
    key = key_pair(root / "keys")
    env = signing_env(key)
    # Each runner and the merge have their own checkout; only the digest files travel.
    runners = {}
    for arch in ARCHES:
        path = root / arch_suffix(arch) / "project"
        shutil.copytree(base.path, path)
        runners[arch] = replace(base, path=path)
        pushed = make(runners[arch], "docker-push-arch", ARCHES=arch)
        assert pushed.returncode == 0, pushed.tail(60)
    merge = replace(base, path=root / "merge" / "project")
    shutil.copytree(base.path, merge.path)
    handed = {}
    for name in NAMES:
        for arch in ARCHES:
            source = digest_file(runners[arch], name, arch)
            handed[(name, arch)] = source.read_text().strip()
            if (name, arch) != ("worker", "arm64"):
                target = digest_file(merge, name, arch)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(source, target)
    # worker's arm64 digest has not arrived: no image's list may be made.
    refused = make(merge, "docker-manifest", env=env, COSIGN_TLOG="0")
    listed = [
        f"{name}:{tag}"
        for name in NAMES
        for tag in (merge.version, "latest")
        if list_digest(merge, name, tag)
    ]
    late = digest_file(runners["arm64"], "worker", "arm64")
    shutil.copy(late, digest_file(merge, "worker", "arm64"))
    merged = make(merge, "docker-manifest", env=env, COSIGN_TLOG="0")
    return Split(merge, key, handed, refused, listed, merged)


def test_split_merge_with_one_images_digest_missing_publishes_no_list(split: Split) -> None:
    result = split.refused
    assert result.returncode != 0, result.tail()
    assert "/worker/" in result.output and "for: arm64." in result.output, result.tail()
    assert "no list was pushed" in result.output, result.tail()
    assert "imagetools create" not in result.output, result.tail()
    assert "signed " not in result.output, result.tail()
    # server's digests were all there: its list was not made either.
    assert split.listed_after_refusal == [], split.listed_after_refusal


def test_split_merge_publishes_and_signs_every_images_list(split: Split) -> None:
    project, result = split.merge, split.merged
    assert result.returncode == 0, result.tail(80)
    assert "==> building" not in result.output, "the merge runner built something"
    lists = check_every_list(project, project.version)
    for name, index in lists.items():
        for entry in index["manifests"]:
            arch = platform_string(entry["platform"]).removeprefix("linux/")
            assert entry["digest"] == split.handed[(name, arch)], (name, arch)
    check_recorded(project, project.version)
    check_signed(project, result.output, split.key)
    run_every_image(project, project.version)


def test_docker_sign_signs_every_images_recorded_index_again(split: Split) -> None:
    """The top-level docker-sign: each image's run signs the index its digest file names
    (a re-sign after a key rotation, say): another key's signature, verified per image."""
    project = split.merge
    other = key_pair(project.path.parent / "other-keys")
    signed = make(project, "docker-sign", env=signing_env(other), COSIGN_TLOG="0")
    assert signed.returncode == 0, signed.tail(60)
    check_signed(project, signed.output, other)
