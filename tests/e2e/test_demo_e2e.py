"""scripts/demo.sh, the README's first command, run for real: set-up reused, render, every
arch built and pushed into the local registry, verified, and run under QEMU from the list.

It runs on a copy of example-project with a unique image name, with the suite's own
mkmultiarch (MKMULTIARCH: no second setup.sh), against whatever engine and image store
scripts/test-env.sh left running (the demo never switches them).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from .conftest import (
    EXAMPLE_PROJECT,
    REPO_ROOT,
    E2EEnv,
    clean_env,
    expected_version_line,
    index_platforms,
    registry_get_manifest,
    run_cmd,
    unique_name,
)

DEMO = REPO_ROOT / "scripts" / "demo.sh"
DEMO_TIMEOUT = 1800.0


def test_demo_builds_pushes_verifies_and_runs_every_arch(e2e_env: E2EEnv, tmp_path: Path) -> None:
    project = tmp_path / "example-project"
    shutil.copytree(EXAMPLE_PROJECT, project)
    img = f"mkmultiarch-test/{unique_name('demo')}"
    version = "0.1.0-demo"
    env = clean_env(
        tmp_path / "docker-config",
        MKMULTIARCH=str(Path(sys.executable).with_name("mkmultiarch")),
        MKMA_DEMO_PROJECT=str(project),
        MKMA_DEMO_IMG=img,
        MKMA_DEMO_VERSION=version,
    )
    result = run_cmd(["bash", str(DEMO)], env=env, cwd=tmp_path, timeout=DEMO_TIMEOUT)
    assert result.returncode == 0, result.tail(80)
    out = result.stdout
    arches = ["amd64", "arm64", "arm/v7", "ppc64le", "s390x", "riscv64"]  # the example's
    tag = f"{e2e_env.registry}/{img}:{version}"
    # Progress: which arch, how many after it.
    for number, arch in enumerate(arches, 1):
        left = len(arches) - number
        assert f"[{number}/6] building linux/{arch} (then {left} more) ... done in" in out, out
    assert f"OK: {tag} is a manifest list of 6 platform(s)" in out
    # What each arch's binary says under QEMU, pulled from the list.
    for arch in arches:
        assert expected_version_line("hello", version, arch) in out, out
    # The summary names the tag, the pushed digest and the platforms.
    index, _ = registry_get_manifest(e2e_env.registry, img, version)
    platforms = sorted(index_platforms(index))
    assert f"    tag        {tag}" in out
    assert "    digest     sha256:" in out
    assert f"    platforms  {' '.join(platforms)}" in out
    assert platforms == sorted(f"linux/{arch}" for arch in arches)
    assert "Next:" in out and f"mkmultiarch verify {tag} --insecure" in out
