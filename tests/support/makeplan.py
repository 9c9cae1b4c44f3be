"""`make` in a rendered project, and the `make -n` plan: the commands a run would execute."""

from __future__ import annotations

import itertools
import os
import shlex
import subprocess
from pathlib import Path


def make(
    project: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run make in PROJECT (output captured, never raises), ENV added to the environment."""
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


def plan(project: Path, *args: str) -> list[str]:
    """The command lines `make -n` would run, continuation lines joined, whitespace squeezed.

    One `docker buildx bake` of several arches (the docker engine builds every changed arch
    of a run at once) is read as the `docker build` per arch it stands for, in its order,
    so a plan reads alike whichever way the client builds (tests/test_make_stamps.py and
    the end-to-end tests check the bake itself)."""
    result = make(project, "-n", *args)
    assert result.returncode == 0, result.stderr
    joined = result.stdout.replace("\\\n", " ")
    lines = [" ".join(line.split()) for line in joined.splitlines() if line.strip()]
    return [build for line in lines for build in bake_as_builds(line, project)]


def bake_as_builds(line: str, project: Path) -> list[str]:
    """LINE, or the per-arch `docker build` lines its bake of several targets stands for."""
    words = shlex.split(line) if " buildx bake " in line else []
    if len(words) < 3 or words[1:3] != ["buildx", "bake"]:
        return [line]
    words = words[: words.index("||")] if "||" in words else words
    targets: dict[str, dict[str, str]] = {}
    shared: list[tuple[str, str]] = []
    for flag, value in itertools.pairwise(words):
        if flag != "--set":
            continue
        key, setting = value.split("=", 1)
        name, field = key.split(".", 1)
        if name == "*":
            shared.append((field, setting))
        else:
            targets.setdefault(name, {})[field] = setting
    settings = dict(shared)
    dockerfile = Path(settings["dockerfile"])
    if dockerfile.is_relative_to(project):
        dockerfile = dockerfile.relative_to(project)
    args = [(f[len("args.") :], v) for f, v in shared if f.startswith("args.")]
    # Quoted as build_arch quotes them: ARCHES always, the rest where the shell needs it.
    build_args = " ".join(
        f"--build-arg '{name}={v}'"
        if name == "ARCHES"
        else f"--build-arg {shlex.quote(f'{name}={v}')}"
        for name, v in args
    )
    return [
        f"{words[0]} build --platform {target['platform']} {build_args} --file {dockerfile}"
        f" --tag {target['tags']} {settings['context']}"
        for target in targets.values()
    ]
