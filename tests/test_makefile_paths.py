"""The other paths of the generated Makefile: podman, buildx, split runners, registry login.

`make -n` pins the commands each path runs. A recording stand-in client (a shell script
that logs its arguments) checks the shell logic that decides things at run time: the
buildx digest hand-off and refusals, and that a password never reaches argv. The podman
path and the split-runner path run for real in tests/e2e; buildx cannot (no plugin on the
test machine), so these plans are its only check.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from tests.support.fake_docker import inspect_answers
from tests.support.makeplan import make, plan
from tests.support.rendering import CONFIGS, render_into

DIGEST = "sha256:" + "ab" * 32


def starting(commands: list[str], prefix: str) -> list[str]:
    return [c for c in commands if c.startswith(prefix)]


@pytest.fixture
def podman_project(tmp_path: Path) -> Path:
    render_into(tmp_path, CONFIGS["podman"])
    return tmp_path


@pytest.fixture
def seed_project(tmp_path: Path) -> Path:
    render_into(tmp_path, CONFIGS["seed"])
    return tmp_path


@pytest.fixture
def buildx_project(tmp_path: Path) -> Path:
    render_into(tmp_path, CONFIGS["buildx"])
    return tmp_path


# --- podman --------------------------------------------------------------------------


def test_podman_engine_builds_pushes_and_adds_with_platforms(podman_project: Path) -> None:
    commands = plan(podman_project, "VERSION=1", "docker-push")
    assert len(starting(commands, "podman build --platform ")) == 3
    adds = starting(commands, "podman manifest add ")
    assert len(adds) == 6  # 3 arches x (version, latest)
    assert any(c.endswith("--os linux --arch arm --variant v7 >/dev/null") for c in adds), adds
    pushes = starting(commands, "podman manifest push ")
    assert pushes == [
        "podman manifest push --all --rm --digestfile .digests/1/pushed "
        f"quay.io/team/podman-app:{tag} "
        f"docker://quay.io/team/podman-app:{tag}"
        for tag in ("1", "latest")
    ]
    assert not starting(commands, "podman manifest annotate"), "docker's syntax leaked in"


def test_podman_insecure_is_tls_verify_false_everywhere_it_talks_to_the_registry(
    podman_project: Path,
) -> None:
    commands = plan(podman_project, "VERSION=1", "INSECURE=1", "docker-push")
    talking = [
        c
        for c in commands
        if c.startswith(
            ("podman build", "podman push", "podman manifest add", "podman manifest push")
        )
    ]
    assert talking and all("--tls-verify=false" in c for c in talking), talking
    assert not any("--insecure" in c for c in commands)


def test_docker_equals_podman_switches_the_docker_makefile(seed_project: Path) -> None:
    commands = plan(seed_project, "VERSION=1", "DOCKER=podman", "docker-push")
    assert starting(commands, "podman manifest add ")
    assert not starting(commands, "podman manifest annotate")
    # ...and the default stays docker's own commands.
    default = plan(seed_project, "VERSION=1", "docker-push")
    assert starting(default, "docker manifest annotate ")
    assert not [c for c in default if "podman" in c]


def test_docker_equals_podman_runs_the_podman_projects_plan(tmp_path: Path) -> None:
    """A docker-engine project driven with DOCKER=podman runs, command for command, what a
    podman-engine project runs: both include mk/engine-podman.mk."""
    shared = {"image": "team/app", "registry": "quay.io", "arches": ["amd64", "arm64", "arm/v7"]}
    render_into(tmp_path / "docker", shared)
    render_into(tmp_path / "podman", {**shared, "engine": "podman"})
    goals = ["clean", "docker-push", "docker-manifest", "docker-verify", "registry-login"]
    settings = ["VERSION=1", "INSECURE=1", "DOCKER=podman"]
    commands = plan(tmp_path / "docker", *settings, *goals)
    assert commands == plan(tmp_path / "podman", *settings, *goals)
    assert len(starting(commands, "podman build --tls-verify=false --platform ")) == 3
    assert len(starting(commands, "podman push --tls-verify=false ")) == 3
    assert len(starting(commands, "podman manifest add --tls-verify=false ")) == 12
    assert len(starting(commands, "podman manifest push --all --rm --tls-verify=false ")) == 4
    assert any("podman search --list-tags" in c for c in commands)
    assert not starting(commands, "docker "), "docker's commands leaked in"


def test_podman_checks_the_registry_by_tag_before_merging(podman_project: Path) -> None:
    commands = plan(podman_project, "VERSION=1", "docker-manifest")
    check = next(c for c in commands if "search --list-tags" in c)
    assert "for suffix in amd64 arm64 arm-v7;" in check
    assert not [c for c in commands if c.startswith("podman build")]


# --- buildx --------------------------------------------------------------------------


def test_buildx_docker_push_is_one_multi_platform_call(buildx_project: Path) -> None:
    """The lists are pushed by one multi-platform call, after every arch was checked:
    each arch is first built into the local store (--load) for docker-check."""
    commands = plan(buildx_project, "VERSION=1", "docker-push")
    builds = starting(commands, "docker buildx build ")
    *checked, push = builds
    platforms = ["linux/amd64", "linux/arm64", "linux/arm/v7", "linux/s390x"]
    assert [re.search(r"--platform (\S+)", build)[1] for build in checked] == platforms  # type: ignore[index]
    assert all("--load" in build for build in checked)
    assert len([c for c in commands if c.startswith("ref=")]) == len(platforms)  # docker-check
    assert commands.index(push) > max(i for i, c in enumerate(commands) if c.startswith("ref="))
    assert "--platform linux/amd64,linux/arm64,linux/arm/v7,linux/s390x " in push
    assert "--tag ghcr.io/team/buildx-app:1 --tag ghcr.io/team/buildx-app:latest" in push
    # OCI media types: a Docker manifest list cannot carry the index's annotations.
    assert "--output type=image,push=true,oci-mediatypes=true " in push
    assert "--annotation index:org.opencontainers.image.version=1 " in push
    assert "GOARCH" not in push, "per-arch args in a multi-platform build"


def test_buildx_split_pushes_each_arch_and_records_its_digest(buildx_project: Path) -> None:
    commands = plan(buildx_project, "VERSION=1", "INSECURE=1", "docker-push-arch", "ARCHES=arm/v7")
    loaded, build = starting(commands, "docker buildx build ")  # docker-check's, then the push
    assert "--platform linux/arm/v7 " in loaded and "--load" in loaded
    assert "--platform linux/arm/v7 " in build
    # Tagged, not push-by-digest: buildx's docker driver (the default builder) cannot.
    assert (
        "--output type=image,name=ghcr.io/team/buildx-app:arm-v7-1,push=true,"
        "oci-mediatypes=true,registry.insecure=true" in build
    )
    assert "--metadata-file .digests/1/arm-v7.json" in build


def recording_docker(directory: Path) -> tuple[Path, Path]:
    """A docker stand-in that logs each call and answers buildx like the real plugin would."""
    log = directory / "calls.log"
    script = directory / "fake-docker"
    script.write_text(
        "#!/usr/bin/env bash\n"
        f'printf "%s\\n" "$*" >> {log}\n'
        'if [[ $1 == login ]]; then cat > "$(dirname "$0")/stdin.txt"; exit 0; fi\n'
        + inspect_answers(str(directory))
        + "if [[ $1 == buildx && $2 == build ]]; then\n"
        "  while [[ $# -gt 0 ]]; do\n"
        "    if [[ $1 == --metadata-file ]]; then\n"
        f'      printf \'{{\\n  "containerimage.digest": "{DIGEST}"\\n}}\\n\' > "$2"\n'
        "    fi\n"
        "    shift\n"
        "  done\n"
        "fi\n"
        "exit 0\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script, log


def test_buildx_digests_hand_off_to_imagetools(buildx_project: Path) -> None:
    docker, log = recording_docker(buildx_project)
    pushed = make(buildx_project, f"DOCKER={docker}", "VERSION=1", "docker-push-arch")
    assert pushed.returncode == 0, pushed.stderr
    for suffix in ("amd64", "arm64", "arm-v7", "s390x"):
        assert (buildx_project / ".digests" / "1" / suffix).read_text().strip() == DIGEST

    merged = make(buildx_project, f"DOCKER={docker}", "VERSION=1", "docker-manifest")
    assert merged.returncode == 0, merged.stderr
    create = [line for line in log.read_text().splitlines() if "imagetools create" in line]
    assert len(create) == 1
    # The index's OCI annotations (created is the time of the run), then the digests.
    assert re.fullmatch(
        "buildx imagetools create --tag ghcr.io/team/buildx-app:1 "
        "--tag ghcr.io/team/buildx-app:latest "
        "--annotation index:org.opencontainers.image.version=1 "
        "--annotation index:org.opencontainers.image.revision=1 "
        "--annotation index:org.opencontainers.image.created=20[0-9-]{8}T[0-9:]{8}Z "
        + " ".join([f"ghcr.io/team/buildx-app@{DIGEST}"] * 4),
        create[0],
    ), create
    # Each list read back from the registry is recorded; the release's digest is kept.
    assert "pushed ghcr.io/team/buildx-app:1@sha256:" in merged.stdout
    assert "pushed ghcr.io/team/buildx-app:latest@sha256:" in merged.stdout
    assert (buildx_project / ".digests" / "1" / "index").read_text().startswith("sha256:")


def test_buildx_merge_refuses_without_every_digest(buildx_project: Path) -> None:
    docker, log = recording_docker(buildx_project)
    (buildx_project / ".digests" / "1").mkdir(parents=True)
    (buildx_project / ".digests" / "1" / "amd64").write_text(DIGEST + "\n")
    result = make(buildx_project, f"DOCKER={docker}", "VERSION=1", "docker-manifest")
    assert result.returncode != 0  # make reports a failed recipe as 2
    assert "no digest in .digests/1 for: arm64 arm-v7 s390x" in result.stderr
    assert "imagetools" not in log.read_text()


def test_buildx_merge_never_mixes_in_another_versions_digests(buildx_project: Path) -> None:
    docker, log = recording_docker(buildx_project)
    pushed = make(buildx_project, f"DOCKER={docker}", "VERSION=1", "docker-push-arch")
    assert pushed.returncode == 0, pushed.stderr
    # Version 2: only amd64 was pushed; version 1's arm64 digest must not stand in for it.
    again = make(
        buildx_project, f"DOCKER={docker}", "VERSION=2", "ARCHES=amd64", "docker-push-arch"
    )
    assert again.returncode == 0, again.stderr
    merged = make(
        buildx_project, f"DOCKER={docker}", "VERSION=2", "ARCHES=amd64 arm64", "docker-manifest"
    )
    assert merged.returncode != 0
    assert "no digest in .digests/2 for: arm64" in merged.stderr
    assert "imagetools" not in log.read_text()


def test_buildx_clean_keeps_the_digests_a_merge_needs(buildx_project: Path) -> None:
    docker, log = recording_docker(buildx_project)
    pushed = make(buildx_project, f"DOCKER={docker}", "VERSION=1", "docker-push-arch")
    assert pushed.returncode == 0, pushed.stderr
    result = make(buildx_project, f"DOCKER={docker}", "VERSION=1", "clean", "docker-manifest")
    assert result.returncode == 0, result.stderr
    assert "imagetools create" in log.read_text()


def test_buildx_without_the_plugin_is_refused(buildx_project: Path) -> None:
    script = buildx_project / "no-buildx"
    script.write_text("#!/usr/bin/env bash\nexit 1\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    result = make(buildx_project, f"DOCKER={script}", "VERSION=1", "docker-push")
    assert result.returncode == 2
    assert "has no buildx plugin" in result.stderr


# --- registry-login ------------------------------------------------------------------


def test_registry_login_needs_both_variables(seed_project: Path) -> None:
    result = make(
        seed_project, "registry-login", env={"REGISTRY_USER": "", "REGISTRY_PASSWORD": ""}
    )
    assert result.returncode == 2
    assert "set REGISTRY_USER and REGISTRY_PASSWORD" in result.stderr


def test_registry_login_sends_the_password_on_stdin_only(seed_project: Path) -> None:
    docker, log = recording_docker(seed_project)
    secret = "s3cr3t with spaces; $(id)"
    result = make(
        seed_project,
        f"DOCKER={docker}",
        "registry-login",
        env={"REGISTRY_USER": "robot", "REGISTRY_PASSWORD": secret},
    )
    assert result.returncode == 0, result.stderr
    assert log.read_text() == "login --username robot --password-stdin docker.io\n"
    assert (seed_project / "stdin.txt").read_text() == secret
    assert secret not in result.stdout + result.stderr


# --- the release gate -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "target", "first_list_command"),
    [
        ("seed", "docker-push", "docker manifest create"),
        ("seed", "docker-manifest", "docker manifest create"),
        ("podman", "docker-push", "podman manifest create"),
        ("podman", "docker-manifest", "podman manifest create"),
        ("buildx", "docker-push", "docker buildx build --platform linux/amd64,"),
        ("buildx", "docker-manifest", "docker buildx imagetools create"),
    ],
)
def test_every_arch_is_checked_before_any_list_is_made(
    tmp_path: Path, config: str, target: str, first_list_command: str
) -> None:
    """What the generated CI runs (docker-push-arch, docker-manifest) and the seed line's
    docker-push all pass the gate for every arch before the first list command."""
    render_into(tmp_path, CONFIGS[config])
    commands = plan(tmp_path, "VERSION=1", "ARCHES=amd64 arm64 arm/v7", target)
    first_list = next(i for i, c in enumerate(commands) if c.startswith(first_list_command))
    gate = [c for c in commands[:first_list] if "check_image" in c or "od -An -tu1" in c]
    checked = sum(c.count("od -An -tu1") for c in gate)
    expected = 1 if target == "docker-manifest" else 3  # one loop over the arches, or each
    assert checked == expected, commands
    if target == "docker-manifest":
        assert "for arch in amd64 arm64 arm-v7;" in gate[0]
