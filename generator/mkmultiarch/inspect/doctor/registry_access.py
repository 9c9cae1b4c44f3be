"""Can this host push to the registry? Reach it (HTTPS, else plain HTTP), then log in.

Pushing needs the registry reachable and, usually, `docker login`. The probe
is a GET /v2/ with the credentials docker would send, so a wrong password or a
registry that wants one shows here, before a build has run for nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mkmultiarch.inspect import credentials
from mkmultiarch.inspect.checks import Check, CheckOutcome
from mkmultiarch.inspect.limits import Deadline, LimitError
from mkmultiarch.inspect.registry import AuthError, RegistryClient, RegistryError, UnreachableError

REGISTRY_TIMEOUT = 10.0


@dataclass
class _Probe:
    """What one GET /v2/ found: the checks tell reachability and credentials apart from it."""

    reachable: bool = False
    scheme: str = ""
    error: str = ""
    auth_error: str = ""
    auth_method: str = "anonymous"
    sent_credentials: bool = False
    tried: list[str] = field(default_factory=list)


def _probe_registry(
    registry: str, credential: credentials.Credential | None, deadline: Deadline
) -> _Probe:
    """Ping /v2/ over HTTPS, then plain HTTP; the first scheme that answers wins."""
    probe = _Probe()
    for insecure in (False, True):
        scheme = "http" if insecure else "https"
        with RegistryClient(
            registry,
            insecure=insecure,
            credentials=lambda: credential,
            timeout=REGISTRY_TIMEOUT,
            deadline=deadline,
        ) as client:
            try:
                client.ping()
            except LimitError:
                raise
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


def check_registry(
    registry: str, env: Mapping[str, str], deadline: Deadline | None = None
) -> list[Check]:
    """Is the registry reachable (HTTPS, else plain HTTP), and are there working credentials?

    Raises LimitError when DEADLINE (the whole command's) runs out or the
    registry's answers break a limit (limits.py).
    """
    clock = deadline if deadline is not None else Deadline()
    credential: credentials.Credential | None = None
    credential_error = ""
    try:
        credential = credentials.lookup(registry, env, timeout=clock.remaining())
    except credentials.CredentialsError as error:
        credential_error = str(error)

    probe = _probe_registry(registry, credential, clock)
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
