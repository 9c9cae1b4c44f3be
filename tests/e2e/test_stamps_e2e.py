"""End-to-end: make docker-build skips an arch whose inputs did not change (issue #15).

A copy of example-project/ built with the real engine for two arches (amd64, and arm64 run
under QEMU). After the first build, each step changes one input and reads what the next
`make docker-build` did: which arches it built (`==> building`), which it found up to date
(`==> up to date`, and no BuildKit step at all), and what each image's binary says when it
runs (`hello --version`: its version and arch), so a skipped arch never serves a stale or
another arch's binary. Then the release gate and the push run after a skipped build.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import (
    CmdResult,
    E2EEnv,
    MakeProject,
    arch_suffix,
    check_list,
    copy_example,
    expected_version_line,
    new_project,
)

pytestmark = pytest.mark.docker

ARCHES = ("amd64", "arm64")


def arches_saying(what: str, version: str, output: str) -> list[str]:
    """The arch suffixes of the `==> building` or `==> up to date:` lines of VERSION."""
    pattern = rf"^==> {what} \S+:(\S+)-{re.escape(version)} "
    found: list[str] = re.findall(pattern, output, re.MULTILINE)
    return found


@pytest.fixture
def project(e2e_env: E2EEnv, tmp_path: Path, local_repos: set[str]) -> MakeProject:
    return new_project(
        e2e_env,
        copy_example(tmp_path / "project"),
        tmp_path / "docker-config",
        local_repos,
        name="stamps",
        arches=ARCHES,
    )


def build(project: MakeProject, **variables: str) -> list[str]:
    """make docker-build; the arch suffixes it built (every other one was up to date)."""
    result = project.make("docker-build", overrides=variables)
    assert result.returncode == 0, result.tail(40)
    version = variables.get("VERSION", project.version)
    built = arches_saying("building", version, result.output)
    skipped = arches_saying("up to date:", version, result.output)
    arches = variables.get("ARCHES", " ".join(project.arches)).split()
    assert sorted(built + skipped) == sorted(arch_suffix(a) for a in arches), result.tail()
    if not built:
        build_log = re.search(r"\[([\w-]+ )?internal\] load build definition", result.output)
        assert not build_log, result.tail()
    return built


def says(project: MakeProject, arch: str, version: str | None = None) -> str:
    """What the local per-arch image's binary prints with --version, run on its platform."""
    ref = f"{project.image}:{arch_suffix(arch)}-{version or project.version}"
    result = project.docker(
        "run", "--rm", "--platform", f"linux/{arch}", ref, "--version", merge_stderr=False
    )
    assert result.returncode == 0, result.tail()
    return result.stdout.strip()


def image_id(project: MakeProject, arch: str) -> str:
    ref = project.arch_ref(arch)
    result = project.docker("image", "inspect", "--format", "{{.Id}}", ref, merge_stderr=False)
    assert result.returncode == 0, result.tail()
    return result.stdout.strip()


def test_only_a_changed_input_builds(project: MakeProject) -> None:
    assert build(project) == ["amd64", "arm64"]
    ids = {arch: image_id(project, arch) for arch in ARCHES}
    for arch in ARCHES:
        assert says(project, arch) == expected_version_line("hello", project.version, arch)

    # Nothing changed: no build at all, the same images.
    assert build(project) == []
    assert {arch: image_id(project, arch) for arch in ARCHES} == ids

    # A source change: every arch, and each binary has it.
    main = project.path / "main.go"
    main.write_text(main.read_text().replace('"hello %s %s"', '"hello changed %s %s"'))
    assert build(project) == ["amd64", "arm64"]
    for arch in ARCHES:
        line = expected_version_line("hello", project.version, arch)
        assert says(project, arch) == line.replace("hello ", "hello changed ", 1)
    assert build(project) == []

    # One arch's image gone from the store: that arch alone.
    assert project.docker("image", "rm", project.arch_ref("arm64")).returncode == 0
    assert build(project) == ["arm64"]
    assert says(project, "arm64").startswith("hello changed ")

    # A build value: EXTRA_BUILD_ARGS (and back: its old images are other images now).
    assert build(project, EXTRA_BUILD_ARGS="UNUSED=1") == ["amd64", "arm64"]
    assert build(project, EXTRA_BUILD_ARGS="UNUSED=1") == []
    assert build(project) == ["amd64", "arm64"]

    # ARCHES is an input of the one compile step: arm64 alone builds again, for arm64.
    assert build(project, ARCHES="arm64") == ["arm64"]
    assert says(project, "arm64").endswith("linux/arm64")
    assert build(project) == ["arm64"]
    assert build(project) == []


def test_a_new_version_builds_and_the_old_one_stays_up_to_date(project: MakeProject) -> None:
    old = project.version
    assert build(project) == ["amd64", "arm64"]
    assert build(project, VERSION=f"{old}-next") == ["amd64", "arm64"]
    for arch in ARCHES:
        line = expected_version_line("hello", f"{old}-next", arch)
        assert says(project, arch, f"{old}-next") == line
    assert build(project) == []
    assert says(project, "arm64") == expected_version_line("hello", old, "arm64")


def test_the_gate_and_the_push_run_after_a_skipped_build(project: MakeProject) -> None:
    assert build(project) == ["amd64", "arm64"]
    result: CmdResult = project.make("docker-build", "docker-push")
    assert result.returncode == 0, result.tail(40)
    assert "==> building" not in result.output, result.tail()
    for arch in ARCHES:
        assert f"==> checked {project.arch_ref(arch)}: linux/{arch}," in result.output
    check_list(project.registry, project.img, project.version, ARCHES)
