"""A multi-image Go project for the end-to-end tests (issue #18), and its checks.

Shared by the multi-image e2e modules (buildx, podman, split runners, signing) so each
renders the same kind of project and checks every image the same way: every image's list
read back with exactly its platforms, and every image run under QEMU from its list.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.conftest import (
    CmdResult,
    E2EEnv,
    MakeProject,
    check_list,
    expected_version_line,
    new_project,
    registry_manifest_digest,
    registry_tags,
    run_version,
)
from tests.support.paths import EXAMPLE_PROJECT
from tests.support.rendering import render_into

NAMES = ("server", "worker")
ARCHES = ("amd64", "arm64")
FOREIGN = "arm64"  # run under QEMU on the amd64 hosts these tests run on


def write_go_sources(root: Path, names: tuple[str, ...] = NAMES) -> None:
    """go.mod and cmd/NAME/main.go: the example's program, printing NAME instead of hello."""
    (root / "go.mod").write_text("module example.com/multi\n\ngo 1.23\n")
    program = (EXAMPLE_PROJECT / "main.go").read_text()
    assert 'fmt.Sprintf("hello %s %s"' in program
    for name in names:
        directory = root / "cmd" / name
        directory.mkdir(parents=True)
        (directory / "main.go").write_text(program.replace('"hello %s %s"', f'"{name} %s %s"'))


def multi_project(
    e2e: E2EEnv,
    root: Path,
    local_repos: set[str],
    *,
    name: str,
    config: dict[str, Any] | None = None,
    names: tuple[str, ...] = NAMES,
    arches: tuple[str, ...] = ARCHES,
) -> MakeProject:
    """ROOT/project rendered with images NAMES (repositories IMG-NAME) for ARCHES, plus
    CONFIG's settings. make runs it without IMG and ARCHES (each image has its own)."""
    path = root / "project"
    path.mkdir(parents=True)
    write_go_sources(path, names)
    project = new_project(e2e, path, root / "docker-config", local_repos, name=name, arches=arches)
    project.pass_arches = False
    images = [{"name": image, "image": f"{project.img}-{image}"} for image in names]
    data = {"registry": e2e.registry, "arches": list(arches), "images": images}
    render_into(path, {**data, **(config or {})})
    for image in names:
        local_repos.add(f"{project.image}-{image}")
    return project


def repo(project: MakeProject, name: str) -> str:
    """Image NAME's repository path (without the registry)."""
    return f"{project.img}-{name}"


def list_digest(project: MakeProject, name: str, tag: str, **kwargs: Any) -> str | None:
    """The digest of image NAME's TAG in the registry (None when absent)."""
    return registry_manifest_digest(project.registry, repo(project, name), tag, **kwargs)


def check_every_list(
    project: MakeProject, version: str, names: tuple[str, ...] = NAMES, **kwargs: Any
) -> dict[str, dict[str, Any]]:
    """Each image's VERSION and latest lists hold exactly its arches; NAME -> VERSION's list."""
    lists = {}
    for name in names:
        for tag in (version, "latest"):
            index = check_list(project.registry, repo(project, name), tag, project.arches, **kwargs)
        lists[name] = index
    return lists


def check_nothing_listed(
    project: MakeProject, version: str, names: tuple[str, ...] = NAMES
) -> None:
    """No image has a VERSION or latest list: a release of every image or none."""
    for name in names:
        for tag in (version, "latest"):
            assert list_digest(project, name, tag) is None, f"{name}:{tag} was published"


def check_no_tags(project: MakeProject, names: tuple[str, ...] = NAMES) -> None:
    """No image's repository has any tag at all (not even a per-arch image)."""
    for name in names:
        assert registry_tags(project.registry, repo(project, name)) == [], f"{name} has tags"


def run_every_image(
    project: MakeProject, version: str, arch: str = FOREIGN, names: tuple[str, ...] = NAMES
) -> None:
    """``docker run --platform linux/ARCH`` of each image's list prints its own name, then
    the local copy goes (the next run pulls again)."""
    for name in names:
        ref = f"{project.registry}/{repo(project, name)}:{version}"
        run_version(project, ref, arch, expected_version_line(name, version, arch))
        project.docker("image", "rm", ref)


def make(
    project: MakeProject,
    *targets: str,
    jobs: int | None = None,
    env: dict[str, str] | None = None,
    unset: tuple[str, ...] = (),
    **variables: str,
) -> CmdResult:
    """make with the seed line's settings but IMG (refused at the top level: each image
    has its own path) and UNSET, plus VARIABLES."""
    return project.make(*targets, jobs=jobs, env=env, unset=("IMG", *unset), overrides=variables)


def index_file(project: MakeProject, name: str, version: str) -> Path:
    """Where image NAME's run records its VERSION list's digest."""
    return project.path / ".digests" / name / version / "index"


def check_recorded(project: MakeProject, version: str, names: tuple[str, ...] = NAMES) -> None:
    """Each image's .digests/NAME/VERSION/index holds the digest the registry has for it."""
    for name in names:
        recorded = index_file(project, name, version).read_text().strip()
        assert recorded == list_digest(project, name, version), (name, recorded)
