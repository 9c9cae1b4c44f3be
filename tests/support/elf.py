"""Hand-made ELF executables: an ELF header, padding, and Go build info."""

from __future__ import annotations

import struct

from mkmultiarch.inspect.elf import GO_BUILDINFO_MAGIC

# GOARCH -> (e_machine, bits, little endian)
MACHINES = {
    "amd64": (62, 64, True),
    "386": (3, 32, True),
    "arm64": (183, 64, True),
    "arm": (40, 32, True),
    "ppc64le": (21, 64, True),
    "ppc64": (21, 64, False),
    "s390x": (22, 64, False),
    "riscv64": (243, 64, True),
    "mips64le": (8, 64, True),
    "loong64": (258, 64, True),
}
ARM_EABI5 = 0x05000002  # what Go writes for every GOARM


def elf_header(machine: int, bits: int, little: bool, flags: int = 0) -> bytes:
    """A minimal, valid ELF executable header."""
    order = "<" if little else ">"
    ident = b"\x7fELF" + bytes([1 if bits == 32 else 2, 1 if little else 2, 1, 0]) + bytes(8)
    if bits == 64:
        rest = struct.pack(
            f"{order}HHIQQQIHHHHHH", 2, machine, 1, 0x401000, 64, 0, flags, 64, 56, 1, 64, 0, 0
        )
    else:
        rest = struct.pack(
            f"{order}HHIIIIIHHHHHH", 2, machine, 1, 0x10000, 52, 0, flags, 52, 32, 1, 40, 0, 0
        )
    return ident + rest


def _uvarint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def go_buildinfo(settings: dict[str, str], version: str = "go1.19.8", modules: str = "") -> bytes:
    """A Go 1.18+ .go.buildinfo blob: header, then inline version and module info (MODULES:
    extra `dep`/`=>` lines, as `go version -m` prints them)."""
    text = "path\texample.com/app\nmod\texample.com/app\t(devel)\t\n" + modules
    text += "".join(f"build\t{key}={value}\n" for key, value in settings.items())
    modinfo = (
        bytes.fromhex("3077af0c9274080241e1c107e6d618e6")
        + text.encode()
        + bytes.fromhex("f932433186182072008242104116d8f2")
    )
    header = GO_BUILDINFO_MAGIC + bytes([8, 2]) + bytes(16)
    return header + _uvarint(len(version)) + version.encode() + _uvarint(len(modinfo)) + modinfo


def fake_binary(
    goarch: str, goarm: str = "", *, go: bool = True, flags: int | None = None
) -> bytes:
    """An ELF header for GOARCH, padding, and (with GO) Go build info naming GOARCH/GOARM."""
    machine, bits, little = MACHINES[goarch]
    if flags is None:
        flags = ARM_EABI5 if goarch == "arm" else 0
    data = elf_header(machine, bits, little, flags) + bytes(200)
    if go:
        settings = {"-trimpath": "true", "CGO_ENABLED": "0", "GOARCH": goarch, "GOOS": "linux"}
        if goarm:
            settings["GOARM"] = goarm
        data += bytes(-len(data) % 16) + go_buildinfo(settings)
    return data
