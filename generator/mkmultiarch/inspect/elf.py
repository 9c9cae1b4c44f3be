"""What architecture an ELF binary is for: the ELF header, plus Go's build info.

The header says the machine (e_machine), the word size (EI_CLASS) and the byte
order (EI_DATA): enough to tell amd64 from arm64, ppc64le from ppc64, s390x.
It cannot tell ARM v6 from v7: e_flags only carries the EABI version and the
float ABI (Go writes EABI5 with no float flag for every GOARM). Go binaries
(1.18+) also embed their build settings, GOARM included, in the
`.go.buildinfo` data: found by its magic, read without section headers.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from mkmultiarch.errors import ProblemsFoundError

ELF_MAGIC = b"\x7fELF"
HEADER_SIZE = {32: 52, 64: 64}

EM_386 = 3
EM_MIPS = 8
EM_PPC64 = 21
EM_S390 = 22
EM_ARM = 40
EM_X86_64 = 62
EM_AARCH64 = 183
EM_RISCV = 243
EM_LOONGARCH = 258

MACHINE_NAMES = {
    2: "SPARC",
    EM_386: "Intel 80386",
    EM_MIPS: "MIPS",
    20: "PowerPC",
    EM_PPC64: "PowerPC64",
    EM_S390: "IBM S/390",
    EM_ARM: "ARM",
    43: "SPARC V9",
    50: "IA-64",
    EM_X86_64: "x86-64",
    EM_AARCH64: "AArch64",
    EM_RISCV: "RISC-V",
    EM_LOONGARCH: "LoongArch",
}

# (e_machine, bits, little endian) -> GOARCH / OCI architecture
GOARCH = {
    (EM_X86_64, 64, True): "amd64",
    (EM_386, 32, True): "386",
    (EM_AARCH64, 64, True): "arm64",
    (EM_ARM, 32, True): "arm",
    (EM_PPC64, 64, True): "ppc64le",
    (EM_PPC64, 64, False): "ppc64",
    (EM_S390, 64, False): "s390x",
    (EM_RISCV, 64, True): "riscv64",
    (EM_MIPS, 32, False): "mips",
    (EM_MIPS, 32, True): "mipsle",
    (EM_MIPS, 64, False): "mips64",
    (EM_MIPS, 64, True): "mips64le",
    (EM_LOONGARCH, 64, True): "loong64",
}

EF_ARM_EABIMASK = 0xFF000000
EF_ARM_ABI_FLOAT_SOFT = 0x200
EF_ARM_ABI_FLOAT_HARD = 0x400

GO_BUILDINFO_MAGIC = b"\xff Go buildinf:"
_GO_FLAGS_INLINE = 0x2  # Go 1.18+: version and module info stored inline


class NotElfError(ProblemsFoundError):
    """The bytes are not (the start of) an ELF file."""


@dataclass(frozen=True)
class ElfHeader:
    """The fields of an ELF header that name an architecture."""

    bits: int  # 32 or 64 (EI_CLASS)
    little_endian: bool  # EI_DATA
    machine: int  # e_machine
    flags: int  # e_flags

    @property
    def machine_name(self) -> str:
        return MACHINE_NAMES.get(self.machine, f"machine {self.machine}")

    @property
    def goarch(self) -> str | None:
        """amd64, arm64, arm, ppc64le, ...; None for a machine Go does not know."""
        return GOARCH.get((self.machine, self.bits, self.little_endian))

    @property
    def arm_eabi(self) -> int:
        """The ARM EABI version from e_flags (5 for anything current); 0 = old ABI."""
        return (self.flags & EF_ARM_EABIMASK) >> 24

    @property
    def arm_float_abi(self) -> str:
        if self.flags & EF_ARM_ABI_FLOAT_HARD:
            return "hard-float"
        if self.flags & EF_ARM_ABI_FLOAT_SOFT:
            return "soft-float"
        return ""

    def describe(self) -> str:
        """e.g. `ELF 64-bit LSB x86-64`, `ELF 32-bit LSB ARM EABI5`."""
        text = f"ELF {self.bits}-bit {'LSB' if self.little_endian else 'MSB'} {self.machine_name}"
        if self.machine == EM_ARM:
            text += f" EABI{self.arm_eabi}" if self.arm_eabi else " (old ABI)"
            if self.arm_float_abi:
                text += f" {self.arm_float_abi}"
        return text


def parse_header(data: bytes) -> ElfHeader:
    """Parse the ELF identification and header; raise NotElfError if it is not one."""
    if len(data) < 16 or data[:4] != ELF_MAGIC:
        raise NotElfError("no ELF magic (\\x7fELF)")
    ei_class, ei_data = data[4], data[5]
    if ei_class not in (1, 2):
        raise NotElfError(f"bad EI_CLASS {ei_class}")
    if ei_data not in (1, 2):
        raise NotElfError(f"bad EI_DATA {ei_data}")
    bits = 32 if ei_class == 1 else 64
    if len(data) < HEADER_SIZE[bits]:
        need = HEADER_SIZE[bits]
        raise NotElfError(f"truncated: {len(data)} bytes, an ELF{bits} header has {need}")
    order = "<" if ei_data == 1 else ">"
    (machine,) = struct.unpack_from(f"{order}H", data, 18)
    (flags,) = struct.unpack_from(f"{order}I", data, 36 if bits == 32 else 48)
    return ElfHeader(bits=bits, little_endian=ei_data == 1, machine=machine, flags=flags)


@dataclass(frozen=True)
class GoModule:
    """One `mod` or `dep` line of Go build info: a module path, its version and go.sum hash."""

    path: str
    version: str
    sum: str = ""


@dataclass(frozen=True)
class GoBuildInfo:
    """What `go version -m` shows: the Go version, the `build` settings, and the main
    package, main module and dependencies (what `mkmultiarch sbom` lists)."""

    go_version: str
    settings: dict[str, str] = field(default_factory=dict)
    path: str = ""
    main: GoModule | None = None
    deps: tuple[GoModule, ...] = ()


def _module(rest: str) -> GoModule | None:
    """`path<TAB>version[<TAB>sum]` as a GoModule; None when the line is cut short."""
    fields = rest.split("\t")
    if len(fields) < 2 or not fields[0]:
        return None
    return GoModule(fields[0], fields[1], fields[2] if len(fields) > 2 else "")


def _uvarint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while pos < len(data) and shift < 64:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
    raise ValueError("bad varint")


def go_build_info(data: bytes) -> GoBuildInfo | None:
    """Read Go 1.18+ build info from a binary's bytes; None when absent or older."""
    pos = data.find(GO_BUILDINFO_MAGIC)
    while pos != -1:
        header_end = pos + 32
        if header_end <= len(data) and data[pos + 15] & _GO_FLAGS_INLINE:
            try:
                size, at = _uvarint(data, header_end)
                version = data[at : at + size].decode("utf-8", "replace")
                size, at = _uvarint(data, at + size)
                modinfo = data[at : at + size]
            except ValueError:
                modinfo, version = b"", ""
            if version.startswith("go"):
                # modinfo is framed by 16-byte sentinels.
                text = modinfo[16:-16].decode("utf-8", "replace") if len(modinfo) > 32 else ""
                settings = {}
                path, main, deps = "", None, []
                for line in text.splitlines():
                    kind, _, rest = line.partition("\t")
                    if kind == "build" and "=" in rest:
                        key, _, value = rest.partition("=")
                        settings[key] = value
                    elif kind == "path":
                        path = rest
                    elif kind == "mod":
                        main = _module(rest)
                    elif kind == "dep" and (module := _module(rest)) is not None:
                        deps.append(module)
                    elif kind == "=>" and deps and (module := _module(rest)) is not None:
                        deps[-1] = module  # a replace directive: what was really built
                return GoBuildInfo(version, settings, path, main, tuple(deps))
        pos = data.find(GO_BUILDINFO_MAGIC, pos + 1)
    return None


