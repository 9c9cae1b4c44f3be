"""End-to-end: a release's supply chain (issue #13), against the local registry.

The example project is re-rendered with ``tags: [version, minor, major]`` and
``sign: cosign``, then released as the git tag ``v1.2.3`` would be (``VERSION=v1.2.3``):

* the ``docker manifest`` path (``make docker-push``) and buildx's split path
  (``docker-push-arch`` + ``docker-manifest``) each publish 1.2.3, 1.2, 1 and latest, all
  four one index whose digest ``.digests/v1.2.3/index`` holds, as the registry says;
* buildx writes the index's OCI annotations, read back over the registry API;
* cosign (Debian's 2.5, key-based, no transparency log) signs the index: ``cosign verify
  --key`` passes on it and fails for another key, an unsigned image and another index;
* each platform image carries a signed SPDX 2.3 attestation (``mkmultiarch sbom``) listing
  the example's Go module, and ``mkmultiarch verify --key`` agrees with cosign.
"""

from __future__ import annotations

import base64
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.support.cosign_e2e import cosign, cosign_verify, key_pair, signing_env
from tests.support.rendering import render_into

from .conftest import (
    DOCKER_MANIFEST_LIST,
    EXAMPLE_PROJECT,
    OCI_INDEX,
    CmdResult,
    E2EEnv,
    MakeProject,
    arch_suffix,
    check_list,
    copy_example,
    new_project,
    registry_get_manifest,
    registry_manifest_digest,
    run_cmd,
)

ARCHES = ("amd64", "arm64")
VERSION = "v1.2.3"
LISTS = ("1.2.3", "1.2", "1", "latest")
OCI = "org.opencontainers.image."
MODULE = "github.com/mkmultiarch/mkmultiarch/example-project"


@dataclass
class Release:
    project: MakeProject
    pushed: CmdResult
    key: Path  # cosign.key (password cosign_e2e.PASSWORD)
    other_key: Path  # another key pair's cosign.pub, which signed nothing

    @property
    def index(self) -> Path:
        return self.project.path / ".digests" / VERSION / "index"


def release_project(
    e2e: E2EEnv, root: Path, local_repos: set[str], *, name: str, builder: str
) -> MakeProject:
    project = new_project(
        e2e,
        copy_example(root / "project"),
        root / "docker-config",
        local_repos,
        name=name,
        arches=ARCHES,
    )
    project.version = VERSION
    config = yaml.safe_load((EXAMPLE_PROJECT / "multiarch.yaml").read_text())
    config.update(builder=builder, sign="cosign", tags=["version", "minor", "major"])
    render_into(project.path, config)
    return project


def check_release(release: Release) -> str:
    """Every list of the release is one index, the digest file and the output agree."""
    project, pushed = release.project, release.pushed
    assert pushed.returncode == 0, pushed.tail(80)
    digest = release.index.read_text().strip()
    assert digest.startswith("sha256:") and len(digest) == 71, digest
    for tag in LISTS:
        check_list(project.registry, project.img, tag, ARCHES)
        assert registry_manifest_digest(project.registry, project.img, tag) == digest, tag
        assert f"pushed {project.image}:{tag}@{digest}" in pushed.output, pushed.tail()
    # The per-arch images keep VERSION as it is; no list is named v1.2.3.
    assert registry_manifest_digest(project.registry, project.img, VERSION) is None
    assert f"signed {project.image}@{digest}" in pushed.output, pushed.tail()
    return digest


def check_signature(release: Release, digest: str) -> None:
    project = release.project
    public = release.key.with_suffix(".pub")
    signed = cosign_verify(project, f"{project.image}@{digest}", public)
    assert signed.returncode == 0, signed.tail()
    assert "signatures were verified against the specified public key" in signed.output
    # Another key did not sign it.
    other = cosign_verify(project, f"{project.image}@{digest}", release.other_key)
    assert other.returncode != 0, other.tail()
    # A per-arch image is not what was signed.
    amd64 = registry_manifest_digest(
        project.registry, project.img, f"{arch_suffix('amd64')}-{VERSION}"
    )
    unsigned = cosign_verify(project, f"{project.image}@{amd64}", public)
    assert unsigned.returncode != 0, unsigned.tail()
    assert "no signatures found" in unsigned.output.lower() or "no matching" in unsigned.output


