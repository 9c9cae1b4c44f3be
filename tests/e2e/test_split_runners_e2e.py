"""End-to-end: split runners. Each "runner" builds and pushes only its own arches, a third
assembles the list from the registry, with nothing shared between them but the registry.

The three runners are separate make invocations, each with its own DOCKER_CONFIG (so its
own login and its own local manifest store), against the registry that needs a login.
Each builder runner removes its local images (``make clean``) before the merge, so the merge
can only use what is in the registry. The result is checked with the registry API,
``mkmultiarch verify`` (reading the merge runner's credentials) and by running every arch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from .conftest import (
    CmdResult,
    E2EEnv,
    MakeProject,
    arch_suffix,
    check_list,
    check_runs,
    copy_example,
    new_project,
    platform_string,
    registry_login,
    registry_manifest_digest,
    registry_tag_exists,
    verify_lists,
)

RUNNER_A = ("amd64", "arm/v7")
RUNNER_B = ("arm64", "riscv64")
ALL_ARCHES = RUNNER_A + RUNNER_B
BINARY = "hello"


@dataclass
class Split:
    """The three runners of one release, and what the merge printed."""

    runner_a: MakeProject
    runner_b: MakeProject
    merge: MakeProject
    refused_early: CmdResult
    merged: CmdResult


@pytest.fixture(scope="module")
def split(
    e2e_env: E2EEnv, tmp_path_factory: pytest.TempPathFactory, local_repos: set[str]
) -> Split:
    root = tmp_path_factory.mktemp("split")
    source = copy_example(root / "checkout")
    base = new_project(
        e2e_env,
        source,
        root / "config-a",
        local_repos,
        name="split",
        arches=RUNNER_A,
        registry=e2e_env.auth_registry,
    )
    runner_a = base
    runner_b = replace(base, docker_config=root / "config-b", arches=RUNNER_B)
    merge = replace(base, docker_config=root / "config-merge", arches=ALL_ARCHES)
    for runner in (runner_b, merge):
        runner.docker_config.mkdir()

    registry_login(runner_a, e2e_env)
    pushed_a = runner_a.make("clean", "docker-push-arch")
    assert pushed_a.returncode == 0, pushed_a.tail(60)

    # The merge job must not run ahead of a runner: it names what is missing.
    registry_login(merge, e2e_env)
    refused_early = merge.make("docker-manifest")

    registry_login(runner_b, e2e_env)
    pushed_b = runner_b.make("clean", "docker-push-arch")
    assert pushed_b.returncode == 0, pushed_b.tail(60)

    # Nothing local survives on the builder runners: the merge reads the registry only.
    for runner in (runner_a, runner_b):
        cleaned = runner.make("clean")
        assert cleaned.returncode == 0, cleaned.tail()
    merged = merge.make("docker-manifest")
    return Split(runner_a, runner_b, merge, refused_early, merged)


def test_each_runner_pushed_only_its_own_arches(split: Split, e2e_env: E2EEnv) -> None:
    project = split.merge
    for runner in (split.runner_a, split.runner_b):
        for arch in ALL_ARCHES:
            tag = f"{arch_suffix(arch)}-{project.version}"
            present = registry_tag_exists(project.registry, project.img, tag, auth=e2e_env.auth)
            assert present, f"{tag} is not in the registry"
        other = [a for a in ALL_ARCHES if a not in runner.arches]
        pushed = runner.make("-n", "docker-push-arch").output
        assert all(runner.arch_ref(arch) not in pushed for arch in other), pushed


def test_merge_refuses_until_every_arch_is_pushed(split: Split, e2e_env: E2EEnv) -> None:
    result = split.refused_early
    assert result.returncode != 0, result.tail()
    missing = " ".join(split.merge.arch_ref(arch) for arch in RUNNER_B)
    assert f"not in the registry: {missing}." in result.output, result.tail()
    # ...and the early refusal pushed no list (the lists checked below came later).
    assert "manifest create" not in result.output, result.tail()


def test_merge_publishes_a_list_of_the_runners_images(split: Split, e2e_env: E2EEnv) -> None:
    project = split.merge
    assert split.merged.returncode == 0, split.merged.tail(60)
    assert "==> building" not in split.merged.output, "the merge job built something"
    by_platform = {
        f"linux/{arch}": registry_manifest_digest(
            project.registry,
            project.img,
            f"{arch_suffix(arch)}-{project.version}",
            auth=e2e_env.auth,
        )
        for arch in ALL_ARCHES
    }
    for tag in project.list_tags:
        index = check_list(project.registry, project.img, tag, ALL_ARCHES, auth=e2e_env.auth)
        for entry in index["manifests"]:
            assert entry["digest"] == by_platform[platform_string(entry["platform"])], entry


def test_mkmultiarch_verify_is_green_with_the_merge_runners_login(
    split: Split, e2e_env: E2EEnv
) -> None:
    project = split.merge
    for result in verify_lists(project, ALL_ARCHES):
        # The credentials came from the merge runner's own DOCKER_CONFIG.
        assert "basic auth" in result.output, result.tail()
        assert str(project.docker_config) in result.output, result.tail()


def test_every_arch_of_the_merged_list_runs(split: Split, e2e_env: E2EEnv) -> None:
    check_runs(split.merge, BINARY, ALL_ARCHES, auth=e2e_env.auth)
