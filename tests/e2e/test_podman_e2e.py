"""End-to-end: the podman engine (Debian's podman 4.3) against the plain-HTTP registry.

Two ways in, both real: a Makefile rendered with ``engine: podman`` (DOCKER defaults to
podman), and the default docker Makefile driven with ``make DOCKER=podman``. Each publishes
a list whose platforms, configs and binaries ``mkmultiarch verify`` checks, and every arch
runs under podman (QEMU for the foreign ones).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.support.rendering import render_into

from .conftest import (
    EXAMPLE_PROJECT,
    PLAIN_PATH,
    E2EEnv,
    MakeProject,
    check_list,
    copy_example,
    expected_version_line,
    new_project,
    registry_tag_exists,
    run_cmd,
    verify_lists,
)

ARCHES = ("amd64", "arm64", "arm/v7", "s390x")
BINARY = "hello"
# podman's default container rlimits (nofile 1048576, nproc 4194304) exceed the hard limits
# of this kind of machine, and runc may not raise them ("error setting rlimit type 7"):
# ask for modest ones instead. `--ulimit host` does not help here.
RUN_LIMITS = ("--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024")


@pytest.fixture(scope="module")
def podman_repos(e2e_env: E2EEnv) -> Iterator[list[str]]:
    """Repositories the podman tests build into; their local images go at the end."""
    repos: list[str] = []
    yield repos
    for repo in repos:
        listing = run_cmd(
            [e2e_env.podman, "images", "--format", "{{.Repository}}:{{.Tag}}", repo],
            env={"PATH": PLAIN_PATH},
            merge_stderr=False,
        )
        refs = listing.stdout.split()
        if refs:
            run_cmd([e2e_env.podman, "rmi", "--force", *refs], env={"PATH": PLAIN_PATH})


def podman_project(
    e2e: E2EEnv, root: Path, local_repos: set[str], repos: list[str], name: str
) -> MakeProject:
    project = new_project(
        e2e,
        copy_example(root / "project"),
        root / "docker-config",
        local_repos,
        name=name,
        arches=ARCHES,
    )
    repos.append(project.image)
    # podman 4.3 reads $DOCKER_CONFIG/config.json for credentials and fails when it is absent.
    (project.docker_config / "config.json").write_text("{}\n")
    return project


@pytest.fixture(scope="module")
def rendered(
    e2e_env: E2EEnv,
    tmp_path_factory: pytest.TempPathFactory,
    local_repos: set[str],
    podman_repos: list[str],
) -> MakeProject:
    """The example project re-rendered with engine: podman, published with its defaults."""
    root = tmp_path_factory.mktemp("podman")
    project = podman_project(e2e_env, root, local_repos, podman_repos, "podman")
    config = yaml.safe_load((EXAMPLE_PROJECT / "multiarch.yaml").read_text())
    render_into(project.path, {**config, "engine": "podman"})
    result = project.make("clean", "docker-push", unset=("DOCKER",))
    assert result.returncode == 0, result.tail(60)
    assert "podman manifest push --all" in result.output, result.tail()
    return project


def check_podman_runs(project: MakeProject, podman: str) -> None:
    """``podman run --pull always --platform linux/ARCH <list>`` prints ARCH, for each."""
    for arch in project.arches:
        result = run_cmd(
            [
                podman,
                "run",
                "--rm",
                *RUN_LIMITS,
                "--tls-verify=false",
                "--pull",
                "always",
                "--platform",
                f"linux/{arch}",
                project.list_ref(),
                "--version",
            ],
            env=project.env,
            merge_stderr=False,
        )
        assert result.returncode == 0, result.tail()
        last_line = result.stdout.strip().splitlines()[-1]
        assert last_line == expected_version_line(BINARY, project.version, arch), result.tail()


def test_rendered_podman_makefile_publishes_lists(rendered: MakeProject) -> None:
    for tag in rendered.list_tags:
        check_list(rendered.registry, rendered.img, tag, ARCHES)


def test_rendered_podman_lists_verify(rendered: MakeProject) -> None:
    verify_lists(rendered, ARCHES)


def test_rendered_podman_list_runs_every_arch(rendered: MakeProject, e2e_env: E2EEnv) -> None:
    check_podman_runs(rendered, e2e_env.podman)


def test_docker_verify_with_podman_both_ways(rendered: MakeProject) -> None:
    """make docker-verify: deep (mkmultiarch on PATH) and the podman fallback."""
    deep = rendered.make("docker-verify", unset=("DOCKER",))
    assert deep.returncode == 0, deep.tail()
    plain = rendered.make("docker-verify", unset=("DOCKER",), env={"PATH": PLAIN_PATH})
    assert plain.returncode == 0, plain.tail()
    assert f"ok: {rendered.list_ref()} lists {' '.join(ARCHES)}" in plain.output, plain.tail()
    missing = rendered.make(
        "docker-verify", unset=("DOCKER",), env={"PATH": PLAIN_PATH}, ARCHES="amd64 386"
    )
    assert missing.returncode != 0, missing.tail()
    assert "has no linux/386 entry" in missing.output, missing.tail()


def test_podman_docker_manifest_refuses_missing_arch(rendered: MakeProject) -> None:
    result = rendered.make("docker-manifest", unset=("DOCKER",), ARCHES="amd64 riscv64")
    assert result.returncode != 0, result.tail()
    assert f"not in the registry: {rendered.arch_ref('riscv64')}." in result.output
    assert "manifest push" not in result.output, result.tail()


def test_podman_docker_manifest_assembles_from_registry(
    rendered: MakeProject, e2e_env: E2EEnv
) -> None:
    """The split path's merge step with podman: a new list from the pushed per-arch tags."""
    result = rendered.make(
        "docker-manifest", unset=("DOCKER",), LATEST="0", VERSION=rendered.version
    )
    assert result.returncode == 0, result.tail()
    check_list(rendered.registry, rendered.img, rendered.version, ARCHES)


