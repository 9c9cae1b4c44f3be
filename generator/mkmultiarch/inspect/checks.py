"""The outcome of one check, shared by `verify` and `doctor`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class CheckOutcome(StrEnum):
    """What one check found: FAIL is a problem found, SKIPPED is not a platform (or not
    checked), INFO is worth knowing and no problem (doctor: a path this project does not use)."""

    OK = "ok"
    INFO = "info"
    WARNING = "warning"
    FAIL = "fail"
    SKIPPED = "skipped"


SEVERITY = {
    CheckOutcome.SKIPPED: 0,
    CheckOutcome.INFO: 1,
    CheckOutcome.OK: 2,
    CheckOutcome.WARNING: 3,
    CheckOutcome.FAIL: 4,
}
LABELS = {
    CheckOutcome.OK: "ok",
    CheckOutcome.INFO: "info",
    CheckOutcome.WARNING: "warning",
    CheckOutcome.FAIL: "FAIL",
    CheckOutcome.SKIPPED: "skipped",
}


@dataclass(frozen=True)
class Check:
    name: str  # e.g. list, platforms, config, binary; docker daemon, BuildKit
    status: CheckOutcome
    message: str
    fix: str = ""  # one line telling what to do, when there is something to do


def worst(statuses: Iterable[CheckOutcome]) -> CheckOutcome:
    """The most severe status; OK for none."""
    return max(statuses, key=SEVERITY.__getitem__, default=CheckOutcome.OK)
