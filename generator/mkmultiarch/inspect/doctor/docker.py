"""Can this host's docker client build the images and push the lists?

The generated Makefile needs BuildKit: a Docker >= 23 client builds with it
only through the buildx plugin; 20.10 and older have it built in
(DOCKER_BUILDKIT=1, which the Makefile sets). Without it the legacy builder
writes the build host's arch into every image config. `docker manifest`
(CLI >= 20.10) creates and pushes the lists. Commands go through a Runner so
that tests can stand in for docker.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from mkmultiarch.inspect.checks import Check, CheckOutcome

COMMAND_TIMEOUT = 60.0
BUILDX_FIX = (
    "install the buildx plugin (Debian/Ubuntu: docker-buildx; Docker's packages: "
    "docker-buildx-plugin)"
)

MANIFEST_FIX = 'use a Docker CLI >= 20.10 (older ones: "experimental": "enabled" in config.json)'

Runner = Callable[[list[str]], "subprocess.CompletedProcess[str] | None"]


def run_command(args: list[str]) -> subprocess.CompletedProcess[str] | None:
    """Run ARGS; None when the program cannot be started or hangs."""
    try:
        return subprocess.run(
            args, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def _last_line(text: str) -> str:
    """The last non-blank line of some output: the reason docker gives, or a version."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def _major(version: str) -> int | None:
    """The major version (28 of 28.2.2), which decides whether BuildKit is built in."""
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else None


@dataclass
class DockerClient:
    """What one docker client reports: several may be on PATH, and only some can build."""

    path: str  # as resolved on PATH
    client: str = ""  # client version, "" if unknown
    server: str = ""  # daemon version, "" if unreachable
    daemon_error: str = ""
    buildx: str = ""  # `docker buildx version`, "" if absent
    manifest: bool = False  # has `docker manifest` (set by client_checks)

    @property
    def has_buildkit(self) -> bool:
        """Can this client build with BuildKit? The Makefile's check-builder rule, exactly:
        the buildx plugin, or a Docker 20.x-22.x client (BuildKit built in; older ones lack
        the --platform support the Makefile needs)."""
        major = _major(self.client)
        return bool(self.buildx) or (major is not None and 20 <= major <= 22)


def probe_client(docker: str, run: Runner = run_command) -> DockerClient | None:
    """Versions and buildx of one docker client; None if it is not there."""
    path = shutil.which(docker)
    if path is None:
        return None
    found = DockerClient(path=path)
    result = run([path, "version", "--format", "{{json .}}"])
    if result is None:
        found.daemon_error = "`docker version` did not run"
        return found
    try:
        data = json.loads(result.stdout.strip().splitlines()[0]) if result.stdout.strip() else {}
    except (json.JSONDecodeError, IndexError):
        data = {}
    client = data.get("Client") if isinstance(data, dict) else None
    server = data.get("Server") if isinstance(data, dict) else None
    found.client = str(client.get("Version", "")) if isinstance(client, dict) else ""
    found.server = str(server.get("Version", "")) if isinstance(server, dict) else ""
    if not found.server:
        found.daemon_error = _last_line(result.stderr)
    buildx = run([path, "buildx", "version"])
    if buildx is not None and buildx.returncode == 0:
        found.buildx = _last_line(buildx.stdout)
    return found


def other_clients(
    chosen: str, env: Mapping[str, str], run: Runner = run_command
) -> list[DockerClient]:
    """Other docker clients on PATH (and the usual places) that can build with BuildKit."""
    dirs = [*env.get("PATH", "").split(os.pathsep), "/usr/bin", "/usr/local/bin"]
    seen = {os.path.realpath(chosen)}
    usable: list[DockerClient] = []
    for directory in dirs:
        candidate = os.path.join(directory, "docker") if directory else ""
        if not candidate or not os.access(candidate, os.X_OK):
            continue
        real = os.path.realpath(candidate)
        if real in seen:
            continue
        seen.add(real)
        probe = probe_client(candidate, run)
        if probe is not None and probe.client and probe.has_buildkit:
            usable.append(probe)
    return usable


def check_docker(docker: str, env: Mapping[str, str], run: Runner = run_command) -> list[Check]:
    """The client, its daemon, BuildKit, `docker manifest`."""
    client = probe_client(docker, run)
    return not_found(docker) if client is None else client_checks(client, env, run)


def not_found(docker: str) -> list[Check]:
    """The one check when there is no client to ask."""
    return [
        Check(
            "docker client",
            CheckOutcome.FAIL,
            f"{docker!r} is not on PATH",
            "install Docker, or pass --docker PATH (and make DOCKER=PATH)",
        )
    ]


def has_manifest(client: DockerClient, run: Runner = run_command) -> tuple[bool, str]:
    """Does this client have `docker manifest`? And what it said when not."""
    manifest = run([client.path, "manifest", "--help"])
    if manifest is not None and manifest.returncode == 0 and "create" in manifest.stdout:
        return True, ""
    said = _last_line(manifest.stderr or manifest.stdout) if manifest is not None else "did not run"
    return False, said


def client_checks(client: DockerClient, env: Mapping[str, str], run: Runner) -> list[Check]:
    """The checks of a client found: itself, its daemon, BuildKit, `docker manifest`."""
    checks = [
        Check(
            "docker client", CheckOutcome.OK, f"{client.path}: {client.client or 'unknown version'}"
        )
    ]
    if client.server:
        checks.append(Check("docker daemon", CheckOutcome.OK, f"reachable, engine {client.server}"))
    else:
        checks.append(
            Check(
                "docker daemon",
                CheckOutcome.FAIL,
                f"not reachable: {client.daemon_error}",
                "start it (sudo systemctl start docker), or check DOCKER_HOST and your access "
                "to /var/run/docker.sock (the docker group)",
            )
        )

    if env.get("DOCKER_BUILDKIT", "") == "0":
        checks.append(
            Check(
                "BuildKit",
                CheckOutcome.FAIL,
                "DOCKER_BUILDKIT=0 is set: the Makefile refuses the legacy builder, which writes "
                "the build host's arch into every image config",
                "unset DOCKER_BUILDKIT",
            )
        )
    elif client.buildx:
        checks.append(Check("BuildKit", CheckOutcome.OK, f"buildx plugin: {client.buildx}"))
    elif client.has_buildkit:
        checks.append(
            Check(
                "BuildKit",
                CheckOutcome.OK,
                f"client {client.client} has BuildKit built in (DOCKER_BUILDKIT=1, "
                "which the Makefile sets); no buildx plugin needed before Docker 23",
            )
        )
    else:
        alternatives = other_clients(client.path, env, run)
        fix = BUILDX_FIX
        if alternatives:
            other = alternatives[0]
            fix += (
                f"; or use {other.path} (client {other.client}): --docker {other.path}, "
                f"make DOCKER={other.path}"
            )
        checks.append(
            Check(
                "BuildKit",
                CheckOutcome.FAIL,
                f"client {client.client or '?'} has no buildx plugin, so it cannot build with "
                "BuildKit (only Docker 20.10-22 builds without the plugin); the Makefile stops "
                "in check-builder",
                fix,
            )
        )

    client.manifest, said = has_manifest(client, run)
    if client.manifest:
        checks.append(Check("docker manifest", CheckOutcome.OK, "available"))
    else:
        checks.append(
            Check(
                "docker manifest",
                CheckOutcome.FAIL,
                f"`docker manifest` is not available ({said})",
                MANIFEST_FIX,
            )
        )
    return checks
