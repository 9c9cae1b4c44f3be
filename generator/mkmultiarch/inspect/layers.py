"""Find one file of an image by streaming its layers, top layer first.

A layer is a tar (usually gzip'd). The merged filesystem shows a path from
the topmost layer that mentions it, so the search reads layers from the top
and stops reading as soon as the answer is known:
- the file itself: read it (up to a limit) and stop;
- a whiteout `.wh.<name>` for it or for a parent directory, or a parent that
  is no longer a directory: it is gone;
- an opaque marker `.wh..wh..opq` in a parent directory: lower layers are
  hidden below it, so if this layer lacks the file it is gone;
- a symlink (the file, or a parent directory such as /bin -> usr/bin): start
  over from the top with the link resolved (a hard link: in the same layer).
Several candidate paths (a bare command looked up in PATH) are searched in
one pass; the first candidate in PATH order that exists wins.
"""

from __future__ import annotations

import io
import posixpath
import tarfile
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import IO

from mkmultiarch.errors import CannotCheckError

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
MAX_LINKS = 16
DEFAULT_MAX_BYTES = 64 << 20
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

BlobOpener = Callable[[str], AbstractContextManager[IO[bytes]]]


class LayerError(CannotCheckError):
    """A layer could not be read (unsupported compression, corrupt tar)."""


@dataclass(frozen=True)
class Layer:
    digest: str
    media_type: str = ""


@dataclass(frozen=True)
class FoundFile:
    path: str  # absolute path of the file read, after links
    layer: int  # index in the manifest's layer list (0 = base)
    data: bytes  # at most max_bytes of it
    size: int
    links: tuple[str, ...] = ()  # e.g. ("/bin -> usr/bin",)


@dataclass(frozen=True)
class Missing:
    reason: str  # e.g. "not in any layer", "deleted by a whiteout in layer 3"


def _clean(name: str) -> str:
    """Tar member name or absolute path -> normalized relative path ('' = root)."""
    path = posixpath.normpath("/" + name.strip()).lstrip("/")
    return "" if path == "." else path


