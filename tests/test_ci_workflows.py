"""Rendered CI workflows: valid for their schema checkers, and wired to the Makefile.

Each workflow is checked by real tools: check-jsonschema with its built-in GitHub workflow and
GitLab CI schemas, and actionlint (which runs shellcheck on every `run:` script). Structural
checks then pin what the tools cannot know: which arches each build job builds on which
runner (every arch exactly once, arm64 on the arm64 runner, the rest in one job on the amd64
runner; with several images, every image's every arch), QEMU only where a job runs code its
runner cannot (never for Go), the merge after every build, the digest hand-off for buildx,
and that every `make` target a workflow calls exists in the Makefile rendered beside it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from mkmultiarch import __version__
from mkmultiarch.arches import SUPPORTED_ARCHES, Arch
from mkmultiarch.render.settings import SETTING
from tests.support.git import git
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
# The GitHub conditions: what logs in and pushes (a v* tag, or the default branch pushed or run
# by hand), what only builds (everything else), and what may move latest (a pushed tag).
DEFAULT_BRANCH_REF = "format('refs/heads/{0}', github.event.repository.default_branch)"
PUBLISH = (
    "github.event_name != 'pull_request' && (startsWith(github.ref, 'refs/tags/v')"
    f" || github.ref == {DEFAULT_BRANCH_REF})"
)
BUILD_ONLY = (
    "github.event_name == 'pull_request' || (!startsWith(github.ref, 'refs/tags/v')"
    f" && github.ref != {DEFAULT_BRANCH_REF})"
)
PUSHED_TAG = "github.event_name == 'push' && github.ref_type == 'tag'"
DECIDE = "Decide whether this release moves latest"


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


def images_of(data: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(name, arches) of every image; a one-image config's one image is named ""."""
    if "images" not in data:
        return [("", arches_of(data))]
    return [(i["name"], list(i.get("arches", arches_of(data)))) for i in data["images"]]


# Several images: a build job's make goals and its ARCHES, as the steps pass them.
MULTI_BUILD_RUN = 'make ${{ matrix.build }} ARCHES="$ARCHES"'
MULTI_PUSH_RUN = 'make ${{ matrix.push }} ARCHES="$ARCHES"'


def builds_only(run: str) -> bool:
    """A step or script line that builds without pushing (one image's or several's)."""
    return "make docker-build" in run or "matrix.build" in run


def goal_shares(goals: str, verb: str, data: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The (image, arch) pairs of make goals docker-VERB-NAME-ARCH, each read unambiguously."""
    arches = {arch.replace("/", "-"): arch for arch in SUPPORTED_ARCHES}
    shares = []
    for goal in goals.split():
        rest = goal.removeprefix(f"docker-{verb}-")
        (share,) = [
            (name, arches[rest[len(name) + 1 :]])
            for name, _ in images_of(data)
            if rest.startswith(f"{name}-") and rest[len(name) + 1 :] in arches
        ]
        shares.append(share)
    return tuple(shares)


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
    arches: tuple[str, ...]  # its ARCHES
    qemu: bool  # sets QEMU up before building
    # (image, arch) it builds and pushes: ("", arch) per arch of ARCHES for one image; with
    # several images, read from its make goals (docker-push-NAME-ARCH).
    shares: tuple[tuple[str, str], ...]


def job_shares(
    data: dict[str, Any], arches: tuple[str, ...], build: str | None, push: str | None
) -> tuple[tuple[str, str], ...]:
    """A job's (image, arch) pairs; its build-only and push goals must name the same ones."""
    if "images" not in data:
        assert build is None and push is None
        return tuple(("", arch) for arch in arches)
    assert build is not None and push is not None
    shares = goal_shares(build, "build", data)
    assert goal_shares(push, "push", data) == shares, (build, push)
    return shares


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


def github_builds(workflow: dict[str, Any], data: dict[str, Any]) -> list[BuildJob]:
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
            shares=job_shares(
                data, tuple(entry["arches"].split()), entry.get("build"), entry.get("push")
            ),
        )
        for entry in include
    ]


def gitlab_builds(pipeline: dict[str, Any], data: dict[str, Any]) -> list[BuildJob]:
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
        variables = job["variables"]
        qemu = variables.get("QEMU")
        # The QEMU variable exists exactly where the script reads it.
        assert (qemu is not None) is bool(binfmt), (name, variables)
        # BUILD and PUSH (several images' make goals) exist exactly where it reads them.
        assert ("BUILD" in variables) is ("images" in data) is ("PUSH" in variables), variables
        arches = tuple(variables["ARCHES"].split())
        jobs.append(
            BuildJob(
                name=name,
                runner=runner,
                arches=arches,
                qemu=qemu == "1",
                shares=job_shares(data, arches, variables.get("BUILD"), variables.get("PUSH")),
            )
        )
    return jobs


