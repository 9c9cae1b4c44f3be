"""The generated CI with several images (issue #18 point 4), its scripts run where they can be.

test_ci_workflows.py gives every CI config its structural checks (each build job's share as
(image, arch) pairs on the right runner, the merge after every build job). Here the scripts
themselves run: each build step as the runner would run it (GitHub's matrix values written
in, GitLab's sh splitting $BUILD and $PUSH), with `make -n` in the rendered project, plans
every image's every arch of its runner and pushes each once; the merge job's
`make docker-manifest` and `make docker-verify` cover every image (every image's manifest
gate before any list); nothing restricts IMAGES; and each image's digest reaches CI (GitHub
job outputs digest-NAME, GitLab dotenv RELEASE_DIGEST_<NAME>), read back from real files.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from mkmultiarch.arches import SUPPORTED_ARCHES
from tests.support.makeplan import bake_as_builds
from tests.support.rendering import CONFIGS, render_into

GITHUB = ".github/workflows/multiarch.yml"
GITLAB = ".gitlab-ci.yml"
VERSION = "1.0.0"
# Shapes the CONFIGS do not reach: an image with arm64 only (nothing on the amd64 runner)
# beside one without arm64 (nothing on the arm64 runner), with the docker builder.
SHAPES: dict[str, dict[str, Any]] = {
    "runner-apart": {
        "arches": ["amd64", "arm64"],
        "ci": ["github", "gitlab"],
        "images": [
            {"name": "edge", "image": "org/edge", "arches": ["arm64"]},
            {"name": "batch", "image": "org/batch", "arches": ["amd64", "386"]},
        ],
    },
}
MULTI_CI = {
    **{n: d for n, d in CONFIGS.items() if d.get("images") and d.get("ci")},
    **SHAPES,
}


@pytest.fixture(params=sorted(MULTI_CI))
def rendered(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[dict[str, Any], Path]:
    data = MULTI_CI[request.param]
    project = tmp_path / "project"
    project.mkdir()
    render_into(project, data)
    return data, project


def load(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text())
    assert isinstance(loaded, dict)
    return loaded


def native(data: dict[str, Any]) -> bool:
    return bool(data.get("ci_strategy", "native") == "native")


def images(data: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """(name, image path, arches) of every image, its arches defaulted as validate does."""
    default = data.get("arches", ["amd64", "arm64"])
    return [(i["name"], i["image"], list(i.get("arches", default))) for i in data["images"]]


def share(data: dict[str, Any], on_arm64: bool) -> list[tuple[str, str]]:
    """The (image, arch) pairs a runner builds: arm64 on the arm64 runner, the rest on amd64."""
    return [
        (name, arch)
        for name, _, arches in images(data)
        for arch in arches
        if (arch == "arm64") == on_arm64
    ]


def dry_make_path(tmp_path: Path) -> str:
    """A PATH whose `make` is the real one with -n (the plan, nothing run), and whose apk,
    dnf and pipx (the audit's installers) do nothing."""
    stubs = tmp_path / "stubs"
    stubs.mkdir(exist_ok=True)
    real_make = shutil.which("make")
    assert real_make
    scripts = {"make": f'#!/bin/sh\nexec {real_make} -n --no-print-directory "$@"\n'}
    scripts.update({name: "#!/bin/sh\nexit 0\n" for name in ("apk", "dnf", "pipx")})
    for name, text in scripts.items():
        (stubs / name).write_text(text)
        (stubs / name).chmod(0o755)
    return f"{stubs}{os.pathsep}{os.environ['PATH']}"


def run_script(shell: list[str], script: str, project: Path, env: dict[str, str]) -> list[str]:
    """Run SCRIPT in PROJECT with make dry-running; the commands make printed, one a line."""
    full_env = {**os.environ, "VERSION": VERSION, **env}
    result = subprocess.run(
        [*shell, script], cwd=project, env=full_env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    lines = [" ".join(line.split()) for line in result.stdout.replace("\\\n", " ").splitlines()]
    return [build for line in lines for build in bake_as_builds(line, project)]


def arch_tagged(data: dict[str, Any], command: str) -> tuple[str, str]:
    """(image name, arch) of the one per-arch tag IMAGE:<arch>-VERSION a command names."""
    (found,) = {
        (name, arch)
        for name, path, _ in images(data)
        for arch in SUPPORTED_ARCHES
        if f"/{path}:{arch.replace('/', '-')}-{VERSION}" in command
    }
    return found


def pushed(data: dict[str, Any], commands: list[str]) -> list[tuple[str, str]]:
    """(image, arch) of every per-arch push in a plan, in order."""
    pushes = [c for c in commands if re.match(r"(docker|podman) push ", c) or "push=true" in c]
    return [arch_tagged(data, c) for c in pushes]


def built(data: dict[str, Any], commands: list[str]) -> list[tuple[str, str]]:
    """(image, arch) of every per-arch build in a plan, each once, in order."""
    builds = [c for c in commands if re.match(r"(docker|podman) (buildx )?build ", c)]
    return list(dict.fromkeys(arch_tagged(data, c) for c in builds))


def with_matrix(run: str, entry: dict[str, str]) -> str:
    """A step's script as the runner runs it: ${{ matrix.KEY }} replaced by the entry's value."""
    return re.sub(r"\$\{\{ matrix\.(\w+) \}\}", lambda match: entry[match.group(1)], run)


def test_github_build_steps_plan_every_image_arch_of_their_runner(
    rendered: tuple[dict[str, Any], Path], tmp_path: Path
) -> None:
    data, project = rendered
    if not native(data):
        return
    build = load(project / GITHUB)["jobs"]["build"]
    path = dry_make_path(tmp_path)
    for entry in build["strategy"]["matrix"]["include"]:
        on_arm64 = entry["job"] == "arm64"
        steps = {s["name"]: s for s in build["steps"] if "matrix." in s.get("run", "")}
        plans = {}
        for name in (
            "Build only (pull request, or a branch that does not publish)",
            "Build and push",
        ):
            step = steps[name]
            # What the runner does: matrix values written into the script, env from the step.
            script = with_matrix(step["run"], entry)
            env = {key: entry["arches"] for key in step["env"]}
            assert env.keys() == {"ARCHES"}
            plans[name] = run_script(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"],
                script,
                project,
                {**env, "PATH": path},
            )
        expected = share(data, on_arm64)
        assert expected, entry  # no job without work
        assert pushed(data, plans["Build and push"]) == expected, entry
        only = plans["Build only (pull request, or a branch that does not publish)"]
        assert built(data, only) == expected and not pushed(data, only), entry


def test_gitlab_build_script_splits_its_goals_and_plans_its_share(
    rendered: tuple[dict[str, Any], Path], tmp_path: Path
) -> None:
    """GitLab's sh splits $BUILD and $PUSH into make goals (docker:27 runs ash: busybox)."""
    data, project = rendered
    pipeline = load(project / GITLAB)
    if not native(data):
        return
    busybox = shutil.which("busybox")
    shell = [busybox, "sh", "-e", "-c"] if busybox else ["sh", "-e", "-c"]
    (script,) = [s for s in pipeline[".build"]["script"] if "merge_request_event" in s]
    path = dry_make_path(tmp_path)
    jobs = [name for name in pipeline if name.startswith("build:")]
    assert jobs
    for name in jobs:
        variables = {k: str(v) for k, v in pipeline[name]["variables"].items()}
        expected = share(data, name == "build:arm64")
        env = {**variables, "PATH": path}
        plan = run_script(shell, script, project, {**env, "CI_PIPELINE_SOURCE": "push"})
        assert pushed(data, plan) == expected, name
        plan = run_script(
            shell, script, project, {**env, "CI_PIPELINE_SOURCE": "merge_request_event"}
        )
        assert built(data, plan) == expected and not pushed(data, plan), name


def every_image_ran(data: dict[str, Any], commands: list[str], target: str) -> list[str]:
    """The images whose own Makefile run makes TARGET, in order."""
    ran = []
    for command in commands:
        match = re.fullmatch(rf"(?:\S*/)?make .*IMAGE_NAME=(\S+) DIGESTS_DIR=\S+ {target}", command)
        if match:
            ran.append(match.group(1))
    return ran


def test_the_list_pushing_job_covers_every_image(
    rendered: tuple[dict[str, Any], Path], tmp_path: Path
) -> None:
    """The merge (or publish) job runs the top-level targets, without IMAGES: every image's
    manifest gate before any list, then each image's list(s) and each image's verify."""
    data, project = rendered
    names = [name for name, _, _ in images(data)]
    workflow, pipeline = load(project / GITHUB), load(project / GITLAB)
    push = "make docker-manifest" if native(data) else "make docker-push"
    job = "merge" if native(data) else "publish"
    runs = [step.get("run", "") for step in workflow["jobs"][job]["steps"]]
    assert runs.index(push) < runs.index("make docker-verify")
    gitlab = "\n".join(pipeline[job]["script"])
    assert gitlab.index(push) < gitlab.index("make docker-verify")
    path = dry_make_path(tmp_path)
    bash = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]
    plan = run_script(bash, push, project, {"PATH": path})
    if native(data):
        gates = every_image_ran(data, plan, "docker-manifest-gate")
        lists = every_image_ran(data, plan, "docker-manifest")
        assert sorted(gates) == sorted(names) and sorted(lists) == sorted(names), plan
        last_gate = max(plan.index(c) for c in plan if c.endswith(" docker-manifest-gate"))
        first_list = min(plan.index(c) for c in plan if c.endswith(" docker-manifest"))
        assert last_gate < first_list  # every image or none
    else:
        assert sorted(every_image_ran(data, plan, "docker-push")) == sorted(names), plan
        assert sorted(set(pushed(data, plan))) == sorted(
            (name, arch) for name, _, arches in images(data) for arch in arches
        )
    plan = run_script(bash, "make docker-verify", project, {"PATH": path})
    assert sorted(every_image_ran(data, plan, "docker-verify")) == sorted(names), plan


def test_no_workflow_restricts_images(rendered: tuple[dict[str, Any], Path]) -> None:
    """IMAGES and IMAGE_NAME are the Makefile's business: CI always makes every image."""
    _, project = rendered
    for name in (GITHUB, GITLAB):
        text = (project / name).read_text()
        assert "IMAGES" not in text and "IMAGE_NAME" not in text, name


def fake_digests(data: dict[str, Any], directory: Path) -> dict[str, str]:
    """Write .digests/NAME/VERSION/index for every image, as make does; {name: digest}."""
    digests = {}
    for number, (name, _, _) in enumerate(images(data)):
        digest = f"sha256:{number:064x}"
        index = directory / ".digests" / name / VERSION / "index"
        index.parent.mkdir(parents=True)
        index.write_text(digest + "\n")
        digests[name] = digest
    return digests


def test_github_outputs_each_images_digest(
    rendered: tuple[dict[str, Any], Path], tmp_path: Path
) -> None:
    data, project = rendered
    job = load(project / GITHUB)["jobs"]["merge" if native(data) else "publish"]
    digests = fake_digests(data, tmp_path)
    (step,) = [s for s in job["steps"] if s.get("id") == "digest"]
    output = tmp_path / "github-output"
    output.write_text("")
    run_script(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"],
        step["run"],
        tmp_path,
        {"GITHUB_OUTPUT": str(output)},
    )
    written = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert written == {f"digest-{name}": digest for name, digest in digests.items()}
    assert job["outputs"] == {key: f"${{{{ steps.digest.outputs.{key} }}}}" for key in written}


def test_gitlab_hands_on_each_images_digest(
    rendered: tuple[dict[str, Any], Path], tmp_path: Path
) -> None:
    """release.env (a dotenv report) gets RELEASE_DIGEST_<NAME>: upper case, - as _."""
    data, project = rendered
    pipeline = load(project / GITLAB)
    digests = fake_digests(data, tmp_path)
    if native(data):
        (script,) = [s for s in pipeline["merge"]["script"] if "release.env" in s]
        env: dict[str, str] = {}
    else:  # the publish script's push branch, make and the installers doing nothing
        (script,) = [s for s in pipeline["publish"]["script"] if "release.env" in s]
        stubs = tmp_path / "noop"
        stubs.mkdir()
        for name in ("make", "apk", "dnf", "pipx"):
            (stubs / name).write_text("#!/bin/sh\nexit 0\n")
            (stubs / name).chmod(0o755)
        env = {"PATH": f"{stubs}{os.pathsep}{os.environ['PATH']}", "CI_PIPELINE_SOURCE": "push"}
    busybox = shutil.which("busybox")
    shell = [busybox, "sh", "-e", "-c"] if busybox else ["sh", "-e", "-c"]
    run_script(shell, script, tmp_path, env)
    lines = (tmp_path / "release.env").read_text().splitlines()
    written = dict(line.split("=", 1) for line in lines)
    assert all(re.fullmatch(r"[A-Z_][A-Z0-9_]*", key) for key in written), written
    assert written == {
        f"RELEASE_DIGEST_{name.upper().replace('-', '_')}": digest
        for name, digest in digests.items()
    }
