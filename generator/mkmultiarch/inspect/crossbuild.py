"""Does a Dockerfile compile for the target arch? A reading, before anything is built.

`docker build --platform linux/arm64` gives each stage the target platform unless the
stage says otherwise. A stage pinned to the build host (`FROM --platform=$BUILDPLATFORM`,
the usual cross-compiling setup) or to a fixed platform runs natively and compiles for
that host, unless it hands the compiler the target arch: BuildKit's TARGETARCH (or
TARGETPLATFORM), e.g. `GOARCH=$TARGETARCH go build`. A pinned stage that never names
them, and whose files reach the final image, puts the build host's binary into every
arch's image: the release then publishes x86-64 in the arm64 slot. This module finds
that pattern (and a final stage pinned to one platform) so render and doctor can warn;
the Makefile's docker-check stops such a release whatever this reading says.

It reads the Dockerfile's text only (bounded by the caller), and errs towards silence:
a stage that mentions TARGETARCH anywhere, or inherits from one that does, is trusted, and
so is one whose files are copied by a path naming it (`COPY --from=build
/out/${TARGETARCH} ...`: a stage that builds every arch, as the generated Dockerfile does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from mkmultiarch.inspect.audit.dockerfile import instructions, split_words
from mkmultiarch.inspect.limits import read_limited

MAX_DOCKERFILE_BYTES = 1 << 20
_TARGET_ARCH = re.compile(r"\bTARGET(?:ARCH|PLATFORM)\b")
_BUILD_PLATFORM = re.compile(r"^\$\{?BUILDPLATFORM\}?\Z")


@dataclass
class _Stage:
    line: int
    name: str
    pinned: str  # "" (the target platform), or the --platform value
    parent: str  # a stage name it is FROM, or ""
    names_target: bool = False  # RUN/ENV/ARG text names TARGETARCH or TARGETPLATFORM
    runs: bool = False  # has a RUN: it can compile something
    # (source stage, whether the COPY picks its file by TARGETARCH: /out/${TARGETARCH})
    copies_from: list[tuple[str, bool]] = field(default_factory=list)


@dataclass(frozen=True)
class Finding:
    """A line of the Dockerfile and what is wrong there, in one sentence with the fix."""

    line: int
    message: str


def _stages(text: str) -> list[_Stage]:
    stages: list[_Stage] = []
    for instruction in instructions(text):
        words = split_words(instruction.arguments)
        if instruction.keyword == "FROM":
            flags = [word for word in words if word.startswith("--")]
            rest = [word for word in words if not word.startswith("--")]
            pinned = next(
                (flag.partition("=")[2] for flag in flags if flag.startswith("--platform=")), ""
            )
            name = rest[2] if len(rest) >= 3 and rest[1].lower() == "as" else str(len(stages))
            parent = rest[0].lower() if rest else ""
            known = {stage.name.lower() for stage in stages}
            stages.append(_Stage(instruction.line, name, pinned, parent if parent in known else ""))
            continue
        if not stages:
            continue
        stage = stages[-1]
        if instruction.keyword in ("RUN", "ENV", "ARG") and _TARGET_ARCH.search(
            instruction.arguments
        ):
            stage.names_target = True
        if instruction.keyword == "RUN":
            stage.runs = True
        if instruction.keyword in ("COPY", "ADD"):
            picks = bool(_TARGET_ARCH.search(instruction.arguments))
            for word in words:
                if word.startswith("--from="):
                    stage.copies_from.append((word.partition("=")[2].lower(), picks))
    return stages


def _describe(pinned: str) -> str:
    if _BUILD_PLATFORM.match(pinned):
        return "runs on the build host (--platform=$BUILDPLATFORM)"
    return f"runs on {pinned} (--platform={pinned})"


def find_problems(text: str) -> list[Finding]:
    """Stages whose binaries would be the same (the build host's) in every arch's image."""
    stages = _stages(text)
    if not stages:
        return []
    by_name = {stage.name.lower(): stage for stage in stages}

    def lineage(stage: _Stage) -> list[_Stage]:
        chain = [stage]
        while chain[-1].parent and chain[-1].parent in by_name and len(chain) <= len(stages):
            chain.append(by_name[chain[-1].parent])
        return chain

    final = stages[-1]
    findings: list[Finding] = []
    final_pin = next((stage.pinned for stage in lineage(final) if stage.pinned), "")
    if final_pin and "TARGETPLATFORM" not in final_pin:
        findings.append(
            Finding(
                final.line,
                f"the final stage {_describe(final_pin)}, so every image's config names that "
                "platform, not its arch: drop --platform from the last FROM",
            )
        )

    # The stages whose files reach the final image. A COPY that picks its file by
    # TARGETARCH (one stage building every arch, /out/${TARGETARCH}) is per arch already.
    reached: list[_Stage] = []
    waiting = list(lineage(final))
    while waiting:
        stage = waiting.pop()
        if stage in reached:
            continue
        reached.append(stage)
        for source, picks in stage.copies_from:
            if picks:
                continue
            if source in by_name:
                waiting.extend(lineage(by_name[source]))
            elif source.isdigit() and int(source) < len(stages):
                waiting.extend(lineage(stages[int(source)]))
    for stage in sorted(reached, key=lambda item: item.line):
        if stage is final or not stage.runs:
            continue
        chain = lineage(stage)
        pin = next((item.pinned for item in chain if item.pinned), "")
        if not pin or "TARGET" in pin or any(item.names_target for item in chain):
            continue
        findings.append(
            Finding(
                stage.line,
                f"stage {stage.name} {_describe(pin)} and never names TARGETARCH, so what it "
                "compiles is for the build host, in every arch's image: pass the target arch "
                "to the compiler, e.g. ARG TARGETARCH then GOARCH=$TARGETARCH go build",
            )
        )
    return findings


def dockerfile_problems(path: Path) -> list[Finding]:
    """find_problems of the Dockerfile at PATH, read bounded (ValueError past
    MAX_DOCKERFILE_BYTES or not UTF-8; OSError when it cannot be read)."""
    return find_problems(read_limited(path, MAX_DOCKERFILE_BYTES))
