"""What verify found: per entry, and for the whole tag.

Plain data in a module of its own: the checks in the other verify modules
fill it in and report.py renders it, so all of them import it and it imports
none of them; the imports run one way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from mkmultiarch.errors import ExitCode
from mkmultiarch.inspect.checks import Check, CheckOutcome, worst
from mkmultiarch.inspect.registry import MEDIA_TYPE_NAMES


@dataclass
class EntryResult:
    """One entry of the list (or the single image), and what was found in it."""

    platform: str  # as the list entry names it (for a single image: its config)
    digest: str
    media_type: str
    kind: str = "image"  # image, attestation, index
    config_platform: str = ""
    entrypoint: str = ""  # the file checked, e.g. /usr/local/bin/hello
    binary: str = ""  # e.g. "ELF 64-bit LSB AArch64"
    checks: list[Check] = field(default_factory=list)

    @property
    def status(self) -> CheckOutcome:
        """The entry's worst check: what its row in the table shows."""
        return worst(check.status for check in self.checks)

    def add(self, name: str, status: CheckOutcome, message: str) -> None:
        self.checks.append(Check(name, status, message))


@dataclass
class VerifyResult:
    """The tag, the platforms found against those expected, and every check made."""

    image: str
    digest: str
    media_type: str
    is_list: bool
    expected: list[str]
    expected_source: str  # "--arch", the config path, or "" (nothing expected)
    present: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    attestations: int = 0
    entries: list[EntryResult] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    auth: str = "anonymous"

    def add(self, name: str, status: CheckOutcome, message: str) -> None:
        self.checks.append(Check(name, status, message))

    def findings(self, status: CheckOutcome) -> list[str]:
        """One line per check with STATUS, prefixed with its entry's platform."""
        lines = [
            f"{check.name}: {check.message}" for check in self.checks if check.status == status
        ]
        for entry in self.entries:
            lines += [
                f"{entry.platform} {check.name}: {check.message}"
                for check in entry.checks
                if check.status == status
            ]
        return lines

    @property
    def problems(self) -> list[str]:
        """The failed checks, one line each: any one makes the exit code 1."""
        return self.findings(CheckOutcome.FAIL)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def media_type_name(self) -> str:
        """A short name for the media type (e.g. "OCI image index"), as people know it."""
        return MEDIA_TYPE_NAMES.get(self.media_type, self.media_type)

    def to_dict(self) -> dict[str, Any]:
        """Everything, plus what a script would otherwise compute: statuses, ok, exit code."""
        data = asdict(self)
        for entry, raw in zip(self.entries, data["entries"], strict=True):
            raw["status"] = entry.status.value
        data["media_type_name"] = self.media_type_name
        data["problems"] = self.problems
        data["warnings"] = self.findings(CheckOutcome.WARNING)
        data["ok"] = self.ok
        data["exit_code"] = int(ExitCode.OK if self.ok else ExitCode.PROBLEMS_FOUND)
        return data
