"""End-to-end: the Makefile rendered with ``builder: buildx``, against a real engine.

What runs is the example project's Go app, re-rendered with ``builder: buildx``:

* the one-call path, ``make docker-push``: ONE ``docker buildx build --platform a,b,...
  --push``. Only the containerd image store lets buildx's ``docker`` driver (the only one
  here: no Docker Hub, so no moby/buildkit image) build several platforms at once; on the
  classic store the test checks buildx's refusal, and that no list reached the registry;
* the split path: two runners, each with its own DOCKER_CONFIG and login, push their arches
  (``make docker-push-arch``: one platform per build, tagged IMAGE:<arch>-VERSION, so the
  docker driver does it on both stores) and record each digest, a third
  gets only their ``.digests/<version>/`` files and runs ``make docker-manifest``
  (``docker buildx imagetools create``) against the registry that needs a login;
* attestations left on (``BUILDX_NO_DEFAULT_ATTESTATIONS=0``): the index stays flat and
  ``mkmultiarch verify`` counts only the real platforms;
* zstd layers pushed for real, then read back by ``mkmultiarch verify``.

Each pushed list is read back with the registry API, checked by ``mkmultiarch verify`` and
run under QEMU for every arch.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.rendering import render_into

from .conftest import (
    EXAMPLE_PROJECT,
    CmdResult,
    E2EEnv,
    MakeProject,
    arch_suffix,
    check_list,
    check_runs,
    copy_example,
    new_project,
    platform_string,
    registry_get_blob,
    registry_get_manifest,
    registry_login,
    registry_manifest_digest,
    registry_tag_exists,
    registry_tags,
    run_cmd,
    verify_lists,
)

ARCHES = ("amd64", "arm64", "arm/v7", "s390x")
PAIR = ("amd64", "arm64")
RUNNER_A = ("amd64", "arm/v7")
RUNNER_B = ("arm64", "s390x")
BINARY = "hello"
ZSTD_LAYER = "application/vnd.oci.image.layer.v1.tar+zstd"
GZIP_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
# What buildx 0.13 says when the docker driver (classic store) gets several platforms.
MULTI_PLATFORM_REFUSAL = "Multi-platform build is not supported for the docker driver"


def buildx_project(
    e2e: E2EEnv,
    root: Path,
    local_repos: set[str],
    *,
    name: str,
    arches: tuple[str, ...] = ARCHES,
    registry: str | None = None,
    config_dir: str = "docker-config",
) -> MakeProject:
    """The example project (sources and Dockerfile) re-rendered with ``builder: buildx``."""
    project = new_project(
        e2e,
        copy_example(root / "project"),
        root / config_dir,
        local_repos,
        name=name,
        arches=arches,
        registry=registry,
    )
    config = yaml.safe_load((EXAMPLE_PROJECT / "multiarch.yaml").read_text())
    render_into(project.path, {**config, "builder": "buildx"})
    assert (project.path / "mk" / "builder-buildx.mk").is_file()
    return project


def check_configs(project: MakeProject, index: dict[str, Any], *, auth: Any = None) -> None:
    """Each platform entry is a plain image whose config names that entry's platform."""
    for entry in index["manifests"]:
        platform = platform_string(entry.get("platform") or {})
        if platform == "unknown/unknown":
            continue
        manifest, _ = registry_get_manifest(
            project.registry, project.img, entry["digest"], auth=auth
        )
        assert "config" in manifest, f"{platform} entry is not an image: {manifest}"
        digest = manifest["config"]["digest"]
        config = json.loads(registry_get_blob(project.registry, project.img, digest, auth=auth))
        configured = platform_string(
            {
                "os": config.get("os"),
                "architecture": config.get("architecture"),
                "variant": config.get("variant"),
            }
        )
        assert configured == platform, f"entry {platform} has a {configured} config"


def verify(project: MakeProject, ref: str, arches: tuple[str, ...], *extra: str) -> CmdResult:
    """``mkmultiarch verify --insecure --arch=...`` with the project's environment."""
    args = [sys.executable, "-m", "mkmultiarch", "verify", "--insecure", *extra]
    args += [f"--arch={arch}" for arch in arches]
    return run_cmd([*args, ref], env=project.env)


# --- 1. the one-call path: make docker-push -------------------------------------------


@dataclass
class OneCall:
    project: MakeProject
    pushed: CmdResult


