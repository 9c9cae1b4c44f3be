"""A read-only client for the OCI distribution API, with Docker's auth.

Laid out like go-containerregistry's remote/transport: challenge (parse a
401's WWW-Authenticate), transport (HTTP, TLS, the errors), auth (answer the
challenge), client (the API). Callers import from here.
"""

from mkmultiarch.inspect.registry.auth import CredentialProvider
from mkmultiarch.inspect.registry.challenge import Challenge, parse_www_authenticate
from mkmultiarch.inspect.registry.client import (
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    IMAGE_TYPES,
    INDEX_TYPES,
    MANIFEST_ACCEPT,
    MEDIA_TYPE_NAMES,
    OCI_INDEX,
    OCI_MANIFEST,
    Manifest,
    RegistryClient,
)
from mkmultiarch.inspect.registry.transport import (
    AuthError,
    NotFoundError,
    RegistryError,
    UnreachableError,
)

__all__ = [
    "DOCKER_MANIFEST",
    "DOCKER_MANIFEST_LIST",
    "IMAGE_TYPES",
    "INDEX_TYPES",
    "MANIFEST_ACCEPT",
    "MEDIA_TYPE_NAMES",
    "OCI_INDEX",
    "OCI_MANIFEST",
    "AuthError",
    "Challenge",
    "CredentialProvider",
    "Manifest",
    "NotFoundError",
    "RegistryClient",
    "RegistryError",
    "UnreachableError",
    "parse_www_authenticate",
]
