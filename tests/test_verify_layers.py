"""Finding the entrypoint in an image's layers: top layer first, whiteouts, links, PATH."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import pytest

from mkmultiarch.inspect.layers import (
    FoundFile,
    Layer,
    LayerError,
    Missing,
    command_candidates,
    find_file,
)
from tests.support.elf import fake_binary
from tests.support.layers import (
    Entry,
    directory,
    file,
    hardlink,
    opaque,
    sha256,
    symlink,
    tar_layer,
    whiteout,
)


class CountingReader(io.RawIOBase):
    """A blob stream that counts what was read from it."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        self.consumed += len(chunk)
        return len(chunk)


class Image:
    """Layers (bottom first) in memory, with a log of which were opened and how far read."""

    def __init__(self, *layers: list[Entry] | bytes, media_type: str = "") -> None:
        self.blobs: dict[str, bytes] = {}
        self.layers: list[Layer] = []
        for layer in layers:
            data = layer if isinstance(layer, bytes) else tar_layer(*layer)
            digest = sha256(data)
            self.blobs[digest] = data
            self.layers.append(Layer(digest, media_type))
        self.opened: list[int] = []
        self.readers: list[CountingReader] = []

    @contextmanager
    def open_blob(self, digest: str) -> Iterator[IO[bytes]]:
        self.opened.append([layer.digest for layer in self.layers].index(digest))
        reader = CountingReader(self.blobs[digest])
        self.readers.append(reader)
        yield io.BufferedReader(reader, buffer_size=4096)

    def find(self, *paths: str) -> FoundFile | Missing:
        return find_file(self.layers, self.open_blob, list(paths))


def found(result: FoundFile | Missing) -> FoundFile:
    assert isinstance(result, FoundFile), result
    return result


def missing(result: FoundFile | Missing) -> str:
    assert isinstance(result, Missing), result
    return result.reason


def test_top_layer_wins_and_lower_layers_are_not_read() -> None:
    image = Image([file("app", b"old")], [file("app", b"new")])
    result = found(image.find("/app"))
    assert (result.data, result.layer, result.path) == (b"new", 1, "/app")
    assert image.opened == [1]


def test_file_in_the_base_layer() -> None:
    image = Image([directory("usr"), file("usr/bin/app", b"base")], [file("etc/conf")], [file("x")])
    result = found(image.find("/usr/bin/app"))
    assert (result.data, result.layer) == (b"base", 0)
    assert image.opened == [2, 1, 0]


def test_reading_stops_at_the_file() -> None:
    filler = [file(f"data/{n}", bytes(range(256)) * 512) for n in range(60)]
    image = Image([file("app", b"\x7fELF..."), *filler])
    assert found(image.find("/app")).data == b"\x7fELF..."
    total = len(gzip.decompress(image.blobs[image.layers[0].digest]))
    assert image.readers[0].consumed < len(image.blobs[image.layers[0].digest]) / 4
    assert total > 7_000_000


def test_max_bytes() -> None:
    image = Image([file("app", b"a" * 1000)])
    result = find_file(image.layers, image.open_blob, ["/app"], max_bytes=64)
    assert isinstance(result, FoundFile) and len(result.data) == 64 and result.size == 1000


def test_whiteout_deletes() -> None:
    image = Image([file("usr/bin/app")], [whiteout("usr/bin/app")])
    assert missing(image.find("/usr/bin/app")) == "deleted by a whiteout in layer 1"


def test_parent_whiteout_deletes() -> None:
    image = Image([file("usr/bin/app")], [whiteout("usr/bin")])
    assert "whiteout in layer 1" in missing(image.find("/usr/bin/app"))


def test_opaque_directory_hides_lower_layers() -> None:
    image = Image([file("opt/app/run")], [opaque("opt/app"), file("opt/app/other")])
    assert "opaque directory in layer 1" in missing(image.find("/opt/app/run"))
    image = Image([file("opt/app/run", b"old")], [opaque("opt/app"), file("opt/app/run", b"new")])
    assert found(image.find("/opt/app/run")).data == b"new"


def test_recreated_after_whiteout() -> None:
    image = Image([file("app", b"1")], [whiteout("app")], [file("app", b"3")])
    assert found(image.find("/app")).data == b"3"


def test_symlink_to_a_file() -> None:
    image = Image(
        [file("usr/lib/app/real", b"binary")],
        [symlink("usr/bin/app", "../lib/app/real")],
    )
    result = found(image.find("/usr/bin/app"))
    assert result.path == "/usr/lib/app/real" and result.data == b"binary"
    assert result.links == ("/usr/bin/app -> ../lib/app/real",)


