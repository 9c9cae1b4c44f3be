"""End-to-end: several images (issue #18) with ``engine: podman`` (Debian's podman 4.3).

A two-image Go project (server, worker) for amd64 and arm64, rendered with
``engine: podman`` (DOCKER defaults to podman) and published with ``make docker-push``
to the plain-HTTP registry: every image's list is read back with exactly its platforms,
each image's digest file holds its list's digest, and each image's list runs its arm64
entry under podman (QEMU). podman has its own image store, so this holds whichever store
dockerd runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.support.multi_e2e import (
    FOREIGN,
    NAMES,
    check_every_list,
    check_recorded,
    make,
    multi_project,
    repo,
)

from .conftest import (
    PLAIN_PATH,
    CmdResult,
    E2EEnv,
    MakeProject,
    expected_version_line,
    run_cmd,
)

# podman's default container rlimits exceed this kind of machine's hard limits (see
# test_podman_e2e.py): ask for modest ones.
RUN_LIMITS = ("--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024")


@dataclass
class Published:
    project: MakeProject
    pushed: CmdResult


@pytest.fixture(scope="module")
def published(
    e2e_env: E2EEnv, tmp_path_factory: pytest.TempPathFactory, local_repos: set[str]
) -> Iterator[Published]:
    project = multi_project(
        e2e_env,
        tmp_path_factory.mktemp("multi-podman"),
        local_repos,
        name="mpodman",
        config={"engine": "podman"},
    )
    # podman 4.3 reads $DOCKER_CONFIG/config.json for credentials and fails when it is absent.
    (project.docker_config / "config.json").write_text("{}\n")
    # DOCKER unset: the Makefile's own default, podman.
    yield Published(project, make(project, "clean", "docker-push", unset=("DOCKER",)))
    # The local images go again (podman's store is not the session's docker cleanup's).
    listing = run_cmd(
        [e2e_env.podman, "images", "--format", "{{.Repository}}:{{.Tag}}"],
        env={"PATH": PLAIN_PATH},
        merge_stderr=False,
    )
    images = tuple(f"{project.registry}/{repo(project, name)}:" for name in NAMES)
    refs = [ref for ref in listing.stdout.split() if ref.startswith(images)]
    if refs:
        run_cmd([e2e_env.podman, "rmi", "--force", *refs], env={"PATH": PLAIN_PATH})


def test_podman_publishes_every_images_list(published: Published) -> None:
    project, result = published.project, published.pushed
    assert result.returncode == 0, result.tail(80)
    assert result.output.count("podman manifest push --all") == 2 * len(NAMES), result.tail()
    check_every_list(project, project.version)
    check_recorded(project, project.version)


def test_podman_runs_every_images_foreign_arch(published: Published, e2e_env: E2EEnv) -> None:
    project = published.project
    assert published.pushed.returncode == 0, published.pushed.tail(80)
    for name in NAMES:
        ref = f"{project.registry}/{repo(project, name)}:{project.version}"
        args = [e2e_env.podman, "run", "--rm", *RUN_LIMITS, "--tls-verify=false"]
        args += ["--pull", "always", "--platform", f"linux/{FOREIGN}", ref, "--version"]
        result = run_cmd(args, env=project.env, merge_stderr=False)
        assert result.returncode == 0, result.tail()
        last_line = result.stdout.strip().splitlines()[-1]
        assert last_line == expected_version_line(name, project.version, FOREIGN), result.tail()
