"""OCI platforms (os/architecture/variant) and how Docker compares them.

A manifest list entry and an image config each name a platform, and writers
disagree on spelling: `arm` with no variant means v7 to Docker and containerd,
`arm64/v8` is plain `arm64`, `x86_64` is `amd64`. Compare normalized values,
show the raw ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mkmultiarch.arches import Arch

_ARCH_ALIASES = {
    "x86_64": ("amd64", ""),
    "x86-64": ("amd64", ""),
    "aarch64": ("arm64", ""),
    "armhf": ("arm", "v7"),
    "armel": ("arm", "v6"),
    "i386": ("386", ""),
    "i686": ("386", ""),
}

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Platform:
    """One platform as written, e.g. Platform("linux", "arm", "v7")."""

    os: str
    architecture: str
    variant: str = ""

    @classmethod
    def from_json(cls, data: Any) -> Platform:
        """Read a `platform` object of a list entry, or an image config (same field names)."""
        if not isinstance(data, dict):
            return cls(UNKNOWN, UNKNOWN)
        return cls(
            os=str(data.get("os") or ""),
            architecture=str(data.get("architecture") or ""),
            variant=str(data.get("variant") or ""),
        )

    @classmethod
    def from_arch(cls, arch: Arch) -> Platform:
        return cls("linux", arch.goarch, arch.variant)

    @property
    def is_unknown(self) -> bool:
        """`unknown/unknown`: BuildKit's attestation entries, not something to run."""
        return self.os == UNKNOWN and self.architecture == UNKNOWN

    def normalized(self) -> Platform:
        """The platform Docker and containerd would match this one as."""
        os_name = self.os.lower()
        arch = self.architecture.lower()
        variant = self.variant.lower()
        if arch in _ARCH_ALIASES:
            arch, implied = _ARCH_ALIASES[arch]
            variant = variant or implied
        if variant.isdigit():
            variant = f"v{variant}"
        if arch == "arm" and not variant:
            variant = "v7"
        elif (arch == "arm64" and variant == "v8") or (arch == "amd64" and variant == "v1"):
            variant = ""
        return Platform(os_name, arch, variant)

    def matches(self, other: Platform) -> bool:
        return self.normalized() == other.normalized()

    def __str__(self) -> str:
        text = f"{self.os or '?'}/{self.architecture or '?'}"
        return f"{text}/{self.variant}" if self.variant else text
