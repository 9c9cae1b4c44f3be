"""The audit itself: the uses found, the arches they need, what the registries say.

Required arches: `--arch`, else the `arches` of the first multiarch.yaml found,
else amd64 arm64. A Use needs the required arches, or the build host's only
(BUILD), or the arches it names (multiarch.yaml's runtime_image: the config's).
References are normalized as Docker does and resolved once each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from mkmultiarch import arches
from mkmultiarch.errors import ExitCode
from mkmultiarch.inspect.audit.resolve import Resolution, Resolver, canonical
from mkmultiarch.inspect.audit.sources import Found
from mkmultiarch.inspect.audit.uses import BUILD, REQUIRED, Needs, Use
from mkmultiarch.inspect.imageref import ImageRef, ImageRefError, parse_reference
from mkmultiarch.inspect.platforms import Platform

DEFAULT_ARCHES = ("amd64", "arm64")


def host_arch() -> str:
    """The arch of this machine (where the build runs), as an arch token."""
    return arches.host_arch() or "amd64"


def arch_platform(token: str) -> Platform:
    """amd64 -> linux/amd64; arm/v7 -> linux/arm/v7."""
    architecture, _, variant = token.partition("/")
    return Platform("linux", architecture, variant)


class Status(Enum):
    OK = "ok"
    MISSING = "missing"  # lacks a platform some use needs
    UNRESOLVED = "unresolved"  # a variable the audit cannot resolve
    INVALID = "invalid"  # not an image reference
    ERROR = "error"  # the registry could not be asked, or has no such tag

    @property
    def checked(self) -> bool:
        return self in (Status.OK, Status.MISSING)


# How the report lists references: what could not be checked, what lacks a platform, the
# rest; each group in the order the references were first met.
_ORDER = (Status.ERROR, Status.UNRESOLVED, Status.INVALID, Status.MISSING, Status.OK)


@dataclass
class UseResult:
    use: Use
    needs: tuple[str, ...]  # platforms, e.g. linux/arm64
    missing: tuple[str, ...] = ()


@dataclass
class ReferenceResult:
    """One unique reference: what it is, what it has, what its uses lack."""

    reference: str  # normalized; as written when unresolved or invalid
    status: Status
    uses: list[UseResult] = field(default_factory=list)
    resolution: Resolution | None = None
    error: str = ""

    @property
    def platforms(self) -> list[str]:
        found = self.resolution.platforms if self.resolution else ()
        return [str(platform) for platform in found]

    @property
    def missing(self) -> list[str]:
        return list(dict.fromkeys(p for result in self.uses for p in result.missing))


@dataclass
class AuditResult:
    required: tuple[str, ...]
    required_source: str
    build_arch: str
    references: list[ReferenceResult]
    skipped: list[str]
    files: int
    requests: int = 0

    def count(self, *statuses: Status) -> int:
        return sum(result.status in statuses for result in self.references)

    @property
    def exit_code(self) -> ExitCode:
        """2 when anything could not be checked (the audit is incomplete), else 1 if a
        reference lacks a platform, else 0."""
        if self.count(Status.UNRESOLVED, Status.INVALID, Status.ERROR):
            return ExitCode.NOT_DONE
        if self.count(Status.MISSING):
            return ExitCode.PROBLEMS_FOUND
        return ExitCode.OK


def required_arches(arch_flags: Sequence[str], found: Found) -> tuple[tuple[str, ...], str]:
    """The arch tokens every reference must have, and where they come from."""
    if arch_flags:
        return tuple(arch_flags), "--arch"
    if found.configs:
        first = found.configs[0]
        return first.arches, first.file
    return DEFAULT_ARCHES, "default"


def _needed(needs: Needs, required: tuple[str, ...], build_arch: str) -> tuple[str, ...]:
    if needs == REQUIRED:
        tokens: tuple[str, ...] = required
    elif needs == BUILD:
        tokens = (build_arch,)
    else:
        tokens = tuple(needs)
    return tuple(str(arch_platform(token)) for token in tokens)


def audit(
    found: Found,
    required: tuple[str, ...],
    required_source: str,
    build_arch: str,
    resolver: Resolver,
) -> AuditResult:
    """Resolve every reference of FOUND once and compare with what each use needs."""
    results: dict[str, ReferenceResult] = {}
    to_resolve: dict[str, ImageRef] = {}
    for use in found.uses:
        needs = _needed(use.needs, required, build_arch)
        if use.unresolved:
            key = f"unresolved:{use.written}"
            result = results.setdefault(key, ReferenceResult(use.written, Status.UNRESOLVED))
            names = ", ".join(use.unresolved)
            result.error = f"cannot resolve {names}; not checked"
        else:
            try:
                ref = parse_reference(use.written)
            except ImageRefError as error:
                key = f"invalid:{use.written}"
                result = results.setdefault(key, ReferenceResult(use.written, Status.INVALID))
                result.error = str(error)
            else:
                key = canonical(ref)
                to_resolve[key] = ref
                result = results.setdefault(key, ReferenceResult(key, Status.OK))
        result.uses.append(UseResult(use, needs))

    resolved = resolver.resolve_all(to_resolve.values())
    for key, resolution in resolved.items():
        result = results[key]
        result.resolution = resolution
        if resolution.error:
            result.status = Status.ERROR
            result.error = resolution.error
            continue
        for use_result in result.uses:
            use_result.missing = tuple(
                need
                for need in use_result.needs
                if not any(arch_platform_matches(need, have) for have in resolution.platforms)
            )
        if result.missing:
            result.status = Status.MISSING
    return AuditResult(
        required=required,
        required_source=required_source,
        build_arch=build_arch,
        references=sorted(results.values(), key=lambda result: _ORDER.index(result.status)),
        skipped=found.skipped,
        files=found.files,
        requests=resolver.requests,
    )


def arch_platform_matches(needed: str, have: Platform) -> bool:
    os_name, _, rest = needed.partition("/")
    architecture, _, variant = rest.partition("/")
    return Platform(os_name, architecture, variant).matches(have)
