"""The generated Dockerfile's one compile step, run by sh with a stand-in `go`.

The step builds every arch of ARCHES at once, each into /out/<goarch><variant>, and the
final stage copies /out/${TARGETARCH}${TARGETVARIANT}. These tests run the rendered step
(its shell, not a copy of it) under dash and busybox sh, the shells of Go builder images,
with a `go` that records what it was asked to build: each arch lands in the directory its
platform's final stage reads, with its own GOARCH and GOARM, the builds overlap, and a
failing arch fails the step under its own name.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mkmultiarch.arches import SUPPORTED_ARCHES, Arch
from mkmultiarch.render.config import validate
from mkmultiarch.render.templates import render
from tests.support.rendering import CONFIGS

# Records its environment and arguments in the -o file; waits (up to 5 s) until every
# arch's build has started, so a loop that ran them one by one would fail; fails for
# GOARCH=$FAIL_GOARCH.
FAKE_GO = """#!/bin/sh
out=""
while [ $# -gt 0 ]; do
    if [ "$1" = -o ]; then out=$2; fi
    args="$args $1"
    shift
done
touch "$MARKS/$GOARCH$GOARM"
i=0
while [ "$(ls "$MARKS" | wc -l)" -lt "$BUILDS" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(ls "$MARKS" | wc -l)" -ge "$BUILDS" ] || { echo "built alone: $GOARCH" >&2; exit 3; }
if [ "$GOARCH" = "${FAIL_GOARCH:-}" ]; then echo "main.go:1: $GOARCH says no" >&2; exit 1; fi
printf 'GOOS=%s GOARCH=%s GOARM=%s%s\\n' "$GOOS" "$GOARCH" "$GOARM" "$args" > "$out"
"""

SHELLS = [shell for shell in ("dash", "busybox") if shutil.which(shell)]


def compile_step(out: Path) -> str:
    """The rendered compile step (the RUN that runs `go build`) as one shell command, with
    its cache mounts dropped and /out/ moved to OUT."""
    dockerfile = next(
        f.text for f in render(validate(CONFIGS["variants"])) if f.path == "Dockerfile"
    )
    step = next(block for block in dockerfile.split("\n\n") if "go build" in block)
    run = step[step.index("\nRUN ") + 1 :]
    command = run.replace("\\\n", " ").removeprefix("RUN ")
    while command.startswith("--mount="):
        command = command.split(None, 1)[1]
    return command.replace("/out/", f"{out}/")


def run_step(tmp_path: Path, shell: str, arches: list[str], **env: str) -> tuple[int, str]:
    bin_dir, marks, out = tmp_path / "bin", tmp_path / "marks", tmp_path / "out"
    for directory in (bin_dir, marks):
        directory.mkdir()
    go = bin_dir / "go"
    go.write_text(FAKE_GO)
    go.chmod(0o755)
    argv = [shell, "sh", "-c"] if shell == "busybox" else [shell, "-c"]
    result = subprocess.run(
        [*argv, compile_step(out)],
        env={
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "ARCHES": " ".join(arches),
            "VERSION": "2.3.4",
            "MARKS": str(marks),
            "BUILDS": str(len(arches)),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize("shell", SHELLS)
def test_every_arch_lands_where_its_platform_copies_from(shell: str, tmp_path: Path) -> None:
    arches = list(SUPPORTED_ARCHES)
    code, output = run_step(tmp_path, shell, arches)
    assert (code, output) == (0, "")
    for arch in map(Arch.parse, arches):
        # BuildKit's TARGETARCH and TARGETVARIANT for --platform linux/<arch>.
        copied = tmp_path / "out" / f"{arch.goarch}{arch.variant}" / "agent"
        recorded = copied.read_text()
        goarm = "6" if arch.variant == "v6" else "7"  # read by Go only for GOARCH=arm
        assert recorded.startswith(f"GOOS=linux GOARCH={arch.goarch} GOARM={goarm} build "), (
            arch.token,
            recorded,
        )
        assert "-X main.version=2.3.4" in recorded and recorded.endswith(" ./cmd/agent\n")
    built = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert built == sorted(f"{a.goarch}{a.variant}" for a in map(Arch.parse, arches))


@pytest.mark.parametrize("shell", SHELLS)
def test_a_failing_arch_fails_the_step_under_its_name(shell: str, tmp_path: Path) -> None:
    code, output = run_step(tmp_path, shell, ["amd64", "riscv64", "arm/v7"], FAIL_GOARCH="riscv64")
    assert code != 0
    assert output == "go build for riscv64 failed:\nmain.go:1: riscv64 says no\n"
