"""Is the entrypoint binary built for the platform its entry claims?

The image config can name the right platform while the binary in it is for
another (GOARCH left out), and then the image fails with `exec format error`
on the hosts that pull it: only the binary tells. So: find Entrypoint[0]
(else Cmd[0]) in the layers as the container would (PATH, WorkingDir,
symlinks), follow a `#!` to its interpreter, and hold the ELF header against
the entry (arm v6/v7 only when the binary carries Go build info).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import IO, Any

from mkmultiarch.inspect.checks import CheckOutcome
from mkmultiarch.inspect.elf import BinaryArch, NotElfError, identify
from mkmultiarch.inspect.layers import (
    FoundFile,
    Layer,
    LayerError,
    Missing,
    command_candidates,
    find_file,
)
from mkmultiarch.inspect.limits import MAX_LAYERS, LimitError
from mkmultiarch.inspect.platforms import Platform
from mkmultiarch.inspect.registry import Manifest, NotFoundError, RegistryClient
from mkmultiarch.inspect.verify.results import EntryResult


def _command(config: dict[str, Any]) -> tuple[str, str]:
    """(the program the container runs, where it came from): Entrypoint[0], else Cmd[0]."""
    for key in ("Entrypoint", "Cmd"):
        value = config.get(key)
        if isinstance(value, list) and value and isinstance(value[0], str) and value[0]:
            return value[0], key
    return "", ""


def _interpreter(data: bytes) -> str:
    """The interpreter of a `#!` script, or ''."""
    if not data.startswith(b"#!"):
        return ""
    line = data[2:].split(b"\n", 1)[0].decode("utf-8", "replace").strip()
    return line.split()[0] if line else ""


def _check_arch(entry: EntryResult, claimed: Platform, binary: BinaryArch, path: str) -> None:
    """Add the "binary" check: does BINARY (the file at PATH) run where CLAIMED says?"""
    want = claimed.normalized()
    got = binary.goarch
    described = binary.describe()
    goos = binary.go.settings.get("GOOS", "") if binary.go is not None else ""
    if got is None:
        entry.add("binary", CheckOutcome.FAIL, f"{path} is {described}, not a {want} binary")
        return
    if got != want.architecture:
        entry.add(
            "binary",
            CheckOutcome.FAIL,
            f"{path} is {described} ({got}), but the entry says {claimed}: "
            f"it fails with `exec format error` there; compile it with GOARCH={want.architecture}",
        )
        return
    if goos and goos != want.os:
        entry.add(
            "binary", CheckOutcome.FAIL, f"{path} was built for GOOS={goos}, the entry says {want}"
        )
        return
    if want.architecture != "arm":
        entry.add("binary", CheckOutcome.OK, f"{path} is {described}")
        return
    if binary.variant is None:
        entry.add(
            "binary",
            CheckOutcome.WARNING,
            f"{path} is 32-bit ARM; the variant ({want.variant}) is not checked: "
            f"{binary.variant_note}",
        )
    elif binary.variant == want.variant:
        entry.add("binary", CheckOutcome.OK, f"{path} is {described} ({binary.variant_note})")
    elif binary.variant > want.variant:
        entry.add(
            "binary",
            CheckOutcome.FAIL,
            f"{path} is built for arm/{binary.variant} ({binary.variant_note}), but the entry "
            f"says {want}: it crashes on {want.variant} CPUs; build with "
            f"GOARM={want.variant.removeprefix('v')}",
        )
    else:
        entry.add(
            "binary",
            CheckOutcome.WARNING,
            f"{path} is built for arm/{binary.variant} ({binary.variant_note}); it runs on "
            f"{want} without using its instructions; build with GOARM={want.variant[1:]}",
        )


def check_binary(
    client: RegistryClient,
    repository: str,
    manifest: Manifest,
    config: dict[str, Any],
    claimed: Platform,
    entry: EntryResult,
) -> None:
    """Find the entrypoint of one image in its layers and check its arch against CLAIMED."""
    settings = config.get("config")
    settings = settings if isinstance(settings, dict) else {}
    command, origin = _command(settings)
    if not command:
        entry.add(
            "binary", CheckOutcome.WARNING, "the image config has no Entrypoint or Cmd to check"
        )
        return
    env = settings.get("Env")
    env = [item for item in env if isinstance(item, str)] if isinstance(env, list) else []
    workdir = str(settings.get("WorkingDir") or "/")
    layers = [
        Layer(str(layer.get("digest", "")), str(layer.get("mediaType", "")))
        for layer in manifest.data.get("layers") or []
        if isinstance(layer, dict)
    ]
    if len(layers) > MAX_LAYERS:
        raise LimitError(
            f"{repository}@{manifest.digest} has {len(layers)} layers; more than {MAX_LAYERS}: "
            "the limit on layers per image was hit"
        )

    def open_blob(digest: str) -> AbstractContextManager[IO[bytes]]:
        return client.open_blob(repository, digest)

    label = f"{origin}[0] {command}"
    found: FoundFile | None = None
    for _hop in range(2):  # the entrypoint, then the interpreter of a script
        try:
            candidates = command_candidates(command, env, workdir)
            result = find_file(layers, open_blob, candidates, deadline=client.deadline)
        except LayerError as error:
            entry.add("binary", CheckOutcome.WARNING, f"{label}: not checked: {error}")
            return
        except NotFoundError as error:
            entry.add("binary", CheckOutcome.FAIL, f"{label}: a layer is missing: {error}")
            return
        if isinstance(result, Missing) and result.limit_hit:
            raise LimitError(f"{label}: {result.reason}")
        if not isinstance(result, FoundFile):
            entry.add("binary", CheckOutcome.FAIL, f"{label} is not in the image ({result.reason})")
            return
        found = result
        shown = (
            f"{command} -> {result.path}"
            if command.startswith("/") and result.links
            else result.path
        )
        entry.entrypoint = f"{entry.entrypoint} (#!{shown})" if entry.entrypoint else shown
        interpreter = _interpreter(result.data)
        if not interpreter or found.path == interpreter:
            break
        label = f"interpreter {interpreter} of {result.path}"
        command = interpreter
    assert found is not None
    try:
        binary = identify(found.data)
    except NotElfError as error:
        entry.add(
            "binary", CheckOutcome.FAIL, f"{label}: {found.path} is not an ELF binary ({error})"
        )
        return
    entry.binary = binary.describe()
    _check_arch(entry, claimed, binary, found.path)
