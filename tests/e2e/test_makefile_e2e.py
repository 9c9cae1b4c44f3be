"""End-to-end: the example project's generated Makefile against a real engine and registry.

One six-arch build of a copy of example-project/ (the seed command line, BuildKit client)
is shared by the tests that only inspect its results: the lists in the registry, the image
configs, running every arch under QEMU, re-running, and ``make clean``. The legacy-builder
refusals need no build at all.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import (
    DOCKER_MANIFEST,
    OCI_MANIFEST,
    PLAIN_PATH,
    CmdResult,
    E2EEnv,
    MakeProject,
    arch_suffix,
    check_list,
    copy_example,
    index_platforms,
    new_project,
    platform_string,
    registry_get_blob,
    registry_get_manifest,
    registry_tags,
    run_cmd,
    run_list_for_arch,
)

pytestmark = pytest.mark.docker

ALL_ARCHES = ("amd64", "arm64", "arm/v7", "ppc64le", "s390x", "riscv64")
SEED_TARGETS = ("clean", "docker-build", "docker-push")


@dataclass
class SharedBuild:
    """The example project built and pushed once, and what the registry held afterwards."""

    project: MakeProject
    result: CmdResult
    digests: dict[str, str | None]


@pytest.fixture(scope="module")
def example_build(
    e2e_env: E2EEnv, tmp_path_factory: pytest.TempPathFactory, local_repos: set[str]
) -> SharedBuild:
    """``make VERSION=... clean docker-build docker-push`` on a copy of example-project/,
    with the Makefile's own ARCHES (all six)."""
    root = tmp_path_factory.mktemp("example")
    project = new_project(
        e2e_env,
        copy_example(root / "project"),
        root / "docker-config",
        local_repos,
        name="example",
        arches=ALL_ARCHES,
        pass_arches=False,
    )
    result = project.make(*SEED_TARGETS)
    if result.returncode != 0:
        pytest.fail(f"the shared example build failed:\n{result.tail(60)}", pytrace=False)
    return SharedBuild(project, result, project.registry_digests())


# --- 1. the seed command line ---------------------------------------------------------


def test_seed_line_on_example_project(example_build: SharedBuild) -> None:
    """The seed line exits 0 and runs build -> per-arch push -> create/annotate -> push."""
    project, result = example_build.project, example_build.result
    assert result.returncode == 0, result.tail()
    out = result.output
    for arch in ALL_ARCHES:
        # docker build --platform, or one bake's --set <arch>.platform= for every arch
        assert re.search(rf"(--platform |\.platform=)linux/{arch} ", out), result.tail()
        assert f"push {project.arch_ref(arch)}" in out, result.tail()
    assert "--arch arm --variant v7" in out, result.tail()
    positions = [
        out.index("==> building"),
        out.index(f"push {project.arch_ref(ALL_ARCHES[-1])}"),
        out.index("manifest create --insecure"),
        out.index("manifest push --purge --insecure"),
    ]
    assert positions == sorted(positions), "steps ran out of order:\n" + result.tail()
    assert all(example_build.digests.values()), example_build.digests


def test_buildkit_path_builds(example_build: SharedBuild) -> None:
    """The 20.10 client builds with BuildKit (its step log, not the legacy "Step 1/N")."""
    out = example_build.result.output
    assert "naming to " in out and re.search(r"\[([\w-]+ )?internal\] load build definition", out)
    assert "Step 1/" not in out


# --- 2. the lists in the registry -----------------------------------------------------