@dataclass(frozen=True)
class BinaryArch:
    """The architecture of a binary, in GOARCH / OCI terms."""

    header: ElfHeader
    go: GoBuildInfo | None
    variant: str | None  # "v7" etc. for arm when known, "" when the arch has none, None unknown
    variant_note: str  # how the variant was found, or why it could not be

    @property
    def goarch(self) -> str | None:
        return self.header.goarch

    def describe(self) -> str:
        """e.g. `ELF 32-bit LSB ARM EABI5, Go go1.19.8 GOARM=7`."""
        text = self.header.describe()
        if self.go is not None:
            text += f", Go {self.go.go_version.removeprefix('go')}"
            goarm = self.go.settings.get("GOARM")
            if goarm:
                text += f" GOARM={goarm}"
        return text


def identify(data: bytes) -> BinaryArch:
    """What DATA (a binary's first bytes, ideally all of it) runs on; raise NotElfError."""
    header = parse_header(data)
    info = go_build_info(data)
    if header.goarch != "arm":
        return BinaryArch(header, info, "", "")
    goarm = info.settings.get("GOARM", "") if info is not None else ""
    # Go 1.22+ may write GOARM=7,softfloat / 7,hardfloat.
    level = goarm.split(",")[0]
    if level.isdigit():
        return BinaryArch(header, info, f"v{level}", f"GOARM={goarm} from the Go build info")
    return BinaryArch(
        header,
        info,
        None,
        "the ELF header says 32-bit ARM but not v6 or v7 (e_flags hold only the EABI version "
        "and float ABI), and there is no Go build info with GOARM",
    )
