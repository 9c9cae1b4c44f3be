"""Helpers to render a config into a directory for tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkmultiarch.render.config import validate
from mkmultiarch.render.output import plan, write_all
from mkmultiarch.render.templates import render

# Named configs covering the template branches. tests/test_render.py snapshots the
# files whose structure differs (SNAPSHOTTED) and checks the rest by assertions.
CONFIGS: dict[str, dict[str, Any]] = {
    "seed": {"image": "thedoh/somethingsoon"},
    "variants": {
        "image": "team/edge-agent",
        "registry": "localhost:5000",
        "version": "2.3.4",
        "revision": "abc123",
        "arches": ["amd64", "arm/v6", "arm/v7", "386", "riscv64"],
        "latest": False,
        "go_version": "1.22",
        "go_image": "mirror.example.com/library/golang:1.22",
        "go_main": "./cmd/agent",
        "binary": "agent",
        "runtime_image": "gcr.io/distroless/static:nonroot",
        "source": "https://github.com/team/edge-agent",
    },
    "dockerfile": {
        "image": "acme/own-dockerfile",
        "registry": "registry.example.com:443",
        "language": "dockerfile",
        "dockerfile": "build/Dockerfile",
        "arches": ["amd64", "arm64", "ppc64le", "s390x"],
    },
    "podman": {
        "image": "team/podman-app",
        "registry": "quay.io",
        "engine": "podman",
        "arches": ["amd64", "arm64", "arm/v7"],
        "ci": ["github", "gitlab"],
    },
    "buildx": {
        "image": "team/buildx-app",
        "registry": "ghcr.io",
        "builder": "buildx",
        "arches": ["amd64", "arm64", "arm/v7", "s390x"],
        "ci": ["github", "gitlab"],
        "github_runner_arm64": "my-arm64-runner",
        "gitlab_tag_amd64": "docker-amd64",
    },
    "ci-dockerfile": {
        "image": "acme/own-dockerfile-ci",
        "language": "dockerfile",
        "arches": ["amd64", "arm64", "386", "ppc64le", "riscv64"],
        "ci": ["github", "gitlab"],
    },
    "signed": {
        "image": "team/signed-app",
        "registry": "ghcr.io",
        "builder": "buildx",
        "arches": ["amd64", "arm64"],
        "tags": ["version", "minor", "major"],
        "sign": "cosign",
        "ci": ["github", "gitlab"],
    },
    "signed-emulated": {
        "image": "team/signed-emulated",
        "arches": ["amd64", "arm64"],
        "tags": ["version", "major"],
        "sign": "cosign",
        "ci": ["github", "gitlab"],
        "ci_strategy": "emulated",
    },
    "ci-emulated": {
        "image": "team/emulated-app",
        "arches": ["amd64", "arm64", "ppc64le"],
        "ci": ["github", "gitlab"],
        "ci_strategy": "emulated",
    },
    # Several images (issue #18): each its own main package, binary, arches or runtime.
    "multi": {
        "registry": "localhost:5000",
        "arches": ["amd64", "arm64", "arm/v7", "riscv64"],
        "images": [
            {"name": "server", "image": "team/server"},
            {
                "name": "worker",
                "image": "team/worker",
                "go_main": "./cmd/work",
                "binary": "wrk",
                "arches": ["amd64", "arm64"],
            },
            {
                "name": "cli",
                "image": "team/cli",
                "runtime_image": "gcr.io/distroless/static:nonroot",
            },
        ],
    },
    # Several images with CI (issue #18 point 4), each config with both CI systems (every CI
    # test reads both files): an image with no arm64 (nothing on the arm64 runner), images
    # with arches of their own; buildx hands digests on, cosign signs.
    "multi-ci": {
        "registry": "ghcr.io",
        "builder": "buildx",
        "arches": ["amd64", "arm64", "arm/v7"],
        "sign": "cosign",
        "ci": ["github", "gitlab"],
        "github_runner_arm64": "my-arm64-runner",
        "gitlab_tag_amd64": "docker-amd64",
        "images": [
            {"name": "server", "image": "team/server"},
            {"name": "worker", "image": "team/worker", "arches": ["amd64", "s390x"]},
            {"name": "edge", "image": "team/edge", "arches": ["arm64", "riscv64"]},
        ],
    },
    # Their own Dockerfiles, one needing QEMU on the amd64 runner; a name with a - (its
    # digest variable is RELEASE_DIGEST_API_SERVER); the docker builder pushes tags.
    "multi-ci-dockerfile": {
        "language": "dockerfile",
        "arches": ["amd64", "arm64"],
        "ci": ["github", "gitlab"],
        "images": [
            {"name": "api-server", "image": "acme/api-server", "dockerfile": "api/Dockerfile"},
            {
                "name": "jobs",
                "image": "acme/jobs",
                "dockerfile": "jobs/Dockerfile",
                "arches": ["amd64", "ppc64le", "arm64"],
            },
        ],
    },
    # One runner builds every image (ci_strategy: emulated): make docker-push for all.
    "multi-ci-emulated": {
        "registry": "quay.io",
        "engine": "podman",
        "arches": ["amd64", "arm64", "riscv64"],
        "ci": ["github", "gitlab"],
        "ci_strategy": "emulated",
        "images": [
            {"name": "server", "image": "team/server"},
            {"name": "cli", "image": "team/cli", "arches": ["amd64", "arm64"]},
        ],
    },
}


def render_into(directory: Path, data: dict[str, Any]) -> dict[str, str]:
    """Render `data` (as if from multiarch.yaml) into `directory`; return path -> text."""
    rendered = render(validate(data))
    write_all(plan(rendered, directory))
    return {f.path: f.text for f in rendered}
