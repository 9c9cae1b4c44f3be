"""Read the project's files (and render's record of them), and write all-or-nothing.

The project's files are the team's: what replaces or merges into them is
decided elsewhere (render.update), before anything is written. The record of
what render last wrote (render.record, under .mkmultiarch/rendered/) is read
and written here with the same rules as the files themselves.

Writing stages every file first (a temporary sibling in the target's
directory), then renames them all into place; any failure removes every
temporary file, and a failure among the renames puts back what the earlier
renames replaced (kept as a hard link until the end), so a failed or
refused run leaves the project as it was.

Nothing is read or written through a link: a symbolic link at the target, or
at any directory between the output directory and the target (mk/,
.github/workflows/...), is refused with one line naming it. The output
directory itself is the user's choice and may be a link.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import secrets
import shutil
import stat
import tempfile
from dataclasses import dataclass
from enum import Enum
from pathlib import Path, PurePosixPath

from mkmultiarch.errors import CannotCheckError
from mkmultiarch.render.config import shown_path
from mkmultiarch.render.record import README_PATH, README_TEXT, recorded_path
from mkmultiarch.render.templates import RenderedFile

# A rendered file is a few KiB; a much larger file at its path is not one mkmultiarch wrote.
MAX_TARGET_BYTES = 1024 * 1024
TEMP_SUFFIX = ".mkmultiarch-tmp"
BACKUP_SUFFIX = ".mkmultiarch-old"


class OutputError(CannotCheckError):
    """A target cannot be read, compared or written; the message is one line for the user."""


class FileState(Enum):
    """How the project's file stands against the rendering."""

    NEW = "new"
    UNCHANGED = "unchanged"
    CHANGED = "changed"


@dataclass(frozen=True)
class PlannedFile:
    """A rendered file next to what the project has at that path, and what render last wrote."""

    target: Path
    rendered: RenderedFile
    current: str | None
    recorded: str | None = None

    @property
    def state(self) -> FileState:
        if self.current is None:
            return FileState.NEW
        return FileState.UNCHANGED if self.current == self.rendered.text else FileState.CHANGED

    @property
    def root(self) -> Path:
        """The output directory the rendered path is relative to."""
        depth = len(PurePosixPath(self.rendered.path).parts)
        return self.target.parents[depth - 1]

    def diff(self, to: str | None = None) -> str:
        """A unified diff from the project's file to TO (by default the rendered one)."""
        return "".join(
            difflib.unified_diff(
                (self.current or "").splitlines(keepends=True),
                (self.rendered.text if to is None else to).splitlines(keepends=True),
                fromfile=f"a/{self.rendered.path}" if self.current is not None else "/dev/null",
                tofile=f"b/{self.rendered.path}",
            )
        )


def _refuse(path: Path, reason: str) -> OutputError:
    return OutputError(f"{shown_path(path)}: {reason}")


def _no_links(root: Path, relative: str) -> Path:
    """ROOT/RELATIVE, after refusing a link or a non-directory on the way, or a non-file at it."""
    parts = PurePosixPath(relative).parts
    current = root
    for index, part in enumerate(parts):
        current = current / part
        last = index == len(parts) - 1
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            break  # it and everything below are new
        except OSError as error:
            raise _refuse(current, error.strerror or str(error)) from None
        if stat.S_ISLNK(mode):
            kind = "file" if last else "directory"
            raise _refuse(
                current,
                f"is a symbolic link; mkmultiarch does not read or write through links "
                f"(make it a real {kind})",
            )
        if not last and not stat.S_ISDIR(mode):
            raise _refuse(current, f"not a directory, but {relative} goes inside it; move it away")
        if last and not stat.S_ISREG(mode):
            raise _refuse(current, f"not a regular file, but {relative} goes here; move it away")
    return root / relative


def _read_current(target: Path) -> str | None:
    """The project's text at TARGET (None if absent): a regular UTF-8 file, read bounded."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    try:
        descriptor = os.open(target, flags)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise _refuse(target, f"cannot read it: {error.strerror or error}") from None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise _refuse(target, "not a regular file; move it away")
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_TARGET_BYTES:
            chunk = os.read(descriptor, MAX_TARGET_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as error:
        raise _refuse(target, f"cannot read it: {error.strerror or error}") from None
    finally:
        os.close(descriptor)
    if size > MAX_TARGET_BYTES:
        raise _refuse(
            target, f"larger than {MAX_TARGET_BYTES // 1024} KiB, so not a rendered file; move it"
        )
    try:
        text = b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError as error:
        raise _refuse(
            target,
            f"not UTF-8 text (byte {error.start}); mkmultiarch will not compare or "
            "overwrite it: save it as UTF-8 or move it away",
        ) from None
    # As text mode reads it: a file with CRLF line ends compares as its LF form.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def plan(files: list[RenderedFile], output_dir: Path) -> list[PlannedFile]:
    """Pair each rendered file with the project's version and the recorded one (no links)."""
    planned = []
    for rendered in files:
        target = _no_links(output_dir, rendered.path)
        current = _read_current(target)
        recorded = _read_current(_no_links(output_dir, recorded_path(rendered.path)))
        planned.append(PlannedFile(target, rendered, current, recorded))
    return planned


