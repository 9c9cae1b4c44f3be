"""Architecture tokens and what each one means to Go, Docker and image tags.

A token is what users write in `arches` / `ARCHES`: `amd64`, or `arm/v7` for an
ARM variant. The OS is always linux. The generated Makefile derives the same
values with Make functions; this module is the Python side (config checks,
verification, tests).
"""

from __future__ import annotations

import platform
from dataclasses import dataclass

SUPPORTED_ARCHES: tuple[str, ...] = (
    "amd64",
    "arm64",
    "arm/v6",
    "arm/v7",
    "386",
    "ppc64le",
    "s390x",
    "riscv64",
)

# uname -m -> arch token (doctor's QEMU check and audit's build host both ask).
HOST_ARCHES = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "armv7l": "arm/v7",
    "armv6l": "arm/v6",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
    "i386": "386",
    "i686": "386",
}


def host_arch(machine: str | None = None) -> str:
    """The host's arch token (amd64, arm64, ...), or uname -m when it is not one."""
    machine = machine if machine is not None else platform.machine()
    return HOST_ARCHES.get(machine.lower(), machine.lower())


@dataclass(frozen=True)
class Arch:
    """One target architecture, e.g. Arch.parse("arm/v7")."""

    token: str
    goarch: str
    variant: str  # "" or e.g. "v7"

    @classmethod
    def parse(cls, token: str) -> Arch:
        if token not in SUPPORTED_ARCHES:
            raise ValueError(f"unsupported arch {token!r}; use one of {' '.join(SUPPORTED_ARCHES)}")
        goarch, _, variant = token.partition("/")
        return cls(token=token, goarch=goarch, variant=variant)

    @property
    def goarm(self) -> str:
        """GOARM for arm variants (v6 -> 6, v7 -> 7), else empty."""
        return self.variant.removeprefix("v") if self.goarch == "arm" else ""

    @property
    def platform(self) -> str:
        """The OCI platform string, as in a manifest list: linux/arm/v7."""
        return f"linux/{self.token}"

    @property
    def tag_suffix(self) -> str:
        """The per-arch tag prefix and Make target suffix: arm/v7 -> arm-v7."""
        return self.token.replace("/", "-")
