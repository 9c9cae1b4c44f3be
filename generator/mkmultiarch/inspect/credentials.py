"""Registry credentials from Docker's config.json, resolved the way the docker CLI does.

Order for a registry host: `credHelpers[host]`, then `credsStore`, then the
`auths` entry (base64 `user:password` in `auth`, or `username`/`password`, or
an `identitytoken`). A helper is the program `docker-credential-<name>`: it
reads the server URL on stdin for `get` and answers JSON
`{"ServerURL", "Username", "Secret"}`; the Username `<token>` marks an
identity (refresh) token. A helper that has nothing for the host falls
through to the next source.

Secrets never appear in a repr, a message or an exception. Nor does a
helper's output: a failing helper may have printed the secret (to stdout or
stderr), so its error names the exit code, never what it said. A helper runs
in a session of its own, with bounded output and time; when it hangs, its
whole process group is killed (a helper's own children too).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mkmultiarch.errors import CannotCheckError
from mkmultiarch.inspect.imageref import DOCKER_HUB_ALIASES, DOCKER_HUB_CREDENTIALS_KEY
from mkmultiarch.inspect.limits import MAX_HELPER_OUTPUT, size

HELPER_TIMEOUT = 30.0
EXITED_GRACE = 1.0  # how long the pipes may stay open after the helper exited
IDENTITY_TOKEN_USER = "<token>"
_NOT_FOUND = "credentials not found"


class CredentialsError(CannotCheckError):
    """The Docker config or a credential helper failed; the message holds no secret."""


@dataclass(frozen=True)
class Credential:
    """A username and secret for one registry, and where they came from."""

    username: str
    secret: str = field(repr=False)
    source: str = ""  # e.g. "auths in /root/.docker/config.json"
    identity_token: bool = False  # the secret is an OAuth refresh token, not a password

    def __str__(self) -> str:
        return f"credentials from {self.source}"


def docker_config_dir(env: Mapping[str, str] | None = None) -> Path:
    """$DOCKER_CONFIG, else ~/.docker."""
    environ = os.environ if env is None else env
    configured = environ.get("DOCKER_CONFIG")
    if configured:
        return Path(configured).expanduser()
    home = environ.get("HOME")
    return (Path(home) if home else Path.home()) / ".docker"


def server_url(registry: str) -> str:
    """The key Docker stores a registry's credentials under (and tells a helper)."""
    return DOCKER_HUB_CREDENTIALS_KEY if registry in DOCKER_HUB_ALIASES else registry


def _hostname(key: str) -> str:
    """https://index.docker.io/v1/ -> index.docker.io; 127.0.0.1:5000 -> 127.0.0.1:5000."""
    host = key.strip()
    for prefix in ("https://", "http://"):
        if host.startswith(prefix):
            host = host[len(prefix) :]
    return host.split("/", 1)[0]


def _same_registry(key: str, registry: str) -> bool:
    host = _hostname(key)
    if host in DOCKER_HUB_ALIASES:
        return registry in DOCKER_HUB_ALIASES
    return host == registry


def load_config(config_dir: Path) -> dict[str, Any]:
    """Read config.json; an absent file is an empty config."""
    path = config_dir / "config.json"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise CredentialsError(f"{path}: cannot read it ({error.strerror})") from None
    try:
        data = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as error:
        # The position only: the text around it may be a secret.
        raise CredentialsError(
            f"{path}: not valid JSON (line {error.lineno}, column {error.colno})"
        ) from None
    if not isinstance(data, dict):
        raise CredentialsError(f"{path}: expected a JSON object")
    return data


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the helper and everything it started (its session's process group); reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _communicate(
    process: subprocess.Popen[bytes], data: bytes, timeout: float, source: str
) -> tuple[bytes, bytes, bool]:
    """Write DATA to the helper, read its stdout and stderr up to a limit, within TIMEOUT.

    Also says whether something the helper started still holds its pipes
    open after it exited (then its process group is to be killed).
    """
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None
    try:
        process.stdin.write(data)
        process.stdin.close()
    except OSError:  # it exited without reading: its exit code says why
        pass
    ends = time.monotonic() + timeout
    output = {process.stdout.fileno(): bytearray(), process.stderr.fileno(): bytearray()}
    lingering = False
    exited_grace: float | None = None
    with selectors.DefaultSelector() as selector:
        for fd in output:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            if exited_grace is None and process.poll() is not None:
                exited_grace = time.monotonic() + EXITED_GRACE  # a child of it holds the pipes?
            if exited_grace is not None and time.monotonic() >= exited_grace:
                lingering = True
                break
            left = ends - time.monotonic()
            if left <= 0:
                raise CredentialsError(
                    f"{source}: `get` gave no answer within {timeout:g}s; it was stopped"
                )
            for key, _ in selector.select(min(left, 0.1 if exited_grace else 0.5)):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fd)
                    continue
                output[key.fd] += chunk
                if len(output[key.fd]) > MAX_HELPER_OUTPUT:
                    raise CredentialsError(
                        f"{source}: `get` printed more than {size(MAX_HELPER_OUTPUT)}; "
                        "it was stopped"
                    )
    left = max(0.0, ends - time.monotonic())
    try:
        process.wait(timeout=left)
    except subprocess.TimeoutExpired:
        raise CredentialsError(
            f"{source}: `get` gave no answer within {timeout:g}s; it was stopped"
        ) from None
    stdout, stderr = output[process.stdout.fileno()], output[process.stderr.fileno()]
    return bytes(stdout), bytes(stderr), lingering


