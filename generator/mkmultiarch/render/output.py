"""Compare rendered files with the project and write them all-or-nothing.

The project's files are the team's: a file that differs from what would be
written is only replaced with --force. Everything is decided before anything
is written, and each file is replaced atomically (write a temporary sibling,
then rename), so a failed or refused run leaves the project as it was.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from mkmultiarch.render.templates import RenderedFile


class FileState(Enum):
    """How the project's file stands against the rendering."""

    NEW = "new"
    UNCHANGED = "unchanged"
    CHANGED = "changed"


@dataclass(frozen=True)
class PlannedFile:
    """A rendered file next to what the project has now at that path."""

    target: Path
    rendered: RenderedFile
    current: str | None

    @property
    def state(self) -> FileState:
        if self.current is None:
            return FileState.NEW
        return FileState.UNCHANGED if self.current == self.rendered.text else FileState.CHANGED

    def diff(self) -> str:
        """A unified diff from the project's file to the rendered one."""
        return "".join(
            difflib.unified_diff(
                (self.current or "").splitlines(keepends=True),
                self.rendered.text.splitlines(keepends=True),
                fromfile=f"a/{self.rendered.path}" if self.current is not None else "/dev/null",
                tofile=f"b/{self.rendered.path}",
            )
        )


def plan(files: list[RenderedFile], output_dir: Path) -> list[PlannedFile]:
    """Pair each rendered file with the project's current version of it."""
    planned = []
    for rendered in files:
        target = output_dir / rendered.path
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        planned.append(PlannedFile(target=target, rendered=rendered, current=current))
    return planned


def write_all(planned: list[PlannedFile]) -> list[PlannedFile]:
    """Write every new or changed file atomically; return those written."""
    pending = [item for item in planned if item.state is not FileState.UNCHANGED]
    staged: list[tuple[Path, Path]] = []
    try:
        for item in pending:
            item.target.parent.mkdir(parents=True, exist_ok=True)
            fd, temp_name = tempfile.mkstemp(dir=item.target.parent, prefix=f".{item.target.name}.")
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(item.rendered.text)
            staged.append((Path(temp_name), item.target))
        for temp_path, target in staged:
            os.chmod(temp_path, 0o644)
            os.replace(temp_path, target)
    finally:
        for temp_path, _ in staged:
            temp_path.unlink(missing_ok=True)
    return pending
