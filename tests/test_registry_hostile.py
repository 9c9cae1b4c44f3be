"""verify against a hostile registry: every read capped, the whole command under a deadline.

Each case runs the real CLI (`python -m mkmultiarch verify ... --insecure`) in a
subprocess with 1 GiB of address space and a timeout, against a registry on
127.0.0.1 that sends too much, too slowly, or forever, and expects exit 2 and
one line on stderr that names the limit hit: never a traceback, never a hang.
"""

from __future__ import annotations

import bz2
import gzip
import io
import itertools
import json
import lzma
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import IO, Any

import pytest
import zstandard

from mkmultiarch.cli import DEFAULT_COMMAND_TIMEOUT
from mkmultiarch.inspect.layers import FoundFile, Layer, LayerError, Missing, find_file
from mkmultiarch.inspect.limits import (
    DEFAULT_TIMEOUT,
    MAX_INDEX_ENTRIES,
    MIB,
    Deadline,
    LimitError,
)
from mkmultiarch.inspect.registry import OCI_INDEX
from tests.support.elf import fake_binary
from tests.support.fake_registry import LAYER_GZIP
from tests.support.hostile_registry import (
    CHUNK,
    GIB,
    HostileRegistry,
    Ran,
    endless_gzip_tar,
    gzip_bomb,
    paced,
    repeat,
    run_cli,
    stream,
    tar_header,
    trickle,
    zstd_bomb,
    zstd_skippable_frame,
    zstd_zeros_frame,
)
from tests.support.images import ENTRYPOINT, REPO, platform
from tests.support.layers import file, hardlink, sha256, symlink, tar_layer

TAG = f"{REPO}:1.0"
MANIFEST_PATH = f"/v2/{REPO}/manifests/1.0"


@pytest.fixture
def hostile() -> Iterator[HostileRegistry]:
    with HostileRegistry() as server:
        yield server


def listed(registry: HostileRegistry, layers: list[bytes]) -> dict[str, Any]:
    """Push under 1.0 a list of one linux/amd64 image of LAYERS; return that image's descriptor."""
    descriptor = registry.put_image(REPO, None, layers=layers, config=ENTRYPOINT)
    registry.put_index(REPO, "1.0", [(descriptor, platform("amd64"))])
    return descriptor


def verify(registry: HostileRegistry, *extra: str, timeout: float = 90.0) -> Ran:
    return run_cli("verify", f"{registry.host}/{TAG}", "--insecure", *extra, timeout=timeout)


def assert_limit(ran: Ran, *words: str) -> None:
    """Exit 2, one line on stderr naming the limit (all of WORDS), no traceback anywhere."""
    assert ran.code == 2, (ran.code, ran.stderr[-2000:])
    assert "Traceback" not in ran.stderr + ran.stdout
    assert ran.stderr.count("\n") == 1 and ran.stderr.startswith("mkmultiarch: cannot check")
    for word in words:
        assert word in ran.stderr, ran.stderr


def blob_path(digest: str) -> str:
    return f"/v2/{REPO}/blobs/{digest}"


# -- bodies read whole before: error bodies, token answers -----------------------------


def test_huge_error_body(hostile: HostileRegistry) -> None:
    """A 500 claiming and streaming 1 GiB: only 64 KiB of it is read."""
    body = repeat(b'{"errors":' + b" " * (CHUNK - 10), GIB)
    headers = {"Content-Type": "application/json"}
    hostile.paths[MANIFEST_PATH] = lambda h: stream(
        h, body, status=500, headers=headers, length=GIB
    )
    ran = verify(hostile)
    assert_limit(ran, "answered 500", "larger than 64 KiB")


def test_huge_token_response(hostile: HostileRegistry) -> None:
    """A token service answering 1 GiB of JSON: refused past 1 MiB."""
    hostile.auth = "bearer"
    listed(hostile, [tar_layer()])
    body = repeat(b'{"token":"' + b"a" * (CHUNK - 10), GIB)
    hostile.paths["/token"] = lambda h: stream(h, body, length=GIB)
    ran = verify(hostile)
    assert_limit(ran, "token service", "larger than 1 MiB")


# -- time: trickling bodies and headers --------------------------------------------------


def test_trickling_manifest_meets_the_deadline(hostile: HostileRegistry) -> None:
    """One byte every 0.5 s never trips a socket timeout; the command's deadline stops it."""
    listed(hostile, [tar_layer()])
    raw, media_type = hostile.manifests[(REPO, "1.0")]
    headers = {"Content-Type": media_type}
    hostile.paths[MANIFEST_PATH] = lambda h: stream(
        h, trickle(raw, 0.5), headers=headers, length=len(raw)
    )
    ran = verify(hostile, "--timeout", "3", timeout=30)
    assert_limit(ran, "3s limit on the whole command (--timeout)", "reading org/app:1.0")
    assert ran.seconds < 10


