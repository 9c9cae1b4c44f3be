"""Which build path fits this host: the engine, buildx, the image store, the current builder.

Two paths push the same lists (the config's `builder`). builder: docker
builds each arch with BuildKit (the buildx plugin, or a 20.x-22.x client) and
makes the list with `docker manifest` (CLI >= 20.10). builder: buildx runs one
`docker buildx build --platform a,b --push`, which needs the buildx plugin and
a builder that can build several platforms at once: the `docker` driver can
only on the containerd image store (Docker >= 24 with the containerd-snapshotter
feature, the default on fresh Docker 29); anywhere else a `docker-container`
builder (`docker buildx create --use`), which runs the moby/buildkit image.
The path this project uses fails when the host cannot take it; the other one
is only information.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from mkmultiarch.inspect.checks import Check, CheckOutcome
from mkmultiarch.inspect.doctor.docker import (
    BUILDX_FIX,
    MANIFEST_FIX,
    DockerClient,
    Runner,
    _last_line,
    _major,
    client_checks,
    not_found,
    probe_client,
    run_command,
)

CONTAINERD_SNAPSHOTTER = "io.containerd.snapshotter.v1"
INFO_FORMAT = '{"driver":{{json .Driver}},"status":{{json .DriverStatus}}}'
CONTAINERD_FIX = (
    'or switch the daemon to the containerd image store (Docker >= 24: {"features": '
    '{"containerd-snapshotter": true}} in /etc/docker/daemon.json, then restart it)'
)
CREATE_FIX = (
    "docker buildx create --use (a docker-container builder; it runs the moby/buildkit image, "
    "which an offline host must docker load first)"
)
PATHS = {"docker": "path: docker manifest", "buildx": "path: buildx"}
_VERSION = re.compile(r"^v?(\d+)\.(\d+)")


def buildx_version(said: str) -> tuple[int, int] | None:
    """(0, 13) from `github.com/docker/buildx 0.13.1 0.13.1+ds1-3` or `... v0.14.1 59582b4`."""
    words = said.split()
    if len(words) < 2 or not words[0].endswith("buildx"):  # podman's shim: buildah 1.28.2
        return None
    match = _VERSION.match(words[1])
    return (int(match.group(1)), int(match.group(2))) if match else None


@dataclass
class Store:
    """The daemon's image store, from `docker info`."""

    containerd: bool | None = None  # None: unknown
    driver: str = ""  # overlayfs on the containerd store; overlay2, vfs, ... on the classic one
    error: str = ""

    @property
    def name(self) -> str:
        return "containerd" if self.containerd else "classic"


def probe_store(client: DockerClient, run: Runner = run_command) -> Store:
    """containerd or classic: a driver-type of io.containerd.snapshotter.v1 in DriverStatus."""
    result = run([client.path, "info", "--format", INFO_FORMAT])
    if result is None:
        return Store(error="`docker info` did not run")
    if result.returncode != 0:
        return Store(error=f"`docker info` failed: {_last_line(result.stderr or result.stdout)}")
    try:
        data = json.loads(result.stdout.strip().splitlines()[0])
    except (json.JSONDecodeError, IndexError):
        return Store(error=f"`docker info` said: {_last_line(result.stdout)}")
    if not isinstance(data, dict):
        return Store(error=f"`docker info` said: {_last_line(result.stdout)}")
    status = data.get("status")
    if not isinstance(status, list):  # null on a classic store without a status
        status = []
    containerd = any(
        isinstance(pair, list) and len(pair) == 2 and pair[1] == CONTAINERD_SNAPSHOTTER
        for pair in status
    )
    return Store(containerd=containerd, driver=str(data.get("driver") or ""))


