"""End-to-end: a two-image project scaffolded by `copier copy --data images=...` (issue #18).

The scaffold's own main packages (cmd/server, and cmd/work for worker's go_main) build with
the seed command line into one list per image, each of exactly its arches, and each image
runs its own binary under QEMU on every arch. No file of the scaffold is edited.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from .conftest import (
    E2EEnv,
    check_list,
    expected_version_line,
    new_project,
    run_cmd,
    run_version,
)

pytestmark = pytest.mark.docker

ARCHES = ("amd64", "arm64")


def test_seed_line_on_a_copier_scaffold_with_two_images(
    e2e_env: E2EEnv, template_repo: Path, tmp_path: Path, local_repos: set[str]
) -> None:
    dest = tmp_path / "scaffold"
    base = new_project(
        e2e_env, dest, tmp_path / "docker-config", local_repos, name="copier-multi", arches=ARCHES
    )
    base.pass_arches = False  # each image's own, from the scaffold's multiarch.yaml
    images = {"server": f"{base.img}-server", "worker": f"{base.img}-worker"}
    data = (
        f"images=[{{name: server, image: {images['server']}}}, "
        f"{{name: worker, image: {images['worker']}, go_main: ./cmd/work, binary: wrk}}]"
    )
    copy = run_cmd(
        [
            sys.executable,
            "-m",
            "copier",
            "copy",
            "--defaults",
            "--vcs-ref",
            "HEAD",
            "--data",
            data,
            "--data",
            f"arches=[{', '.join(ARCHES)}]",
            "--data",
            "go_version=1.23",
            str(template_repo),
            str(dest),
        ],
        env=dict(os.environ),
        timeout=120,
    )
    assert copy.returncode == 0, copy.tail()
    for name in ("cmd/server/main.go", "cmd/work/main.go", "go.mod", "mk/images.mk"):
        assert (dest / name).is_file(), f"copier did not write {name}"
    for image in images.values():
        local_repos.add(f"{base.registry}/{image}")

    result = base.make("clean", "docker-build", "docker-push", jobs=4, unset=("IMG",))
    assert result.returncode == 0, result.tail()
    for name, binary in (("server", "server"), ("worker", "wrk")):
        check_list(base.registry, images[name], base.version, ARCHES)
        for arch in ARCHES:
            ref = f"{base.registry}/{images[name]}:{base.version}"
            run_version(base, ref, arch, expected_version_line(binary, base.version, arch))
