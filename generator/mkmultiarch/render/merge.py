"""A three-way merge of text by lines: the last rendering, the team's file, the new rendering.

Why our own: render must keep a team's edits through a config change the way
`copier update` does, with no new dependency and no GPL code (the known
merge3 modules are GPL). This is the classic diff3 algorithm: the lines that
match in all three texts (difflib matching blocks, autojunk off so a
Makefile's repeated lines are not skipped) split them into stable regions and
the chunks in between. A chunk changed on one side only takes that side; the
same change on both sides is taken once; two different changes are a
conflict, written with git's diff3-style markers so editors and
`git diff --check` know them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

OURS_LABEL = "yours"
BASE_LABEL = "last rendering"
THEIRS_LABEL = "new rendering"
MARKER_SIZE = 7
# A line git, editors and this module read as a conflict's start or end.
_MARKER_LINE = re.compile(r"^(?:<{7} |>{7} |<{7}$|>{7}$)", re.MULTILINE)


@dataclass(frozen=True)
class MergeResult:
    """The merged text, and how many chunks are left as conflicts in it."""

    text: str
    conflicts: int


# (base start, base end, ours start, ours end, theirs start, theirs end)
_Region = tuple[int, int, int, int, int, int]


def _matches(base: Sequence[str], other: Sequence[str]) -> list[tuple[int, int, int]]:
    """(base index, other index, length) of the lines both have, in order."""
    matcher = difflib.SequenceMatcher(None, base, other, autojunk=False)
    return [(m.a, m.b, m.size) for m in matcher.get_matching_blocks() if m.size]


def _stable_regions(
    base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]
) -> list[_Region]:
    """The runs of base lines that both sides kept, plus an empty run at the very end."""
    ours_matches, theirs_matches = _matches(base, ours), _matches(base, theirs)
    regions: list[_Region] = []
    i = j = 0
    while i < len(ours_matches) and j < len(theirs_matches):
        base_o, at_o, size_o = ours_matches[i]
        base_t, at_t, size_t = theirs_matches[j]
        start, end = max(base_o, base_t), min(base_o + size_o, base_t + size_t)
        if start < end:
            ours_start, theirs_start = at_o + start - base_o, at_t + start - base_t
            regions.append(
                (
                    start,
                    end,
                    ours_start,
                    ours_start + end - start,
                    theirs_start,
                    theirs_start + end - start,
                )
            )
        if base_o + size_o < base_t + size_t:
            i += 1
        else:
            j += 1
    regions.append((len(base), len(base), len(ours), len(ours), len(theirs), len(theirs)))
    return regions


def _ended(lines: Sequence[str]) -> list[str]:
    """LINES with a newline after the last one, so a marker after them starts a line."""
    out = list(lines)
    if out and not out[-1].endswith("\n"):
        out[-1] += "\n"
    return out


def _chunks(
    base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]
) -> Iterator[tuple[list[str], bool]]:
    """(lines, is a conflict) in order: the merged text, chunk by chunk."""
    b = o = t = 0
    for base_at, base_end, ours_at, ours_end, theirs_at, theirs_end in _stable_regions(
        base, ours, theirs
    ):
        old, mine, new = base[b:base_at], ours[o:ours_at], theirs[t:theirs_at]
        if mine == new:
            yield list(mine), False  # unchanged, or the same change on both sides
        elif old == mine:
            yield list(new), False  # only the rendering changed here
        elif old == new:
            yield list(mine), False  # only the team changed here
        else:
            yield (
                [
                    f"{'<' * MARKER_SIZE} {OURS_LABEL}\n",
                    *_ended(mine),
                    f"{'|' * MARKER_SIZE} {BASE_LABEL}\n",
                    *_ended(old),
                    f"{'=' * MARKER_SIZE}\n",
                    *_ended(new),
                    f"{'>' * MARKER_SIZE} {THEIRS_LABEL}\n",
                ],
                True,
            )
        yield list(base[base_at:base_end]), False
        b, o, t = base_end, ours_end, theirs_end


def merge3(base: str, ours: str, theirs: str) -> MergeResult:
    """Merge the changes BASE -> OURS and BASE -> THEIRS into one text."""
    lines: list[str] = []
    conflicts = 0
    for chunk, conflict in _chunks(
        base.splitlines(keepends=True),
        ours.splitlines(keepends=True),
        theirs.splitlines(keepends=True),
    ):
        lines.extend(chunk)
        conflicts += conflict
    return MergeResult(text="".join(lines), conflicts=conflicts)


def has_conflict_markers(text: str) -> bool:
    """Whether TEXT still holds a conflict's start and end marker lines (left unresolved)."""
    starts = ends = False
    for match in _MARKER_LINE.finditer(text):
        if match.group().startswith("<"):
            starts = True
        else:
            ends = True
    return starts and ends