@dataclass(frozen=True)
class Write:
    """TEXT to put at RELATIVE inside ROOT (the output directory)."""

    root: Path
    relative: str
    text: str

    @property
    def target(self) -> Path:
        return self.root / self.relative


def record_writes(planned: list[PlannedFile]) -> list[Write]:
    """The record's copies that lag behind the rendering, and its README with them."""
    writes = [
        Write(item.root, recorded_path(item.rendered.path), item.rendered.text)
        for item in planned
        if item.recorded != item.rendered.text
    ]
    if writes:
        writes.append(Write(writes[0].root, README_PATH, README_TEXT))
    return writes


def _make_directories(root: Path, relative: str, created: list[Path]) -> None:
    """Create ROOT and the directories of RELATIVE that are missing, recording each one made."""
    for directory in reversed([root, *root.parents]):
        if not os.path.lexists(directory):
            os.mkdir(directory)
            created.append(directory)
    current = root
    for part in PurePosixPath(relative).parts[:-1]:
        current = current / part
        try:
            os.mkdir(current)
            created.append(current)
        except FileExistsError:
            pass  # _no_links below refuses it if it is not a real directory
    _no_links(root, relative)  # nothing turned into a link since plan()


def _backup(target: Path) -> Path | None:
    """A hard link to TARGET's current file beside it (a copy where links fail), or None."""
    if not os.path.lexists(target):
        return None
    while True:
        backup = target.with_name(f".{target.name}.{secrets.token_hex(4)}{BACKUP_SUFFIX}")
        try:
            os.link(target, backup, follow_symlinks=False)
            return backup
        except FileExistsError:
            continue
        except OSError:
            shutil.copy2(target, backup, follow_symlinks=False)
            return backup


def _roll_back(
    replaced: list[tuple[Path, Path | None]], temporaries: list[Path], created: list[Path]
) -> tuple[list[str], set[Path]]:
    """Undo the renames (newest first) and remove the temporary files and new directories.

    Returns what could not be restored, and the backups kept for it.
    """
    problems: list[str] = []
    kept: set[Path] = set()
    for target, backup in reversed(replaced):
        try:
            if backup is None:
                target.unlink(missing_ok=True)
            else:
                os.replace(backup, target)
        except OSError:
            if backup is not None:
                kept.add(backup)
                problems.append(
                    f"could not restore {shown_path(target)} (its old file is {shown_path(backup)})"
                )
            else:
                problems.append(f"could not remove the new {shown_path(target)}")
    for temporary in temporaries:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
    for directory in reversed(created):
        with contextlib.suppress(OSError):
            directory.rmdir()
    return problems, kept


def write_all(planned: list[PlannedFile]) -> list[PlannedFile]:
    """Write the rendering over every new or changed file and record it; return those written."""
    pending = [item for item in planned if item.state is not FileState.UNCHANGED]
    writes = [Write(item.root, item.rendered.path, item.rendered.text) for item in pending]
    write_files(writes + record_writes(planned))
    return pending


def write_files(pending: list[Write]) -> None:
    """Write every file of PENDING, all or none."""
    created: list[Path] = []
    temporaries: list[Path] = []
    staged: list[tuple[Path, Path]] = []
    replaced: list[tuple[Path, Path | None]] = []
    backups: list[Path] = []
    current = pending[0].target if pending else Path()
    try:
        for item in pending:  # stage: every file written beside its target
            current = item.target
            _make_directories(item.root, item.relative, created)
            descriptor, name = tempfile.mkstemp(
                dir=item.target.parent, prefix=f".{item.target.name}.", suffix=TEMP_SUFFIX
            )
            temporary = Path(name)
            temporaries.append(temporary)
            with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
                handle.write(item.text)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, 0o644)
            staged.append((temporary, item.target))
        for temporary, target in staged:  # commit: rename each into place
            current = target
            _no_links(target.parent, target.name)
            backup = _backup(target)
            if backup is not None:
                backups.append(backup)
            os.replace(temporary, target)
            replaced.append((target, backup))
    except BaseException as error:
        problems, kept = _roll_back(replaced, temporaries, created)
        for backup in backups:
            if backup not in kept:
                with contextlib.suppress(OSError):
                    backup.unlink(missing_ok=True)
        if isinstance(error, OutputError):
            reason = str(error)
        elif isinstance(error, OSError):
            reason = f"{shown_path(current)}: cannot write it ({error.strerror or error})"
        else:
            raise  # Ctrl-C or a bug: rolled back all the same
        if problems:
            raise OutputError(f"{reason}; and {'; '.join(problems)}") from None
        raise OutputError(f"{reason}; nothing was changed") from None
    for backup in backups:
        with contextlib.suppress(OSError):
            backup.unlink()
