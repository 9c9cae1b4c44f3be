"""A registry that stops answering fails make within REGISTRY_TIMEOUT, naming what it read.

Every read from the registry in the generated Makefile (is a per-arch image there, a pushed
list's entries, the docker-manifest gate's pulls) runs under coreutils `timeout`, and a read
that ran out of time is told apart from one the registry refused. The stand-in clients here
hang on one kind of read each (`exec sleep`, as a client blocked on a socket; one ignores
TERM, as the docker client does while it waits: the KILL 2 s later ends it); the real
engine against a registry that accepts connections and never answers is in
tests/e2e/test_faults_e2e.py.
"""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest

from tests.support.fake_docker import inspect_answers
from tests.support.makeplan import make
from tests.support.rendering import CONFIGS, render_into

# Well under the stand-ins' sleep: a run that waits for it has not been bounded.
LIMIT_S = 1
KILL_AFTER_S = 2  # the Makefile's timeout --kill-after
HANG_S = 60
NO_MKMULTIARCH = {"PATH": "/usr/bin:/bin"}  # docker-verify then reads lists with the client


def stand_in(
    project: Path, name: str, hangs_on: str, fails_on: str = "", ignores_term: bool = False
) -> Path:
    """A client called NAME that sleeps on commands starting with HANGS_ON (deaf to TERM
    if IGNORES_TERM), exits 1 on FAILS_ON, and otherwise answers the gate's inspect calls
    (or exits 0)."""
    state = project / "client-state"
    state.mkdir(exist_ok=True)
    script = project / name
    deaf = "trap '' TERM; " if ignores_term else ""  # an ignored signal stays ignored in exec
    lines = [
        "#!/usr/bin/env bash",
        f'if [[ "$*" == "{hangs_on}"* ]]; then {deaf}exec sleep {HANG_S}; fi',
    ]
    if fails_on:
        lines.append(
            f'if [[ "$*" == "{fails_on}"* ]]; then echo "no such manifest" >&2; exit 1; fi'
        )
    script.write_text("\n".join(lines) + "\n" + inspect_answers(str(state)) + "exit 0\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def timed_make(project: Path, *args: str, env: dict[str, str] | None = None) -> tuple[str, float]:
    """make's stderr after a run that must fail, and how long it took."""
    started = time.monotonic()
    result = make(project, f"REGISTRY_TIMEOUT={LIMIT_S}", "VERSION=1", *args, env=env)
    elapsed = time.monotonic() - started
    assert result.returncode != 0, result.stdout + result.stderr
    return result.stderr, elapsed


@pytest.mark.parametrize(
    ("config", "client", "hangs_on", "goal", "read", "env"),
    [
        ("seed", "docker", "manifest inspect", "docker-manifest", "IMAGE:amd64-1", None),
        ("seed", "docker", "deaf manifest inspect", "docker-manifest", "IMAGE:amd64-1", None),
        ("seed", "docker", "pull", "docker-manifest", "IMAGE:amd64-1", None),
        ("seed", "docker", "manifest inspect", "docker-verify", "IMAGE:1", NO_MKMULTIARCH),
        ("podman", "podman", "search", "docker-manifest", "IMAGE:amd64-1", None),
        ("podman", "podman", "manifest add", "docker-verify", "IMAGE:1", NO_MKMULTIARCH),
        ("buildx", "docker", "buildx imagetools", "docker-verify", "IMAGE:1", NO_MKMULTIARCH),
    ],
    ids=[
        "docker-lookup",
        "docker-lookup-deaf-to-term",
        "docker-gate-pull",
        "docker-list",
        "podman-lookup",
        "podman-list",
        "buildx-list",
    ],
)
def test_a_read_that_hangs_fails_within_the_limit_naming_it(
    tmp_path: Path,
    config: str,
    client: str,
    hangs_on: str,
    goal: str,
    read: str,
    env: dict[str, str] | None,
) -> None:
    data = CONFIGS[config]
    render_into(tmp_path, data)
    image = f"{data.get('registry', 'docker.io')}/{data['image']}"
    deaf = hangs_on.startswith("deaf ")
    docker = stand_in(tmp_path, client, hangs_on.removeprefix("deaf "), ignores_term=deaf)
    stderr, elapsed = timed_make(tmp_path, f"DOCKER={docker}", "ARCHES=amd64", goal, env=env)
    what = read.replace("IMAGE", image)
    expected = f"make: no answer from the registry for {what} within {LIMIT_S} s (REGISTRY_TIMEOUT)"
    assert expected in stderr, stderr
    if goal == "docker-manifest":
        assert "no list was pushed." in stderr, stderr
    bound = LIMIT_S + KILL_AFTER_S + 5  # 5 s for make and the shell
    assert elapsed < bound, f"make waited {elapsed:.1f} s for a {LIMIT_S} s limit"


def test_an_image_the_registry_does_not_have_is_missing_not_a_timeout(tmp_path: Path) -> None:
    """A quick refusal keeps its own message: the per-arch image is not there."""
    render_into(tmp_path, CONFIGS["seed"])
    docker = stand_in(tmp_path, "docker", hangs_on="nothing", fails_on="manifest inspect")
    stderr, _ = timed_make(tmp_path, f"DOCKER={docker}", "ARCHES=amd64 arm64", "docker-manifest")
    image = "docker.io/thedoh/somethingsoon"
    assert f"make: not in the registry: {image}:amd64-1 {image}:arm64-1." in stderr, stderr
    assert "no answer" not in stderr


def test_a_list_the_registry_refuses_is_named(tmp_path: Path) -> None:
    """docker-verify without mkmultiarch: a refused read names the list (before: a bare exit)."""
    render_into(tmp_path, CONFIGS["seed"])
    docker = stand_in(tmp_path, "docker", hangs_on="nothing", fails_on="manifest inspect")
    stderr, _ = timed_make(
        tmp_path, f"DOCKER={docker}", "ARCHES=amd64", "docker-verify", env=NO_MKMULTIARCH
    )
    image = "docker.io/thedoh/somethingsoon:1"
    assert f"make: cannot read {image} from the registry (exit 1; its error is above)" in stderr
    assert "no such manifest" in stderr, stderr


@pytest.mark.parametrize("value", ["0", "1.5", "10m", "100000", "1;touch pwned", "-1"])
def test_registry_timeout_is_whole_seconds(tmp_path: Path, value: str) -> None:
    render_into(tmp_path, CONFIGS["seed"])
    result = make(tmp_path, f"REGISTRY_TIMEOUT={value}", "check-vars")
    assert result.returncode == 2
    assert f"make: REGISTRY_TIMEOUT='{value}' is not allowed: use whole seconds" in result.stderr
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    ("config", "client", "lists"),
    [("seed", "docker", "manifest inspect"), ("podman", "podman", "manifest inspect")],
    ids=["docker", "podman"],
)
def test_an_endless_list_is_cut_at_4_mib(
    tmp_path: Path, config: str, client: str, lists: str
) -> None:
    """docker-verify without mkmultiarch reads a list into the shell: a reply that never
    ends stops at 4 MiB with one line, long before the (default) time limit."""
    data = CONFIGS[config]
    render_into(tmp_path, data)
    script = tmp_path / client
    script.write_text(
        "#!/usr/bin/env bash\n"
        f'if [[ "$*" == "{lists}"* ]]; then exec yes \'{{"platform": {{}}}}\'; fi\nexit 0\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    started = time.monotonic()
    result = make(
        tmp_path,
        f"DOCKER={script}",
        "VERSION=1",
        "ARCHES=amd64",
        "docker-verify",
        env=NO_MKMULTIARCH,
    )
    elapsed = time.monotonic() - started
    assert result.returncode != 0
    image = f"{data.get('registry', 'docker.io')}/{data['image']}:1"
    line = f"make: {image}: the registry's reply is over 4194304 bytes (a list is a few KiB)"
    assert line in result.stderr, result.stderr
    assert elapsed < 20, f"{elapsed:.1f} s: the reply was read past the limit"