def test_symlinked_parent_directory() -> None:
    # merged /usr: /bin -> usr/bin
    image = Image([symlink("bin", "usr/bin"), file("usr/bin/sh", b"shell")])
    result = found(image.find("/bin/sh"))
    assert result.path == "/usr/bin/sh" and result.links == ("/bin -> usr/bin",)


def test_absolute_symlink_and_hardlink() -> None:
    image = Image([file("real", b"r"), hardlink("app", "real"), symlink("abs", "/app")])
    result = found(image.find("/abs"))
    assert result.data == b"r" and result.path == "/real"


def test_link_loop() -> None:
    image = Image([symlink("a", "b"), symlink("b", "a")])
    assert "links" in missing(image.find("/a"))


def test_directory_and_absent() -> None:
    image = Image([directory("app")])
    assert "is a directory" in missing(image.find("/app"))
    assert missing(image.find("/nothing")) == "not in any layer"
    assert missing(find_file([], image.open_blob, ["/x"])) == "the image has no layers"


def test_dot_slash_names_and_plain_tar() -> None:
    raw = tar_layer(file("./usr/local/bin/hello", b"hi"), compress=False)
    assert found(Image(raw).find("/usr/local/bin/hello")).data == b"hi"


def test_path_lookup_order() -> None:
    candidates = command_candidates("app", ["HOME=/root", "PATH=/opt/bin:/usr/bin"], "/")
    assert candidates == ["/opt/bin/app", "/usr/bin/app"]
    # The first PATH entry wins even when a later one is in a higher layer.
    image = Image([file("opt/bin/app", b"first")], [file("usr/bin/app", b"second")])
    assert found(image.find(*candidates)).data == b"first"
    image = Image([file("usr/bin/app", b"only")])
    assert found(image.find(*candidates)).path == "/usr/bin/app"


def test_command_candidates() -> None:
    assert command_candidates("/bin/app", [], "/") == ["/bin/app"]
    assert command_candidates("./run", [], "/srv") == ["/srv/run"]
    assert command_candidates("sh", [], "/")[0] == "/usr/local/sbin/sh"


ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"


def test_unreadable_layers() -> None:
    with pytest.raises(LayerError, match="not a tar"):
        Image(b"this is not a tar at all" * 40).find("/a")


def test_elf_entrypoint_in_a_zstd_layer() -> None:
    binary = fake_binary("arm64")
    layer = tar_layer(directory("usr"), file("usr/local/bin/app", binary), compress="zstd")
    assert layer.startswith(b"\x28\xb5\x2f\xfd")
    for media_type in (ZSTD, ""):  # by its media type, and by its magic bytes alone
        result = found(Image(layer, media_type=media_type).find("/usr/local/bin/app"))
        assert result.data == binary and result.data.startswith(b"\x7fELF")


def test_whiteout_and_opaque_across_zstd_and_gzip_layers() -> None:
    base = tar_layer(file("usr/bin/app", b"old"), file("opt/app/run", b"old"), compress="zstd")
    middle = tar_layer(whiteout("usr/bin/app"), opaque("opt/app"), file("opt/app/x"))
    top = tar_layer(file("etc/conf"), compress="zstd")
    image = Image(base, middle, top)
    assert missing(image.find("/usr/bin/app")) == "deleted by a whiteout in layer 1"
    assert "opaque directory in layer 1" in missing(image.find("/opt/app/run"))
    assert 0 not in image.opened
    image = Image(base, middle, tar_layer(file("usr/bin/app", b"new"), compress="zstd"))
    assert found(image.find("/usr/bin/app")).data == b"new"
    image = Image(tar_layer(file("opt/app/run", b"base"), compress="zstd"), top)
    assert (found(image.find("/opt/app/run")).data, image.opened) == (b"base", [1, 0])


def test_zstd_media_type_decides_nothing_over_magic_bytes() -> None:
    """A layer's bytes say how it is compressed: gzip under a zstd media type is read as gzip."""
    image = Image(tar_layer(file("app", b"gz")), media_type=ZSTD)
    assert found(image.find("/app")).data == b"gz"


def test_corrupt_zstd_layer_is_one_line() -> None:
    layer = bytearray(tar_layer(file("app", bytes(range(256)) * 64), compress="zstd"))
    layer[len(layer) // 2] ^= 0xFF
    for broken in (bytes(layer), tar_layer(file("app"), compress="zstd") + b"garbage!" * 64):
        with pytest.raises(LayerError) as raised:
            Image(broken, media_type=ZSTD).find("/nothing-here")
        message = str(raised.value)
        assert "broken tar" in message and "zstd" in message and "\n" not in message
    # No magic bytes it knows and a zstd media type: read as zstd, and refused as such.
    with pytest.raises(LayerError, match=r"broken tar \(zstd decompress error"):
        Image(tar_layer(file("app"), compress=False), media_type=ZSTD).find("/app")
