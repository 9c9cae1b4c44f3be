"""Every bound on what `verify` and `doctor` read from a registry, and for how long.

A registry, a token service or an image can be hostile or broken: an error
body of a gigabyte, a manifest trickled one byte at a time, a gzip or zstd bomb, a
layer that never ends, a tar header claiming 8 GiB, an index of 100000
entries, a symlink loop. Each read is capped here, and the whole command has
one deadline (--timeout) that the streaming loops check on every chunk, so a
server that sends one byte every few seconds cannot keep a read alive
(per-read socket timeouts alone would let it).

Hitting a limit raises LimitError (exit 2, could not check) with one line
that names the limit.
"""

from __future__ import annotations

import os
import signal
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from mkmultiarch.errors import CannotCheckError

KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30

DEFAULT_TIMEOUT = 120.0  # the whole command (--timeout)
MAX_MANIFEST_BYTES = 4 * MIB  # a manifest or an index
MAX_CONFIG_BYTES = 16 * MIB  # an image config
MAX_ERROR_BYTES = 64 * KIB  # a non-2xx body (only its error text is used)
MAX_TOKEN_BYTES = 1 * MIB  # a token service's answer (JWTs are a few KiB)
MAX_INDEX_ENTRIES = 256  # entries of one index
MAX_LAYERS = 256  # layers of one image
MAX_LAYER_BYTES = 2 * GIB  # decompressed bytes read from one layer
MAX_RUN_LAYER_BYTES = 8 * GIB  # decompressed bytes read from all layers, per command
MAX_ZSTD_WINDOW = 128 * MIB  # a zstd frame's window (libzstd's default cap; zstd --long)
MAX_TAR_HEADER_BYTES = 1 * MIB  # a pax header's or a GNU long name's data
MAX_MEMBER_BYTES = 64 * MIB  # bytes of one tar member (the entrypoint) held in memory
MAX_LINKS = 16  # symlinks and hard links followed to the entrypoint
MAX_SEARCHES = 64  # layer-stack searches for one entrypoint (links, PATH retries)
MAX_PATH_DIRS = 64  # PATH directories tried for a bare command
MAX_HELPER_OUTPUT = 1 * MIB  # what a credential helper may print
MAX_SIGNED_BYTES = 1 * MIB  # a cosign payload or DSSE envelope (an SPDX SBOM is a few KiB)
MAX_KEY_BYTES = 64 * KIB  # a public key file (PEM, a few hundred bytes)
ALARM_GRACE = 2.0  # the backstop alarm rings this long after the deadline


def size(count: float) -> str:
    """4194304 -> "4 MiB", 65536 -> "64 KiB"."""
    for unit, name in ((GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")):
        if count >= unit:
            return f"{count / unit:g} {name}"
    return f"{count:g} bytes"


class LimitError(CannotCheckError):
    """A limit against a hostile or broken registry or image was hit; the message names it."""


class Deadline:
    """The monotonic time by which the whole command must be done, and the layer budget."""

    def __init__(
        self, timeout: float = DEFAULT_TIMEOUT, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.timeout = timeout
        self._clock = clock
        self.ends = clock() + timeout
        self.layer_bytes = 0  # decompressed layer bytes read so far, in this command

    def remaining(self) -> float:
        return max(0.0, self.ends - self._clock())

    @property
    def expired(self) -> bool:
        return self._clock() >= self.ends

    def error(self, doing: str) -> LimitError:
        return LimitError(
            f"gave up {doing}: the {self.timeout:g}s limit on the whole command (--timeout) ran out"
        )

    def check(self, doing: str) -> None:
        """Raise LimitError when the deadline has passed; DOING says what was under way."""
        if self.expired:
            raise self.error(doing)

    def per_request(self, timeout: float) -> float:
        """A socket timeout that ends no later than the deadline (at least a moment)."""
        return max(0.05, min(timeout, self.remaining()))

    def count_layer_bytes(self, count: int) -> None:
        """Add COUNT decompressed bytes to the command's total; raise past its limit."""
        self.layer_bytes += count
        if self.layer_bytes > MAX_RUN_LAYER_BYTES:
            raise LimitError(
                f"read more than {size(MAX_RUN_LAYER_BYTES)} of decompressed layers in all; "
                "the limit per command was hit"
            )


class _Alarm(BaseException):
    """Rung by SIGALRM; a BaseException so no `except Exception` on the way swallows it."""


@contextmanager
def command_deadline(deadline: Deadline) -> Iterator[None]:
    """Run a command under DEADLINE, with SIGALRM as the backstop.

    The streaming loops check the deadline themselves and say what they were
    doing; the alarm, set ALARM_GRACE later, ends what they cannot see: a
    server trickling its response headers, a blocking call. Only in the main
    thread (signals cannot be used elsewhere); elsewhere the checks alone.
    """

    def ring(signum: int, frame: FrameType | None) -> None:
        raise _Alarm

    try:
        previous = signal.signal(signal.SIGALRM, ring)
    except ValueError:  # not the main thread
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, deadline.remaining() + ALARM_GRACE)
    try:
        yield
    except _Alarm:
        raise deadline.error("waiting for an answer") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def read_limited(path: Path, limit: int) -> str:
    """A regular file's UTF-8 text, refused (ValueError) beyond LIMIT bytes, when not UTF-8
    or not a regular file (a FIFO would block forever); OSError (missing, unreadable) as is."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise ValueError("not a regular file")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {size(limit)}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"not UTF-8 (byte {error.start})") from None
