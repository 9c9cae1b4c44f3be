"""Smoke tests for the end-to-end environment (scripts/test-env.sh) and its fixture."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .conftest import (
    DOCKER_MANIFEST,
    OCI_MANIFEST,
    E2EEnv,
    registry_get_blob,
    registry_get_manifest,
    registry_tag_exists,
    split_image_ref,
)

BINFMT_DIR = Path("/proc/sys/fs/binfmt_misc")
# binfmt_misc entry registered by qemu-user-static for each foreign platform.
QEMU_HANDLERS = {
    "linux/arm64": "qemu-aarch64",
    "linux/arm/v7": "qemu-arm",
    "linux/ppc64le": "qemu-ppc64le",
    "linux/s390x": "qemu-s390x",
    "linux/riscv64": "qemu-riscv64",
}


def test_registry_answers(e2e_env: E2EEnv) -> None:
    with urllib.request.urlopen(f"http://{e2e_env.registry}/v2/", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Docker-Distribution-Api-Version"] == "registry/2.0"


def test_go_image_is_in_the_registry(e2e_env: E2EEnv) -> None:
    registry, repo, tag = split_image_ref(e2e_env.go_image)
    assert registry == e2e_env.registry
    assert registry_tag_exists(registry, repo, tag)

    manifest, media_type = registry_get_manifest(registry, repo, tag)
    # Pushed from the containerd image store as OCI, from the classic store as Docker.
    assert media_type in (OCI_MANIFEST, DOCKER_MANIFEST)
    config = json.loads(registry_get_blob(registry, repo, manifest["config"]["digest"]))
    assert config["os"] == "linux"
    env = dict(item.split("=", 1) for item in config["config"]["Env"])
    assert env["GOPATH"] == "/go"
    assert env["CGO_ENABLED"] == "0"
    assert "GOROOT" in env


def test_missing_tag_does_not_exist(e2e_env: E2EEnv) -> None:
    assert not registry_tag_exists(e2e_env.registry, "mkmultiarch-test/golang", "no-such-tag")


@pytest.mark.parametrize("platform", sorted(QEMU_HANDLERS))
def test_binfmt_handler_registered(e2e_env: E2EEnv, platform: str) -> None:
    assert platform in e2e_env.binfmt_platforms
    entry = BINFMT_DIR / QEMU_HANDLERS[platform]
    assert entry.exists(), f"{entry} missing"
    lines = entry.read_text().splitlines()
    assert lines[0] == "enabled"
    # F: the kernel opens the interpreter at registration, so it also works in containers.
    flags = next(line for line in lines if line.startswith("flags:"))
    assert "F" in flags.split(":", 1)[1]


def test_auth_registry_needs_credentials(e2e_env: E2EEnv) -> None:
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(f"http://{e2e_env.auth_registry}/v2/", timeout=10)
    assert excinfo.value.code == 401
    assert excinfo.value.headers["WWW-Authenticate"].startswith("Basic ")

    # The same helpers work with credentials: a missing tag is a plain "no" (404), not 401.
    assert not registry_tag_exists(
        e2e_env.auth_registry, "mkmultiarch-test/none", "latest", auth=e2e_env.auth
    )
