"""Docker's auth for one registry: what to send, and how to answer a 401.

Auth works like the docker CLI: every request goes out anonymously (or with
the token already earned); a 401 names a challenge in WWW-Authenticate:
- `Bearer realm=...,service=...,scope=...`: GET the realm with service and
  scope, with the user's credentials as Basic auth when there are any (an
  identity token is POSTed as an OAuth refresh token instead), and use the
  `token` or `access_token` it answers;
- `Basic realm=...`: send the user's credentials.
Credentials are looked up only when a registry asks for them, and go to a
token service only on the registry's own host (or its parent domain or a
subdomain, as gitlab.com is for registry.gitlab.com; auth.docker.io for
Docker Hub), and never over plain HTTP from an HTTPS registry: a registry
cannot send them elsewhere by naming a realm. The token service's answer is read up to a limit.
"""

from __future__ import annotations

import base64
import ipaddress
import json
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from mkmultiarch.inspect.credentials import Credential, CredentialsError
from mkmultiarch.inspect.imageref import registry_api_host
from mkmultiarch.inspect.limits import MAX_TOKEN_BYTES, Deadline
from mkmultiarch.inspect.registry.challenge import Challenge
from mkmultiarch.inspect.registry.transport import (
    AuthError,
    RegistryError,
    UnreachableError,
    failure_reason,
    read_capped,
)

CredentialProvider = Callable[[], Credential | None]
# Docker Hub's token service, and the names of the registry it serves.
DOCKER_HUB_TOKEN_HOST = "auth.docker.io"
DOCKER_HUB_HOSTS = frozenset(
    {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}
)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def realm_may_get_credentials(realm_host: str, registry_host: str) -> bool:
    """Whether a token service on REALM_HOST is the registry's own (hostnames, no port).

    The same host; or its parent or a subdomain of it (registry.gitlab.com and
    gitlab.com); or Docker Hub's auth.docker.io for Docker Hub. Never a sibling
    (evil.azurecr.io for myreg.azurecr.io: a shared suffix is not one owner),
    and an IP address only itself.
    """
    realm, registry = realm_host.lower().rstrip("."), registry_host.lower().rstrip(".")
    if realm == registry:
        return True
    if realm == DOCKER_HUB_TOKEN_HOST and registry in DOCKER_HUB_HOSTS:
        return True
    if _is_ip(realm) or _is_ip(registry) or "." not in realm or "." not in registry:
        return False
    return registry.endswith("." + realm) or realm.endswith("." + registry)


