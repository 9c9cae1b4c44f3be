"""A read-only client for the OCI distribution API, with Docker's auth.

Callers import from here; the modules behind it are the package's own business.
"""

from mkmultiarch.inspect.registry.client import (
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    IMAGE_TYPES,
    INDEX_TYPES,
    MANIFEST_ACCEPT,
    MEDIA_TYPE_NAMES,
    OCI_INDEX,
    OCI_MANIFEST,
    AuthError,
    Challenge,
    CredentialProvider,
    Manifest,
    NotFoundError,
    RegistryClient,
    RegistryError,
    UnreachableError,
    parse_www_authenticate,
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
