"""`mkmultiarch audit` against the in-process registry: the report formats and exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mkmultiarch.cli import app
from mkmultiarch.inspect.audit.report import escape
from tests.support.fake_registry import FakeRegistry
from tests.support.images import image, platform

runner = CliRunner()


def run(
    *args: str, cwd: Path, docker_config: Path, stdin: str | None = None
) -> tuple[int, str, str]:
    env = {"COLUMNS": "200", "NO_COLOR": "1", "DOCKER_CONFIG": str(docker_config)}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)
        result = runner.invoke(app, list(args), env=env, input=stdin)
    return result.exit_code, result.stdout, result.stderr


def cells(output: str) -> list[list[str]]:
    """The table rows of a text report, split into cells (two or more spaces apart)."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("REFERENCE"))
    rows = []
    for line in lines[start:]:
        if not line.strip():
            break
        rows.append(re.split(r"\s{2,}", line.strip()))
    return rows


@pytest.fixture
def project(registry: FakeRegistry, tmp_path: Path) -> Path:
    """A tree using a list (amd64, arm64, an attestation), a single amd64 image and a
    missing tag of REGISTRY."""
    entries = [
        (image(registry, "amd64"), platform("amd64")),
        (image(registry, "arm64"), platform("arm64")),
        (image(registry, "amd64"), {"os": "unknown", "architecture": "unknown"}),
    ]
    registry.put_index("org/multi", "1.0", entries)
    image(registry, "amd64", tag="single")  # org/app:single
    host = registry.host
    root = tmp_path / "tree"
    root.mkdir()
    (root / "Dockerfile").write_text(
        f"ARG TAG=single\nFROM --platform=$BUILDPLATFORM {host}/org/app:${{TAG}} AS build\n"
        f"FROM {host}/org/multi:1.0\nCOPY --from=build /x /x\n"
    )
    (root / "k8s.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
        "  template:\n    spec:\n      containers:\n"
        f"      - {{name: app, image: '{host}/org/multi:1.0'}}\n"
        f"      - {{name: side, image: '{host}/org/app:single'}}\n"
    )
    (root / "compose.yaml").write_text(
        f"services:\n  db:\n    image: {host}/org/multi:gone\n  cache:\n    image: redis:${{V}}\n"
    )
    return root


def test_text_report_and_exit_2_when_something_cannot_be_checked(
    registry: FakeRegistry, project: Path, tmp_path: Path
) -> None:
    code, out, err = run(
        "audit", "--insecure", "--build-arch", "amd64", cwd=project, docker_config=tmp_path
    )
    host = registry.host
    assert code == 2, out + err
    assert out.splitlines()[0] == (
        "audit: 6 use(s) of 4 reference(s) in 3 file(s); required linux/amd64 linux/arm64 "
        "(from default); build host linux/amd64"
    )
    assert cells(out) == [
        ["REFERENCE", "PLATFORMS", "MISSING", "USED AT"],
        [f"{host}/org/multi:gone", "?", "cannot check", "compose.yaml:3"],
        ["redis:${V}", "?", "unresolved variable", "compose.yaml:5"],
        [f"{host}/org/app:single", "linux/amd64", "linux/arm64", "Dockerfile:2 (build host)"],
        ["k8s.yaml:9"],
        [f"{host}/org/multi:1.0", "linux/amd64 linux/arm64", "-", "Dockerfile:3"],
        ["k8s.yaml:8"],
    ]
    assert f"{host}/org/multi:gone: tag not found: {host}/org/multi:gone" in out
    assert "redis:${V}: cannot resolve V; not checked" in out
    assert out.rstrip().endswith(
        "FAILED: 1 of 4 reference(s) lack a required platform; 2 could not be checked"
    )
    assert err.strip() == (
        "mkmultiarch: FAILED: 1 of 4 reference(s) lack a required platform; 2 could not be checked"
    )


def test_exit_1_when_only_a_platform_is_missing(
    registry: FakeRegistry, project: Path, tmp_path: Path
) -> None:
    (project / "compose.yaml").unlink()
    code, out, _ = run(
        "audit", "--insecure", "--build-arch", "amd64", cwd=project, docker_config=tmp_path
    )
    assert code == 1, out
    assert "FAILED: 1 of 2 reference(s) lack a required platform" in out


def test_exit_0_with_the_arches_of_multiarch_yaml(project: Path, tmp_path: Path) -> None:
    (project / "compose.yaml").unlink()
    (project / "multiarch.yaml").write_text(
        "image: org/app\narches: [amd64]\nlanguage: dockerfile\n"
    )
    code, out, _ = run("audit", "--insecure", cwd=project, docker_config=tmp_path)
    assert code == 0, out
    assert "required linux/amd64 (from multiarch.yaml)" in out
    assert out.rstrip().endswith("OK: all 2 reference(s) have the platforms they need")


def test_arch_flag_wins(project: Path, tmp_path: Path) -> None:
    (project / "compose.yaml").unlink()
    code, out, _ = run(
        "audit", "--insecure", "--arch", "arm64", ".", cwd=project, docker_config=tmp_path
    )
    assert code == 1
    assert "required linux/arm64 (from --arch)" in out


