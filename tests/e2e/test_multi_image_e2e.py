"""End-to-end: several images from one config (issue #18) on the local registry.

A three-image Go project (server, worker, cli: three main packages) for four arches is
rendered from one multiarch.yaml with `images:` and published with the seed command line
under make -j. Every image's list is read back (exactly its platforms), the release gate's
ELF check is seen for every image and arch, and every image runs under QEMU on every arch
(pulled from its list), printing its own binary's name. Then IMAGES=worker publishes only
worker's list, and a compile error in one image publishes no list at all (the one compile
step builds every binary: a release is every image or none).
"""

from __future__ import annotations

import pytest

from mkmultiarch.arches import Arch
from tests.support.multi_e2e import write_go_sources
from tests.support.rendering import render_into

from .conftest import (
    CmdResult,
    E2EEnv,
    MakeProject,
    check_list,
    compile_runs,
    expected_version_line,
    new_project,
    registry_tag_exists,
    run_version,
    unique_name,
)

pytestmark = pytest.mark.docker

ARCHES = ("amd64", "arm64", "arm/v7", "riscv64")
NAMES = ("server", "worker", "cli")
MACHINES = {"amd64": "x86-64", "arm64": "aarch64", "arm/v7": "arm", "riscv64": "riscv64"}


@pytest.fixture(scope="module")
def project(
    e2e_env: E2EEnv, tmp_path_factory: pytest.TempPathFactory, local_repos: set[str]
) -> MakeProject:
    root = tmp_path_factory.mktemp("multi-image")
    path = root / "project"
    path.mkdir()
    write_go_sources(path, NAMES)
    base = new_project(
        e2e_env, path, root / "docker-config", local_repos, name="multi", arches=ARCHES
    )
    base.pass_arches = False  # each image's own arches, from multiarch.yaml
    images = [{"name": name, "image": f"{base.img}-{name}"} for name in NAMES]
    render_into(
        path,
        {"registry": e2e_env.registry, "arches": list(ARCHES), "images": images},
    )
    for name in NAMES:
        local_repos.add(f"{base.registry}/{base.img}-{name}")
    return base


def _make(project: MakeProject, *targets: str, **variables: str) -> CmdResult:
    """make -j4 with the seed line's settings but IMG (each image has its own)."""
    return project.make(*targets, jobs=4, unset=("IMG",), overrides=variables)


def _repo(project: MakeProject, name: str) -> str:
    return f"{project.img}-{name}"


def _published(project: MakeProject, name: str, version: str) -> bool:
    return registry_tag_exists(project.registry, _repo(project, name), version)


def test_seed_line_publishes_every_images_list(project: MakeProject) -> None:
    result = _make(project, "clean", "docker-build", "docker-push")
    assert result.returncode == 0, result.tail(80)
    for name in NAMES:
        repo = _repo(project, name)
        for tag in (project.version, "latest"):
            check_list(project.registry, repo, tag, ARCHES)
        for arch in ARCHES:
            ref = f"{project.registry}/{repo}:{Arch.parse(arch).tag_suffix}-{project.version}"
            gate = f"==> checked {ref}: linux/{arch}, /usr/local/bin/{name} is {MACHINES[arch]}"
            assert gate in result.output, f"no release-gate line: {gate}\n{result.tail(20)}"
            expected = expected_version_line(name, project.version, arch)
            list_ref = f"{project.registry}/{repo}:{project.version}"
            run_version(project, list_ref, arch, expected)
            project.docker("image", "rm", list_ref)


def test_images_selects_one_list(project: MakeProject) -> None:
    version = unique_name("v")
    result = _make(project, "docker-push", IMAGES="worker", VERSION=version)
    assert result.returncode == 0, result.tail(60)
    check_list(project.registry, _repo(project, "worker"), version, ARCHES)
    assert not _published(project, "server", version)
    assert not _published(project, "cli", version)


def test_a_compile_error_in_one_image_publishes_no_list(project: MakeProject) -> None:
    version = unique_name("v")
    source = project.path / "cmd" / "cli" / "main.go"
    good = source.read_text()
    source.write_text(good + "\nfunc broken() { undefinedName() }\n")
    try:
        result = _make(project, "docker-push", VERSION=version)
    finally:
        source.write_text(good)
    assert result.returncode != 0, result.tail(40)
    assert "undefinedName" in result.output, result.tail(40)
    for name in NAMES:
        assert not _published(project, name, version), f"{name}:{version} was published"
        assert not _published(project, name, f"{Arch.parse('amd64').tag_suffix}-{version}")


def test_one_compile_step_serves_every_image_and_arch(project: MakeProject) -> None:
    """A new VERSION (an input of the compile step), built serially: each image's run builds
    its arches in one bake (three images, 4 + 4 + 4 arches: three bakes), and of the three
    exactly one runs the `go build` step, the others reuse it."""
    version = unique_name("v")
    result = project.make("docker-build", unset=("IMG",), overrides={"VERSION": version})
    assert result.returncode == 0, result.tail(60)
    assert result.output.count("==> building ") == 4 + 4 + 4
    builds, ran = compile_runs(result.output)
    assert builds == 3, result.tail(60)
    assert ran == 1, f"the compile step ran {ran} times"