def check_sbom_attestations(release: Release) -> None:
    """Each platform image carries a signed SPDX attestation listing the example's module."""
    project = release.project
    public = release.key.with_suffix(".pub")
    for arch in ARCHES:
        index, _ = registry_get_manifest(project.registry, project.img, "1.2.3")
        entry = next(m for m in index["manifests"] if m["platform"]["architecture"] == arch)
        ref = f"{project.image}@{entry['digest']}"
        assert f"to {ref}" in release.pushed.output, release.pushed.tail(60)
        args = [cosign(), "verify-attestation", "--key", str(public), "--type", "spdxjson"]
        args += ["--insecure-ignore-tlog=true", "--allow-http-registry"]
        args += ["--allow-insecure-registry", ref]
        result = run_cmd(args, env=project.env, merge_stderr=False)
        assert result.returncode == 0, result.tail()
        envelope = json.loads(result.stdout.splitlines()[0])
        statement = json.loads(base64.b64decode(envelope["payload"]))
        assert statement["predicateType"] == "https://spdx.dev/Document"
        predicate = statement["predicate"]
        assert predicate["spdxVersion"] == "SPDX-2.3"
        names = [package["name"] for package in predicate["packages"]]
        assert MODULE in names and "stdlib" in names, names
        assert predicate["name"].endswith(f"linux/{arch}")


def mkmultiarch_verify(project: MakeProject, ref: str, *flags: str) -> CmdResult:
    args = [sys.executable, "-m", "mkmultiarch", "verify", "--insecure", *flags]
    args += [f"--arch={arch}" for arch in ARCHES]
    return run_cmd([*args, ref], env=project.env)


def check_verify_agrees(release: Release, digest: str) -> None:
    """mkmultiarch verify --key says what cosign says, and that it checked it itself."""
    project = release.project
    public = str(release.key.with_suffix(".pub"))
    result = mkmultiarch_verify(project, f"{project.image}:1.2.3", "--key", public)
    assert result.returncode == 0, result.tail(60)
    assert f"{digest} is signed by the key: signature checked by mkmultiarch" in result.output
    assert result.output.count("SPDX SBOM attestation signed by the key") == len(ARCHES)
    other = mkmultiarch_verify(project, f"{project.image}:1", "--key", str(release.other_key))
    assert other.returncode == 1, other.tail(60)
    assert "is by this key" in other.output and "not signed by the key" in other.output
    amd64 = f"{project.image}:{arch_suffix('amd64')}-{VERSION}"
    retagged = project.docker(
        "buildx", "imagetools", "create", "--tag", f"{project.image}:unsigned", amd64
    )
    assert retagged.returncode == 0, retagged.tail()
    unsigned = mkmultiarch_verify(project, f"{project.image}:unsigned", "--require-signature")
    assert unsigned.returncode == 1, unsigned.tail(60)
    assert "is not signed (no sha256-" in unsigned.output


def make_release(
    e2e: E2EEnv, root: Path, local_repos: set[str], *, name: str, builder: str
) -> Release:
    project = release_project(e2e, root, local_repos, name=name, builder=builder)
    key = key_pair(root / "keys")
    other = key_pair(root / "other-keys").with_suffix(".pub")
    env = signing_env(key)
    if builder == "buildx":
        pushed_arch = project.make("clean", "docker-push-arch", env=env, COSIGN_TLOG="0")
        assert pushed_arch.returncode == 0, pushed_arch.tail(60)
        pushed = project.make("docker-manifest", env=env, COSIGN_TLOG="0")
    else:
        pushed = project.make("clean", "docker-push", env=env, COSIGN_TLOG="0")
    return Release(project, pushed, key, other)


@pytest.fixture(scope="module")
def manifest_release(
    e2e_env: E2EEnv, tmp_path_factory: pytest.TempPathFactory, local_repos: set[str]
) -> Release:
    root = tmp_path_factory.mktemp("release-manifest")
    return make_release(e2e_env, root, local_repos, name="release-manifest", builder="docker")


@pytest.fixture(scope="module")
def buildx_release(
    e2e_env: E2EEnv, tmp_path_factory: pytest.TempPathFactory, local_repos: set[str]
) -> Release:
    root = tmp_path_factory.mktemp("release-buildx")
    return make_release(e2e_env, root, local_repos, name="release-buildx", builder="buildx")


def test_docker_manifest_release_publishes_one_digest_under_every_tag(
    manifest_release: Release,
) -> None:
    check_release(manifest_release)
    # docker manifest cannot write annotations on the list (the README says so).
    index, _ = registry_get_manifest(
        manifest_release.project.registry, manifest_release.project.img, "1.2.3"
    )
    assert "annotations" not in index


def test_docker_manifest_release_is_signed_by_its_key_only(manifest_release: Release) -> None:
    check_signature(manifest_release, check_release(manifest_release))