def test_build_arg_replaces_an_arg_default(
    registry: FakeRegistry, project: Path, tmp_path: Path
) -> None:
    """--build-arg TAG=... checks the image a `docker build --build-arg TAG=...` would use."""
    (project / "compose.yaml").unlink()
    (project / "k8s.yaml").unlink()
    image(registry, "arm64", tag="arm-only")
    code, out, _ = run(
        "audit",
        "--insecure",
        "--build-arch",
        "arm64",
        "--build-arg",
        "TAG=arm-only",
        "Dockerfile",
        cwd=project,
        docker_config=tmp_path,
    )
    assert code == 0, out
    assert f"{registry.host}/org/app:arm-only" in out
    assert "org/app:single" not in out


def test_json_report(registry: FakeRegistry, project: Path, tmp_path: Path) -> None:
    code, out, _ = run(
        "audit",
        "--insecure",
        "--build-arch",
        "amd64",
        "--json",
        cwd=project,
        docker_config=tmp_path,
    )
    assert code == 2
    data = json.loads(out)
    assert data["ok"] is False
    assert data["exit_code"] == 2
    assert data["required"] == ["linux/amd64", "linux/arm64"]
    by_ref = {item["reference"]: item for item in data["references"]}
    single = by_ref[f"{registry.host}/org/app:single"]
    assert single["status"] == "missing"
    assert single["platforms"] == ["linux/amd64"]
    assert single["list"] is False
    assert [(use["file"], use["line"], use["needs"], use["missing"]) for use in single["uses"]] == [
        ("Dockerfile", 2, ["linux/amd64"], []),
        ("k8s.yaml", 9, ["linux/amd64", "linux/arm64"], ["linux/arm64"]),
    ]
    multi = by_ref[f"{registry.host}/org/multi:1.0"]
    assert (multi["status"], multi["list"], multi["attestations"]) == ("ok", True, 1)
    assert by_ref[f"{registry.host}/org/multi:gone"]["status"] == "error"
    assert by_ref["redis:${V}"]["status"] == "unresolved"
    assert by_ref["redis:${V}"]["uses"][0]["unresolved"] == ["V"]


def test_github_annotations(registry: FakeRegistry, project: Path, tmp_path: Path) -> None:
    code, out, _ = run(
        "audit",
        "--insecure",
        "--build-arch",
        "amd64",
        "--format",
        "github",
        cwd=project,
        docker_config=tmp_path,
    )
    host = registry.host
    assert code == 2
    assert out.splitlines() == [
        f"::error file=compose.yaml,line=3,title=mkmultiarch audit::services.db: "
        f"{host}/org/multi:gone: tag not found: {host}/org/multi:gone "
        "(MANIFEST_UNKNOWN: manifest unknown)",
        "::error file=compose.yaml,line=5,title=mkmultiarch audit::services.cache: "
        "redis:${V}: cannot resolve V; not checked",
        f"::error file=k8s.yaml,line=9,title=mkmultiarch audit::Deployment/web "
        f"containers[side]: {host}/org/app:single lacks linux/arm64 (has linux/amd64)",
        "FAILED: 1 of 4 reference(s) lack a required platform; 2 could not be checked",
    ]


def test_stdin_helm_output(registry: FakeRegistry, project: Path, tmp_path: Path) -> None:
    rendered = "# Source: web/templates/d.yaml\n" + (project / "k8s.yaml").read_text()
    code, out, _ = run(
        "audit", "--insecure", "-", cwd=tmp_path, docker_config=tmp_path, stdin=rendered
    )
    assert code == 1
    assert [row[-1] for row in cells(out)[1:]] == ["<stdin>:10", "<stdin>:9"]
    code, out, _ = run(
        "audit",
        "--insecure",
        "--format",
        "github",
        "-",
        cwd=tmp_path,
        docker_config=tmp_path,
        stdin=rendered,
    )
    assert out.splitlines()[0].startswith(
        "::error title=mkmultiarch audit::<stdin>:10 Deployment/web containers[side] "
        "(web/templates/d.yaml): "
    )


def test_control_characters_are_escaped(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        'services:\n  x:\n    image: "evil\\e[31m:1\\u202e"\n  y:\n    image: "a\\rb:${X}"\n'
    )
    code, out, _ = run("audit", cwd=tmp_path, docker_config=tmp_path)
    assert code == 2
    assert "\x1b" not in out and "\u202e" not in out and "\r" not in out
    assert "evil\\x1b[31m:1\\u202e" in out
    assert "a\\rb:${X}" in out
    code, out, _ = run("audit", "--format", "github", cwd=tmp_path, docker_config=tmp_path)
    assert "\x1b" not in out and "\r" not in out


def test_escape() -> None:
    assert escape("plain:1") == "plain:1"
    assert escape("a\x1b[0mb\tc\u202e") == "a\\x1b[0mb\\tc\\u202e"


def test_no_references(tmp_path: Path) -> None:
    code, out, _ = run("audit", cwd=tmp_path, docker_config=tmp_path)
    assert code == 0
    assert out.rstrip().endswith("OK: no image references found")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xml"], "--format: 'xml'"),
        (["--arch", "sparc"], "--arch: 'sparc' is not supported"),
        (["nowhere"], "nowhere: no such file or directory"),
        (["--build-arg", "GO_IMAGE"], "--build-arg: 'GO_IMAGE' is not NAME=VALUE"),
        (["--build-arg", "GO_IMAGE=$(id)"], "--build-arg GO_IMAGE: the value must be"),
    ],
)
def test_bad_input_is_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    code, _, err = run("audit", *args, cwd=tmp_path, docker_config=tmp_path)
    assert code == 2
    assert message in err
