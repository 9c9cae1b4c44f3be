"""Tar layers built in memory: files, directories, links, whiteouts, opaque markers."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from dataclasses import dataclass

import zstandard


@dataclass(frozen=True)
class Entry:
    """A tar member: a file, a directory, a symlink or a hard link."""

    name: str
    data: bytes = b""
    kind: str = "file"
    target: str = ""


def file(name: str, data: bytes = b"x") -> Entry:
    return Entry(name, data)


def symlink(name: str, target: str) -> Entry:
    return Entry(name, kind="symlink", target=target)


def hardlink(name: str, target: str) -> Entry:
    return Entry(name, kind="hardlink", target=target)


def directory(name: str) -> Entry:
    return Entry(name, kind="dir")


def whiteout(path: str) -> Entry:
    head, _, base = path.rpartition("/")
    return file(f"{head}/.wh.{base}" if head else f".wh.{base}", b"")


def opaque(dir_path: str) -> Entry:
    return file(f"{dir_path}/.wh..wh..opq", b"")


def tar_layer(*entries: Entry, compress: bool | str = True) -> bytes:
    """A tar of ENTRIES: gzip'd (True or "gzip"), zstd-compressed ("zstd") or plain (False)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for entry in entries:
            info = tarfile.TarInfo(entry.name)
            info.mode = 0o755
            if entry.kind == "dir":
                info.type = tarfile.DIRTYPE
            elif entry.kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, entry.target
            elif entry.kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, entry.target
            else:
                info.size = len(entry.data)
            tar.addfile(info, io.BytesIO(entry.data) if entry.kind == "file" else None)
    raw = buffer.getvalue()
    if compress == "zstd":
        return zstandard.ZstdCompressor(write_checksum=True).compress(raw)
    if compress in (True, "gzip"):
        return gzip.compress(raw, mtime=0)
    if compress is False:
        return raw
    raise ValueError(f"unknown compression {compress!r}")


def sha256(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"
