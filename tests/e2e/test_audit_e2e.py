"""End-to-end: `mkmultiarch audit` against the real local registries.

The test pushes, over the registry HTTP API (nothing is built), to the plain
registry: an OCI index amd64 + arm64 with an `unknown/unknown` attestation
entry, a single-arch amd64 image, a Docker manifest list amd64 + arm/v7; and
to the htpasswd registry an index amd64 + arm64. A tree of every source kind
refers to them (and to a tag that was never pushed, and by digest); audit
runs as a separate process with a private DOCKER_CONFIG holding the
credentials, and its whole report and exit code are checked.
"""

from __future__ import annotations

import base64
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.registry_push import DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, push_image, push_list

from .conftest import CmdResult, E2EEnv, clean_env, run_cmd, unique_name

pytestmark = pytest.mark.docker


@dataclass(frozen=True)
class Pushed:
    multi: str  # plain registry: OCI index amd64 arm64 + attestation
    single: str  # plain registry: one amd64 image
    armv7: str  # plain registry: Docker list amd64 arm/v7
    gone: str  # plain registry: a tag never pushed
    private: str  # htpasswd registry: OCI index amd64 arm64
    pinned: str  # multi, by digest


@pytest.fixture(scope="module")
def pushed(e2e_env: E2EEnv) -> Pushed:
    prefix = unique_name("e2e/audit")
    plain, auth = e2e_env.registry, e2e_env.auth_registry
    both = [("amd64", ""), ("arm64", "")]
    index = push_list(plain, f"{prefix}/multi", "1.0", both, attestation=True)
    push_image(plain, f"{prefix}/single", "1.0", "amd64", media_type=DOCKER_MANIFEST)
    push_list(
        plain,
        f"{prefix}/armv7",
        "1.0",
        [("amd64", ""), ("arm", "v7")],
        media_type=DOCKER_MANIFEST_LIST,
    )
    push_list(auth, f"{prefix}/private", "1.0", both, auth=e2e_env.auth)
    return Pushed(
        multi=f"{plain}/{prefix}/multi:1.0",
        single=f"{plain}/{prefix}/single:1.0",
        armv7=f"{plain}/{prefix}/armv7:1.0",
        gone=f"{plain}/{prefix}/multi:gone",
        private=f"{auth}/{prefix}/private:1.0",
        pinned=f"{plain}/{prefix}/multi@{index['digest']}",
    )


def write_tree(root: Path, p: Pushed) -> None:
    single_repo = p.single.rsplit(":", 1)[0]
    files = {
        ".gitlab-ci.yml": f"image: {p.multi}\nservices:\n  - {p.armv7}\n"
        f"  - name: {p.private}\n    alias: db\ntest:\n  script: [make test]\n",
        "Dockerfile": "ARG TAG=1.0\n"
        f"FROM --platform=$BUILDPLATFORM {single_repo}:${{TAG}} AS build\n"
        f"FROM {p.multi.replace(':1.0', ':${TAG}')}\nCOPY --from=build /x /x\n",
        "compose.yaml": f"services:\n  db:\n    image: {p.armv7}\n  web:\n    image: {p.gone}\n",
        "multiarch.yaml": f"image: org/app\narches: [amd64, arm64]\ngo_image: {p.single}\n"
        f"runtime_image: {p.multi}\n",
        ".github/workflows/ci.yml": "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
        f"    container: {p.private}\n    services:\n      cache:\n        image: {p.multi}\n"
        f"    steps:\n      - uses: docker://{p.single}\n",
        "k8s/app.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
        "  template:\n    spec:\n      initContainers:\n"
        f"      - {{name: migrate, image: '{p.single}'}}\n"
        f"      containers:\n      - {{name: app, image: '{p.multi}'}}\n"
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: debug}\nspec:\n"
        f"  containers: [{{name: a, image: '{p.multi}'}}]\n"
        f"  ephemeralContainers: [{{name: shell, image: '{p.pinned}'}}]\n",
        "build/.gitignore": "*\n",
        "build/k8s.yaml": "kind: Pod\nspec:\n  containers: [{name: x, image: ignored:1}]\n",
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def docker_config(directory: Path, e2e: E2EEnv, with_credentials: bool) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    auths = {}
    if with_credentials:
        pair = base64.b64encode(f"{e2e.auth_user}:{e2e.auth_password}".encode()).decode()
        auths[e2e.auth_registry] = {"auth": pair}
    (directory / "config.json").write_text(json.dumps({"auths": auths}))
    return directory


def audit(cwd: Path, config: Path, *args: str, stdin: str | None = None) -> CmdResult:
    command = [sys.executable, "-m", "mkmultiarch", "audit", "--insecure", "--build-arch=amd64"]
    return run_cmd(
        [*command, *args],
        env=clean_env(config),
        cwd=cwd,
        stdin=stdin,
        merge_stderr=False,
        timeout=120,
    )


