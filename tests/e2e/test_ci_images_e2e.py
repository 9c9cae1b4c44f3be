"""End-to-end: the generated GitHub workflow's native jobs for several images (issue #18
point 4), their steps run as the runners would, against the local registry.

A three-image Go project (server: amd64 arm64 arm/v7; worker: amd64 arm64; edge: arm64
only, so the amd64 runner has nothing of it) is rendered with `ci: [github]`. Each build job
of the matrix runs its "Build and push" step (matrix values written in) in its own checkout
with its own DOCKER_CONFIG, then removes its local images (`make clean`), so the merge job
can only use the registry. The merge job's steps run in a third checkout: `make
docker-manifest`, the step recording each image's digest into GITHUB_OUTPUT, `make
docker-verify`. Every list is read back (exactly its image's platforms) and each output
digest is the digest the registry serves for that list. (The plain-HTTP registry needs no
login step, and a branch run decides nothing about latest: those steps are skipped.)
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from mkmultiarch.render.config import validate
from mkmultiarch.render.output import plan, write_all
from mkmultiarch.render.templates import render
from tests.support.paths import EXAMPLE_PROJECT

from .conftest import (
    CmdResult,
    E2EEnv,
    check_list,
    clean_env,
    registry_manifest_digest,
    run_cmd,
    unique_name,
)

pytestmark = pytest.mark.docker

IMAGES = {"server": ("amd64", "arm64", "arm/v7"), "worker": ("amd64", "arm64"), "edge": ("arm64",)}
GITHUB = ".github/workflows/multiarch.yml"
STEP_TIMEOUT = 1200.0


@dataclass
class Release:
    """What the jobs did: the version, each image's repository, the merge job's outputs."""

    version: str
    repos: dict[str, str]
    builds: dict[str, CmdResult]  # per matrix job
    merge: list[CmdResult]  # docker-manifest, digest step, docker-verify
    outputs: dict[str, str]


def _checkout(source: Path, destination: Path) -> Path:
    """A runner's own copy of the repository (nothing on disk is shared between jobs)."""
    shutil.copytree(source, destination)
    return destination


def _step(workdir: Path, script: str, env: dict[str, str]) -> CmdResult:
    """A `run:` step as the runner runs it: bash -e -o pipefail in the checkout."""
    return run_cmd(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        env=env,
        cwd=workdir,
        timeout=STEP_TIMEOUT,
    )


def _with_matrix(run: str, entry: dict[str, str]) -> str:
    return re.sub(r"\$\{\{ matrix\.(\w+) \}\}", lambda match: entry[match.group(1)], run)


@pytest.fixture(scope="module")
def release(
    e2e_env: E2EEnv, tmp_path_factory: pytest.TempPathFactory, local_repos: set[str]
) -> Release:
    root = tmp_path_factory.mktemp("ci-images")
    source = root / "source"
    (source / "cmd").mkdir(parents=True)
    (source / "go.mod").write_text("module example.com/multi\n\ngo 1.23\n")
    program = (EXAMPLE_PROJECT / "main.go").read_text()
    for name in IMAGES:
        (source / "cmd" / name).mkdir()
        (source / "cmd" / name / "main.go").write_text(
            program.replace('"hello %s %s"', f'"{name} %s %s"')
        )
    prefix = unique_name("e2e/ci")
    repos = {name: f"{prefix}-{name}" for name in IMAGES}
    data: dict[str, Any] = {
        "registry": e2e_env.registry,
        "go_image": e2e_env.go_image,
        "ci": ["github"],
        "images": [
            {"name": name, "image": repos[name], "arches": list(arches)}
            for name, arches in IMAGES.items()
        ],
    }
    write_all(plan(render(validate(data)), source))
    for repo in repos.values():
        local_repos.add(f"{e2e_env.registry}/{repo}")
    workflow = yaml.safe_load((source / GITHUB).read_text())
    version = unique_name("v")
    # The workflow's env (VERSION from the tag, LATEST 0 unless the decision step says so),
    # plus what this registry needs: plain HTTP, and the test's docker client.
    common = {"VERSION": version, "LATEST": "0", "INSECURE": "1", "DOCKER": e2e_env.docker}

    builds = {}
    build = workflow["jobs"]["build"]
    (push,) = [s for s in build["steps"] if s.get("name") == "Build and push"]
    for entry in build["strategy"]["matrix"]["include"]:
        job = entry["job"]
        workdir = _checkout(source, root / f"runner-{job}")
        config = root / f"config-{job}"
        config.mkdir()
        env = clean_env(config, **common, ARCHES=entry["arches"])
        builds[job] = _step(workdir, _with_matrix(push["run"], entry), env)
        assert builds[job].returncode == 0, builds[job].tail(60)
        cleaned = _step(workdir, "make clean", env)  # the runner goes away
        assert cleaned.returncode == 0, cleaned.tail()

    merge_dir = _checkout(source, root / "runner-merge")
    config = root / "config-merge"
    config.mkdir()
    output = root / "github-output"
    output.write_text("")
    env = clean_env(config, **common, GITHUB_OUTPUT=str(output))
    steps = workflow["jobs"]["merge"]["steps"]
    runs = [s.get("run", "") for s in steps]
    (digest,) = [s["run"] for s in steps if s.get("id") == "digest"]
    # In the job's order: the lists, the digests, the check.
    assert (
        runs.index("make docker-manifest") < runs.index(digest) < runs.index("make docker-verify")
    )
    merge = []
    for script in ("make docker-manifest", digest, "make docker-verify"):
        result = _step(merge_dir, script, env)
        assert result.returncode == 0, result.tail(60)
        merge.append(result)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return Release(version, repos, builds, merge, outputs)


def test_each_build_job_pushed_its_runners_share_of_every_image(release: Release) -> None:
    for job, result in release.builds.items():
        on_arm64 = job == "arm64"
        for name, arches in IMAGES.items():
            for arch in arches:
                ref = f"/{release.repos[name]}:{arch.replace('/', '-')}-{release.version}"
                pushed = re.search(rf"(docker|podman) push [^\n]*{re.escape(ref)}\b", result.output)
                assert bool(pushed) is ((arch == "arm64") == on_arm64), (job, name, arch)


def test_the_merge_job_publishes_and_checks_every_images_list(
    release: Release, e2e_env: E2EEnv
) -> None:
    manifest, _, verify = release.merge
    assert "==> building" not in manifest.output, "the merge job built something"
    for name, arches in IMAGES.items():
        check_list(e2e_env.registry, release.repos[name], release.version, arches)
        assert release.repos[name] in verify.output, verify.tail(60)


def test_the_merge_job_outputs_each_images_digest(release: Release, e2e_env: E2EEnv) -> None:
    assert set(release.outputs) == {f"digest-{name}" for name in IMAGES}
    for name in IMAGES:
        served = registry_manifest_digest(e2e_env.registry, release.repos[name], release.version)
        assert release.outputs[f"digest-{name}"] == served, name
