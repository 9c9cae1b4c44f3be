"""Rendered CI workflows: valid for their schema checkers, and wired to the Makefile.

Each workflow is checked by real tools: check-jsonschema with its built-in GitHub workflow and
GitLab CI schemas, and actionlint (which runs shellcheck on every `run:` script). Structural
checks then pin what the tools cannot know: which arches each build job builds on which
runner (every arch exactly once, arm64 on the arm64 runner, the rest in one job on the amd64
runner), QEMU only where a job runs code its runner cannot (never for Go), the merge after
every build, the digest hand-off for buildx, and that every `make` target a workflow calls
exists in the Makefile rendered beside it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from mkmultiarch.arches import Arch
from tests.support.makeplan import plan
from tests.support.rendering import CONFIGS, render_into

GITHUB = ".github/workflows/multiarch.yml"
GITLAB = ".gitlab-ci.yml"
# Top-level .gitlab-ci.yml keys that are not jobs.
GITLAB_KEYWORDS = {"default", "include", "stages", "variables", "workflow"}
CI_CONFIGS = sorted(name for name, data in CONFIGS.items() if data.get("ci"))
# Job shapes the snapshot configs do not reach: no arm64, only arm64, no amd64, and a Dockerfile
# whose arches the amd64 runner runs without QEMU.
SHAPES: dict[str, dict[str, Any]] = {
    "go-no-arm64": {
        "image": "org/app",
        "arches": ["amd64", "386", "s390x"],
        "builder": "buildx",
        "ci": ["github", "gitlab"],
    },
    "go-arm64-only": {"image": "org/app", "arches": ["arm64"], "ci": ["github", "gitlab"]},
    "dockerfile-no-amd64": {
        "image": "org/app",
        "language": "dockerfile",
        "arches": ["arm/v7", "arm64"],
        "builder": "buildx",
        "ci": ["github", "gitlab"],
    },
    "dockerfile-runs-natively": {
        "image": "org/app",
        "language": "dockerfile",
        "arches": ["386", "arm64", "amd64"],
        "ci": ["github", "gitlab"],
    },
}
ALL_CI = {**{name: CONFIGS[name] for name in CI_CONFIGS}, **SHAPES}
# The arches a runner runs without QEMU (an amd64 machine runs 386 code too).
RUNS_NATIVELY = {"amd64": {"amd64", "386"}, "arm64": {"arm64"}}
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


@pytest.fixture(params=sorted(ALL_CI))
def rendered(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[dict[str, Any], Path]:
    data = ALL_CI[request.param]
    render_into(tmp_path, data)
    return data, tmp_path


def load(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text())
    assert isinstance(loaded, dict)
    return loaded


def arches_of(data: dict[str, Any]) -> list[str]:
    return list(data.get("arches", ["amd64", "arm64"]))


def native(data: dict[str, Any]) -> bool:
    return bool(data.get("ci_strategy", "native") == "native")


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


@dataclass(frozen=True)
class BuildJob:
    """One build job as a runner sees it, read from either CI system."""

    name: str
    runner: str  # the label or tag
    arches: tuple[str, ...]
    qemu: bool  # sets QEMU up before building


def runner_labels(data: dict[str, Any], system: str) -> dict[str, str]:
    """{"amd64": label, "arm64": label} of the native jobs for `system`."""
    if system == "github":
        return {
            "amd64": data.get("github_runner_amd64", "ubuntu-24.04"),
            "arm64": data.get("github_runner_arm64", "ubuntu-24.04-arm"),
        }
    return {
        "amd64": data.get("gitlab_tag_amd64", "saas-linux-small-amd64"),
        "arm64": data.get("gitlab_tag_arm64", "saas-linux-small-arm64"),
    }


def github_builds(workflow: dict[str, Any]) -> list[BuildJob]:
    build = workflow["jobs"]["build"]
    include = build["strategy"]["matrix"]["include"]
    qemu_steps = [s for s in build["steps"] if "setup-qemu-action" in s.get("uses", "")]
    assert len(qemu_steps) <= 1
    if qemu_steps:
        # One step for the matrix, taken where the entry says so.
        assert qemu_steps[0]["if"] == "matrix.qemu"
        assert all(isinstance(entry["qemu"], bool) for entry in include), include
    else:
        assert all("qemu" not in entry for entry in include), include
    for step in build["steps"]:
        if "ARCHES=" in step.get("run", ""):
            assert step["env"] == {"ARCHES": "${{ matrix.arches }}"}, step
    return [
        BuildJob(
            name=entry["job"],
            runner=entry["runner"],
            arches=tuple(entry["arches"].split()),
            qemu=bool(qemu_steps) and entry["qemu"],
        )
        for entry in include
    ]


def gitlab_builds(pipeline: dict[str, Any]) -> list[BuildJob]:
    script = pipeline[".build"]["script"]
    binfmt = [line for line in script if "binfmt" in line]
    assert len(binfmt) <= 1
    if binfmt:
        assert binfmt[0].startswith('if [ "$QEMU" = 1 ]; then '), binfmt
    jobs = []
    for name, job in pipeline.items():
        if not name.startswith("build:"):
            continue
        assert job["extends"] == ".build" and "script" not in job, name
        (runner,) = job["tags"]
        qemu = job["variables"].get("QEMU")
        # The QEMU variable exists exactly where the script reads it.
        assert (qemu is not None) is bool(binfmt), (name, job["variables"])
        jobs.append(
            BuildJob(
                name=name,
                runner=runner,
                arches=tuple(job["variables"]["ARCHES"].split()),
                qemu=qemu == "1",
            )
        )
    return jobs


def check_build_jobs(data: dict[str, Any], jobs: list[BuildJob], labels: dict[str, str]) -> None:
    """arm64 on its own runner, every other arch in one job on the amd64 runner, each once."""
    arches = arches_of(data)
    built = [arch for job in jobs for arch in job.arches]
    assert sorted(built) == sorted(arches), jobs  # every arch exactly once
    kinds = {label: kind for kind, label in labels.items()}
    assert [job.runner for job in jobs] == [
        labels[kind] for kind in ("amd64", "arm64") if any(kinds[j.runner] == kind for j in jobs)
    ], jobs  # one job per runner, the amd64 runner's first
    for job in jobs:
        kind = kinds[job.runner]
        expected = [a for a in arches if (a == "arm64") == (kind == "arm64")]
        assert list(job.arches) == expected, job  # in config order
        emulated = set(job.arches) - RUNS_NATIVELY[kind]
        needs_qemu = data.get("language", "go") != "go" and bool(emulated)
        assert job.qemu is needs_qemu, job


def test_native_github_builds_arm64_on_its_runner_and_the_rest_in_one_job(
    rendered: tuple[dict[str, Any], Path],
) -> None:
    data, project = rendered
    workflow = load(project / GITHUB)
    jobs = workflow["jobs"]
    amd64 = data.get("github_runner_amd64", "ubuntu-24.04")
    if not native(data):
        assert list(jobs) == ["publish"]
        assert jobs["publish"]["runs-on"] == amd64
        steps = [step.get("run", "") for step in jobs["publish"]["steps"]]
        assert "make docker-push" in steps and "make docker-verify" in steps
        return
    assert list(jobs) == ["build", "merge"]
    labels = runner_labels(data, "github")
    builds = github_builds(workflow)
    check_build_jobs(data, builds, labels)
    names = {labels["amd64"]: "amd64-runner", labels["arm64"]: "arm64"}
    assert [job.name for job in builds] == [names[job.runner] for job in builds]
    if data.get("language", "go") == "go":
        uses = [step.get("uses", "") for job in jobs.values() for step in job["steps"]]
        assert not any("setup-qemu-action" in use for use in uses), uses
    merge = jobs["merge"]
    assert merge["needs"] == "build"  # every entry of the matrix
    assert merge["runs-on"] == amd64
    runs = [step.get("run", "") for step in merge["steps"]]
    assert runs.index("make docker-manifest") < runs.index("make docker-verify")


def test_native_github_matrix_has_no_key_its_steps_do_not_read(
    rendered: tuple[dict[str, Any], Path],
) -> None:
    data, project = rendered
    if not native(data):
        return
    build = load(project / GITHUB)["jobs"]["build"]
    used = yaml.safe_dump({k: v for k, v in build.items() if k != "strategy"})
    for entry in build["strategy"]["matrix"]["include"]:
        for key in entry:
            assert f"matrix.{key}" in used, key


def test_native_gitlab_builds_arm64_on_its_runner_and_the_rest_in_one_job(
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
    labels = runner_labels(data, "gitlab")
    builds = gitlab_builds(pipeline)
    check_build_jobs(data, builds, labels)
    names = {labels["amd64"]: "build:amd64-runner", labels["arm64"]: "build:arm64"}
    assert [job.name for job in builds] == [names[job.runner] for job in builds]
    assert 'make docker-push-arch ARCHES="$ARCHES"' in pipeline[".build"]["script"][-1]
    if data.get("language", "go") == "go":
        scripts = [line for job in pipeline.values() if "script" in job for line in job["script"]]
        assert not any("binfmt" in line for line in scripts), scripts
    jobs = [name for name in pipeline if name not in GITLAB_KEYWORDS and name[0] != "."]
    assert jobs == [job.name for job in builds] + ["merge"]
    assert pipeline["merge"]["needs"] == [job.name for job in builds]
    assert pipeline["merge"]["tags"] == [labels["amd64"]]
    assert pipeline["merge"]["script"][-2:] == ["make docker-manifest", "make docker-verify"]


def test_each_build_job_plans_one_build_per_arch_of_its_share(
    rendered: tuple[dict[str, Any], Path],
) -> None:
    """The Makefile takes each job's ARCHES as they are written into the workflow."""
    data, project = rendered
    if not native(data):
        return
    for job in github_builds(load(project / GITHUB)):
        commands = plan(
            project, "VERSION=1.0.0", "docker-push-arch", f"ARCHES={' '.join(job.arches)}"
        )
        platforms = [p for c in commands for p in re.findall(r"--platform (\S+)", c)]
        assert platforms == [Arch.parse(arch).platform for arch in job.arches], job


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
        "name": "digests-${{ matrix.job }}",  # one artifact per build job
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
    assert sorted(written) == [
        "Dockerfile",
        "Makefile",
        "mk/common.mk",
        "mk/engine-docker.mk",
        "mk/engine-podman.mk",
        "mk/guard.mk",
    ]
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
    assert pipeline["build:amd64-runner"]["tags"] == ["yes"]
    assert pipeline["build:arm64"]["tags"] == ["1.5"]
    assert pipeline["merge"]["tags"] == ["yes"]


def test_a_lone_386_stays_a_string(tmp_path: Path) -> None:
    render_into(tmp_path, {"image": "org/app", "arches": ["386"], "ci": ["github", "gitlab"]})
    (entry,) = load(tmp_path / GITHUB)["jobs"]["build"]["strategy"]["matrix"]["include"]
    assert entry["arches"] == "386"
    assert load(tmp_path / GITLAB)["build:amd64-runner"]["variables"]["ARCHES"] == "386"


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
