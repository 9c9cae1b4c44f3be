"""Doctor's reading of a team's own Dockerfile (language: dockerfile): does it compile
for each target arch, or would every arch's image get the build host's binary? With
several images (images:), each image's Dockerfile is read, and its lines name the image."""

from __future__ import annotations

from pathlib import Path

from mkmultiarch.inspect.checks import Check, CheckOutcome
from mkmultiarch.inspect.crossbuild import dockerfile_problems
from mkmultiarch.inspect.text import printable

NAME = "Dockerfile"


def check_dockerfile(path: Path, image: str | None = None) -> list[Check]:
    """One warning per stage that compiles for the build host only, else one ok; each
    message starts with images[IMAGE] when the Dockerfile is that image's."""
    shown = printable(str(path) if image is None else f"images[{image}]: {path}")
    setting = "dockerfile" if image is None else f"images[{image}].dockerfile"
    try:
        findings = dockerfile_problems(path)
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        return [
            Check(
                NAME,
                CheckOutcome.WARNING,
                f"{shown}: cannot read it ({printable(reason)})",
                f"make docker-build needs it: create it, or set {setting} in multiarch.yaml",
            )
        ]
    if not findings:
        return [Check(NAME, CheckOutcome.OK, f"{shown}: compiles per target arch (TARGETARCH)")]
    return [
        Check(
            NAME,
            CheckOutcome.WARNING,
            f"{shown}:{finding.line}: {finding.message}",
            "make docker-check (run by docker-push) stops such a release before any list is pushed",
        )
        for finding in findings
    ]
