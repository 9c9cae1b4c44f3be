"""What to check, from the command line: the tag, and the arches it must have.

Kept apart from the walk over the registry so that bad arguments are refused
(exit code 2) before any request is made, and can be tested without one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mkmultiarch.arches import SUPPORTED_ARCHES, Arch
from mkmultiarch.errors import BadInputError
from mkmultiarch.inspect.imageref import ImageRef, parse_reference


class VerifyInputError(BadInputError):
    """Bad arguments: an `--arch` token."""


def parse_arch_tokens(tokens: Sequence[str]) -> list[Arch]:
    """`--arch` values: amd64, arm/v7, linux/arm64; several per value with commas or spaces."""
    arches: list[Arch] = []
    for value in tokens:
        for token in value.replace(",", " ").split():
            token = token.removeprefix("linux/")
            try:
                arch = Arch.parse(token)
            except ValueError:
                raise VerifyInputError(
                    f"--arch: {token!r} is not supported; use some of: {' '.join(SUPPORTED_ARCHES)}"
                ) from None
            if arch not in arches:
                arches.append(arch)
    return arches


@dataclass(frozen=True)
class VerifyPlan:
    """The tag to check and the arches it must have, with where they came from for the report."""

    ref: ImageRef
    expected: list[Arch] | None  # None: nothing given, only the entries are checked
    expected_source: str


def plan(
    image: str,
    arch_tokens: Sequence[str],
    configured: Sequence[str] | None = None,
    config_source: str = "",
) -> VerifyPlan:
    """Decide what to check from the command line.

    Expected arches come from --arch, else from the config's (CONFIGURED, read
    from CONFIG_SOURCE), else there are none and only the entries are checked.
    """
    ref = parse_reference(image)
    if arch_tokens:
        return VerifyPlan(ref, parse_arch_tokens(arch_tokens), "--arch")
    if configured is not None:
        return VerifyPlan(ref, [Arch.parse(token) for token in configured], config_source)
    return VerifyPlan(ref, None, "")