@pytest.mark.parametrize("which", ["version", "latest"])
def test_list_platforms_in_registry(example_build: SharedBuild, which: str) -> None:
    """:VERSION and :latest are lists of exactly the six arches, the same through the
    registry API, ``docker manifest inspect --insecure`` and ``skopeo inspect --raw``."""
    project = example_build.project
    tag = project.version if which == "version" else "latest"
    index = check_list(project.registry, project.img, tag, ALL_ARCHES)
    list_digest = example_build.digests[tag]
    assert list_digest == example_build.digests[project.version], ":latest != :VERSION"

    inspect = project.docker(
        "manifest", "inspect", "--insecure", project.list_ref(tag), merge_stderr=False
    )
    assert inspect.returncode == 0, inspect.tail()
    via_docker = json.loads(inspect.stdout)
    assert index_platforms(via_docker) == index_platforms(index)
    assert [m["digest"] for m in via_docker["manifests"]] == [
        m["digest"] for m in index["manifests"]
    ]

    skopeo = shutil.which("skopeo")
    assert skopeo, "skopeo is not installed"
    result = run_cmd(
        [skopeo, "inspect", "--tls-verify=false", "--raw", f"docker://{project.list_ref(tag)}"],
        env=project.env,
        merge_stderr=False,
    )
    assert result.returncode == 0, result.tail()
    assert f"sha256:{hashlib.sha256(result.stdout.encode()).hexdigest()}" == list_digest
    assert json.loads(result.stdout) == index


# --- 3. every entry's image config ----------------------------------------------------


def test_entry_configs_match_platforms(example_build: SharedBuild) -> None:
    """Each entry is a plain image whose config names the entry's os/arch/variant, and is
    the very image pushed as <arch>-VERSION."""
    project = example_build.project
    index, _ = registry_get_manifest(project.registry, project.img, project.version)
    for entry in index["manifests"]:
        platform = entry["platform"]
        manifest, media_type = registry_get_manifest(project.registry, project.img, entry["digest"])
        assert media_type in (DOCKER_MANIFEST, OCI_MANIFEST), f"{platform}: {media_type}"
        config = json.loads(
            registry_get_blob(project.registry, project.img, manifest["config"]["digest"])
        )
        assert config["os"] == platform["os"] == "linux"
        assert config["architecture"] == platform["architecture"]
        assert config.get("variant", "") == platform.get("variant", ""), platform
        labels = config["config"]["Labels"]
        assert labels["org.opencontainers.image.version"] == project.version
        arch = platform_string(platform).removeprefix("linux/")
        assert example_build.digests[f"{arch_suffix(arch)}-{project.version}"] == entry["digest"]


# --- 4. every arch runs ---------------------------------------------------------------


@pytest.mark.parametrize("arch", ALL_ARCHES)
def test_each_arch_runs(example_build: SharedBuild, arch: str) -> None:
    """``docker run --platform linux/<arch> <list>`` runs that arch (QEMU for foreign ones)."""
    run_list_for_arch(example_build.project, "hello", arch)


# --- 5. legacy builders are refused ---------------------------------------------------


@dataclass(frozen=True)
class LegacyCase:
    """One way of ending up with the legacy builder."""

    env: tuple[tuple[str, str], ...] = ()
    overrides: tuple[tuple[str, str], ...] = ()


# Every client on this machine finds the buildx plugin, so the legacy builder is reached
# only by asking for it; the rule for old clients without buildx (check-builder reads the
# client's version) is proven by tests/test_makefile.py with stand-in clients.
LEGACY_CASES = {
    "buildkit0-env": LegacyCase(env=(("DOCKER_BUILDKIT", "0"),)),
    "buildkit0-var": LegacyCase(overrides=(("DOCKER_BUILDKIT", "0"),)),
}


@pytest.mark.parametrize("case", sorted(LEGACY_CASES))
def test_legacy_builder_is_refused(
    e2e_env: E2EEnv, tmp_path: Path, local_repos: set[str], case: str
) -> None:
    """Without BuildKit the seed line exits non-zero naming BuildKit; nothing is built or
    pushed."""
    spec = LEGACY_CASES[case]
    project = new_project(
        e2e_env,
        copy_example(tmp_path / "project"),
        tmp_path / "docker-config",
        local_repos,
        name=f"legacy-{case}",
        arches=("amd64", "arm/v7"),
    )
    result = project.make(*SEED_TARGETS, env=dict(spec.env), overrides=dict(spec.overrides))
    assert result.returncode == 2, result.tail()
    assert "BuildKit is required" in result.output, result.tail()
    assert "==> building" not in result.output, result.tail()
    assert registry_tags(project.registry, project.img) == []
    for arch in project.arches:
        inspect = project.docker("image", "inspect", project.arch_ref(arch))
        assert inspect.returncode != 0, f"{project.arch_ref(arch)} was built"