def test_podman_build_skips_what_did_not_change(rendered: MakeProject, e2e_env: E2EEnv) -> None:
    """make docker-build again builds nothing; an image gone from podman's store, or a
    source change, builds again (tests/e2e/test_stamps_e2e.py has every input, on docker)."""
    again = rendered.make("docker-build", unset=("DOCKER",))
    assert again.returncode == 0, again.tail()
    assert "==> building" not in again.output, again.tail()
    assert again.output.count("==> up to date: ") == len(ARCHES), again.tail()
    removed = run_cmd([e2e_env.podman, "rmi", rendered.arch_ref("s390x")], env=rendered.env)
    assert removed.returncode == 0, removed.tail()
    gone = rendered.make("docker-build", unset=("DOCKER",))
    assert gone.returncode == 0, gone.tail()
    assert gone.output.count("==> building ") == 1, gone.tail()
    assert f"==> building {rendered.arch_ref('s390x')} " in gone.output, gone.tail()
    main = rendered.path / "main.go"
    main.write_text(main.read_text() + "\n// changed\n")
    changed = rendered.make("docker-build", unset=("DOCKER",))
    assert changed.returncode == 0, changed.tail()
    assert changed.output.count("==> building ") == len(ARCHES), changed.tail()


def test_clean_removes_podman_images(rendered: MakeProject, e2e_env: E2EEnv) -> None:
    result = rendered.make("clean", unset=("DOCKER",))
    assert result.returncode == 0, result.tail()
    for arch in ARCHES:
        exists = run_cmd(
            [e2e_env.podman, "image", "exists", rendered.arch_ref(arch)], env=rendered.env
        )
        assert exists.returncode == 1, f"{rendered.arch_ref(arch)} survived make clean"


def test_default_makefile_with_docker_equals_podman(
    e2e_env: E2EEnv,
    tmp_path_factory: pytest.TempPathFactory,
    local_repos: set[str],
    podman_repos: list[str],
) -> None:
    """The docker Makefile switches to podman's commands at make time."""
    project = podman_project(
        e2e_env, tmp_path_factory.mktemp("docker-eq-podman"), local_repos, podman_repos, "dpodman"
    )
    result = project.make("clean", "docker-push", DOCKER="podman")
    assert result.returncode == 0, result.tail(60)
    assert "podman manifest add" in result.output, result.tail()
    for tag in project.list_tags:
        check_list(project.registry, project.img, tag, ARCHES)
    verify_lists(project, ARCHES)
    check_podman_runs(project, e2e_env.podman)
    assert not registry_tag_exists(project.registry, project.img, "nonexistent")
