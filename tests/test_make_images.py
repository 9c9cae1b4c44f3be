"""The several-images Makefile (mk/images.mk, issue #18), by its `make -n` plans.

The top-level run only runs the one-image Makefile again per image (IMAGE_NAME=NAME); these
tests read what each image's run would execute, and how bad IMAGES values are refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.makeplan import make, plan
from tests.support.rendering import CONFIGS, render_into


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("multi")
    render_into(directory, CONFIGS["multi"])
    return directory


ARCHES = ("amd64", "arm64", "arm-v7", "riscv64")


def _runs(lines: list[str]) -> list[str]:
    """The per-image runs of a plan: `IMAGE_NAME=... TARGET` of each `make` line."""
    return [
        " ".join(line.split()[4:])
        for line in lines
        if line.startswith("make --no-print-directory -f Makefile IMAGE_NAME=")
    ]


def _builds(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("docker build ")]


def test_the_seed_line_cleans_then_builds_every_image(project: Path) -> None:
    lines = plan(project, "VERSION=1.0", "clean", "docker-build")
    runs = _runs(lines)
    own = {"server": ARCHES, "worker": ("amd64", "arm64"), "cli": ARCHES}
    # Clean first; then one run per image, which builds all its arches at once: goals
    # sharing an image share its run, so no two runs build one tag at once.
    assert runs == [f"IMAGE_NAME={name} DIGESTS_DIR=.digests/{name} clean" for name in own] + [
        f"IMAGE_NAME={name} DIGESTS_DIR=.digests/{name} docker-build" for name in own
    ]
    bakes = [
        line
        for line in make(project, "-n", "VERSION=1.0", "docker-build").stdout.splitlines()
        if line.startswith("docker buildx bake ")
    ]
    assert len(bakes) == 3
    # Each image's own arches: 4 + 2 + 4 builds, each its own tag and stage.
    builds = _builds(lines)
    assert len(builds) == 10
    assert sum("--tag localhost:5000/team/worker:" in build for build in builds) == 2
    assert all("--build-arg 'ARCHES=amd64 arm/v7 arm64 riscv64'" in build for build in builds)


def test_docker_push_checks_every_image_before_any_list(project: Path) -> None:
    lines = plan(project, "VERSION=1.0", "docker-push")
    runs = _runs(lines)
    checks = [i for i, run in enumerate(runs) if run.endswith(" docker-check")]
    pushes = [i for i, run in enumerate(runs) if run.endswith(" docker-push")]
    assert len(checks) == 3
    assert len(pushes) == 3
    assert max(checks) < min(pushes)
    first_list = next(i for i, line in enumerate(lines) if line.startswith("docker manifest push"))
    last_check = max(i for i, line in enumerate(lines) if line.endswith(" docker-check"))
    assert last_check < first_list
    # Each image is built by one run (docker-build, every arch) and checked by one.
    assert runs.count("IMAGE_NAME=cli DIGESTS_DIR=.digests/cli docker-build") == 1
    assert runs.count("IMAGE_NAME=cli DIGESTS_DIR=.digests/cli docker-check") == 1
    assert not [run for run in runs if "docker-build-" in run or "docker-check-" in run]
    lists = [line.split()[-2] for line in lines if line.startswith("docker manifest push")]
    assert lists == [
        f"localhost:5000/team/{name}:{tag}"
        for name in ("server", "worker", "cli")
        for tag in ("1.0", "latest")
    ]
    assert ">.digests/worker/1.0/pushed" in "\n".join(lines)


def test_per_arch_goals_of_an_image_share_its_run(project: Path) -> None:
    """A CI runner's goals (one image's arches): one run per image builds exactly those
    arches, at once, in the order of the image's ARCHES; then each is pushed."""
    goals = ("docker-push-cli-arm64", "docker-build-cli-amd64", "docker-push-worker-arm64")
    lines = plan(project, "VERSION=1.0", *goals)
    runs = _runs(lines)
    assert runs == [
        "IMAGE_NAME=cli DIGESTS_DIR=.digests/cli docker-build-amd64 docker-build-arm64",
        "IMAGE_NAME=cli DIGESTS_DIR=.digests/cli docker-check-amd64 docker-check-arm64",
        "IMAGE_NAME=cli DIGESTS_DIR=.digests/cli docker-push-arm64",
        "IMAGE_NAME=worker DIGESTS_DIR=.digests/worker docker-build-arm64",
        "IMAGE_NAME=worker DIGESTS_DIR=.digests/worker docker-check-arm64",
        "IMAGE_NAME=worker DIGESTS_DIR=.digests/worker docker-push-arm64",
    ]
    # The plan read as it is: cli's build run is one bake of both its arches (the check and
    # push runs plan it again: make -n writes no stamps).
    raw = make(project, "-n", "VERSION=1.0", *goals).stdout
    bake = next(line for line in raw.splitlines() if line.startswith("docker buildx bake "))
    assert "--set amd64.platform=linux/amd64" in bake and "--set arm64.platform=linux/arm64" in bake
    pushed = [line for line in lines if line.startswith("docker push ")]
    assert [line.split()[-1] for line in pushed] == [
        "localhost:5000/team/cli:arm64-1.0",
        "localhost:5000/team/worker:arm64-1.0",
    ]
    # make names no per-arch goal as having nothing to do: each has an (empty) recipe.
    assert "Nothing to be done" not in raw