# --- 6. re-running, and make clean ----------------------------------------------------


# --- docker-verify: the generated target, with and without mkmultiarch -------------------


def test_docker_verify_target(example_build: SharedBuild) -> None:
    """`make docker-verify` runs mkmultiarch verify on both lists, and falls back to a
    platform check with `docker manifest inspect` where mkmultiarch is not installed."""
    project = example_build.project
    deep = project.make("docker-verify")
    assert deep.returncode == 0, deep.tail()
    assert deep.output.count("OK: ") == 2, deep.tail()
    plain = project.make("docker-verify", env={"PATH": PLAIN_PATH})
    assert plain.returncode == 0, plain.tail()
    assert "docker manifest inspect only" in plain.output
    assert plain.output.count("ok: ") == 2, plain.tail()


def test_docker_verify_fails_on_a_missing_arch(example_build: SharedBuild) -> None:
    """Expecting an arch the list lacks (386) fails, deep check or fallback."""
    project = example_build.project
    arches = " ".join((*ALL_ARCHES, "386"))
    deep = project.make("docker-verify", ARCHES=arches)
    assert deep.returncode != 0, deep.tail()
    assert "linux/386" in deep.output, deep.tail()
    plain = project.make("docker-verify", ARCHES=arches, env={"PATH": PLAIN_PATH})
    assert plain.returncode != 0, plain.tail()
    assert "has no linux/386 entry" in plain.output, plain.tail()


def test_rerun_gives_identical_digests(example_build: SharedBuild) -> None:
    """The same command again succeeds and leaves every digest (lists, per-arch) unchanged."""
    project = example_build.project
    result = project.make(*SEED_TARGETS)
    assert result.returncode == 0, result.tail()
    assert project.registry_digests() == example_build.digests


def test_clean_removes_local_images_and_lists(example_build: SharedBuild) -> None:
    """``make clean`` leaves no per-arch image and no local list of the version.

    ``docker-multiarch`` leaves the lists in the local store (docker-push would purge them),
    which first shows that the checks below can see a local list at all. The store is the
    private DOCKER_CONFIG's ``manifests/`` directory.
    """
    project = example_build.project
    local_lists_dir = project.docker_config / "manifests"
    created = project.make("docker-multiarch")
    assert created.returncode == 0, created.tail()
    stored = sorted(p.name for p in local_lists_dir.iterdir())
    assert len(stored) == len(project.list_tags), stored
    for tag in project.list_tags:
        # Without --insecure the CLI cannot read the plain-HTTP registry: only the local store.
        local = project.docker("manifest", "inspect", project.list_ref(tag))
        assert local.returncode == 0, local.tail()
    for arch in project.arches:
        assert project.docker("image", "inspect", project.arch_ref(arch)).returncode == 0

    cleaned = project.make("clean")
    assert cleaned.returncode == 0, cleaned.tail()
    leftovers = (
        sorted(p.name for p in local_lists_dir.iterdir()) if local_lists_dir.exists() else []
    )
    assert leftovers == [], f"local lists left after make clean: {leftovers}"
    for tag in project.list_tags:
        local = project.docker("manifest", "inspect", project.list_ref(tag))
        assert local.returncode != 0, f"local list {project.list_ref(tag)} survived make clean"
    for arch in project.arches:
        inspect = project.docker("image", "inspect", project.arch_ref(arch))
        assert inspect.returncode != 0, f"{project.arch_ref(arch)} survived make clean"
    # The registry is untouched by clean.
    assert project.registry_digests() == example_build.digests