def table(rows: list[tuple[str, str, str, str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]


def test_audit_every_source_kind(e2e_env: E2EEnv, pushed: Pushed, tmp_path: Path) -> None:
    p = pushed
    root = tmp_path / "tree"
    write_tree(root, p)
    config = docker_config(tmp_path / "docker", e2e_env, with_credentials=True)
    result = audit(root, config)
    assert result.returncode == 2, result.tail()
    rows = [
        ("REFERENCE", "PLATFORMS", "MISSING", "USED AT"),
        (p.gone, "?", "cannot check", "compose.yaml:5"),
        (p.armv7, "linux/amd64 linux/arm/v7", "linux/arm64", ".gitlab-ci.yml:3"),
        ("", "", "", "compose.yaml:3"),
        (p.single, "linux/amd64", "linux/arm64", "Dockerfile:2 (build host)"),
        ("", "", "", "multiarch.yaml:3 (build host)"),
        ("", "", "", ".github/workflows/ci.yml:10"),
        ("", "", "", "k8s/app.yaml:8"),
        (p.multi, "linux/amd64 linux/arm64", "-", ".gitlab-ci.yml:1"),
        ("", "", "", "Dockerfile:3"),
        ("", "", "", "multiarch.yaml:4"),
        ("", "", "", ".github/workflows/ci.yml:8"),
        ("", "", "", "k8s/app.yaml:10"),
        ("", "", "", "k8s/app.yaml:16"),
        (p.private, "linux/amd64 linux/arm64", "-", ".gitlab-ci.yml:4"),
        ("", "", "", ".github/workflows/ci.yml:5"),
        (p.pinned, "linux/amd64 linux/arm64", "-", "k8s/app.yaml:17"),
    ]
    gone_repo = p.gone.split("/", 1)[1]
    expected = [
        "audit: 16 use(s) of 6 reference(s) in 6 file(s); required linux/amd64 linux/arm64 "
        "(from multiarch.yaml); build host linux/amd64",
        "",
        *table(rows),
        "",
        f"{p.gone}: tag not found: {p.gone.split('/')[0]}/{gone_repo} "
        "(MANIFEST_UNKNOWN: manifest unknown)",
        "",
        "FAILED: 2 of 6 reference(s) lack a required platform; 1 could not be checked",
    ]
    assert result.stdout.splitlines() == expected, result.stdout
    assert result.stderr.strip() == (
        "mkmultiarch: FAILED: 2 of 6 reference(s) lack a required platform; 1 could not be checked"
    )

    # The same as JSON, for scripts.
    data = json.loads(audit(root, config, "--json").stdout)
    statuses = {item["reference"]: item["status"] for item in data["references"]}
    assert statuses == {
        p.gone: "error",
        p.armv7: "missing",
        p.single: "missing",
        p.multi: "ok",
        p.private: "ok",
        p.pinned: "ok",
    }
    multi = next(item for item in data["references"] if item["reference"] == p.multi)
    assert (multi["list"], multi["attestations"]) == (True, 1)

    # GitHub annotations: one per use that lacks something or could not be checked.
    github = audit(root, config, "--format", "github").stdout.splitlines()
    assert [line.split("::")[1] for line in github[:-1]] == [
        "error file=compose.yaml,line=5,title=mkmultiarch audit",
        "error file=.gitlab-ci.yml,line=3,title=mkmultiarch audit",
        "error file=compose.yaml,line=3,title=mkmultiarch audit",
        "error file=.github/workflows/ci.yml,line=10,title=mkmultiarch audit",
        "error file=k8s/app.yaml,line=8,title=mkmultiarch audit",
    ]


def test_audit_exit_codes_and_credentials(e2e_env: E2EEnv, pushed: Pushed, tmp_path: Path) -> None:
    p = pushed
    root = tmp_path / "tree"
    write_tree(root, p)
    config = docker_config(tmp_path / "docker", e2e_env, with_credentials=True)

    # Only the manifests: one reference lacks arm64 -> 1.
    lacking = audit(root, config, "k8s")
    assert lacking.returncode == 1, lacking.tail()
    assert lacking.stdout.splitlines()[-1] == (
        "FAILED: 1 of 3 reference(s) lack a required platform"
    )

    # Rendered output on stdin that is all multi-arch -> 0.
    manifest = (
        "# Source: app/templates/pod.yaml\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
        f"spec:\n  containers:\n  - {{name: a, image: '{p.private}'}}\n"
        f"  - {{name: b, image: '{p.multi}'}}\n"
    )
    good = audit(tmp_path, config, "-", stdin=manifest)
    assert good.returncode == 0, good.tail()
    assert good.stdout.splitlines()[-1] == ("OK: all 2 reference(s) have the platforms they need")

    # Without the credentials the htpasswd registry cannot be checked -> 2, every
    # reference still reported.
    anonymous = docker_config(tmp_path / "anonymous", e2e_env, with_credentials=False)
    refused = audit(tmp_path, anonymous, "-", stdin=manifest)
    assert refused.returncode == 2, refused.tail()
    registry = e2e_env.auth_registry
    assert f"{p.private}: {registry} needs credentials for" in refused.stdout
    assert p.multi in refused.stdout
    assert refused.stdout.splitlines()[-1] == "FAILED: 1 could not be checked"