def _parents(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def _whiteout(path: str) -> str:
    directory, base = posixpath.split(path)
    return posixpath.join(directory, WHITEOUT + base)


@dataclass
class _Found:
    found: FoundFile


@dataclass
class _Gone:
    reason: str


@dataclass
class _Link:
    path: str  # the path the candidate resolves to
    note: str  # "a -> b"
    same_layer: bool  # hard link: search this layer and below
    layer: int


_Outcome = _Found | _Gone | _Link


@dataclass
class _Watch:
    """What a member name means for the candidates being searched."""

    roles: list[tuple[str, str]] = field(default_factory=list)  # (candidate, role)


def _decide(candidates: Sequence[str], outcomes: dict[str, _Outcome], all_seen: bool) -> bool:
    """Done when the first candidate (in priority order) that is not gone is settled."""
    for candidate in candidates:
        outcome = outcomes.get(candidate)
        if outcome is None:
            return all_seen
        if not isinstance(outcome, _Gone):
            return True
    return True


def _open_tar(stream: IO[bytes], layer: Layer) -> tarfile.TarFile:
    if "zstd" in layer.media_type:
        raise LayerError(f"layer {layer.digest} is zstd-compressed; it cannot be read here")
    try:
        return tarfile.open(fileobj=stream, mode="r|*")
    except tarfile.TarError:
        raise LayerError(f"layer {layer.digest} is not a tar (plain, gzip, bzip2 or xz)") from None


def _scan_layer(
    tar: tarfile.TarFile,
    index: int,
    candidates: Sequence[str],
    outcomes: dict[str, _Outcome],
    max_bytes: int,
) -> None:
    """Read one layer's members, settling candidates; stop early when the answer is known."""
    watch: dict[str, _Watch] = {}
    for candidate in candidates:
        if candidate in outcomes:
            continue
        entries = [(candidate, "self"), (_whiteout(candidate), "whiteout")]
        for parent in _parents(candidate):
            entries += [(parent, "parent"), (_whiteout(parent), "whiteout")]
            entries.append((posixpath.join(parent, OPAQUE), "opaque"))
        entries.append((OPAQUE, "opaque"))
        for name, role in entries:
            watch.setdefault(name, _Watch()).roles.append((candidate, role))
    opaque: set[str] = set()

    for member in tar:
        hits = watch.get(_clean(member.name))
        if hits is None:
            continue
        for candidate, role in hits.roles:
            if candidate in outcomes:
                continue
            outcome = _member_outcome(tar, member, index, candidate, role, max_bytes)
            if role == "opaque":
                opaque.add(candidate)
            elif outcome is not None:
                outcomes[candidate] = outcome
        if _decide(candidates, outcomes, all_seen=False):
            return
    for candidate in candidates:
        if candidate not in outcomes and candidate in opaque:
            outcomes[candidate] = _Gone(f"hidden by an opaque directory in layer {index}")


def _member_outcome(
    tar: tarfile.TarFile,
    member: tarfile.TarInfo,
    index: int,
    candidate: str,
    role: str,
    max_bytes: int,
) -> _Outcome | None:
    path = "/" + candidate
    if role == "whiteout":
        return _Gone(f"deleted by a whiteout in layer {index}")
    if role == "parent":
        if member.isdir():
            return None
        if member.issym():
            parent = "/" + _clean(member.name)
            target = posixpath.join(posixpath.dirname(parent), member.linkname)
            rest = path[len(parent) :]
            return _Link(_clean(target + rest), f"{parent} -> {member.linkname}", False, index)
        return _Gone(f"{'/' + _clean(member.name)} is not a directory in layer {index}")
    if role != "self":
        return None
    if member.issym():
        target = posixpath.join(posixpath.dirname(path), member.linkname)
        return _Link(_clean(target), f"{path} -> {member.linkname}", False, index)
    if member.islnk():
        return _Link(_clean(member.linkname), f"{path} => /{_clean(member.linkname)}", True, index)
    if member.isfile():
        reader = tar.extractfile(member)
        data = reader.read(max_bytes) if reader is not None else b""
        return _Found(FoundFile(path, index, data, member.size))
    kind = "a directory" if member.isdir() else "not a regular file"
    return _Gone(f"{path} is {kind} in layer {index}")


def _search(
    layers: Sequence[Layer],
    open_blob: BlobOpener,
    candidates: Sequence[str],
    top: int,
    max_bytes: int,
    links: tuple[str, ...],
) -> FoundFile | Missing:
    outcomes: dict[str, _Outcome] = {}
    for index in range(top, -1, -1):
        if _decide(candidates, outcomes, all_seen=False):
            break
        layer = layers[index]
        with open_blob(layer.digest) as stream:
            head = stream.peek(4)[:4] if isinstance(stream, io.BufferedReader) else b""
            if head == ZSTD_MAGIC:
                raise LayerError(f"layer {layer.digest} is zstd-compressed; it cannot be read here")
            try:
                with _open_tar(stream, layer) as tar:
                    _scan_layer(tar, index, candidates, outcomes, max_bytes)
            except (tarfile.TarError, EOFError, OSError) as error:
                raise LayerError(f"layer {layer.digest}: broken tar ({error})") from None

    reasons: list[str] = []
    for position, candidate in enumerate(candidates):
        outcome = outcomes.get(candidate, _Gone("not in any layer"))
        if isinstance(outcome, _Found):
            found = outcome.found
            return FoundFile(found.path, found.layer, found.data, found.size, links)
        if not isinstance(outcome, _Link):
            single = len(candidates) == 1
            reasons.append(outcome.reason if single else f"/{candidate}: {outcome.reason}")
            continue
        if len(links) >= MAX_LINKS:
            return Missing(f"more than {MAX_LINKS} links to follow from /{candidate}")
        start = outcome.layer if outcome.same_layer else len(layers) - 1
        followed = (*links, outcome.note)
        result = _search(layers, open_blob, [outcome.path], start, max_bytes, followed)
        if isinstance(result, FoundFile):
            return result
        reasons.append(f"/{candidate}: {outcome.note}: {result.reason}")
        rest = candidates[position + 1 :]
        if rest:  # the scan may have stopped before settling them: search them again
            result = _search(layers, open_blob, rest, top, max_bytes, links)
            if isinstance(result, FoundFile):
                return result
            reasons.append(result.reason)
        break
    return Missing("; ".join(reasons))


def find_file(
    layers: Sequence[Layer],
    open_blob: BlobOpener,
    paths: Sequence[str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> FoundFile | Missing:
    """Find the first of PATHS (absolute, in priority order) in the merged layers."""
    if not layers:
        return Missing("the image has no layers")
    candidates = list(dict.fromkeys(_clean(path) for path in paths if _clean(path)))
    if not candidates:
        return Missing("no path to look for")
    return _search(layers, open_blob, candidates, len(layers) - 1, max_bytes, ())


def command_candidates(command: str, env: Sequence[str], workdir: str) -> list[str]:
    """Where the kernel/runtime looks for COMMAND: as is if absolute, else in PATH."""
    if command.startswith("/"):
        return [command]
    if "/" in command:
        return [posixpath.normpath(posixpath.join("/", workdir or "/", command))]
    path = DEFAULT_PATH
    for item in env:
        if item.startswith("PATH="):
            path = item[len("PATH=") :]
    return [posixpath.join("/", directory, command) for directory in path.split(":") if directory]