def check_build_jobs(data: dict[str, Any], jobs: list[BuildJob], labels: dict[str, str]) -> None:
    """arm64 on its own runner, every other arch in one job on the amd64 runner, each once;
    with several images, every image's every arch, in one job per runner for all images."""
    shares = [(name, arch) for name, arches in images_of(data) for arch in arches]
    built = [share for job in jobs for share in job.shares]
    assert sorted(built) == sorted(shares), jobs  # every (image's) arch exactly once
    kinds = {label: kind for kind, label in labels.items()}
    assert [job.runner for job in jobs] == [
        labels[kind] for kind in ("amd64", "arm64") if any(kinds[j.runner] == kind for j in jobs)
    ], jobs  # one job per runner, the amd64 runner's first
    for job in jobs:
        kind = kinds[job.runner]
        expected = [s for s in shares if (s[1] == "arm64") == (kind == "arm64")]
        assert list(job.shares) == expected, job  # in config order, image by image
        # ARCHES: the arches of its share, each once (the one Go compile step builds them).
        assert list(job.arches) == list(dict.fromkeys(arch for _, arch in expected)), job
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
    builds = github_builds(workflow, data)
    check_build_jobs(data, builds, labels)
    runs = [step.get("run", "") for step in jobs["build"]["steps"]]
    if "images" in data:  # one make run per job, every image's goals; never IMAGES=
        assert MULTI_BUILD_RUN in runs and MULTI_PUSH_RUN in runs, runs
    else:
        assert 'make docker-push-arch ARCHES="$ARCHES"' in runs, runs
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
    builds = gitlab_builds(pipeline, data)
    check_build_jobs(data, builds, labels)
    names = {labels["amd64"]: "build:amd64-runner", labels["arm64"]: "build:arm64"}
    assert [job.name for job in builds] == [names[job.runner] for job in builds]
    push = "make $PUSH" if "images" in data else "make docker-push-arch"
    assert f'{push} ARCHES="$ARCHES"' in pipeline[".build"]["script"][-1]
    if data.get("language", "go") == "go":
        scripts = [line for job in pipeline.values() if "script" in job for line in job["script"]]
        assert not any("binfmt" in line for line in scripts), scripts
    jobs = [name for name in pipeline if name not in GITLAB_KEYWORDS and name[0] != "."]
    assert jobs == [job.name for job in builds] + ["merge"]
    assert pipeline["merge"]["needs"] == [job.name for job in builds]
    assert pipeline["merge"]["tags"] == [labels["amd64"]]
    install = (
        []
        if data.get("sign") == "cosign"  # installed before the push, for the SBOMs
        else [
            "dnf install -y --quiet pipx"
            if data.get("engine") == "podman"
            else "apk add --no-cache pipx",
            "PIPX_BIN_DIR=/usr/local/bin " + INSTALL,
        ]
    )
    assert pipeline["merge"]["script"][-3 - len(install) :] == [
        "make docker-manifest",
        # The index digest, handed on as the dotenv variable RELEASE_DIGEST (one per image).
        gitlab_record(data),
        *install,
        "make docker-verify",
    ]
    assert pipeline["merge"]["artifacts"]["reports"] == {"dotenv": "release.env"}


def gitlab_record(data: dict[str, Any]) -> str:
    """The script entry that writes release.env: RELEASE_DIGEST, or RELEASE_DIGEST_<NAME>."""
    if "images" not in data:
        return 'echo "RELEASE_DIGEST=$(cat ".digests/$VERSION/index")" >release.env'
    lines = [
        f'  echo "RELEASE_DIGEST_{name.upper().replace("-", "_")}'
        f'=$(cat ".digests/{name}/$VERSION/index")"'
        for name, _ in images_of(data)
    ]
    return "\n".join(["{", *lines, "} >release.env", ""])


def arch_tagged(data: dict[str, Any], command: str) -> tuple[str, str]:
    """(image name, arch) of the one per-arch tag IMAGE:<arch>-1.0.0 a command names."""
    paths = (
        {data["image"]: ""}
        if "images" not in data
        else {i["image"]: i["name"] for i in data["images"]}
    )
    (found,) = {
        (name, arch)
        for path, name in paths.items()
        for arch in SUPPORTED_ARCHES
        if f"/{path}:{arch.replace('/', '-')}-1.0.0" in command
    }
    return found