@pytest.fixture(scope="module")
def one_call(
    e2e_env: E2EEnv, tmp_path_factory: pytest.TempPathFactory, local_repos: set[str]
) -> OneCall:
    project = buildx_project(
        e2e_env, tmp_path_factory.mktemp("buildx-one-call"), local_repos, name="buildx-one"
    )
    return OneCall(project, project.make("docker-push"))


def test_one_call_push_is_a_single_multi_platform_build(one_call: OneCall) -> None:
    """The push really is one buildx call for every platform (on either store), after the
    release gate built each arch into the local store and checked it."""
    output = one_call.pushed.output
    platforms = ",".join(f"linux/{arch}" for arch in ARCHES)
    assert output.count(f"--platform {platforms}") == 1, one_call.pushed.tail()
    gate, _, push = output.partition(f"--platform {platforms}")
    assert "buildx build" not in push, one_call.pushed.tail()
    assert gate.count("buildx build") == 1 + len(ARCHES), one_call.pushed.tail()
    for arch in ARCHES:
        assert f"==> checked {one_call.project.arch_ref(arch)}: linux/{arch}," in gate


def test_one_call_push_publishes_a_verified_list(one_call: OneCall, e2e_env: E2EEnv) -> None:
    project, result = one_call.project, one_call.pushed
    if e2e_env.store == "classic":
        # The docker driver on the classic store builds one platform at a time: buildx
        # refuses before building, and nothing reaches the registry.
        assert result.returncode != 0, result.tail()
        assert MULTI_PLATFORM_REFUSAL in result.output, result.tail()
        assert registry_tags(project.registry, project.img) == [], "a failed push left tags"
        return
    assert result.returncode == 0, result.tail(60)
    for tag in project.list_tags:
        index = check_list(project.registry, project.img, tag, ARCHES)
        check_configs(project, index)
    verify_lists(project, ARCHES)
    # The Makefile's own check (mkmultiarch verify, found on PATH).
    verified = project.make("docker-verify")
    assert verified.returncode == 0, verified.tail(60)
    check_runs(project, BINARY, ARCHES)


# --- 2. the split path: docker-push-arch on two runners, docker-manifest on a third ----


@dataclass
class Split:
    runner_a: MakeProject
    runner_b: MakeProject
    merge: MakeProject
    push_arch: CmdResult
    refused: CmdResult
    merged: CmdResult


def digests_dir(runner: MakeProject) -> Path:
    return runner.path / ".digests" / runner.version


@pytest.fixture(scope="module")
def split(
    e2e_env: E2EEnv, tmp_path_factory: pytest.TempPathFactory, local_repos: set[str]
) -> Split:
    root = tmp_path_factory.mktemp("buildx-split")
    runner_a = buildx_project(
        e2e_env,
        root / "a",
        local_repos,
        name="buildx-split",
        arches=RUNNER_A,
        registry=e2e_env.auth_registry,
    )
    # Each runner has its own checkout and DOCKER_CONFIG; only the digests travel.
    runners = {"a": runner_a}
    for key, arches in (("b", RUNNER_B), ("merge", ARCHES)):
        path = root / key / "project"
        shutil.copytree(runner_a.path, path)
        config = root / key / "docker-config"
        config.mkdir(parents=True)
        runners[key] = replace(runner_a, path=path, docker_config=config, arches=arches)
    for runner in runners.values():
        registry_login(runner, e2e_env)
    push_arch = runner_a.make("docker-push-arch")
    assert push_arch.returncode == 0, push_arch.tail(60)
    pushed_b = runners["b"].make("docker-push-arch")
    assert pushed_b.returncode == 0, pushed_b.tail(60)
    merge_digests = digests_dir(runners["merge"])
    merge_digests.mkdir(parents=True)
    # First only runner A's digests: the merge must refuse, naming runner B's arches.
    for arch in RUNNER_A:
        shutil.copy(digests_dir(runner_a) / arch_suffix(arch), merge_digests)
    refused = runners["merge"].make("docker-manifest")
    for arch in RUNNER_B:
        shutil.copy(digests_dir(runners["b"]) / arch_suffix(arch), merge_digests)
    merged = runners["merge"].make("docker-manifest")
    return Split(runner_a, runners["b"], runners["merge"], push_arch, refused, merged)


