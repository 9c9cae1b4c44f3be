"""The outcome of one check, shared by `verify` and `doctor`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    OK = "ok"
    WARNING = "warning"
    FAIL = "fail"
    SKIPPED = "skipped"


SEVERITY = {Status.SKIPPED: 0, Status.OK: 1, Status.WARNING: 2, Status.FAIL: 3}
LABELS = {
    Status.OK: "ok",
    Status.WARNING: "warning",
    Status.FAIL: "FAIL",
    Status.SKIPPED: "skipped",
}


@dataclass(frozen=True)
class Check:
    name: str  # e.g. list, platforms, config, binary; docker daemon, BuildKit
    status: Status
    message: str
    fix: str = ""  # one line telling what to do, when there is something to do


def worst(statuses: Iterable[Status]) -> Status:
    """The most severe status; OK for none."""
    return max(statuses, key=SEVERITY.__getitem__, default=Status.OK)
