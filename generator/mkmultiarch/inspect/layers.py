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

Nothing here trusts a layer: decompression is done here, in bounded steps,
and every decompressed byte is counted against the limits of one layer and of
the command (a gzip or zstd bomb, an endless layer); a member is read in chunks up to
a limit whatever size its header claims; the search follows links with an
explicit stack and a cap on its steps, not by recursion.
"""

from __future__ import annotations

import bz2
import io
import lzma
import posixpath
import tarfile
import tarfile as tarfile_module
import zlib
from collections.abc import Callable, Generator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, cast

import zstandard

from mkmultiarch.errors import CannotCheckError
from mkmultiarch.inspect.limits import (
    MAX_LAYER_BYTES,
    MAX_LINKS,
    MAX_MEMBER_BYTES,
    MAX_PATH_DIRS,
    MAX_SEARCHES,
    MAX_TAR_HEADER_BYTES,
    MAX_ZSTD_WINDOW,
    Deadline,
    LimitError,
    size,
)

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
DEFAULT_MAX_BYTES = MAX_MEMBER_BYTES
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
ZSTD_SKIPPABLE_MAGIC = b"\x2a\x4d\x18"  # after a first byte 0x50..0x5f
GZIP_MAGIC = b"\x1f\x8b"
BZIP2_MAGIC = b"BZh"
XZ_MAGIC = b"\xfd7zXZ\x00"
_HEADER_TYPES = frozenset(
    {
        tarfile.GNUTYPE_LONGNAME,
        tarfile.GNUTYPE_LONGLINK,
        tarfile.XHDTYPE,
        tarfile.XGLTYPE,
        tarfile.SOLARIS_XHDTYPE,
    }
)
READ_CHUNK = 1 << 16  # decompressed bytes asked for at a time
TAR_BUFFER = 1 << 18  # tarfile's reads (and skips) in stream mode
COMPRESSED_CHUNK = 1 << 12  # compressed bytes read at a time (a layer is read only as needed)

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
    limit_hit: bool = False  # the search gave up at a limit (a link loop): not an answer


class _Gunzip(io.RawIOBase):
    """A gzip stream (several members too) decompressed in bounded steps."""

    def __init__(self, source: IO[bytes]) -> None:
        self._source = source
        self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._input = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        while True:
            if not self._input:
                if self._inflate.eof:
                    self._input = self._inflate.unused_data or self._source.read(COMPRESSED_CHUNK)
                    if not self._input:
                        return 0
                    self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
                else:
                    self._input = self._source.read(COMPRESSED_CHUNK)
                    if not self._input:
                        raise EOFError("the gzip stream ends early")
            out = self._inflate.decompress(self._input, len(view))
            self._input = b"" if self._inflate.eof else self._inflate.unconsumed_tail
            if out:
                view[: len(out)] = out
                return len(out)


class _Timed:
    """A compressed stream whose every read checks the deadline.

    zstd's reader pulls input in a loop of its own until it has output; a long
    skippable frame would be read without a decompressed byte to count.
    """

    def __init__(self, source: IO[bytes], layer: Layer, deadline: Deadline) -> None:
        self._source = source
        self._layer = layer
        self._deadline = deadline

    def read(self, count: int = -1) -> bytes:
        self._deadline.check(f"reading layer {self._layer.digest}")
        return self._source.read(COMPRESSED_CHUNK if count < 0 else min(count, COMPRESSED_CHUNK))


def _unzstd(source: IO[bytes], layer: Layer, deadline: Deadline) -> IO[bytes]:
    """A zstd stream (several frames, skippable frames too) decompressed in bounded steps.

    Each read returns at most what was asked for, whatever size a frame
    declares: nothing is allocated by a frame's content size, and its window
    may be at most MAX_ZSTD_WINDOW.
    """
    decompressor = zstandard.ZstdDecompressor(max_window_size=MAX_ZSTD_WINDOW)
    return decompressor.stream_reader(
        cast(IO[bytes], _Timed(source, layer, deadline)),  # only its read() is called
        read_size=COMPRESSED_CHUNK,
        read_across_frames=True,
        closefd=False,
    )


def _is_zstd(head: bytes) -> bool:
    """A zstd frame or a skippable frame (magic 0x184D2A50..5F) starts HEAD."""
    skippable = len(head) >= 4 and head[0] & 0xF0 == 0x50 and head[1:4] == ZSTD_SKIPPABLE_MAGIC
    return head.startswith(ZSTD_MAGIC) or skippable


class _Counted(io.RawIOBase):
    """A decompressed layer whose bytes count against the limits, and the deadline checked."""

    def __init__(self, source: IO[bytes], layer: Layer, deadline: Deadline) -> None:
        self._source = source
        self._layer = layer
        self._deadline = deadline
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        self._deadline.check(f"reading layer {self._layer.digest}")
        data = self._source.read(len(view))
        self.count += len(data)
        if self.count > MAX_LAYER_BYTES:
            raise LimitError(
                f"layer {self._layer.digest} decompresses to more than "
                f"{size(MAX_LAYER_BYTES)}; the limit per layer was hit"
            )
        self._deadline.count_layer_bytes(len(data))
        view[: len(data)] = data
        return len(data)


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


class _BoundedTarInfo(tarfile.TarInfo):
    """A tar header whose own data (pax headers, GNU long names) is read only when small.

    tarfile reads that data whole, by the size the header claims; a header
    claiming 8 GiB would be an 8 GiB allocation. GNU sparse members, whose
    maps tarfile also reads whole, are not read at all (container layers do
    not hold them).
    """

    def _proc_member(self, tarfile: tarfile_module.TarFile) -> tarfile_module.TarInfo:
        if self.type == tarfile_module.GNUTYPE_SPARSE:
            raise LayerError(f"{self.name}: a GNU sparse member; it cannot be read here")
        if self.type in _HEADER_TYPES and self.size > MAX_TAR_HEADER_BYTES:
            raise LimitError(
                f"a tar header claims {size(self.size)} of header data (pax or long name); "
                f"more than {size(MAX_TAR_HEADER_BYTES)}: the limit on tar headers was hit"
            )
        return super()._proc_member(tarfile)  # type: ignore[misc,no-any-return]


def _open_tar(stream: io.BufferedReader, layer: Layer, deadline: Deadline) -> tarfile.TarFile:
    """The layer as a tar in stream mode, decompressed here (bounded), counted by _Counted."""
    head = stream.peek(6)[:6]
    # The readers made here are not closed here: the blob's stream is, when the search
    # leaves the layer, and they hold nothing else.
    plain: IO[bytes] = stream
    if head.startswith(GZIP_MAGIC):
        plain = io.BufferedReader(_Gunzip(stream), buffer_size=READ_CHUNK)
    elif head.startswith(BZIP2_MAGIC):
        plain = bz2.BZ2File(stream)
    elif head.startswith(XZ_MAGIC):
        plain = lzma.LZMAFile(stream)  # noqa: SIM115
    elif _is_zstd(head) or "zstd" in layer.media_type:
        plain = _unzstd(stream, layer, deadline)
    counted = io.BufferedReader(_Counted(plain, layer, deadline), buffer_size=READ_CHUNK)
    try:
        return tarfile.open(fileobj=counted, mode="r|", bufsize=TAR_BUFFER, tarinfo=_BoundedTarInfo)
    except tarfile.TarError:
        raise LayerError(
            f"layer {layer.digest} is not a tar (plain, gzip, bzip2, xz or zstd)"
        ) from None


def _read_member(reader: IO[bytes], max_bytes: int, deadline: Deadline, path: str) -> bytes:
    """At most MAX_BYTES of a member, in chunks: never a buffer of the size its header claims."""
    chunks: list[bytes] = []
    left = max_bytes
    while left > 0:
        deadline.check(f"reading {path}")
        chunk = reader.read(min(READ_CHUNK, left))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _scan_layer(
    tar: tarfile.TarFile,
    index: int,
    candidates: Sequence[str],
    outcomes: dict[str, _Outcome],
    max_bytes: int,
    deadline: Deadline,
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

    while (member := tar.next()) is not None:
        # Stream mode keeps every member read: a layer of millions of tiny members
        # would fill memory with them. Nothing here looks back, so drop them.
        tar.members.clear()  # type: ignore[attr-defined]
        hits = watch.get(_clean(member.name))
        if hits is None:
            continue
        for candidate, role in hits.roles:
            if candidate in outcomes:
                continue
            outcome = _member_outcome(tar, member, index, candidate, role, max_bytes, deadline)
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
    deadline: Deadline,
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
        data = _read_member(reader, max_bytes, deadline, path) if reader is not None else b""
        return _Found(FoundFile(path, index, data, member.size))
    kind = "a directory" if member.isdir() else "not a regular file"
    return _Gone(f"{path} is {kind} in layer {index}")


_Request = tuple[list[str], int, tuple[str, ...]]  # candidates, top layer, links so far
_Search = Generator[_Request, "FoundFile | Missing", "FoundFile | Missing"]


def _search(
    layers: Sequence[Layer],
    open_blob: BlobOpener,
    candidates: Sequence[str],
    top: int,
    max_bytes: int,
    links: tuple[str, ...],
    deadline: Deadline,
) -> _Search:
    """One search of the layer stack; a further search (a link) is yielded to _run, not recursed."""
    outcomes: dict[str, _Outcome] = {}
    for index in range(top, -1, -1):
        if _decide(candidates, outcomes, all_seen=False):
            break
        layer = layers[index]
        deadline.check(f"reading layer {layer.digest}")
        with open_blob(layer.digest) as blob:
            stream: io.BufferedReader = (
                blob
                if isinstance(blob, io.BufferedReader)
                else io.BufferedReader(cast(io.RawIOBase, blob))
            )
            try:
                with _open_tar(stream, layer, deadline) as tar:
                    _scan_layer(tar, index, candidates, outcomes, max_bytes, deadline)
            except (
                tarfile.TarError,
                EOFError,
                OSError,
                zlib.error,
                lzma.LZMAError,
                zstandard.ZstdError,
            ) as error:
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
            return Missing(
                f"more than {MAX_LINKS} links to follow from /{candidate} (a link loop?); "
                "the limit on links was hit",
                limit_hit=True,
            )
        start = outcome.layer if outcome.same_layer else len(layers) - 1
        followed = (*links, outcome.note)
        result = yield ([outcome.path], start, followed)
        if isinstance(result, FoundFile) or result.limit_hit:
            return result
        reasons.append(f"/{candidate}: {outcome.note}: {result.reason}")
        rest = list(candidates[position + 1 :])
        if rest:  # the scan may have stopped before settling them: search them again
            result = yield (rest, top, links)
            if isinstance(result, FoundFile) or result.limit_hit:
                return result
            reasons.append(result.reason)
        break
    return Missing("; ".join(reasons))


def _run(
    layers: Sequence[Layer],
    open_blob: BlobOpener,
    candidates: list[str],
    max_bytes: int,
    deadline: Deadline,
) -> FoundFile | Missing:
    """Drive _search with an explicit stack: no recursion, and at most MAX_SEARCHES searches."""

    def start(request: _Request) -> _Search:
        paths, top, links = request
        return _search(layers, open_blob, paths, top, max_bytes, links, deadline)

    stack = [start((candidates, len(layers) - 1, ()))]
    searches = 1
    answer: FoundFile | Missing | None = None
    while stack:
        try:
            request = stack[-1].send(answer) if answer is not None else next(stack[-1])
        except StopIteration as done:
            stack.pop()
            answer = done.value
            continue
        searches += 1
        if searches > MAX_SEARCHES:
            return Missing(
                f"more than {MAX_SEARCHES} searches of the layers (links and PATH entries); "
                "the limit on searches was hit",
                limit_hit=True,
            )
        stack.append(start(request))
        answer = None
    assert answer is not None
    return answer


def find_file(
    layers: Sequence[Layer],
    open_blob: BlobOpener,
    paths: Sequence[str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    deadline: Deadline | None = None,
) -> FoundFile | Missing:
    """Find the first of PATHS (absolute, in priority order) in the merged layers.

    Raises LimitError when a layer decompresses to more than its limit, or
    the command's layer budget or DEADLINE runs out.
    """
    if not layers:
        return Missing("the image has no layers")
    candidates = list(dict.fromkeys(_clean(path) for path in paths if _clean(path)))
    if not candidates:
        return Missing("no path to look for")
    if len(candidates) > MAX_PATH_DIRS:
        return Missing(
            f"{len(candidates)} places to look for it (PATH); more than {MAX_PATH_DIRS}: "
            "the limit on PATH entries was hit",
            limit_hit=True,
        )
    clock = deadline if deadline is not None else Deadline()
    return _run(layers, open_blob, candidates, max_bytes, clock)


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