def probe_builder(client: DockerClient, run: Runner = run_command) -> tuple[str, str, str]:
    """The current buildx builder: (name, driver, error), from `docker buildx inspect`."""
    result = run([client.path, "buildx", "inspect"])
    if result is None:
        return "", "", "`docker buildx inspect` did not run"
    if result.returncode != 0:
        return "", "", f"`docker buildx inspect` failed: {_last_line(result.stderr)}"
    fields: dict[str, str] = {}
    for line in result.stdout.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() in ("Name", "Driver") and key.strip() not in fields:
            fields[key.strip()] = value.strip()
    if not fields.get("Driver"):
        return "", "", "`docker buildx inspect` names no driver"
    return fields.get("Name", "?"), fields["Driver"], ""


@dataclass
class Host:
    """Everything the path checks weigh."""

    client: DockerClient
    env: Mapping[str, str]
    store: Store
    builder_name: str = ""
    builder_driver: str = ""
    builder_error: str = ""

    @property
    def buildx_version(self) -> tuple[int, int] | None:
        return buildx_version(self.client.buildx) if self.client.buildx else None


def check_engine(
    docker: str,
    env: Mapping[str, str],
    run: Runner = run_command,
    builder: str = "docker",
) -> list[Check]:
    """The docker checks, then buildx, the image store and both paths, BUILDER's marked."""
    client = probe_client(docker, run)
    if client is None:
        return not_found(docker)
    checks = client_checks(client, env, run)
    if not client.server:
        store = Store(error="the daemon is not reachable")
    else:
        store = probe_store(client, run)
    host = Host(client, env, store)
    if client.buildx and client.server:
        host.builder_name, host.builder_driver, host.builder_error = probe_builder(client, run)
    checks.append(_buildx_check(host, builder))
    checks.append(_store_check(host))
    if store.containerd and (host.buildx_version or (0, 0)) >= (0, 10):
        checks.append(_attestations_check(host))
    for path, judge in (("docker", _manifest_path), ("buildx", _buildx_path)):
        status, message, fix = judge(host)
        checks.append(_mark(path, builder, status, message, fix))
    return checks


def _mark(path: str, builder: str, status: CheckOutcome, message: str, fix: str) -> Check:
    """The path this project uses keeps its status; the other one is information."""
    if path == builder:
        return Check(
            PATHS[path], status, f"used by this project (builder: {builder}): {message}", fix
        )
    if status is CheckOutcome.OK:
        return Check(
            PATHS[path], status, f"not used by this project (builder: {builder}): {message}"
        )
    said = "not possible here" if status is CheckOutcome.FAIL else "may not work here"
    return Check(
        PATHS[path],
        CheckOutcome.INFO,
        f"not used by this project (builder: {builder}); {said}: {message}",
        fix,
    )


def _buildx_check(host: Host, builder: str) -> Check:
    client = host.client
    if client.buildx:
        version = host.buildx_version
        if version is None:
            return Check(
                "buildx",
                CheckOutcome.WARNING,
                f"`docker buildx version` said {client.buildx!r}, not Docker's buildx plugin",
                BUILDX_FIX,
            )
        if host.builder_driver:
            current = f"; current builder {host.builder_name} ({host.builder_driver} driver)"
        elif host.builder_error:
            current = f"; current builder unknown: {host.builder_error}"
        else:
            current = ""
        return Check("buildx", CheckOutcome.OK, f"{client.buildx}{current}")
    if builder == "docker" and client.has_buildkit:
        return Check(
            "buildx",
            CheckOutcome.INFO,
            f"not installed; builder: docker does not need it (client {client.client} has "
            "BuildKit built in), builder: buildx would",
            BUILDX_FIX,
        )
    return Check("buildx", CheckOutcome.WARNING, "not installed", BUILDX_FIX)


