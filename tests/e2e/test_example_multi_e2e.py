"""End-to-end: example-multi/ (three Go images from one config) with doctor, audit and verify.

A copy of example-multi, its multiarch.yaml pointed at the local registry (unique image paths
and version, the local Go image mirror), is rendered again with `mkmultiarch render`. On it:
doctor checks this host for every arch some image is built for (and reads every image's own
Dockerfile with language: dockerfile); `make docker-audit` audits each image's base images for
that image's arches, and `mkmultiarch audit` names the image whose runtime image lacks one of
its arches; the seed line publishes the three lists, and `mkmultiarch verify` with no IMAGE
reads each list with its own image's arches, as `verify IMAGE --config` does for one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.paths import EXAMPLE_MULTI
from tests.support.registry_push import push_list

from .conftest import (
    CmdResult,
    E2EEnv,
    MakeProject,
    check_list,
    expected_version_line,
    new_project,
    run_cmd,
    run_version,
    unique_name,
)

pytestmark = pytest.mark.docker

# example-multi's images: name -> (binary, arches), as its multiarch.yaml says.
IMAGES = {
    "server": ("server", ("amd64", "arm64", "arm/v7", "riscv64")),
    "worker": ("worker", ("amd64", "arm64")),
    "cli": ("multictl", ("amd64", "arm64", "arm/v7", "riscv64")),
}
EVERY_ARCH = ("amd64", "arm64", "arm/v7", "riscv64")


def _mkmultiarch(project: MakeProject, *args: str) -> CmdResult:
    """`mkmultiarch ARGS` in the project, with its environment (stdout and stderr apart)."""
    command = [sys.executable, "-m", "mkmultiarch", *args]
    return run_cmd(command, env=project.env, cwd=project.path, merge_stderr=False)


@pytest.fixture(scope="module")
def example(
    e2e_env: E2EEnv, tmp_path_factory: pytest.TempPathFactory, local_repos: set[str]
) -> MakeProject:
    root = tmp_path_factory.mktemp("example-multi")
    path = root / "example-multi"
    shutil.copytree(EXAMPLE_MULTI, path, ignore=shutil.ignore_patterns(".git", ".digests"))
    project = new_project(
        e2e_env, path, root / "docker-config", local_repos, name="example-multi", arches=EVERY_ARCH
    )
    project.pass_arches = False  # each image's own arches, from multiarch.yaml
    config_file = path / "multiarch.yaml"
    config = yaml.safe_load(config_file.read_text())
    assert [entry["name"] for entry in config["images"]] == list(IMAGES)
    config.update(registry=e2e_env.registry, version=project.version, go_image=e2e_env.go_image)
    for entry in config["images"]:
        entry["image"] = f"{project.img}-{entry['name']}"
        local_repos.add(f"{project.registry}/{entry['image']}")
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    rendered = _mkmultiarch(project, "render", "--config", "multiarch.yaml")
    assert rendered.returncode == 0, rendered.tail()
    assert "wrote Makefile" in rendered.stdout, rendered.tail()
    return project


def _repo(project: MakeProject, name: str) -> str:
    return f"{project.img}-{name}"


def test_doctor_checks_this_host_for_every_images_arches(example: MakeProject) -> None:
    result = _mkmultiarch(example, "doctor", "--config", "multiarch.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"arches {' '.join(EVERY_ARCH)}, builder docker" in result.stdout
    for arch in ("arm64", "arm/v7", "riscv64"):
        assert f"QEMU linux/{arch}" in result.stdout, result.stdout


def test_doctor_reads_every_images_own_dockerfile(example: MakeProject, tmp_path: Path) -> None:
    """language: dockerfile: each image's Dockerfile is read, and doctor names the image."""
    (tmp_path / "server.Dockerfile").write_text(
        "FROM --platform=$BUILDPLATFORM golang AS b\nARG TARGETARCH\n"
        "RUN GOARCH=$TARGETARCH go build -o /app ./cmd/server\n"
        "FROM scratch\nCOPY --from=b /app /app\n"
    )
    (tmp_path / "worker.Dockerfile").write_text(
        "FROM --platform=$BUILDPLATFORM golang AS b\nRUN go build -o /app ./cmd/worker\n"
        "FROM scratch\nCOPY --from=b /app /app\n"
    )
    config = tmp_path / "multiarch.yaml"
    config.write_text(
        f'registry: "{example.registry}"\nlanguage: dockerfile\narches: [amd64, arm64]\n'
        "images:\n  - {name: server, image: team/server, dockerfile: server.Dockerfile}\n"
        "  - {name: worker, image: team/worker, dockerfile: worker.Dockerfile}\n"
    )
    result = _mkmultiarch(example, "doctor", "--config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line.split(None, 2) for line in result.stdout.splitlines() if "Dockerfile" in line]
    assert [(status, message.split(":")[0]) for status, _, message in lines[:2]] == [
        ("ok", "images[server]"),
        ("warning", "images[worker]"),
    ], result.stdout
    assert lines[1][2].startswith(f"images[worker]: {tmp_path}/worker.Dockerfile:1: stage b")


def test_make_docker_audit_audits_every_image(example: MakeProject) -> None:
    """The top-level docker-audit runs mkmultiarch audit once per image (its own arches and
    runtime image): every base image here is in the local registry or scratch."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    result = example.make("docker-audit", unset=("IMG",), env={"PATH": path})
    assert result.returncode == 0, result.tail(60)
    reports = re.findall(r"^OK: .*$", result.output, re.M)
    assert len(reports) == len(IMAGES), result.tail(60)


def test_audit_names_the_image_whose_runtime_image_lacks_an_arch(
    example: MakeProject, tmp_path: Path
) -> None:
    """cli's runtime image is a list of amd64 and arm64 only: audit names images[cli] and the
    arches it lacks (cli's own: arm/v7, riscv64); worker's (amd64 arm64) has all it needs."""
    repo = unique_name("e2e/example-multi-base")
    push_list(example.registry, repo, "1.0", [("amd64", ""), ("arm64", "")])
    base = f"{example.registry}/{repo}:1.0"
    config: dict[str, Any] = yaml.safe_load((example.path / "multiarch.yaml").read_text())
    for entry in config["images"]:
        if entry["name"] in ("worker", "cli"):
            entry["runtime_image"] = base
    text = yaml.safe_dump(config, sort_keys=False)
    (tmp_path / "multiarch.yaml").write_text(text)
    lines = [i + 1 for i, line in enumerate(text.splitlines()) if line.endswith(f": {base}")]
    config_file = tmp_path / "multiarch.yaml"
    result = _mkmultiarch(example, "audit", "--insecure", str(config_file))
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout.splitlines()
    (at,) = [i for i, line in enumerate(out) if line.startswith(base)]
    row = out[at].split()
    assert row[1:5] == ["linux/amd64", "linux/arm64", "linux/arm/v7", "linux/riscv64"]
    # Each use is at its own entry's line: worker's (needs its two arches), then cli's.
    worker_line, cli_line = lines
    assert row[5:] == [f"{config_file}:{worker_line}", "(needs", "linux/amd64", "linux/arm64)"]
    assert out[at + 1].strip() == f"{config_file}:{cli_line}"
    assert "FAILED: 1 of 2 reference(s) lack a required platform" in result.stdout
    # --json names the image of each use: cli lacks two of its arches, worker none of its own.
    report = json.loads(
        _mkmultiarch(example, "audit", "--insecure", "--json", str(config_file)).stdout
    )
    (reference,) = [item for item in report["references"] if item["reference"] == base]
    assert [(use["where"], use["missing"]) for use in reference["uses"]] == [
        ("images[worker].runtime_image", []),
        ("images[cli].runtime_image", ["linux/arm/v7", "linux/riscv64"]),
    ]


def test_seed_line_then_verify_reads_each_list_with_its_own_arches(example: MakeProject) -> None:
    result = example.make("clean", "docker-build", "docker-push", jobs=4, unset=("IMG",))
    assert result.returncode == 0, result.tail(80)
    for name, (binary, arches) in IMAGES.items():
        check_list(example.registry, _repo(example, name), example.version, arches)
        ref = f"{example.registry}/{_repo(example, name)}:{example.version}"
        run_version(example, ref, "arm64", expected_version_line(binary, example.version, "arm64"))
        example.docker("image", "rm", ref)
    # verify with no IMAGE: every image's list, each with its own image's arches.
    verified = _mkmultiarch(example, "verify", "--insecure")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    counts = re.findall(r"^OK: (\S+) is a manifest list of (\d) platform", verified.stdout, re.M)
    assert counts == [
        (f"{example.registry}/{_repo(example, name)}:{example.version}", str(len(arches)))
        for name, (_, arches) in IMAGES.items()
    ], verified.stdout
    as_json = json.loads(_mkmultiarch(example, "verify", "--insecure", "--json").stdout)
    assert [report["ok"] for report in as_json] == [True] * len(IMAGES)
    # verify IMAGE --config: the worker's own two arches, not the top-level four.
    worker = f"{example.registry}/{_repo(example, 'worker')}:{example.version}"
    one = _mkmultiarch(example, "verify", "--insecure", "--config", "multiarch.yaml", worker)
    assert one.returncode == 0, one.stdout + one.stderr
    assert f"OK: {worker} is a manifest list of 2 platform(s)" in one.stdout