def test_each_platform_has_a_signed_sbom_attestation(manifest_release: Release) -> None:
    check_release(manifest_release)
    check_sbom_attestations(manifest_release)


def test_verify_key_agrees_with_cosign(manifest_release: Release) -> None:
    check_verify_agrees(manifest_release, check_release(manifest_release))


def test_clean_leaves_the_digest_and_docker_sign_signs_it_again(
    manifest_release: Release,
) -> None:
    project = manifest_release.project
    digest = check_release(manifest_release)
    env = signing_env(manifest_release.key)
    cleaned = project.make("clean", env=env)
    assert cleaned.returncode == 0, cleaned.tail()
    assert manifest_release.index.read_text().strip() == digest
    signed = project.make("docker-sign", env=env, COSIGN_TLOG="0")
    assert signed.returncode == 0, signed.tail()
    assert f"signed {project.image}@{digest}" in signed.output


def test_another_index_of_the_same_images_is_not_signed(manifest_release: Release) -> None:
    """A tampered list (amd64 only, pushed beside the release as :tampered) names the same
    images but is another index: cosign verify refuses it; the release still verifies."""
    project = manifest_release.project
    signed = check_release(manifest_release)
    amd64 = f"{project.image}:{arch_suffix('amd64')}-{VERSION}"
    over = project.docker(
        "buildx", "imagetools", "create", "--tag", f"{project.image}:tampered", amd64
    )
    assert over.returncode == 0, over.tail()
    assert registry_manifest_digest(project.registry, project.img, "tampered") != signed
    public = manifest_release.key.with_suffix(".pub")
    result = cosign_verify(project, f"{project.image}:tampered", public)
    assert result.returncode != 0, result.tail()
    assert cosign_verify(project, f"{project.image}@{signed}", public).returncode == 0


def test_buildx_release_annotates_and_signs_the_index(
    buildx_release: Release, e2e_env: E2EEnv
) -> None:
    """The split path's merge (imagetools create) annotates the index. On the classic
    store buildx's docker driver pushes Docker-format per-arch images whatever
    oci-mediatypes says, so the list is a Docker manifest list, which has no annotations
    (the README says so): asserted as such there."""
    project = buildx_release.project
    digest = check_release(buildx_release)
    index, media_type = registry_get_manifest(project.registry, project.img, "1")
    annotations = index.get("annotations") or {}
    if e2e_env.store == "classic":
        assert media_type == DOCKER_MANIFEST_LIST and annotations == {}, (media_type, index)
        check_signature(buildx_release, digest)
        check_sbom_attestations(buildx_release)
        check_verify_agrees(buildx_release, digest)
        return
    assert media_type == OCI_INDEX, media_type
    assert annotations[f"{OCI}version"] == "1.2.3", annotations
    assert annotations[f"{OCI}revision"] == "1", annotations
    assert annotations[f"{OCI}source"] == "https://github.com/mkmultiarch/mkmultiarch"
    assert annotations[f"{OCI}created"].endswith("Z"), annotations
    check_signature(buildx_release, digest)
    check_sbom_attestations(buildx_release)
    check_verify_agrees(buildx_release, digest)


def test_buildx_one_call_release_annotates_and_records_the_index(
    e2e_env: E2EEnv, tmp_path_factory: pytest.TempPathFactory, local_repos: set[str]
) -> None:
    """make docker-push with builder: buildx: ONE multi-platform build. On the classic
    store buildx's docker driver refuses several platforms: then nothing is published,
    signed or recorded (asserted there)."""
    root = tmp_path_factory.mktemp("release-one-call")
    project = release_project(e2e_env, root, local_repos, name="release-one", builder="buildx")
    key = key_pair(root / "keys")
    pushed = project.make("clean", "docker-push", env=signing_env(key), COSIGN_TLOG="0")
    if e2e_env.store == "classic":
        assert pushed.returncode != 0, pushed.tail()
        for tag in LISTS:
            assert registry_manifest_digest(project.registry, project.img, tag) is None, tag
        assert "signed " not in pushed.output
        assert not (project.path / ".digests" / VERSION / "index").exists()
        return
    release = Release(project, pushed, key, key.with_suffix(".pub"))
    digest = check_release(release)
    index, _ = registry_get_manifest(project.registry, project.img, "latest")
    annotations = index.get("annotations") or {}
    assert annotations[f"{OCI}version"] == "1.2.3", annotations
    assert annotations[f"{OCI}created"].endswith("Z"), annotations
    signed = cosign_verify(project, f"{project.image}@{digest}", key.with_suffix(".pub"))
    assert signed.returncode == 0, signed.tail()
