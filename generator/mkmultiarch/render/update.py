"""What render does with each file: take the rendering, merge it with the team's edits, or stop.

Why three texts: the new rendering alone cannot tell a team's edit from an
older config's output. With the last rendering as the base, a file nobody
edited is simply replaced, a file the team edited is merged (merge3), and a
file whose base is unknown (no record) is left alone unless --force says
take the rendering. The decision is the same for render, --check and --diff,
so `--check` fails exactly when render would change or refuse something.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from mkmultiarch.render.merge import has_conflict_markers, merge3
from mkmultiarch.render.output import PlannedFile


class Action(Enum):
    """What render does with one file (the value is how --check names it)."""

    CURRENT = "up to date"  # the file is the rendering
    NEW = "new"  # no file yet: write the rendering
    RENDERED = "untouched"  # the file is the last rendering: replace it
    FORCED = "forced"  # --force: take the rendering over the team's edits
    MERGED = "merged"  # edited, and the new rendering merges in cleanly
    CONFLICT = "conflict"  # edited, and the merge leaves conflict markers
    EDITED = "edited"  # the team's edits on top of the current rendering: keep them
    NO_BASE = "no record"  # differs, and there is no last rendering to merge from
    MARKERS = "unresolved"  # still holds the markers of an earlier conflict


# Render would change the file, or cannot: --check reports these.
STALE = frozenset(
    {Action.NEW, Action.RENDERED, Action.FORCED, Action.MERGED, Action.CONFLICT}
    | {Action.NO_BASE, Action.MARKERS}
)
# Render stops before writing anything while any file is in one of these (without --force).
REFUSED = frozenset({Action.NO_BASE, Action.MARKERS})


@dataclass(frozen=True)
class Decision:
    """ITEM, the action for it, and the text its file holds afterwards."""

    item: PlannedFile
    action: Action
    text: str
    conflicts: int = 0

    @property
    def changes_file(self) -> bool:
        return self.text != self.item.current


def decide(item: PlannedFile, base: str | None, *, force: bool) -> Decision:
    """The action for ITEM given BASE, the last rendering (None when nothing says what it was)."""
    rendered, current = item.rendered.text, item.current
    if current is None:
        return Decision(item, Action.NEW, rendered)
    if current == rendered:
        return Decision(item, Action.CURRENT, rendered)
    if force:
        return Decision(item, Action.FORCED, rendered)
    if has_conflict_markers(current):
        return Decision(item, Action.MARKERS, current)
    if base is None:
        return Decision(item, Action.NO_BASE, current)
    if current == base:
        return Decision(item, Action.RENDERED, rendered)
    if base == rendered:
        return Decision(item, Action.EDITED, current)
    merged = merge3(base, current, rendered)
    if merged.conflicts:
        return Decision(item, Action.CONFLICT, merged.text, merged.conflicts)
    if merged.text == current:  # the new rendering's changes are in already; the record lags
        return Decision(item, Action.EDITED, current)
    return Decision(item, Action.MERGED, merged.text)