def _store_check(host: Host) -> Check:
    store = host.store
    if store.containerd is None:
        status = CheckOutcome.SKIPPED if not host.client.server else CheckOutcome.WARNING
        return Check("image store", status, f"unknown: {store.error}")
    driver = f" (driver {store.driver})" if store.driver else ""
    if store.containerd:
        return Check(
            "image store",
            CheckOutcome.OK,
            f"containerd{driver}: images can hold several platforms, and the docker driver "
            "builds several at once",
        )
    return Check(
        "image store",
        CheckOutcome.OK,
        f"classic{driver}: one platform per image; several at once need a docker-container builder",
    )


def _attestations_check(host: Host) -> Check:
    said = host.env.get("BUILDX_NO_DEFAULT_ATTESTATIONS", "")
    message = (
        f"buildx {host.client.buildx.split()[1]} on the containerd store adds attestations to "
        "each push, which makes a per-arch image an index, unless "
        "BUILDX_NO_DEFAULT_ATTESTATIONS=1 (the Makefile sets it)"
    )
    if said and said != "1":
        return Check(
            "attestations",
            CheckOutcome.WARNING,
            f"{message}; your environment sets it to {said!r}, which the Makefile keeps",
            "unset BUILDX_NO_DEFAULT_ATTESTATIONS",
        )
    return Check("attestations", CheckOutcome.INFO, message)


def _manifest_path(host: Host) -> tuple[CheckOutcome, str, str]:
    """builder: docker: BuildKit for each arch, `docker manifest` for the list."""
    client = host.client
    if not client.server:
        return CheckOutcome.FAIL, "the daemon is not reachable", "see docker daemon above"
    if host.env.get("DOCKER_BUILDKIT", "") == "0":
        return CheckOutcome.FAIL, "DOCKER_BUILDKIT=0 turns BuildKit off", "unset DOCKER_BUILDKIT"
    if not client.has_buildkit:
        return (
            CheckOutcome.FAIL,
            f"no BuildKit: client {client.client or '?'} has no buildx plugin",
            BUILDX_FIX,
        )
    if not client.manifest:
        return CheckOutcome.FAIL, "no `docker manifest`", MANIFEST_FIX
    how = "buildx" if client.buildx else "built-in BuildKit"
    major = _major(client.client)
    if host.store.containerd and major is not None and major < 23:
        return (
            CheckOutcome.WARNING,
            f"docker build ({how}) per arch, then docker manifest; the containerd store can "
            f"push OCI indexes, which `docker manifest` of client {client.client} cannot read",
            "use a Docker CLI >= 23",
        )
    return (
        CheckOutcome.OK,
        f"docker build ({how}) per arch, then docker manifest create and push",
        "",
    )


def _buildx_path(host: Host) -> tuple[CheckOutcome, str, str]:
    """builder: buildx: the plugin and a builder that builds several platforms at once."""
    client = host.client
    if not client.server:
        return CheckOutcome.FAIL, "the daemon is not reachable", "see docker daemon above"
    if not client.buildx or host.buildx_version is None:
        return CheckOutcome.FAIL, "no buildx plugin", BUILDX_FIX
    if not host.builder_driver:
        return (
            CheckOutcome.WARNING,
            f"cannot tell whether the current builder builds several platforms at once "
            f"({host.builder_error})",
            f"{CREATE_FIX}, if `docker buildx ls` shows none that can",
        )
    builder = f"current builder {host.builder_name} ({host.builder_driver} driver)"
    if host.builder_driver != "docker":
        return CheckOutcome.OK, f"{builder} builds several platforms at once", ""
    if host.store.containerd is None:
        return (
            CheckOutcome.WARNING,
            f"{builder} builds several platforms at once only on the containerd image store, "
            f"and the store is unknown ({host.store.error})",
            CREATE_FIX,
        )
    if host.store.containerd:
        return (
            CheckOutcome.OK,
            f"{builder} builds several platforms at once on the containerd image store",
            "",
        )
    return (
        CheckOutcome.FAIL,
        f"{builder} cannot build several platforms at once on the classic image store",
        f"{CREATE_FIX}, {CONTAINERD_FIX}",
    )