def test_split_push_arch_pushes_each_arch_and_hands_on_its_digest(
    split: Split, e2e_env: E2EEnv
) -> None:
    """docker-push-arch on buildx's default (docker) driver, either store: each arch is pushed
    as IMAGE:<arch>-VERSION and its digest written to .digests/VERSION/<arch>."""
    result, runner = split.push_arch, split.runner_a
    assert result.returncode == 0, result.tail(60)
    for arch in runner.arches:
        digest = (digests_dir(runner) / arch_suffix(arch)).read_text().strip()
        assert f"==> pushed {runner.image}@{digest} for linux/{arch}" in result.output
        tagged = registry_manifest_digest(
            runner.registry, runner.img, f"{arch_suffix(arch)}-{runner.version}", auth=e2e_env.auth
        )
        assert tagged == digest, (arch, tagged, digest)


def test_split_merge_refuses_a_missing_digest(split: Split, e2e_env: E2EEnv) -> None:
    result = split.refused
    assert result.returncode != 0, result.tail()
    missing = " ".join(arch_suffix(arch) for arch in RUNNER_B)
    assert f"for: {missing}." in result.output, result.tail()
    assert "no list was pushed" in result.output, result.tail()
    assert "imagetools create" not in result.output, result.tail()


def test_split_merge_publishes_a_verified_list(split: Split, e2e_env: E2EEnv) -> None:
    """imagetools create reaches the plain-HTTP registry with a login (127.0.0.1:5001)."""
    project = split.merge
    assert split.merged.returncode == 0, split.merged.tail(60)
    assert "buildx imagetools create" in split.merged.output, split.merged.tail()
    for tag in project.list_tags:
        index = check_list(project.registry, project.img, tag, ARCHES, auth=e2e_env.auth)
        check_configs(project, index, auth=e2e_env.auth)
        for entry in index["manifests"]:
            arch = platform_string(entry["platform"]).removeprefix("linux/")
            runner = split.runner_a if arch in RUNNER_A else split.runner_b
            handed = (digests_dir(runner) / arch_suffix(arch)).read_text().strip()
            assert entry["digest"] == handed, (arch, entry["digest"], handed)
    for result in verify_lists(project, ARCHES):
        assert "basic auth" in result.output, result.tail()
    check_runs(project, BINARY, ARCHES, auth=e2e_env.auth)


# --- 3. attestations left on ------------------------------------------------------------


def test_attestations_kept_give_a_flat_index_verify_accepts(
    e2e_env: E2EEnv, tmp_path_factory: pytest.TempPathFactory, local_repos: set[str]
) -> None:
    project = buildx_project(
        e2e_env, tmp_path_factory.mktemp("buildx-attest"), local_repos, name="buildx-attest"
    )
    # The Makefile sets BUILDX_NO_DEFAULT_ATTESTATIONS ?= 1: the environment wins.
    result = project.make("docker-push", env={"BUILDX_NO_DEFAULT_ATTESTATIONS": "0"})
    if e2e_env.store == "classic":
        assert result.returncode != 0, result.tail()
        assert MULTI_PLATFORM_REFUSAL in result.output, result.tail()
        return
    assert result.returncode == 0, result.tail(60)
    index, _ = registry_get_manifest(project.registry, project.img, project.version)
    platforms = [platform_string(entry.get("platform") or {}) for entry in index["manifests"]]
    assert "unknown/unknown" in platforms, f"no attestation entries: {platforms}"
    for entry in index["manifests"]:
        nested = registry_get_manifest(project.registry, project.img, entry["digest"])[0]
        assert "manifests" not in nested, f"{entry['digest']} is itself an index"
    check_list_without_attestations(platforms)
    check_configs(project, index)

    ref = project.list_ref()
    table = verify(project, ref, ARCHES)
    assert table.returncode == 0, table.tail(60)
    assert f"with {len(ARCHES)} platform(s) + " in table.output, table.tail()
    # unknown/unknown rows are shown as attestations, never checked as a platform.
    for line in table.output.splitlines():
        if line.startswith("unknown/unknown"):
            assert line.rstrip().endswith("attestation, not a platform"), line
    assert "unknown/unknown config" not in table.output, table.tail()
    report = verify(project, ref, ARCHES, "--json")
    assert report.returncode == 0, report.tail(60)
    data = json.loads(report.stdout)
    assert sorted(data["present"]) == sorted(f"linux/{arch}" for arch in ARCHES), data["present"]
    assert "unknown/unknown" not in data["present"] + data["expected"] + data["unexpected"]
    assert data["attestations"] == platforms.count("unknown/unknown") >= 1, data["attestations"]
    for entry in data["entries"]:
        if entry["platform"] == "unknown/unknown":
            assert entry["kind"] == "attestation", entry