def test_trickling_headers_meet_the_alarm(hostile: HostileRegistry) -> None:
    """Headers trickled a byte at a time: below the streaming loops, the alarm ends it."""

    def slow_headers(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        for chunk in trickle(b"a" * 100, 0.5):
            try:
                handler.wfile.write(chunk)
                handler.wfile.flush()
            except OSError:
                return

    hostile.paths[MANIFEST_PATH] = slow_headers
    ran = verify(hostile, "--timeout", "2", timeout=30)
    assert_limit(ran, "2s limit on the whole command (--timeout)")
    assert ran.seconds < 10


# -- layers: gzip bomb, endless layer, 8 GiB tar header ----------------------------------


def test_gzip_bomb_layer(hostile: HostileRegistry) -> None:
    """About 2.6 MB of gzip that decompresses to 2.5 GiB: stopped at 2 GiB per layer."""
    bomb = gzip_bomb(5 * GIB // 2)
    assert len(bomb) < 8 << 20
    listed(hostile, [bomb])
    ran = verify(hostile)
    assert_limit(ran, "decompresses to more than 2 GiB", "the limit per layer was hit")


def test_zstd_bomb_layer(hostile: HostileRegistry) -> None:
    """About 80 KB of zstd that decompresses to 2.5 GiB, and says so up front: stopped at 2 GiB.

    Its frame declares 2.5 GiB of content; under 1 GiB of address space nothing
    of that size may be allocated.
    """
    bomb = zstd_bomb(5 * GIB // 2)
    assert len(bomb) < 1 << 20
    listed(hostile, [bomb])
    ran = verify(hostile)
    assert_limit(ran, "decompresses to more than 2 GiB", "the limit per layer was hit")


def test_endless_layer_meets_the_deadline(hostile: HostileRegistry) -> None:
    """A plain tar layer that never ends (64 KiB every 10 ms): the deadline stops it."""
    placeholder = b"endless layer"
    listed(hostile, [placeholder])
    first = tar_header("filler", 64 * GIB)
    zeros = bytes(CHUNK)

    def endless(handler: BaseHTTPRequestHandler) -> None:
        stream(handler, paced(itertools.chain([first], repeat(zeros, 64 * GIB)), 0.01))

    hostile.paths[blob_path(sha256(placeholder))] = endless
    ran = verify(hostile, "--timeout", "3", timeout=30)
    assert_limit(ran, "3s limit on the whole command (--timeout)", sha256(placeholder))
    assert ran.seconds < 10


def test_tar_header_claiming_8_gib_before_the_entrypoint(hostile: HostileRegistry) -> None:
    """A member claiming 8 GiB, then zeros, generated as sent: skipping it meets the layer limit."""
    placeholder = b"8 GiB member"
    listed(hostile, [placeholder])
    first = tar_header("filler", 8 * GIB)
    hostile.paths[blob_path(sha256(placeholder))] = lambda h: stream(
        h, endless_gzip_tar(first), headers={"Content-Type": LAYER_GZIP}
    )
    ran = verify(hostile)
    assert_limit(ran, "decompresses to more than 2 GiB")


def test_pax_header_claiming_8_gib(hostile: HostileRegistry) -> None:
    """tarfile reads a pax header's data whole: one claiming 8 GiB is refused, not allocated."""
    placeholder = b"8 GiB pax header"
    listed(hostile, [placeholder])
    first = tar_header("././@PaxHeader", 8 * GIB, tarfile.XHDTYPE)
    hostile.paths[blob_path(sha256(placeholder))] = lambda h: stream(
        h, endless_gzip_tar(first), headers={"Content-Type": LAYER_GZIP}
    )
    ran = verify(hostile)
    assert_limit(ran, "claims 8 GiB of header data", "the limit on tar headers was hit")


def test_entrypoint_claiming_8_gib_is_read_up_to_its_limit(hostile: HostileRegistry) -> None:
    """The entrypoint's header claims 8 GiB: 64 MiB of it is read, never 8 GiB allocated."""
    placeholder = b"8 GiB entrypoint"
    listed(hostile, [placeholder])
    first = tar_header("usr/local/bin/app", 8 * GIB) + fake_binary("amd64")
    hostile.paths[blob_path(sha256(placeholder))] = lambda h: stream(
        h, endless_gzip_tar(first), headers={"Content-Type": LAYER_GZIP}
    )
    ran = verify(hostile, "--arch", "amd64")
    assert ran.code == 0, ran.stderr
    assert "ELF 64-bit" in ran.stdout and "Traceback" not in ran.stderr


# -- sizes and counts: index entries, link loops -----------------------------------------


def test_index_with_100000_entries(hostile: HostileRegistry) -> None:
    data = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [{}] * 100_000}
    hostile.put_manifest(REPO, "1.0", data, OCI_INDEX)
    ran = verify(hostile)
    assert_limit(ran, "100000 entries", f"more than {MAX_INDEX_ENTRIES}", "index entries")

    ran = verify(hostile, "--json")
    assert ran.code == 2
    answer = json.loads(ran.stdout)
    assert answer["exit_code"] == 2 and "index entries" in answer["error"]


def test_image_with_300_layers(hostile: HostileRegistry) -> None:
    listed(hostile, [tar_layer()] * 300)
    ran = verify(hostile)
    assert_limit(ran, "has 300 layers; more than 256", "the limit on layers per image was hit")


def test_symlink_loop_for_the_entrypoint(hostile: HostileRegistry) -> None:
    layer = tar_layer(symlink("usr/local/bin/app", "loop"), symlink("usr/local/bin/loop", "app"))
    listed(hostile, [layer])
    ran = verify(hostile)
    assert_limit(ran, "more than 16 links", "the limit on links was hit")


# -- doctor: the same deadline ---------------------------------------------------------------


def test_doctor_meets_the_deadline(hostile: HostileRegistry, tmp_path: Path) -> None:
    """doctor's /v2/ probe, trickled a byte every 0.5 s: --timeout ends it with exit 2."""
    hostile.paths["/v2/"] = lambda h: stream(h, trickle(b"{}" * 60, 0.5), length=120)
    config = tmp_path / "multiarch.yaml"
    config.write_text(f"image: org/app\nregistry: {hostile.host}\n")
    ran = run_cli(
        "doctor",
        "--config",
        str(config),
        "--docker",
        str(tmp_path / "no-docker"),
        "--timeout",
        "3",
        timeout=30,
    )
    assert ran.code == 2, ran.stderr
    assert "Traceback" not in ran.stderr and ran.stderr.count("\n") == 1
    assert ran.stderr.startswith("mkmultiarch: gave up reading /v2/: the 3s limit")
    assert ran.seconds < 10


# -- the same limits, in-process ---------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_deadline_counts_from_its_start() -> None:
    clock = Clock()
    deadline = Deadline(5, clock)
    deadline.check("reading x")
    assert deadline.remaining() == 5 and deadline.per_request(30) == 5
    clock.now += 5
    with pytest.raises(LimitError, match=r"gave up reading x: the 5s limit .*\(--timeout\)"):
        deadline.check("reading x")
    assert deadline.per_request(30) == 0.05


def test_layer_budget_of_the_command() -> None:
    deadline = Deadline(5, Clock())
    deadline.count_layer_bytes(8 * GIB)
    with pytest.raises(LimitError, match="8 GiB of decompressed layers in all"):
        deadline.count_layer_bytes(1)


def test_path_entries_are_capped() -> None:
    layers = [Layer("sha256:x")]

    def never(digest: str) -> Any:
        raise AssertionError("no layer is opened")

    paths = [f"/d{n}/app" for n in range(1000)]
    result = find_file(layers, never, paths)
    assert isinstance(result, Missing) and result.limit_hit
    assert "limit on PATH entries" in result.reason


def blobs_opener(blobs: dict[str, bytes]) -> Any:
    @contextmanager
    def open_blob(digest: str) -> Iterator[IO[bytes]]:
        yield io.BufferedReader(io.BytesIO(blobs[digest]))

    return open_blob


@pytest.mark.parametrize(
    "compress", ["gzip-members", "bzip2", "xz", "plain", "zstd", "zstd-frames-skippable"]
)
def test_layers_decompressed_here(compress: str) -> None:
    """Every compression tarfile read before is still read, now in bounded steps; zstd too."""
    raw = tar_layer(file("usr/bin/app", b"\x7fELF-app"), compress=False)
    zstd = zstandard.ZstdCompressor().compress
    skip = zstd_skippable_frame(b"not content")
    packed = {
        "gzip-members": gzip.compress(raw[:700]) + gzip.compress(raw[700:]),
        "bzip2": bz2.compress(raw),
        "xz": lzma.compress(raw),
        "plain": raw,
        "zstd": zstd(raw),
        # It starts with a skippable frame: found by that frame's magic bytes alone.
        "zstd-frames-skippable": skip + zstd(raw[:700]) + skip + zstd(raw[700:]) + skip,
    }[compress]
    result = find_file([Layer("sha256:l")], blobs_opener({"sha256:l": packed}), ["/usr/bin/app"])
    assert isinstance(result, FoundFile) and result.data == b"\x7fELF-app"


def test_zstd_bomb_meets_the_layer_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """A zstd bomb, the per-layer limit set to 1 MiB: stopped there, in bounded steps."""
    monkeypatch.setattr("mkmultiarch.inspect.layers.MAX_LAYER_BYTES", 1 * MIB)
    bomb = zstd_bomb(64 * MIB)
    assert len(bomb) < 4096
    opener = blobs_opener({"sha256:l": bomb})
    with pytest.raises(LimitError, match="sha256:l decompresses to more than 1 MiB; the limit per"):
        find_file([Layer("sha256:l")], opener, ["/app"])


def test_zstd_layers_meet_the_command_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each zstd layer under its own limit, together over the command's: stopped there."""
    monkeypatch.setattr("mkmultiarch.inspect.limits.MAX_RUN_LAYER_BYTES", 3 * MIB)
    bomb = zstd_bomb(2 * MIB)
    layers = [Layer(f"sha256:{n}") for n in range(3)]
    opener = blobs_opener({layer.digest: bomb for layer in layers})
    with pytest.raises(LimitError, match="more than 3 MiB of decompressed layers in all"):
        find_file(layers, opener, ["/app"])


def test_zstd_frame_declaring_a_terabyte() -> None:
    """A frame's declared content size is not allocated (and a false one is corruption)."""
    frame = zstd_zeros_frame(1 * MIB, declared=1 << 40)
    layer = zstandard.ZstdCompressor().compress(tar_header("filler", 1 * MIB)) + frame
    with pytest.raises(LayerError, match="zstd decompress error"):
        find_file([Layer("sha256:l")], blobs_opener({"sha256:l": layer}), ["/app"])


def test_zstd_frame_asking_for_a_1_gib_window() -> None:
    """A frame's window is memory the decoder must hold: more than 128 MiB is refused."""
    layer = b"\x28\xb5\x2f\xfd" + b"\x00\xa0" + bytes(64)  # window 2**30
    with pytest.raises(LayerError, match="zstd decompress error: Frame requires too much memory"):
        find_file([Layer("sha256:l")], blobs_opener({"sha256:l": layer}), ["/app"])


def test_zstd_layer_deadline() -> None:
    """Skippable frames only, so no decompressed byte to count: the deadline is still checked."""
    clock = Clock()
    deadline = Deadline(1, clock)
    deadline.check("starting")

    frames = zstd_skippable_frame(bytes(4000)) * 2000  # about 8 MB, read 4 KiB at a time

    class Late(io.RawIOBase):
        """Each read takes 10 ms (of the fake clock)."""

        def __init__(self) -> None:
            self.data = io.BytesIO(frames)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            clock.now += 0.01
            return self.data.readinto(buffer)

    late = Late()

    @contextmanager
    def open_blob(digest: str) -> Iterator[IO[bytes]]:
        yield io.BufferedReader(late, buffer_size=4096)

    with pytest.raises(LimitError, match="gave up reading layer sha256:l: the 1s limit"):
        find_file([Layer("sha256:l")], open_blob, ["/app"], deadline=deadline)
    assert late.data.tell() < len(frames) / 10


def test_member_read_up_to_max_bytes_whatever_its_header_claims() -> None:
    layer = tar_header("app", 8 * GIB) + b"\x7fELF" + bytes(64 << 10)
    opener = blobs_opener({"sha256:l": layer})
    result = find_file([Layer("sha256:l")], opener, ["/app"], max_bytes=1024)
    assert isinstance(result, FoundFile)
    assert result.size == 8 * GIB and len(result.data) == 1024


def test_link_loop_is_a_limit_not_an_answer() -> None:
    layer = tar_layer(symlink("a", "b"), hardlink("b", "a"))
    result = find_file([Layer("sha256:l")], blobs_opener({"sha256:l": layer}), ["/a"])
    assert isinstance(result, Missing) and result.limit_hit and "16 links" in result.reason


def test_layer_deadline() -> None:
    clock = Clock()
    deadline = Deadline(1, clock)
    clock.now += 2
    opener = blobs_opener({"sha256:l": tar_layer(file("app"))})
    with pytest.raises(LimitError, match="1s limit on the whole command"):
        find_file([Layer("sha256:l")], opener, ["/app"], deadline=deadline)


def test_timeout_option() -> None:
    """--timeout on verify and doctor, its default the one of limits.py, at least 1 s."""
    assert DEFAULT_COMMAND_TIMEOUT == DEFAULT_TIMEOUT
    for command in ("verify", "doctor"):
        ran = run_cli(command, "--help", memory=False)
        assert ran.code == 0 and "--timeout" in ran.stdout
    ran = run_cli("verify", "127.0.0.1:1/org/app:1.0", "--timeout", "0", memory=False)
    assert ran.code == 2 and "--timeout" in ran.stderr
