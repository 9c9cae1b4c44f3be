"""Docker's auth for one registry: what to send, and how to answer a 401.

Auth works like the docker CLI: every request goes out anonymously (or with
the token already earned); a 401 names a challenge in WWW-Authenticate:
- `Bearer realm=...,service=...,scope=...`: GET the realm with service and
  scope, with the user's credentials as Basic auth when there are any (an
  identity token is POSTed as an OAuth refresh token instead), and use the
  `token` or `access_token` it answers;
- `Basic realm=...`: send the user's credentials.
Credentials are looked up only when a registry asks for them.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from mkmultiarch.inspect.credentials import Credential, CredentialsError
from mkmultiarch.inspect.registry.challenge import Challenge
from mkmultiarch.inspect.registry.transport import (
    AuthError,
    RegistryError,
    UnreachableError,
    failure_reason,
)

CredentialProvider = Callable[[], Credential | None]


class Authenticator:
    """The Authorization header of one registry's requests, earned challenge by challenge."""

    def __init__(
        self,
        registry: str,
        http: httpx.Client,
        credentials: CredentialProvider | None,
        timeout: float,
    ) -> None:
        self.registry = registry
        self.header: str | None = None  # the Authorization header to send, once earned
        self.method = "anonymous"  # how the last request was authorized
        # Whether the user's credentials went to the registry or its token service.
        self.sent_credentials = False
        self._http = http
        self._timeout = timeout
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

    def _fetch_token(self, challenge: Challenge, scope: str) -> str:
        realm = challenge.params.get("realm", "")
        realm_url = urlsplit(realm)
        if realm_url.scheme not in ("http", "https") or not realm_url.netloc:
            raise AuthError(f"{self.registry}: the Bearer challenge has no usable realm URL")
        where = f"token service {realm_url.scheme}://{realm_url.netloc}"
        service = challenge.params.get("service", "")
        scopes = (challenge.params.get("scope") or scope).split()
        credential = self.credential
        self.sent_credentials = credential is not None
        try:
            if credential is not None and credential.identity_token:
                form = {"grant_type": "refresh_token", "refresh_token": credential.secret}
                form |= {"client_id": "mkmultiarch", "service": service, "scope": " ".join(scopes)}
                response = self._http.post(realm, data=form)
            else:
                params = [("service", service)] if service else []
                params += [("scope", item) for item in scopes]
                auth = None
                if credential is not None:
                    params.append(("account", credential.username))
                    auth = httpx.BasicAuth(credential.username, credential.secret)
                response = self._http.get(realm, params=tuple(params), auth=auth)
        except httpx.HTTPError as error:
            raise UnreachableError(failure_reason(error, where, self._timeout)) from None
        if response.status_code in (401, 403):
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
        try:
            body = response.json()
            token = body.get("token") or body.get("access_token")
        except (ValueError, AttributeError):
            raise RegistryError(f"{where} did not answer JSON") from None
        if not isinstance(token, str) or not token:
            raise RegistryError(f"{where} answered without a token or access_token")
        self.method = f"bearer token, {credential or 'anonymous'}"
        return token