def check_list_without_attestations(platforms: list[str]) -> None:
    real = sorted(p for p in platforms if p != "unknown/unknown")
    assert real == sorted(f"linux/{arch}" for arch in ARCHES), platforms


# --- 4. zstd layers ---------------------------------------------------------------------


def zstd_push(project: MakeProject, ref: str, platforms: tuple[str, ...]) -> CmdResult:
    """``docker buildx build`` of the example straight to the registry with zstd layers."""
    output = ",".join(
        [
            "type=image",
            f"name={ref}",
            "push=true",
            "compression=zstd",
            "force-compression=true",
            "oci-mediatypes=true",
            "registry.insecure=true",
        ]
    )
    args = ["buildx", "build", "--platform", ",".join(f"linux/{p}" for p in platforms)]
    args += ["--build-arg", f"GO_IMAGE={project.e2e.go_image}", "--output", output, "."]
    # Plain images: no attestation entries, so a single platform stays a single image.
    return run_cmd(
        [project.e2e.docker, *args],
        env={**project.env, "BUILDX_NO_DEFAULT_ATTESTATIONS": "1"},
        cwd=project.path,
    )


def layer_types(project: MakeProject, digest: str) -> list[str]:
    manifest, _ = registry_get_manifest(project.registry, project.img, digest)
    return [layer["mediaType"] for layer in manifest["layers"]]


def test_zstd_layers_are_pushed_and_verify_reads_them(
    e2e_env: E2EEnv, tmp_path_factory: pytest.TempPathFactory, local_repos: set[str]
) -> None:
    project = buildx_project(
        e2e_env, tmp_path_factory.mktemp("buildx-zstd"), local_repos, name="buildx-zstd"
    )
    # One platform (both stores): a single image; verify reads its ELF but wants a list.
    single = f"{project.image}:single"
    pushed = zstd_push(project, single, ("arm64",))
    assert pushed.returncode == 0, pushed.tail(60)
    types = layer_types(project, "single")
    if e2e_env.store == "classic":
        # The classic store's image exporter ignores compression=zstd and writes gzip: zstd
        # needs the containerd image store (or a docker-container builder).
        assert types and set(types) == {GZIP_LAYER}, types
        return
    assert types and set(types) == {ZSTD_LAYER}, types
    result = verify(project, single, ("arm64",))
    assert result.returncode == 1, result.tail(60)
    assert "not a manifest list: a single-arch image for linux/arm64" in result.output
    assert "ELF 64-bit LSB AArch64" in result.output, result.tail()
    assert "FAILED: 1 problem(s)" in result.output, result.tail()

    # Two platforms: a list of zstd images verify passes.
    pair = ("amd64", "arm64")
    listed = f"{project.image}:pair"
    pushed = zstd_push(project, listed, pair)
    assert pushed.returncode == 0, pushed.tail(60)
    index = check_list(project.registry, project.img, "pair", pair)
    for entry in index["manifests"]:
        types = layer_types(project, entry["digest"])
        assert types and set(types) == {ZSTD_LAYER}, (entry["platform"], types)
    result = verify(project, listed, pair)
    assert result.returncode == 0, result.tail(60)
    assert "ELF 64-bit LSB x86-64" in result.output, result.tail()
    assert "ELF 64-bit LSB AArch64" in result.output, result.tail()
    assert registry_tag_exists(project.registry, project.img, "pair")


def test_per_arch_build_skips_what_did_not_change(
    e2e_env: E2EEnv, tmp_path: Path, local_repos: set[str]
) -> None:
    """buildx's per-arch docker-build (--load) keeps the docker builder's stamps: again,
    nothing builds; a source change builds every arch (the one-call targets always run)."""
    project = buildx_project(e2e_env, tmp_path, local_repos, name="bxstamp", arches=PAIR)
    first = project.make("docker-build")
    assert first.returncode == 0, first.tail(40)
    assert first.output.count("==> building ") == len(PAIR), first.tail()
    again = project.make("docker-build")
    assert again.returncode == 0, again.tail()
    assert "==> building" not in again.output, again.tail()
    assert again.output.count("==> up to date: ") == len(PAIR), again.tail()
    main = project.path / "main.go"
    main.write_text(main.read_text() + "\n// changed\n")
    changed = project.make("docker-build")
    assert changed.returncode == 0, changed.tail()
    assert changed.output.count("==> building ") == len(PAIR), changed.tail()
