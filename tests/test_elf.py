"""ELF headers and Go build info: hand-made bytes, and real `go build` output for each GOARCH."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mkmultiarch.inspect.elf import (
    GO_BUILDINFO_MAGIC,
    NotElfError,
    go_build_info,
    identify,
    parse_header,
)
from tests.support.elf import ARM_EABI5, MACHINES, elf_header, fake_binary


@pytest.mark.parametrize("goarch", sorted(MACHINES))
def test_machine_to_goarch(goarch: str) -> None:
    binary = identify(fake_binary(goarch, "7" if goarch == "arm" else ""))
    assert binary.goarch == goarch
    machine, bits, little = MACHINES[goarch]
    assert binary.header.machine == machine
    assert binary.header.bits == bits and binary.header.little_endian is little


def test_descriptions() -> None:
    assert parse_header(fake_binary("amd64")).describe() == "ELF 64-bit LSB x86-64"
    assert parse_header(fake_binary("s390x")).describe() == "ELF 64-bit MSB IBM S/390"
    assert parse_header(fake_binary("arm")).describe() == "ELF 32-bit LSB ARM EABI5"
    hard = parse_header(fake_binary("arm", flags=0x05000402))
    assert hard.arm_eabi == 5 and hard.describe() == "ELF 32-bit LSB ARM EABI5 hard-float"
    assert "soft-float" in parse_header(fake_binary("arm", flags=0x05000202)).describe()
    assert "(old ABI)" in parse_header(fake_binary("arm", flags=0)).describe()
    assert identify(fake_binary("amd64")).describe() == "ELF 64-bit LSB x86-64, Go 1.19.8"
    arm = identify(fake_binary("arm", "6"))
    assert arm.describe() == "ELF 32-bit LSB ARM EABI5, Go 1.19.8 GOARM=6"


def test_unknown_machine() -> None:
    binary = identify(elf_header(0x1234, 64, True))
    assert binary.goarch is None
    assert "machine 4660" in binary.header.describe()


def test_arm_variant_needs_go_build_info() -> None:
    assert identify(fake_binary("arm", "6")).variant == "v6"
    assert identify(fake_binary("arm", "7,softfloat")).variant == "v7"
    plain = identify(fake_binary("arm", go=False))
    assert plain.variant is None
    assert "not v6 or v7" in plain.variant_note
    assert identify(fake_binary("arm64")).variant == ""


def test_go_build_info() -> None:
    info = go_build_info(fake_binary("amd64"))
    assert info is not None and info.go_version == "go1.19.8"
    assert info.settings["GOARCH"] == "amd64" and info.settings["-trimpath"] == "true"
    assert go_build_info(fake_binary("amd64", go=False)) is None
    # An old-style (pointer) header is skipped, not misread.
    old = GO_BUILDINFO_MAGIC + bytes([8, 0]) + bytes(16)
    assert go_build_info(old) is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"#!/bin/sh\necho hi\n", "no ELF magic"),
        (b"\x7fELF", "no ELF magic"),
        (b"\x7fELF\x03\x01" + bytes(60), "EI_CLASS"),
        (b"\x7fELF\x02\x03" + bytes(60), "EI_DATA"),
        (b"\x7fELF\x02\x01" + bytes(30), "truncated"),
    ],
)
def test_not_elf(data: bytes, message: str) -> None:
    with pytest.raises(NotElfError, match=message):
        parse_header(data)


# -- real binaries ----------------------------------------------------------------------

REAL_TARGETS = [
    ("amd64", ""),
    ("386", ""),
    ("arm64", ""),
    ("arm", "6"),
    ("arm", "7"),
    ("ppc64le", ""),
    ("s390x", ""),
    ("riscv64", ""),
]


@pytest.fixture(scope="module")
def go_binaries(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], bytes]:
    """A tiny Go program built for every REAL_TARGETS entry (like the example: -trimpath -s -w)."""
    go = shutil.which("go")
    if go is None:
        pytest.skip("go is not installed")
    src = tmp_path_factory.mktemp("gosrc")
    (src / "go.mod").write_text("module example.com/tiny\n\ngo 1.18\n")
    (src / "main.go").write_text('package main\n\nimport "os"\n\nfunc main() { os.Exit(0) }\n')
    builds = {}
    for goarch, goarm in REAL_TARGETS:
        out = src / f"tiny-{goarch}{goarm}"
        env = {**os.environ, "CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": goarch, "GOFLAGS": ""}
        if goarm:
            env["GOARM"] = goarm
        command = [go, "build", "-trimpath", "-ldflags=-s -w", "-o", str(out), "."]
        builds[(goarch, goarm)] = (
            out,
            subprocess.Popen(command, cwd=src, env=env, stderr=subprocess.PIPE),
        )
    binaries = {}
    for key, (out, process) in builds.items():
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr.decode()
        binaries[key] = Path(out).read_bytes()
    return binaries


@pytest.mark.parametrize(("goarch", "goarm"), REAL_TARGETS)
def test_real_go_binaries(
    go_binaries: dict[tuple[str, str], bytes], goarch: str, goarm: str
) -> None:
    data = go_binaries[(goarch, goarm)]
    binary = identify(data)
    assert binary.goarch == goarch
    assert binary.go is not None and binary.go.settings["GOARCH"] == goarch
    assert binary.variant == (f"v{goarm}" if goarm else "")
    # The header alone names the machine (what a partial read would see).
    assert parse_header(data[:64]).goarch == goarch
    if goarch == "arm":
        assert parse_header(data).flags == ARM_EABI5
    if goarch == "s390x":
        assert not binary.header.little_endian
