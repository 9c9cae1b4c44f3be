"""Rendered CI workflows: valid for their schema checkers, and wired to the Makefile.

Each workflow is checked by real tools: check-jsonschema with its built-in GitHub workflow and
GitLab CI schemas, and actionlint (which runs shellcheck on every `run:` script). Structural
checks then pin what the tools cannot know: one job per arch on the right runner, the merge
after every build, the digest hand-off for buildx, and that every `make` target a workflow
calls exists in the Makefile rendered beside it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mkmultiarch.arches import Arch
from tests.support.rendering import CONFIGS, render_into

GITHUB = ".github/workflows/multiarch.yml"
GITLAB = ".gitlab-ci.yml"
# Top-level .gitlab-ci.yml keys that are not jobs.
GITLAB_KEYWORDS = {"default", "include", "stages", "variables", "workflow"}
CI_CONFIGS = sorted(name for name, data in CONFIGS.items() if data.get("ci"))
TOOLS = Path(sys.executable).parent  # check-jsonschema, actionlint, shellcheck


def tool(name: str) -> str:
    path = TOOLS / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    assert found, f"{name} is missing: pip install -e '.[dev]'"
    return found


def run_tool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{TOOLS}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env, check=False)


@pytest.fixture(params=CI_CONFIGS)
def rendered(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[dict[str, Any], Path]:
    data = CONFIGS[request.param]
    render_into(tmp_path, data)
    return data, tmp_path


def load(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text())
    assert isinstance(loaded, dict)
    return loaded


def arches_of(data: dict[str, Any]) -> list[str]:
    return list(data.get("arches", ["amd64", "arm64"]))


def native(data: dict[str, Any]) -> bool:
    return data.get("ci_strategy", "native") == "native"


def test_github_workflow_passes_the_schema(rendered: tuple[dict[str, Any], Path]) -> None:
    _, project = rendered
    result = run_tool(
        tool("check-jsonschema"),
        "--builtin-schema",
        "vendor.github-workflows",
        str(project / GITHUB),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_gitlab_ci_passes_the_schema(rendered: tuple[dict[str, Any], Path]) -> None:
    _, project = rendered
    result = run_tool(
        tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", str(project / GITLAB)
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_github_workflow_passes_actionlint(rendered: tuple[dict[str, Any], Path]) -> None:
    data, project = rendered
    # Custom runner labels must be declared to actionlint, as a team using them would.
    labels = [data[k] for k in ("github_runner_amd64", "github_runner_arm64") if k in data]
    (project / ".github/actionlint.yaml").write_text(
        yaml.safe_dump({"self-hosted-runner": {"labels": labels}})
    )
    assert tool("shellcheck")  # actionlint checks `run:` scripts with it when on PATH
    result = run_tool(
        tool("actionlint"), "-config-file", ".github/actionlint.yaml", GITHUB, cwd=project
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_native_github_matrix_has_one_job_per_arch_on_its_runner(
    rendered: tuple[dict[str, Any], Path],
) -> None:
    data, project = rendered
    jobs = load(project / GITHUB)["jobs"]
    amd64 = data.get("github_runner_amd64", "ubuntu-24.04")
    if not native(data):
        assert list(jobs) == ["publish"]
        assert jobs["publish"]["runs-on"] == amd64
        steps = [step.get("run", "") for step in jobs["publish"]["steps"]]
        assert "make docker-push" in steps and "make docker-verify" in steps
        return
    arm64 = data.get("github_runner_arm64", "ubuntu-24.04-arm")
    include = jobs["build"]["strategy"]["matrix"]["include"]
    assert [entry["arch"] for entry in include] == arches_of(data)
    for entry in include:
        assert entry["runner"] == (arm64 if entry["arch"] == "arm64" else amd64), entry
        assert entry["suffix"] == Arch.parse(entry["arch"]).tag_suffix
        assert entry["qemu"] is (entry["arch"] not in ("amd64", "arm64", "386")), entry
    merge = jobs["merge"]
    assert merge["needs"] == "build"
    assert merge["runs-on"] == amd64
    runs = [step.get("run", "") for step in merge["steps"]]
    assert runs.index("make docker-manifest") < runs.index("make docker-verify")


def test_native_gitlab_has_one_job_per_arch_and_a_merge_that_needs_them(
    rendered: tuple[dict[str, Any], Path],
) -> None:
    data, project = rendered
    pipeline = load(project / GITLAB)
    if not native(data):
        jobs = [name for name in pipeline if name not in GITLAB_KEYWORDS and name[0] != "."]
        assert jobs == ["publish"]
        assert pipeline["stages"] == ["build"]
        assert pipeline["publish"]["tags"] == [
            data.get("gitlab_tag_amd64", "saas-linux-small-amd64")
        ]
        assert "make docker-push" in pipeline["publish"]["script"][-1]
        return
    amd64 = data.get("gitlab_tag_amd64", "saas-linux-small-amd64")
    arm64 = data.get("gitlab_tag_arm64", "saas-linux-small-arm64")
    builds = [name for name in pipeline if name.startswith("build:")]
    assert builds == [f"build:{Arch.parse(arch).tag_suffix}" for arch in arches_of(data)]
    for name, arch in zip(builds, arches_of(data), strict=True):
        assert pipeline[name]["variables"]["ARCH"] == arch
        assert pipeline[name]["tags"] == [arm64 if arch == "arm64" else amd64]
    assert pipeline["merge"]["needs"] == builds
    assert pipeline["merge"]["script"][-2:] == ["make docker-manifest", "make docker-verify"]


def test_buildx_hands_digests_to_the_merge_and_docker_does_not(
    rendered: tuple[dict[str, Any], Path],
) -> None:
    data, project = rendered
    workflow, pipeline = load(project / GITHUB), load(project / GITLAB)
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    uses = [step.get("uses", "") for step in steps]
    handover = native(data) and data.get("builder") == "buildx"
    assert ("actions/upload-artifact@v4" in uses) is handover
    assert ("actions/download-artifact@v4" in uses) is handover
    assert ("docker/setup-buildx-action@v3" in uses) is (data.get("builder") == "buildx")
    gitlab_artifacts = [job["artifacts"] for job in pipeline.values() if "artifacts" in job]
    assert gitlab_artifacts == (
        [{"paths": [".digests/"], "expire_in": "1 day"}] if handover else []
    )
    if not handover:
        return
    (upload,) = (
        s for s in workflow["jobs"]["build"]["steps"] if "upload-artifact" in s.get("uses", "")
    )
    assert upload["with"] == {
        "name": "digests-${{ matrix.suffix }}",
        "path": ".digests/",
        "include-hidden-files": True,
        "if-no-files-found": "error",
        "retention-days": 1,
        "overwrite": True,  # a re-run of a build job replaces its digest
    }
    merge = workflow["jobs"]["merge"]["steps"]
    (download,) = (s for s in merge if "download-artifact" in s.get("uses", ""))
    assert download["with"] == {"pattern": "digests-*", "merge-multiple": True, "path": ".digests"}
    runs = [s.get("run") for s in merge]
    assert merge.index(download) < runs.index("make docker-manifest")
    # GitLab's merge job gets the artifacts of the build jobs it needs.
    assert all(isinstance(need, str) for need in pipeline["merge"]["needs"])


def test_pull_requests_never_log_in_or_push(rendered: tuple[dict[str, Any], Path]) -> None:
    _, project = rendered
    workflow = load(project / GITHUB)
    for job in workflow["jobs"].values():
        if job.get("if") == "github.event_name != 'pull_request'":
            continue  # the whole job is skipped for pull requests
        for step in job["steps"]:
            run = step.get("run", "")
            if any(t in run for t in ("registry-login", "docker-push", "docker-manifest")):
                assert step.get("if") == "github.event_name != 'pull_request'", step


def make_targets(text: str) -> set[str]:
    """Targets named after `make` in workflow scripts (VAR=value arguments skipped)."""
    targets: set[str] = set()
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    for match in re.finditer(r"\bmake((?: [^\n;|&]+)+)", code):
        targets.update(w for w in match.group(1).split() if re.fullmatch(r"[a-z][a-z-]*", w))
    return targets


def test_every_make_target_a_workflow_calls_exists(rendered: tuple[dict[str, Any], Path]) -> None:
    _, project = rendered
    makefile = (project / "Makefile").read_text()
    for name in (GITHUB, GITLAB):
        called = make_targets((project / name).read_text())
        assert called, name
        for target in called:
            assert re.search(rf"^{re.escape(target)}:", makefile, re.MULTILINE), (name, target)


def test_no_workflow_without_ci(tmp_path: Path) -> None:
    written = render_into(tmp_path, CONFIGS["seed"])
    assert sorted(written) == ["Dockerfile", "Makefile"]
    assert not (tmp_path / ".github").exists()


def test_runner_labels_stay_strings_whatever_they_look_like(tmp_path: Path) -> None:
    """Labels YAML would read as a bool or a number are quoted in both files."""
    data = {
        "image": "org/app",
        "ci": ["github", "gitlab"],
        "github_runner_amd64": "on",
        "github_runner_arm64": "123",
        "gitlab_tag_amd64": "yes",
        "gitlab_tag_arm64": "1.5",
    }
    render_into(tmp_path, data)
    include = load(tmp_path / GITHUB)["jobs"]["build"]["strategy"]["matrix"]["include"]
    assert [entry["runner"] for entry in include] == ["on", "123"]
    pipeline = load(tmp_path / GITLAB)
    assert pipeline["build:amd64"]["tags"] == ["yes"]
    assert pipeline["build:arm64"]["tags"] == ["1.5"]
    assert pipeline["merge"]["tags"] == ["yes"]


def test_pre_release_tags_do_not_move_latest(tmp_path: Path) -> None:
    render_into(tmp_path, CONFIGS["ci-emulated"])
    latest = load(tmp_path / GITHUB)["env"]["LATEST"]
    assert "!contains(github.ref_name, '-')" in latest, latest
    rules = load(tmp_path / GITLAB)["workflow"]["rules"]
    tag_rules = [r for r in rules if "CI_COMMIT_TAG" in r["if"]]
    assert tag_rules[0] == {
        "if": "$CI_COMMIT_TAG =~ /^v[^-]*$/",
        "variables": {"VERSION": "$CI_COMMIT_TAG", "LATEST": "1"},
    }
    assert tag_rules[1]["variables"] == {"VERSION": "$CI_COMMIT_TAG"}  # LATEST stays "0"