def test_each_build_job_plans_one_build_per_arch_of_its_share(
    rendered: tuple[dict[str, Any], Path],
) -> None:
    """The Makefile takes each job's ARCHES (and with several images its make goals) as they
    are written into the workflow.

    buildx builds each arch twice: into the local store for docker-check, then
    again (from the cache) to push it; no arch outside the job's share is built.
    With Go, every build of a job passes the same ARCHES to the one compile step.
    """
    data, project = rendered
    if not native(data):
        return
    include = load(project / GITHUB)["jobs"]["build"]["strategy"]["matrix"]["include"]
    for job, entry in zip(github_builds(load(project / GITHUB), data), include, strict=True):
        goals = entry["push"].split() if "images" in data else ["docker-push-arch"]
        commands = plan(project, "VERSION=1.0.0", *goals, f"ARCHES={' '.join(job.arches)}")
        builds = [c for c in commands if re.match(r"(docker|podman) (buildx )?build ", c)]
        built = []
        for command in builds:
            name, arch = arch_tagged(data, command)
            assert re.findall(r"--platform (\S+)", command) == [Arch.parse(arch).platform]
            built.append((name, arch))
            if data.get("language", "go") == "go":
                assert f"--build-arg 'ARCHES={' '.join(sorted(job.arches))}'" in command
        assert list(dict.fromkeys(built)) == list(job.shares), job
        pushes = [c for c in commands if re.match(r"(docker|podman) push ", c) or "push=true" in c]
        assert [arch_tagged(data, c) for c in pushes] == list(job.shares), job  # each once
        if "images" not in data:
            per_arch = 2 if data.get("builder") == "buildx" else 1
            assert len(built) == per_arch * len(job.shares), job
        # Several images: each per-image-per-arch goal runs the image's own Makefile run
        # for build, check and push in turn; BuildKit's cache serves the repeated builds.


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
    # Every pipeline's pushing job keeps the release digest (RELEASE_DIGEST, .digests/).
    release = {"paths": [".digests/"], "reports": {"dotenv": "release.env"}, "expire_in": "30 days"}
    assert gitlab_artifacts == (
        [{"paths": [".digests/"], "expire_in": "1 day"}, release] if handover else [release]
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


def test_only_a_publishing_run_logs_in_or_pushes(rendered: tuple[dict[str, Any], Path]) -> None:
    """Every step that logs in or pushes runs only where PUBLISH holds (its job's or its own
    `if`), and the build-only step exactly where it does not."""
    _, project = rendered
    workflow = load(project / GITHUB)
    pushing = ("registry-login", "docker-push", "matrix.push", "docker-manifest", "docker-verify")
    for job in workflow["jobs"].values():
        guarded = job.get("if") == PUBLISH  # the whole job is skipped otherwise
        for step in job["steps"]:
            run = step.get("run", "")
            if any(t in run for t in pushing) or "upload-artifact" in step.get("uses", ""):
                assert guarded or step.get("if") == PUBLISH, step
            if builds_only(run):
                assert step.get("if") == BUILD_ONLY, step


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


def on_of(workflow: dict[str, Any]) -> dict[str, Any]:
    """The `on:` mapping (PyYAML reads the bare key `on` as True)."""
    keys: dict[Any, Any] = workflow
    on = keys.get("on", keys.get(True))
    assert isinstance(on, dict)
    return on


def evaluate(expression: str, event: str, ref: str, default_branch: str) -> bool:
    """Evaluate a GitHub Actions condition made of what PUBLISH and BUILD_ONLY use."""
    python = re.sub(r"!(?!=)", " not ", expression).replace("&&", " and ").replace("||", " or ")
    github = SimpleNamespace(
        event_name=event,
        ref=ref,
        ref_type="tag" if ref.startswith("refs/tags/") else "branch",
        event=SimpleNamespace(repository=SimpleNamespace(default_branch=default_branch)),
    )
    names = {"github": github, "startsWith": str.startswith, "format": str.format}
    return bool(eval(python, {"__builtins__": {}}, names))  # our own constants only


@pytest.mark.parametrize(
    ("event", "ref", "default_branch", "publishes"),
    [
        ("push", "refs/tags/v1.2.0", "main", True),
        ("push", "refs/tags/v2.0.0-rc1", "main", True),
        ("workflow_dispatch", "refs/tags/v1.2.0", "main", True),
        ("push", "refs/heads/main", "main", True),
        ("push", "refs/heads/trunk", "trunk", True),
        ("workflow_dispatch", "refs/heads/trunk", "trunk", True),
        ("push", "refs/heads/main", "trunk", False),
        ("push", "refs/heads/feature", "main", False),
        ("workflow_dispatch", "refs/heads/feature", "main", False),
        ("workflow_dispatch", "refs/tags/release-1", "main", False),
        ("pull_request", "refs/pull/7/merge", "main", False),
    ],
)
def test_v_tags_and_the_default_branch_publish_and_the_rest_only_builds(
    event: str, ref: str, default_branch: str, publishes: bool
) -> None:
    assert evaluate(PUBLISH, event, ref, default_branch) is publishes
    assert evaluate(BUILD_ONLY, event, ref, default_branch) is not publishes


def test_github_triggers_name_no_branch(rendered: tuple[dict[str, Any], Path]) -> None:
    """on.push cannot know the default branch: every branch and v* tag triggers, PUBLISH picks."""
    _, project = rendered
    workflow = load(project / GITHUB)
    on = on_of(workflow)
    assert on["push"] == {"branches": ["**"], "tags": ["v*"]}
    assert set(on) == {"push", "pull_request", "workflow_dispatch"}
    assert "main" not in yaml.safe_dump(on)
    assert "'main'" not in (project / GITHUB).read_text()
    # Runs that only build give way to newer ones; publishing runs are never cancelled.
    assert workflow["concurrency"]["cancel-in-progress"] == f"${{{{ {BUILD_ONLY} }}}}"


def list_pushing_job(workflow: dict[str, Any], data: dict[str, Any]) -> tuple[str, str]:
    """(job, make command) of the job that pushes the list(s)."""
    return ("merge", "make docker-manifest") if native(data) else ("publish", "make docker-push")


def test_only_the_decision_step_of_a_pushed_tag_sets_latest(
    rendered: tuple[dict[str, Any], Path],
) -> None:
    data, project = rendered
    workflow = load(project / GITHUB)
    assert workflow["env"]["LATEST"] == "0"
    where = []
    for job_name, job in workflow["jobs"].items():
        assert "LATEST" not in job.get("env", {}), job_name
        for index, step in enumerate(job["steps"]):
            assert "LATEST" not in step.get("env", {}), step
            if "LATEST" in step.get("run", ""):
                where.append((job_name, index, step))
    job_name, command = list_pushing_job(workflow, data)
    assert [(j, s["name"]) for j, _, s in where] == [(job_name, DECIDE)]
    (_, index, step) = where[0]
    assert step["if"] == PUSHED_TAG  # never workflow_dispatch, never a branch
    assert 'echo LATEST=1 >>"$GITHUB_ENV"' in step["run"]
    runs = [s.get("run") for s in workflow["jobs"][job_name]["steps"]]
    assert index < runs.index(command)  # decided before the list(s) are pushed


def test_github_records_the_commit_and_the_repository(
    rendered: tuple[dict[str, Any], Path],
) -> None:
    _, project = rendered
    env = load(project / GITHUB)["env"]
    assert env["REVISION"] == "${{ github.sha }}"
    assert env["SOURCE"] == "${{ github.server_url }}/${{ github.repository }}"


def test_registry_login_uses_github_token_for_ghcr_and_secrets_elsewhere(
    rendered: tuple[dict[str, Any], Path],
) -> None:
    data, project = rendered
    text = (project / GITHUB).read_text()
    workflow = load(project / GITHUB)
    ghcr = data.get("registry", "docker.io") == "ghcr.io"
    assert workflow["permissions"] == {"contents": "read"}
    for name, job in workflow["jobs"].items():
        logins = [s for s in job["steps"] if s.get("run") == "make registry-login"]
        assert logins, name  # every job pushes something
        for login in logins:
            assert login["env"] == (
                {
                    "REGISTRY_USER": "${{ github.actor }}",
                    "REGISTRY_PASSWORD": "${{ secrets.GITHUB_TOKEN }}",
                }
                if ghcr
                else {
                    "REGISTRY_USER": "${{ secrets.REGISTRY_USER }}",
                    "REGISTRY_PASSWORD": "${{ secrets.REGISTRY_PASSWORD }}",
                }
            )
        expected: dict[str, str] | None = None
        if ghcr:
            expected = {"contents": "read", "packages": "write"}
        if data.get("sign") == "cosign" and name in ("merge", "publish"):
            # Keyless signing needs the job's OIDC token; the build jobs never get it.
            expected = {**(expected or {"contents": "read"}), "id-token": "write"}
        assert job.get("permissions") == expected, name
    assert ("secrets.REGISTRY_" in text) is not ghcr
    assert ("Set these repository secrets" in text) is not ghcr
    assert ("No secrets to set" in text) is ghcr


def test_gitlab_rules_and_variables(rendered: tuple[dict[str, Any], Path]) -> None:
    data, project = rendered
    pipeline = load(project / GITLAB)
    assert pipeline["variables"]["LATEST"] == "0"
    assert pipeline["variables"]["REVISION"] == "$CI_COMMIT_SHA"
    assert pipeline["variables"]["SOURCE"] == "$CI_PROJECT_URL"
    rules = pipeline["workflow"]["rules"]
    assert rules == [
        {"if": "$CI_COMMIT_TAG =~ /^v/", "variables": {"VERSION": "$CI_COMMIT_TAG"}},
        {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'},
        {"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"},
        {"if": '$CI_PIPELINE_SOURCE == "web"'},
    ]
    assert "main" not in yaml.safe_dump(pipeline["workflow"])
    # LATEST is set in one script block only, of the job that pushes the list(s), before it
    # pushes them.
    job_name = "merge" if native(data) else "publish"
    for name, job in pipeline.items():
        if name in GITLAB_KEYWORDS:
            continue
        assert "LATEST" not in job.get("variables", {}), name
        setting = [line for line in job.get("script", []) if "LATEST" in line]
        assert not setting or name == job_name, name
    script = pipeline[job_name]["script"]
    (decision,) = [i for i, line in enumerate(script) if "LATEST" in line]
    pushes = [i for i, line in enumerate(script) if re.search(r"make docker-(manifest|push)", line)]
    assert pushes and decision < min(pushes)


# The tags of the repository the decision scripts run in.
TAGS = ["v1.2.0", "v1.3.0", "v1.3.1-rc1"]


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A remote with one commit per tag of TAGS, annotated and lightweight."""
    repo = tmp_path_factory.mktemp("origin")
    git(repo, "init", "-q", "-b", "trunk")
    for number, tag in enumerate(TAGS):
        (repo / "file").write_text(tag)
        git(repo, "add", "file")
        git(repo, "commit", "-q", "-m", tag)
        git(repo, "tag", *(["-a", "-m", tag] if number % 2 else []), tag)
    return repo


def checkout(origin: Path, tag: str, destination: Path) -> Path:
    """What a CI job starts from: a shallow clone of `tag` that knows no other tag."""
    git(
        destination.parent,
        "clone",
        "-q",
        "--depth",
        "1",
        "--branch",
        tag,
        origin.as_uri(),
        str(destination),
    )
    assert git(destination, "tag", "--list").split() == [tag]
    return destination


def decide_on_github(
    project: Path, data: dict[str, Any], workdir: Path, tag: str
) -> tuple[bool, str]:
    """Run the GitHub decision step for a push of `tag`: (LATEST=1 written, what it printed)."""
    workflow = load(project / GITHUB)
    job_name, _ = list_pushing_job(workflow, data)
    (step,) = [s for s in workflow["jobs"][job_name]["steps"] if s.get("name") == DECIDE]
    github_env = workdir.parent / f"github-env-{tag}"
    github_env.write_text("")
    env = {**os.environ, "GITHUB_ENV": str(github_env), "GITHUB_REF_NAME": tag}
    # As the runner runs `run:` with shell: bash (and stricter: pipefail too).
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    written = github_env.read_text()
    assert written in ("", "LATEST=1\n"), written
    return written == "LATEST=1\n", result.stdout


def busybox_bin(directory: Path) -> Path:
    """A directory whose sh and awk are busybox's, as in docker:27 (alpine)."""
    busybox = shutil.which("busybox")
    if busybox is None:
        pytest.skip("busybox is not installed")
    directory.mkdir(exist_ok=True)
    for applet in ("sh", "awk"):
        link = directory / applet
        if not link.exists():
            link.symlink_to(busybox)
    return directory


def decide_on_gitlab(
    project: Path, data: dict[str, Any], workdir: Path, tag: str, source: str = "push"
) -> tuple[bool, str]:
    """Run the GitLab decision block in busybox sh: (LATEST is 1 afterwards, what it printed)."""
    pipeline = load(project / GITLAB)
    job_name = "merge" if native(data) else "publish"
    (block,) = [line for line in pipeline[job_name]["script"] if "LATEST" in line]
    bin_dir = busybox_bin(workdir.parent / "busybox-bin")
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "LATEST": "0",
        "CI_PIPELINE_SOURCE": source,
        "CI_COMMIT_TAG": tag,
    }
    result = subprocess.run(
        [str(bin_dir / "sh"), "-e", "-c", block + '\necho "LATEST=$LATEST"'],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    *said, last = result.stdout.splitlines()
    assert last in ("LATEST=0", "LATEST=1"), result.stdout
    return last == "LATEST=1", "\n".join(said)


@pytest.fixture(
    params=[
        ("github", "buildx"),  # native: the merge job decides
        ("github", "ci-emulated"),  # emulated: the publish job decides
        ("gitlab", "buildx"),
        ("gitlab", "ci-emulated"),
    ],
    ids="-".join,
)
def decide(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """decide(tag, origin) -> (moves latest, output), for each system's rendered script."""
    system, config = request.param
    data = CONFIGS[config]
    project = tmp_path / "project"
    render_into(project, data)
    runner = decide_on_github if system == "github" else decide_on_gitlab

    def run(tag: str, origin: Path) -> tuple[bool, str]:
        workdir = checkout(origin, tag, tmp_path / f"checkout-{tag}")
        return runner(project, data, workdir, tag)

    return run


@pytest.mark.parametrize(
    ("tag", "moves"), [("v1.3.0", True), ("v1.2.0", False), ("v1.3.1-rc1", False)]
)
def test_decision_script_moves_latest_only_for_the_highest_release_tag(
    decide: Any, origin: Path, tag: str, moves: bool
) -> None:
    """Run for real in a clone of a repository tagged v1.2.0, v1.3.0 and v1.3.1-rc1."""
    moved, said = decide(tag, origin)
    assert moved is moves, said
    assert len(said.splitlines()) == 1, said  # one line saying why
    assert said.startswith("latest moves to v1.3.0" if moves else "latest stays:"), said
    if tag == "v1.2.0":
        assert "v1.3.0 is" in said, said


def test_of_two_tags_pushed_together_only_the_higher_moves_latest(
    decide: Any, tmp_path: Path
) -> None:
    """Both tags exist before either job decides: whichever finishes last, latest is v1.10.0
    (a version sort: v1.10.0 is above v1.9.0), and a later pre-release does not hold it back."""
    repo = tmp_path / "two-tags"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for tag in ("v1.9.0", "v1.10.0", "v1.11.0-rc1"):
        git(repo, "commit", "-q", "--allow-empty", "-m", tag)
        git(repo, "tag", tag)
    assert decide("v1.9.0", repo)[0] is False
    assert decide("v1.10.0", repo)[0] is True
    assert decide("v1.11.0-rc1", repo)[0] is False


def test_gitlab_never_moves_latest_outside_a_pushed_tag_pipeline(
    origin: Path, tmp_path: Path
) -> None:
    """ "Run pipeline" (web) on the highest tag, or a retried job of a branch, keeps latest."""
    data = CONFIGS["buildx"]
    project = tmp_path / "project"
    render_into(project, data)
    workdir = checkout(origin, "v1.3.0", tmp_path / "checkout")
    assert decide_on_gitlab(project, data, workdir, "v1.3.0")[0] is True
    for source, tag in (("web", "v1.3.0"), ("schedule", "v1.3.0"), ("push", "")):
        moved, said = decide_on_gitlab(project, data, workdir, tag, source=source)
        assert moved is False and said == "latest stays: not a pipeline for a pushed tag"


def test_gitlab_scripts_pass_shellcheck_as_posix_sh(rendered: tuple[dict[str, Any], Path]) -> None:
    """docker:27 (alpine) runs the job scripts in ash: every entry must be POSIX sh."""
    _, project = rendered
    pipeline = load(project / GITLAB)
    for name, job in pipeline.items():
        if name in GITLAB_KEYWORDS:
            continue
        for key in ("before_script", "script"):
            for entry in job.get(key, []):
                result = subprocess.run(
                    [tool("shellcheck"), "--shell=sh", "-"],
                    input=entry,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                assert result.returncode == 0, (name, entry, result.stdout)


# -- make docker-audit on pull and merge requests -------------------------------------------

PULL_REQUEST = "github.event_name == 'pull_request'"
INSTALL = 'pipx install "$MKMULTIARCH_REQUIREMENT"'
OWN_REQUIREMENT = "git+https://git.example.com/tools/mkmultiarch@v0.1.0"


def requirement_of(data: dict[str, Any]) -> str:
    return str(data.get("mkmultiarch_requirement", SETTING["mkmultiarch_requirement"].default))


def step_index(steps: list[dict[str, Any]], run: str) -> int:
    return next(i for i, step in enumerate(steps) if step.get("run", "").startswith(run))


def test_github_audits_before_the_build_on_pull_requests_only(
    rendered: tuple[dict[str, Any], Path],
) -> None:
    """Each job that builds installs mkmultiarch and runs make docker-audit for its own arches,
    before building, on pull requests only; a failing step fails the job (no continue-on-error).
    With several images, for every image's own arches: ARCHES from outside would apply to all."""
    data, project = rendered
    workflow = load(project / GITHUB)
    audited = 0
    for name, job in workflow["jobs"].items():
        steps = job["steps"]
        runs = [step.get("run", "") for step in steps]
        if not any(builds_only(run) for run in runs):
            assert not any("docker-audit" in run for run in runs), name
            # The merge job installs mkmultiarch once: before the push with sign: cosign
            # (the SBOM attestations), else just before make docker-verify.
            assert [run for run in runs if "pipx" in run] == [INSTALL], name
            if data.get("sign") != "cosign":
                assert runs.index(INSTALL) + 1 == runs.index("make docker-verify"), name
            continue
        audited += 1
        install, audit = step_index(steps, "pipx install"), step_index(steps, "make docker-audit")
        build = next(i for i, run in enumerate(runs) if builds_only(run))
        assert install < audit < build
        assert steps[install]["run"] == INSTALL
        assert steps[install]["env"] == {"MKMULTIARCH_REQUIREMENT": requirement_of(data)}
        for step in (steps[install], steps[audit]):
            assert step["if"] == PULL_REQUEST
            assert "continue-on-error" not in step
        if "images" in data:
            assert "env" not in steps[audit] and steps[audit]["run"] == "make docker-audit"
            continue
        assert steps[audit].get("env") == steps[build].get("env")  # the same ARCHES
        expected = 'make docker-audit ARCHES="$ARCHES"' if "env" in steps[build] else ""
        assert steps[audit]["run"] == (expected or "make docker-audit")
    assert audited == 1  # build (a matrix job per runner's share) or publish
    for event, ref in [
        ("push", "refs/tags/v1.0.0"),
        ("push", "refs/heads/main"),
        ("push", "refs/heads/feature"),
        ("workflow_dispatch", "refs/heads/main"),
    ]:
        assert not evaluate(PULL_REQUEST, event, ref, "main")
    assert evaluate(PULL_REQUEST, "pull_request", "refs/pull/7/merge", "main")


def gitlab_build_script(pipeline: dict[str, Any]) -> tuple[str, str]:
    """(job, script) of the job that builds: .build (native) or publish (emulated)."""
    for name in (".build", "publish"):
        if name in pipeline:
            scripts = [s for s in pipeline[name]["script"] if "merge_request_event" in s]
            assert len(scripts) == 1
            return name, scripts[0]
    raise AssertionError("no build job")


def run_gitlab_script(
    script: str,
    tmp_path: Path,
    source: str,
    fail_audit: bool = False,
    extra: dict[str, str] | None = None,
) -> tuple[int, list[str]]:
    """Run SCRIPT as GitLab's sh does (set -e), with make, apk, dnf and pipx recording argv."""
    stubs = tmp_path / "stubs"
    stubs.mkdir(exist_ok=True)
    log = tmp_path / "calls.log"
    log.write_text("")
    for name in ("make", "apk", "dnf", "pipx"):
        stub = stubs / name
        stub.write_text(
            '#!/bin/sh\necho "${0##*/} $*" >>"$CALLS"\n'
            '[ "${0##*/} $1" = "make docker-audit" ] && [ "$FAIL_AUDIT" = 1 ] && exit 1\nexit 0\n'
        )
        stub.chmod(0o755)
    env = {
        "PATH": f"{stubs}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "CALLS": str(log),
        "FAIL_AUDIT": "1" if fail_audit else "0",
        "CI_PIPELINE_SOURCE": source,
        "ARCHES": "amd64",
        "MKMULTIARCH_REQUIREMENT": "mkmultiarch==9.9.9",
        **(extra or {}),
    }
    result = subprocess.run(
        ["sh", "-e", "-c", script],
        cwd=tmp_path,  # the publish script writes release.env: never into the checkout
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode, log.read_text().splitlines()


def test_gitlab_audits_before_the_build_on_merge_requests_only(
    rendered: tuple[dict[str, Any], Path], tmp_path: Path
) -> None:
    data, project = rendered
    pipeline = load(project / GITLAB)
    assert pipeline["variables"]["MKMULTIARCH_REQUIREMENT"] == requirement_of(data)
    _, script = gitlab_build_script(pipeline)
    podman = data.get("engine") == "podman"
    installer = "dnf install -y --quiet pipx" if podman else "apk add --no-cache pipx"
    share = ' ARCHES="$ARCHES"' if native(data) else ""
    # Several images, native: the job's goals (every image's arches on its runner).
    goals = {"BUILD": "docker-build-a-amd64 docker-build-b-amd64", "PUSH": "docker-push-a-amd64"}
    several = native(data) and "images" in data
    extra = goals if several else {}
    code, calls = run_gitlab_script(script, tmp_path, "merge_request_event", extra=extra)
    assert code == 0
    assert calls == [
        installer,
        "pipx install mkmultiarch==9.9.9",
        f"make docker-audit{' ARCHES=amd64' if share and not several else ''}",
        f"make {goals['BUILD'] if several else 'docker-build'}{' ARCHES=amd64' if share else ''}",
    ]
    code, calls = run_gitlab_script(
        script, tmp_path, "merge_request_event", fail_audit=True, extra=extra
    )
    assert code != 0
    assert not any(call.startswith("make docker-build") for call in calls)
    _, calls = run_gitlab_script(script, tmp_path, "push", extra=extra)
    if several:
        assert calls == ["make registry-login", f"make {goals['PUSH']} ARCHES=amd64"]
    assert not any("docker-audit" in call for call in calls)
    if "make docker-verify" in calls and data.get("sign") == "cosign":
        # Installed once, before the push (the SBOM attestations), not again for verify.
        assert calls[-1] == "make docker-verify"
        assert not any("pipx" in call for call in calls[calls.index("make docker-push") :])
    elif "make docker-verify" in calls:  # emulated: the same job pushes and verifies
        assert calls[-3:] == [installer, "pipx install mkmultiarch==9.9.9", "make docker-verify"]
    else:
        assert not any("pipx" in call for call in calls)
    assert "PIPX_BIN_DIR=/usr/local/bin " + INSTALL in script  # on PATH for make


def test_the_configured_requirement_is_installed(tmp_path: Path) -> None:
    data = {
        "image": "org/app",
        "ci": ["github", "gitlab"],
        "mkmultiarch_requirement": OWN_REQUIREMENT,
    }
    render_into(tmp_path, data)
    workflow = load(tmp_path / GITHUB)
    installs = [
        step
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if step.get("run") == INSTALL
    ]
    assert installs and all(
        step["env"] == {"MKMULTIARCH_REQUIREMENT": OWN_REQUIREMENT} for step in installs
    )
    assert load(tmp_path / GITLAB)["variables"]["MKMULTIARCH_REQUIREMENT"] == OWN_REQUIREMENT


def test_the_job_that_verifies_installs_the_rendering_mkmultiarch(
    rendered: tuple[dict[str, Any], Path], tmp_path: Path
) -> None:
    """make docker-verify runs the full mkmultiarch verify, not its docker manifest fallback:
    the step before it installs the requirement, by default this very release from git."""
    data, project = rendered
    default = SETTING["mkmultiarch_requirement"].default
    assert default == f"git+https://github.com/mkmultiarch/mkmultiarch@v{__version__}"
    for name, job in load(project / GITHUB)["jobs"].items():
        steps = job["steps"]
        runs = [step.get("run", "") for step in steps]
        if "make docker-verify" not in runs:
            continue
        verify = runs.index("make docker-verify")
        # Just before verify; with sign: cosign once, before the push (the SBOMs need it).
        signed = data.get("sign") == "cosign"
        install = steps[
            max(i for i in range(verify) if runs[i] == INSTALL) if signed else verify - 1
        ]
        assert install["run"] == INSTALL, name
        assert install["env"] == {"MKMULTIARCH_REQUIREMENT": requirement_of(data)}
        assert install.get("if") == steps[verify].get("if"), name
    pipeline = load(project / GITLAB)
    job = "publish" if "publish" in pipeline else "merge"
    items = pipeline[job]["script"]
    if data.get("sign") == "cosign":  # one install, before the push
        whole = "\n".join(items)
        push = min(
            whole.find(t) for t in ("make docker-push", "make docker-manifest") if t in whole
        )
        assert "PIPX_BIN_DIR=/usr/local/bin " + INSTALL in whole[:push], job
        return
    # merge: installer, pipx, verify as items; publish: all in its last (push) item.
    script = "\n".join(items[-3:] if items[-1] == "make docker-verify" else items[-1:])
    code, calls = run_gitlab_script(script, tmp_path, "push")
    assert code == 0
    assert calls[calls.index("make docker-verify") - 1] == "pipx install mkmultiarch==9.9.9"