class Authenticator:
    """The Authorization header of one registry's requests, earned challenge by challenge."""

    def __init__(
        self,
        registry: str,
        http: httpx.Client,
        credentials: CredentialProvider | None,
        timeout: float,
        deadline: Deadline | None = None,
        *,
        insecure: bool = False,
    ) -> None:
        self.registry = registry
        self.insecure = insecure  # the user said the registry speaks plain HTTP
        self.header: str | None = None  # the Authorization header to send, once earned
        self.method = "anonymous"  # how the last request was authorized
        # Whether the user's credentials went to the registry or its token service.
        self.sent_credentials = False
        self._http = http
        self._timeout = timeout
        self._deadline = deadline if deadline is not None else Deadline()
        self.withheld = ""  # why the credentials were not sent to a token service, if so
        self._provider = credentials
        self._credential: Credential | None = None
        self._looked_up = False

    @property
    def credential(self) -> Credential | None:
        """The user's credentials for this registry (looked up once, on first need)."""
        if not self._looked_up:
            self._looked_up = True
            if self._provider is not None:
                try:
                    self._credential = self._provider()
                except CredentialsError as error:
                    raise AuthError(f"credentials for {self.registry}: {error}") from None
        return self._credential

    def rejected(self, what: str) -> AuthError:
        """The error for a 401 that answering its challenge did not cure."""
        if self.withheld:
            return AuthError(
                f"{self.registry} needs credentials for {what} (401); yours were not sent: "
                f"{self.withheld}"
            )
        if self._credential is not None:
            return AuthError(
                f"{self.registry} rejected the {self._credential} for {what} (401); "
                f"check them with `docker login {self.registry}`"
            )
        return AuthError(
            f"{self.registry} needs credentials for {what} (401), or it does not exist; "
            f"run `docker login {self.registry}` (credentials are read from $DOCKER_CONFIG "
            "or ~/.docker/config.json)"
        )

    def answer(self, challenges: list[Challenge], scope: str, what: str) -> None:
        """Earn the header a 401's challenges ask for (Bearer preferred), or raise AuthError."""
        by_scheme = {challenge.scheme: challenge for challenge in challenges}
        if "bearer" in by_scheme:
            token = self._fetch_token(by_scheme["bearer"], scope)
            self.header = f"Bearer {token}"
            return
        if "basic" in by_scheme:
            self._basic(what)
            return
        schemes = ", ".join(sorted(by_scheme)) or "no challenge"
        raise AuthError(
            f"{self.registry} answered 401 for {what} with {schemes}; expected Bearer or Basic"
        )

    def _basic(self, what: str) -> None:
        credential = self.credential
        if credential is None:
            raise self.rejected(what)
        if credential.identity_token:
            raise AuthError(
                f"{self.registry} asks for Basic auth, but the {credential} are an "
                "identity token; run `docker login` with a password"
            )
        pair = f"{credential.username}:{credential.secret}".encode()
        self.header = f"Basic {base64.b64encode(pair).decode('ascii')}"
        self.method = f"basic auth, {credential}"
        self.sent_credentials = True

    def _withhold(self, realm_scheme: str, realm_host: str) -> str:
        """Why credentials must not go to the token service at REALM_HOST, or ''."""
        registry_host = urlsplit(f"//{registry_api_host(self.registry)}").hostname or ""
        if not realm_may_get_credentials(realm_host, registry_host):
            return (
                f"the token service {realm_host} is not on the registry's host "
                f"{registry_host}; credentials go only to the registry's own host, its parent "
                "domain or subdomains"
            )
        if realm_scheme == "http" and not self.insecure:
            return (
                f"the token service {realm_host} speaks plain HTTP and the registry HTTPS; "
                "credentials are not sent in clear text (--insecure says a registry is plain HTTP)"
            )
        return ""

    def _fetch_token(self, challenge: Challenge, scope: str) -> str:
        realm = challenge.params.get("realm", "")
        realm_url = urlsplit(realm)
        if realm_url.scheme not in ("http", "https") or not realm_url.hostname:
            raise AuthError(f"{self.registry}: the Bearer challenge has no usable realm URL")
        where = f"token service {realm_url.scheme}://{realm_url.netloc}"
        service = challenge.params.get("service", "")
        scopes = (challenge.params.get("scope") or scope).split()
        credential = self.credential
        if credential is not None:
            self.withheld = self._withhold(realm_url.scheme, realm_url.hostname)
            if self.withheld:
                credential = None
        self.sent_credentials = credential is not None
        timeout = self._deadline.per_request(self._timeout)
        self._deadline.check(f"asking the {where} for a token")
        try:
            if credential is not None and credential.identity_token:
                form = {"grant_type": "refresh_token", "refresh_token": credential.secret}
                form |= {"client_id": "mkmultiarch", "service": service, "scope": " ".join(scopes)}
                request = self._http.build_request("POST", realm, data=form, timeout=timeout)
            else:
                params = [("service", service)] if service else []
                params += [("scope", item) for item in scopes]
                headers = {}
                if credential is not None:
                    params.append(("account", credential.username))
                    pair = f"{credential.username}:{credential.secret}".encode()
                    headers["Authorization"] = f"Basic {base64.b64encode(pair).decode('ascii')}"
                request = self._http.build_request(
                    "GET", realm, params=tuple(params), headers=headers, timeout=timeout
                )
            response = self._http.send(request, stream=True)
        except httpx.HTTPError as error:
            if self._deadline.expired:
                raise self._deadline.error(f"asking the {where} for a token") from None
            raise UnreachableError(failure_reason(error, where, self._timeout)) from None
        if response.status_code != 200:
            response.close()
        if response.status_code in (401, 403):
            if self.withheld:
                raise AuthError(
                    f"{where} refused an anonymous token ({response.status_code}); "
                    f"your credentials were not sent: {self.withheld}"
                )
            if credential is not None:
                raise AuthError(
                    f"{where} rejected the {credential} ({response.status_code}); "
                    f"check them with `docker login {self.registry}`"
                )
            raise AuthError(
                f"{where} refused an anonymous token ({response.status_code}); "
                f"run `docker login {self.registry}`"
            )
        if response.status_code != 200:
            raise RegistryError(f"{where} answered {response.status_code}")
        raw = read_capped(
            response, MAX_TOKEN_BYTES, f"the answer of the {where}", self._deadline, where, timeout
        )
        try:
            body = json.loads(raw)
            token = body.get("token") or body.get("access_token")
        except (ValueError, AttributeError, RecursionError):
            raise RegistryError(f"{where} did not answer JSON") from None
        if not isinstance(token, str) or not token:
            raise RegistryError(f"{where} answered without a token or access_token")
        self.method = f"bearer token, {credential or 'anonymous'}"
        return token