def run_helper(
    helper: str, url: str, origin: str, timeout: float = HELPER_TIMEOUT
) -> Credential | None:
    """Ask `docker-credential-<helper> get` for URL; None when it has nothing for it.

    What the helper prints is never shown: it may be the secret.
    """
    program = f"docker-credential-{helper}"
    source = f"{program} ({origin})"
    try:
        process = subprocess.Popen(
            [program, "get"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group, to kill with its children
        )
    except FileNotFoundError:
        raise CredentialsError(
            f"{source}: {program} is not on PATH; install it or remove it from the config"
        ) from None
    except OSError as error:
        raise CredentialsError(f"{source}: did not run ({type(error).__name__})") from None
    finished = False
    try:
        stdout, stderr, lingering = _communicate(process, url.encode(), timeout, source)
        finished = not lingering
    finally:
        if not finished:  # hung, too talkative, left a child behind, or the deadline rang
            _kill_group(process)
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    returncode = process.returncode
    if returncode != 0:
        said = (stdout.strip() or stderr.strip()).decode("utf-8", "replace").splitlines()
        if said and _NOT_FOUND in said[0].lower():
            return None
        raise CredentialsError(
            f"{source}: `get` failed (exit {returncode}); its output is not shown, as it may "
            f"hold a secret: run `echo {url} | {program} get` to see it"
        )
    try:
        answer = json.loads(stdout)
        username = answer.get("Username", "")
        secret = answer.get("Secret", "")
    except (ValueError, AttributeError, RecursionError):
        raise CredentialsError(f"{source}: `get` did not answer a JSON object") from None
    if not isinstance(username, str) or not isinstance(secret, str):
        raise CredentialsError(f"{source}: `get` answered a non-string Username or Secret")
    if not secret:
        return None
    if username == IDENTITY_TOKEN_USER:
        return Credential("", secret, source, identity_token=True)
    return Credential(username, secret, source)


def _from_auths(config: dict[str, Any], registry: str, origin: str) -> Credential | None:
    auths = config.get("auths")
    if not isinstance(auths, dict):
        return None
    preferred = sorted(auths, key=lambda key: key != server_url(registry))
    for key in preferred:
        entry = auths[key]
        if not _same_registry(key, registry) or not isinstance(entry, dict):
            continue
        source = f"auths[{key!r}] in {origin}"
        username = str(entry.get("username") or "")
        password = str(entry.get("password") or "")
        encoded = entry.get("auth")
        if isinstance(encoded, str) and encoded:
            try:
                decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                raise CredentialsError(f"{source}: `auth` is not base64 of user:password") from None
            username, sep, password = decoded.partition(":")
            if not sep:
                raise CredentialsError(f"{source}: `auth` is not base64 of user:password")
        token = entry.get("identitytoken")
        if isinstance(token, str) and token:
            return Credential(username, token, source, identity_token=True)
        if password:
            return Credential(username, password, source)
    return None


def lookup(
    registry: str, env: Mapping[str, str] | None = None, timeout: float = HELPER_TIMEOUT
) -> Credential | None:
    """Credentials for REGISTRY (a host as in an image reference, e.g. docker.io), or None.

    A credential helper gets at most TIMEOUT seconds (and HELPER_TIMEOUT).
    """
    timeout = min(timeout, HELPER_TIMEOUT)
    config_dir = docker_config_dir(env)
    origin = str(config_dir / "config.json")
    config = load_config(config_dir)
    url = server_url(registry)

    helpers = config.get("credHelpers")
    if isinstance(helpers, dict):
        for key in dict.fromkeys((registry, url)):
            helper = helpers.get(key)
            if isinstance(helper, str) and helper:
                found = run_helper(helper, url, f"credHelpers[{key!r}] in {origin}", timeout)
                if found is not None:
                    return found
                break
    store = config.get("credsStore")
    if isinstance(store, str) and store:
        found = run_helper(store, url, f"credsStore in {origin}", timeout)
        if found is not None:
            return found
    return _from_auths(config, registry, origin)
