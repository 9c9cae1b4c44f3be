"""Check the build host before `make docker-push`: client, daemon, BuildKit, QEMU, registry.

Each check is ok, a warning or a failure, with the fix in one line. The facts
behind them:
- the generated Makefile needs BuildKit: a Docker >= 23 client builds with it
  only through the buildx plugin; 20.10 and older have it built in
  (DOCKER_BUILDKIT=1, which the Makefile sets). Without it the legacy builder
  writes the build host's arch into every image config;
- `docker manifest` (CLI >= 20.10) creates and pushes the lists;
- Go cross-compiles, so building needs no emulation, but running or testing
  a foreign-arch image needs a QEMU binfmt_misc handler (flag F, so that it
  works inside containers);
- pushing needs the registry reachable and, usually, `docker login`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mkmultiarch.inspect import credentials
from mkmultiarch.inspect.checks import Check, CheckOutcome
from mkmultiarch.inspect.doctor.qemu import BINFMT_DIR, check_qemu, host_arch
from mkmultiarch.inspect.registry import AuthError, RegistryClient, RegistryError, UnreachableError

COMMAND_TIMEOUT = 60.0
REGISTRY_TIMEOUT = 10.0
BUILDX_FIX = (
    "install the buildx plugin (Debian/Ubuntu: docker-buildx; Docker's packages: "
    "docker-buildx-plugin)"
)

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
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def _major(version: str) -> int | None:
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else None


@dataclass
class DockerClient:
    path: str  # as resolved on PATH
    client: str = ""  # client version, "" if unknown
    server: str = ""  # daemon version, "" if unreachable
    daemon_error: str = ""
    buildx: str = ""  # `docker buildx version`, "" if absent

    @property
    def has_buildkit(self) -> bool:
        """Can this client build with BuildKit? (buildx, or a pre-23 client with it built in)."""
        major = _major(self.client)
        return bool(self.buildx) or (major is not None and major < 23)


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
    if client is None:
        return [
            Check(
                "docker client",
                CheckOutcome.FAIL,
                f"{docker!r} is not on PATH",
                "install Docker, or pass --docker PATH (and make DOCKER=PATH)",
            )
        ]
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
                "BuildKit (Docker >= 23 needs the plugin); the Makefile stops in check-builder",
                fix,
            )
        )

    manifest = run([client.path, "manifest", "--help"])
    if manifest is not None and manifest.returncode == 0 and "create" in manifest.stdout:
        checks.append(Check("docker manifest", CheckOutcome.OK, "available"))
    else:
        said = (
            _last_line(manifest.stderr or manifest.stdout)
            if manifest is not None
            else "did not run"
        )
        checks.append(
            Check(
                "docker manifest",
                CheckOutcome.FAIL,
                f"`docker manifest` is not available ({said})",
                'use a Docker CLI >= 20.10 (older ones: "experimental": "enabled" in config.json)',
            )
        )
    return checks


@dataclass
class _Probe:
    reachable: bool = False
    scheme: str = ""
    error: str = ""
    auth_error: str = ""
    auth_method: str = "anonymous"
    sent_credentials: bool = False
    tried: list[str] = field(default_factory=list)


def _probe_registry(registry: str, credential: credentials.Credential | None) -> _Probe:
    probe = _Probe()
    for insecure in (False, True):
        scheme = "http" if insecure else "https"
        with RegistryClient(
            registry, insecure=insecure, credentials=lambda: credential, timeout=REGISTRY_TIMEOUT
        ) as client:
            try:
                client.ping()
            except UnreachableError as error:
                probe.tried.append(str(error))
                continue
            except AuthError as error:
                probe.auth_error = str(error)
            except RegistryError as error:
                probe.error = str(error)
            probe.reachable, probe.scheme = True, scheme
            probe.auth_method = client.auth_method
            probe.sent_credentials = client.sent_credentials
            return probe
    probe.error = probe.tried[0] if probe.tried else "no answer"
    return probe


def check_registry(registry: str, env: Mapping[str, str]) -> list[Check]:
    """Is the registry reachable (HTTPS, else plain HTTP), and are there working credentials?"""
    credential: credentials.Credential | None = None
    credential_error = ""
    try:
        credential = credentials.lookup(registry, env)
    except credentials.CredentialsError as error:
        credential_error = str(error)

    probe = _probe_registry(registry, credential)
    label = f"registry {registry}"
    login = f"docker login {registry}"
    name = f"credentials {registry}"
    if not probe.reachable:
        checks = [
            Check(
                label,
                CheckOutcome.FAIL,
                f"not reachable: {probe.error}",
                "check the name in multiarch.yaml, the network or proxy, or start the registry",
            )
        ]
        if credential_error:
            checks.append(
                Check(
                    name,
                    CheckOutcome.FAIL,
                    credential_error,
                    "fix or remove that helper in config.json",
                )
            )
        elif credential is not None:
            checks.append(
                Check(name, CheckOutcome.OK, f"found: {credential} (not tried: no registry)")
            )
        else:
            checks.append(
                Check(
                    name, CheckOutcome.WARNING, "none found (not needed by an open registry)", login
                )
            )
        return checks
    if probe.error:
        checks = [
            Check(
                label,
                CheckOutcome.FAIL,
                f"answers, but not as a registry: {probe.error}",
                "check the registry host in multiarch.yaml",
            )
        ]
    elif probe.scheme == "http":
        checks = [
            Check(
                label,
                CheckOutcome.OK,
                "reachable over plain HTTP only: use make INSECURE=1 and "
                "mkmultiarch verify --insecure",
            )
        ]
    else:
        checks = [Check(label, CheckOutcome.OK, "reachable over HTTPS")]

    if credential_error:
        checks.append(
            Check(
                name,
                CheckOutcome.FAIL,
                credential_error,
                "fix or remove that helper in config.json",
            )
        )
    elif probe.auth_error and credential is not None:
        checks.append(Check(name, CheckOutcome.FAIL, probe.auth_error, f"log in again: {login}"))
    elif probe.auth_error:
        checks.append(
            Check(
                name,
                CheckOutcome.WARNING,
                f"the registry wants credentials and there are none in "
                f"{credentials.docker_config_dir(env)}/config.json",
                f"{login} (as the user who runs make)",
            )
        )
    elif credential is not None and probe.sent_credentials:
        method = probe.auth_method.split(",")[0]
        checks.append(Check(name, CheckOutcome.OK, f"{credential} accepted ({method})"))
    elif credential is not None:
        checks.append(
            Check(name, CheckOutcome.OK, f"found: {credential}; /v2/ did not ask for them")
        )
    elif probe.auth_method == "anonymous":
        checks.append(
            Check(name, CheckOutcome.OK, "none needed: the registry answers without credentials")
        )
    else:
        checks.append(
            Check(
                name,
                CheckOutcome.WARNING,
                "none found: pulling works anonymously, pushing will not",
                f"{login} (as the user who runs make)",
            )
        )
    return checks


def run(
    *,
    arches: tuple[str, ...],
    language: str,
    registry: str,
    docker: str = "docker",
    env: Mapping[str, str] | None = None,
    binfmt_dir: Path = BINFMT_DIR,
    machine: str | None = None,
    runner: Runner = run_command,
) -> list[Check]:
    """Every check, in the order a build needs them, for a project's arches and registry."""
    environ = os.environ if env is None else env
    checks = check_docker(docker, environ, runner)
    checks += check_qemu(arches, language, host=host_arch(machine), binfmt_dir=binfmt_dir)
    checks += check_registry(registry, environ)
    return checks
