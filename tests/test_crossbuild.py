"""Reading a team's Dockerfile: does every arch get its own binary, or the build host's?

find_problems (inspect/crossbuild.py) on Dockerfiles that cross-compile and ones that do
not; doctor's check built on it; render's warning. The Makefile's docker-check, which
stops such a release whatever this reading says, is proven end to end in tests/e2e.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mkmultiarch.inspect.checks import CheckOutcome
from mkmultiarch.inspect.crossbuild import MAX_DOCKERFILE_BYTES, find_problems
from mkmultiarch.inspect.doctor import check_dockerfile
from mkmultiarch.render.config import validate
from mkmultiarch.render.templates import render
from tests.support.cli import run_cli

CROSS = """\
FROM --platform=$BUILDPLATFORM golang:1.23 AS build
ARG TARGETOS
ARG TARGETARCH
RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app .
FROM scratch
COPY --from=build /out/app /app
"""

HOST_ONLY = """\
ARG GO_IMAGE=golang:1.23
FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /out/app .
FROM scratch
COPY --from=build /out/app /app
"""


def messages(text: str) -> list[tuple[int, str]]:
    return [(finding.line, finding.message) for finding in find_problems(text)]


def test_the_generated_go_dockerfile_cross_compiles() -> None:
    (dockerfile,) = render(validate({"image": "org/app"}), only="Dockerfile")
    assert find_problems(dockerfile.text) == []


def test_a_cross_compiling_stage_is_trusted() -> None:
    assert find_problems(CROSS) == []


def test_a_build_host_stage_without_targetarch_is_found_on_its_from_line() -> None:
    ((line, message),) = messages(HOST_ONLY)
    assert line == 2
    assert message.startswith("stage build runs on the build host (--platform=$BUILDPLATFORM)")
    assert "GOARCH=$TARGETARCH" in message  # the fix


@pytest.mark.parametrize(
    "dockerfile",
    [
        # No --platform anywhere: each stage is the target's (built under QEMU): right binaries.
        "FROM golang AS build\nRUN go build -o /app .\nFROM scratch\nCOPY --from=build /app /app\n",
        # Pinned, but its output never reaches the final image.
        "FROM --platform=$BUILDPLATFORM golang AS tools\nRUN make docs\nFROM scratch\nCOPY a /a\n",
        # Pinned, but only copies files (nothing runs in it).
        "FROM --platform=$BUILDPLATFORM alpine AS files\nCOPY x /x\n"
        "FROM scratch\nCOPY --from=files /x /x\n",
        # The arch comes from a parent stage's ENV.
        "FROM --platform=${BUILDPLATFORM} golang AS base\nARG TARGETARCH\nENV GOARCH=$TARGETARCH\n"
        "FROM base AS build\nRUN go build -o /app .\nFROM scratch\nCOPY --from=build /app /app\n",
        # TARGETPLATFORM in the stage's own --platform: it is the target's.
        "FROM --platform=$TARGETPLATFORM golang AS b\nRUN go build -o /app .\n"
        "FROM scratch\nCOPY --from=b /app /app\n",
    ],
)
def test_no_warning_where_every_arch_gets_its_own_binary(dockerfile: str) -> None:
    assert find_problems(dockerfile) == []


def test_found_through_a_stage_index_and_a_chain_of_copies() -> None:
    dockerfile = (
        "FROM --platform=linux/amd64 golang\nRUN go build -o /app .\n"
        "FROM alpine AS pack\nCOPY --from=0 /app /app\n"
        "FROM scratch\nCOPY --from=pack /app /app\n"
    )
    ((line, message),) = messages(dockerfile)
    assert line == 1
    assert "stage 0 runs on linux/amd64 (--platform=linux/amd64)" in message


@pytest.mark.parametrize("pin", ["$BUILDPLATFORM", "linux/amd64"])
def test_a_pinned_final_stage_is_found(pin: str) -> None:
    ((line, message),) = messages(
        f"FROM golang AS b\nRUN go build\nFROM --platform={pin} scratch\n"
    )
    assert line == 3
    assert "every image's config names that platform" in message


def test_doctor_says_ok_warns_or_cannot_read(tmp_path: Path) -> None:
    good, bad, big = tmp_path / "good", tmp_path / "bad", tmp_path / "big"
    good.write_text(CROSS)
    bad.write_text(HOST_ONLY)
    big.write_text("#" * (MAX_DOCKERFILE_BYTES + 1))
    assert [c.status for c in check_dockerfile(good)] == [CheckOutcome.OK]
    (warning,) = check_dockerfile(bad)
    assert warning.status is CheckOutcome.WARNING
    assert warning.message.startswith(f"{bad}:2: stage build")
    assert "docker-check" in warning.fix
    for path in (big, tmp_path / "missing"):
        (unread,) = check_dockerfile(path)
        assert unread.status is CheckOutcome.WARNING and "cannot read it" in unread.message


def test_render_warns_about_a_host_only_dockerfile_and_still_renders(tmp_path: Path) -> None:
    (tmp_path / "multiarch.yaml").write_text("image: org/app\nlanguage: dockerfile\n")
    (tmp_path / "Dockerfile").write_text(HOST_ONLY)
    result = run_cli("render", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("warning: Dockerfile:2: stage build runs on the build host")
    assert (tmp_path / "Makefile").exists()
    (tmp_path / "Dockerfile").write_text(CROSS)
    again = run_cli("render", cwd=tmp_path)
    assert again.returncode == 0 and again.stderr == ""


def test_a_stage_building_every_arch_picked_by_targetarch_at_copy_time_is_trusted() -> None:
    dockerfile = (
        "FROM --platform=$BUILDPLATFORM golang AS build\nARG ARCHES\n"
        "RUN for a in $ARCHES; do GOARCH=$a go build -o /out/$a/app .; done\n"
        "FROM scratch\nARG TARGETARCH\nCOPY --from=build /out/${TARGETARCH}/app /app\n"
    )
    assert find_problems(dockerfile) == []
    # The same stage copied by a fixed path: every arch gets the same binary.
    fixed = dockerfile.replace("/out/${TARGETARCH}/app", "/out/amd64/app")
    assert [finding.line for finding in find_problems(fixed)] == [1]


def test_a_fifo_or_non_utf8_dockerfile_is_a_warning_not_a_hang(tmp_path: Path) -> None:
    (tmp_path / "multiarch.yaml").write_text("image: org/app\nlanguage: dockerfile\n")
    os.mkfifo(tmp_path / "Dockerfile")
    result = run_cli("render", cwd=tmp_path)  # run_cli's timeout fails a hang
    assert result.returncode == 0, result.stderr
    assert result.stderr == "warning: Dockerfile: not checked: not a regular file\n"
    (tmp_path / "Dockerfile").unlink()
    (tmp_path / "Dockerfile").write_bytes(b"\xff\xfeFROM x\n")
    (unread,) = check_dockerfile(tmp_path / "Dockerfile")
    assert unread.status is CheckOutcome.WARNING and "not UTF-8 (byte 0)" in unread.message