def test_images_selects_some(project: Path) -> None:
    lines = plan(project, "VERSION=1.0", "IMAGES=worker", "docker-push")
    assert {run.split()[0] for run in _runs(lines)} == {"IMAGE_NAME=worker"}
    assert all("team/worker" in build for build in _builds(lines))
    pushed = [line for line in lines if line.startswith(("docker push", "docker manifest push"))]
    assert pushed and all("team/worker:" in line for line in pushed)


def test_per_image_and_per_arch_targets(project: Path) -> None:
    (build,) = _builds(plan(project, "VERSION=1.0", "docker-build-worker-arm64"))
    assert "--platform linux/arm64" in build
    assert "--build-arg IMAGE_NAME=worker" in build
    assert "--build-arg RUNTIME_IMAGE=scratch" in build
    assert "--tag localhost:5000/team/worker:arm64-1.0" in build
    (build,) = _builds(plan(project, "VERSION=1.0", "docker-build-cli-arm-v7"))
    assert "--build-arg RUNTIME_IMAGE=gcr.io/distroless/static:nonroot" in build
    assert len(_builds(plan(project, "VERSION=1.0", "docker-build-cli"))) == 4
    # ARCHES from outside applies to every image, and is what the compile step builds.
    builds = _builds(plan(project, "VERSION=1.0", "ARCHES=s390x", "docker-build"))
    assert len(builds) == 3
    assert all("--platform linux/s390x" in b and "'ARCHES=s390x'" in b for b in builds)
    # Not an arch of worker's: no such target.
    result = make(project, "-n", "docker-build-worker-riscv64")
    assert result.returncode != 0
    assert "No rule to make target 'docker-build-worker-riscv64'" in result.stderr


def test_each_image_keeps_its_digests_apart(project: Path) -> None:
    runs = _runs(plan(project, "VERSION=1.0", "DIGESTS_DIR=out", "docker-push-worker"))
    assert runs[-1] == "IMAGE_NAME=worker DIGESTS_DIR=out/worker docker-push"
    assert all(run.startswith("IMAGE_NAME=worker DIGESTS_DIR=out/worker docker-") for run in runs)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["IMAGES=worker nope"], "IMAGES: unknown 'nope'; use some of: server worker cli"),
        (["IMAGES=%"], "IMAGES: unknown '%'"),
        (["IMAGES= "], "IMAGES is empty"),
        (["IMAGES=cli cli"], "IMAGES lists an image twice"),
        (["IMAGES=$(shell id)"], "IMAGES from the command line holds a '$'"),
        (["IMG=org/app"], "IMG is set per image in multiarch.yaml"),
        (["IMAGE_NAME=%"], "IMAGE_NAME is not one of: server worker cli"),
        (["IMAGE_NAME=server worker"], "IMAGE_NAME is not one of"),
    ],
)
def test_bad_selections_are_refused_before_anything_runs(
    project: Path, args: list[str], message: str
) -> None:
    result = make(project, *args, "docker-build")
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_help_at_the_top_level_reads_for_several_images(project: Path) -> None:
    """The top level's help: mk/images.mk's aggregates (not the one-image run's texts),
    IMAGES among the settings but not IMG (refused there), and each image's path and arches."""
    result = make(project, "REGISTRY=r.example:5000", "help")
    assert result.returncode == 0, result.stderr
    targets = result.stdout.split("Targets:\n")[1].split("\n\n")[0]
    assert "  docker-build         Build every image of IMAGES, one per arch\n" in targets
    assert "  docker-push          Check every image, then push each one's list(s)\n" in targets
    assert "Build one image per arch" not in result.stdout  # the one-image run's text
    settings = result.stdout.split("Settings (make VAR=value):\n")[1].split("\n\n")[0]
    names = [line.split()[0] for line in settings.splitlines()]
    assert names[0] == "IMAGES" and "IMG" not in names
    assert "some of: server worker cli" in settings
    images = result.stdout.split("\nImages (")[1].splitlines()[2:]
    assert images == [
        "  server       r.example:5000/team/server, for amd64 arm64 arm/v7 riscv64",
        "  worker       r.example:5000/team/worker, for amd64 arm64",
        "  cli          r.example:5000/team/cli, for amd64 arm64 arm/v7 riscv64",
    ]
    # A per-image run (IMAGE_NAME) is the same Makefile: its help is the same text.
    assert make(project, "IMAGE_NAME=worker", "REGISTRY=r.example:5000", "help").stdout == (
        result.stdout
    )


def test_docker_manifest_checks_every_images_pushed_images_before_any_list(
    project: Path,
) -> None:
    lines = plan(project, "VERSION=1.0", "docker-manifest")
    runs = _runs(lines)
    gates = [i for i, run in enumerate(runs) if run.endswith(" docker-manifest-gate")]
    manifests = [i for i, run in enumerate(runs) if run.endswith(" docker-manifest")]
    assert len(gates) == len(manifests) == 3
    assert max(gates) < min(manifests)
    first_list = next(i for i, x in enumerate(lines) if x.startswith("docker manifest create"))
    last_gate = max(i for i, line in enumerate(lines) if line.endswith("docker-manifest-gate"))
    assert last_gate < first_list


def test_image_name_is_not_a_build_arg_of_yours(project: Path) -> None:
    """IMAGE_NAME picks the Dockerfile's final stage: EXTRA_BUILD_ARGS may not set it."""
    result = make(project, "VERSION=1.0", "EXTRA_BUILD_ARGS=IMAGE_NAME=cli", "docker-build-server")
    assert result.returncode == 2
    assert "EXTRA_BUILD_ARGS='IMAGE_NAME=cli' is not allowed" in result.stderr
    assert "RUNTIME_IMAGE, IMAGE_NAME (set those as make variables)" in result.stderr
