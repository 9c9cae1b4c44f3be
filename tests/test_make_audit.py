"""`make docker-audit`: mkmultiarch audit of the Dockerfile (and multiarch.yaml) before a build.

The plan (`make -n`), a real run against a fake `mkmultiarch` that records its argv, and the
one-line refusal where mkmultiarch is not installed. Nothing else in the Makefile needs it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from mkmultiarch import __version__
from tests.support.makeplan import make, plan
from tests.support.rendering import CONFIGS, render_into

# PATH without the virtualenv's mkmultiarch: make, bash and coreutils only.
SYSTEM_PATH = f"/usr/bin{os.pathsep}/bin"
FAKE_MKMULTIARCH = """#!/bin/sh
printf '%s\\n' "$@" >"$AUDIT_ARGV"
exit "${AUDIT_EXIT:-0}"
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    render_into(tmp_path, CONFIGS["seed"])
    (tmp_path / "multiarch.yaml").write_text(yaml.safe_dump(CONFIGS["seed"]))
    return tmp_path


@pytest.fixture
def fake_bin(tmp_path: Path) -> Path:
    directory = tmp_path / "fake-bin"
    directory.mkdir()
    fake = directory / "mkmultiarch"
    fake.write_text(FAKE_MKMULTIARCH)
    fake.chmod(0o755)
    return directory


def audit_line(project: Path, *args: str) -> str:
    lines = [
        line
        for line in plan(project, "VERSION=1", *args, "docker-audit")
        if "mkmultiarch audit " in line
    ]
    assert len(lines) == 1, lines
    return lines[0]


def test_plan_passes_arches_insecure_and_the_base_images(project: Path) -> None:
    line = audit_line(project, "INSECURE=1", "ARCHES=amd64 arm/v7")
    assert line.endswith(
        "mkmultiarch audit --insecure --arch amd64 --arch arm/v7"
        ' --build-arg "GO_IMAGE=$GO_IMAGE" --build-arg "RUNTIME_IMAGE=$RUNTIME_IMAGE"'
        ' -- "${paths[@]}"'
    )
    assert 'paths=("$DOCKERFILE")' in line
    secure = audit_line(project)
    assert "--insecure" not in secure
    assert "--arch amd64 --arch arm64 --build-arg" in secure


def test_plan_without_go_passes_no_build_args(tmp_path: Path) -> None:
    render_into(tmp_path, CONFIGS["dockerfile"])
    line = audit_line(tmp_path)
    assert "--build-arg" not in line
    assert line.endswith('-- "${paths[@]}"')


def test_docker_build_does_not_audit(project: Path) -> None:
    assert not any(
        "docker-audit" in line or "mkmultiarch audit" in line
        for line in plan(project, "VERSION=1", "docker-build")
    )


def run_audit(
    project: Path, fake_bin: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[int, list[str], str]:
    argv = project / "argv"
    result = make(
        project,
        "VERSION=1",
        *args,
        "docker-audit",
        env={
            "PATH": f"{fake_bin}{os.pathsep}{SYSTEM_PATH}",
            "AUDIT_ARGV": str(argv),
            **(env or {}),
        },
    )
    called = argv.read_text().splitlines() if argv.exists() else []
    return result.returncode, called, result.stderr


def test_runs_mkmultiarch_audit_with_the_make_time_images(project: Path, fake_bin: Path) -> None:
    code, argv, err = run_audit(
        project,
        fake_bin,
        "INSECURE=1",
        "ARCHES=amd64 arm/v7",
        "GO_IMAGE=mirror.example.com/library/golang:1.24",
        "RUNTIME_IMAGE=gcr.io/distroless/static:nonroot",
    )
    assert code == 0, err
    assert argv == [
        "audit",
        "--insecure",
        "--arch",
        "amd64",
        "--arch",
        "arm/v7",
        "--build-arg",
        "GO_IMAGE=mirror.example.com/library/golang:1.24",
        "--build-arg",
        "RUNTIME_IMAGE=gcr.io/distroless/static:nonroot",
        "--",
        "Dockerfile",
        "./multiarch.yaml",
    ]


def test_defaults_and_no_multiarch_yaml(project: Path, fake_bin: Path) -> None:
    (project / "multiarch.yaml").unlink()
    code, argv, err = run_audit(project, fake_bin, "DOCKERFILE=build/Dockerfile")
    assert code == 0, err
    assert argv == [
        "audit",
        "--arch",
        "amd64",
        "--arch",
        "arm64",
        "--build-arg",
        "GO_IMAGE=golang:1.23",
        "--build-arg",
        "RUNTIME_IMAGE=scratch",
        "--",
        "build/Dockerfile",
    ]


def test_multiarch_yaml_is_found_beside_the_makefile(project: Path, fake_bin: Path) -> None:
    """make -f DIR/Makefile from elsewhere: the config next to the Makefile is read."""
    elsewhere = project / "elsewhere"
    elsewhere.mkdir()
    code, argv, err = run_audit(elsewhere, fake_bin, "-f", "../Makefile")
    assert code == 0, err
    assert argv[-2:] == ["Dockerfile", "../multiarch.yaml"]


@pytest.mark.parametrize("status", ["1", "2"])
def test_a_failing_audit_fails_make(project: Path, fake_bin: Path, status: str) -> None:
    code, argv, _ = run_audit(project, fake_bin, env={"AUDIT_EXIT": status})
    assert argv
    assert code != 0


def test_a_bad_image_override_stops_before_the_audit(project: Path, fake_bin: Path) -> None:
    code, argv, err = run_audit(project, fake_bin, "GO_IMAGE=golang:1.23;id")
    assert code == 2
    assert argv == []
    assert "GO_IMAGE='golang:1.23;id' is not allowed" in err


def test_without_mkmultiarch_one_line_says_how_to_install_it(project: Path) -> None:
    result = make(project, "VERSION=1", "docker-audit", env={"PATH": SYSTEM_PATH})
    assert result.returncode == 2
    ours = [line for line in result.stderr.splitlines() if not line.startswith("make: ***")]
    assert ours == [
        "make: docker-audit needs mkmultiarch, which is not on PATH: "
        f"pipx install 'git+https://github.com/mkmultiarch/mkmultiarch@v{__version__}'"
    ]
    # Nothing else needs it.
    assert make(project, "VERSION=1", "help", env={"PATH": SYSTEM_PATH}).returncode == 0


def test_the_install_hint_names_the_configured_requirement(tmp_path: Path) -> None:
    requirement = "git+https://git.example.com/tools/mkmultiarch@v0.1.0"
    render_into(tmp_path, {**CONFIGS["seed"], "mkmultiarch_requirement": requirement})
    result = make(tmp_path, "VERSION=1", "docker-audit", env={"PATH": SYSTEM_PATH})
    assert result.returncode == 2
    assert f"pipx install '{requirement}'" in result.stderr
