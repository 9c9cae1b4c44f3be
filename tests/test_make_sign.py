"""make docker-sign (sign: cosign) with a stand-in cosign: what it is asked to sign, how the
key reaches it, and that no key text is ever on a command line or in make's output."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.support.makeplan import make
from tests.support.rendering import CONFIGS, render_into

DIGEST = "sha256:" + "cd" * 32
KEY_TEXT = "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nc2VjcmV0;$(id)`x`\n-----END"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    render_into(root, CONFIGS["signed"])
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    cosign = bin_dir / "cosign"
    # Records its arguments, one per line, and the key it would read from its environment.
    cosign.write_text(
        "#!/usr/bin/env bash\n"
        f'if [[ $1 == sign ]]; then printf "%s\\n" "$@" > {tmp_path}/cosign-args; fi\n'
        f'if [[ $1 == attest ]]; then printf "%s\\n" "$@" >> {tmp_path}/cosign-attest; fi\n'
        f'printf "%s" "${{COSIGN_KEY:-}}" > {tmp_path}/cosign-env-key\n'
    )
    # mkmultiarch sbom stand-in: one SPDX file and its platform digest per arch.
    sbom = bin_dir / "mkmultiarch"
    sbom.write_text(
        "#!/usr/bin/env bash\n"
        f'printf "%s\\n" "$@" > {tmp_path}/sbom-args\n'
        'while [[ $1 != --output-dir ]]; do shift; done; mkdir -p "$2"\n'
        'for arch in amd64 arm64; do echo "{}" > "$2/linux-$arch.spdx.json"\n'
        f'  echo sha256:{"0" * 63}$((${{#arch}})) > "$2/linux-$arch.digest"; done\n'
    )
    for script in (cosign, sbom):
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return root


def sign(project: Path, *args: str, key: str | None) -> tuple[int, str, list[str], str]:
    env = {"PATH": f"{project.parent / 'bin'}:{os.environ['PATH']}"}
    if key is not None:
        env["COSIGN_KEY"] = key
    result = make(project, "docker-sign", "VERSION=v1.2.3", *args, env=env)
    recorded = project.parent / "cosign-args"
    argv = recorded.read_text().splitlines() if recorded.exists() else []
    env_file = project.parent / "cosign-env-key"
    return (
        result.returncode,
        result.stdout + result.stderr,
        argv,
        (env_file.read_text() if env_file.exists() else ""),
    )


def write_index(project: Path, digest: str = DIGEST) -> None:
    directory = project / ".digests" / "v1.2.3"
    directory.mkdir(parents=True)
    (directory / "index").write_text(digest + "\n")


def test_key_text_goes_through_the_environment_only(project: Path) -> None:
    write_index(project)
    code, output, argv, env_key = sign(project, "COSIGN_TLOG=0", "INSECURE=1", key=KEY_TEXT)
    assert code == 0, output
    assert argv == [
        "sign",
        "--yes",
        "--tlog-upload=false",
        "--allow-http-registry",
        "--allow-insecure-registry",
        "--key",
        "env://COSIGN_KEY",
        f"ghcr.io/team/signed-app@{DIGEST}",
    ]
    assert env_key == KEY_TEXT
    assert "c2VjcmV0" not in output
    assert f"signed ghcr.io/team/signed-app@{DIGEST}" in output


def test_each_platform_sbom_is_attested_to_its_image(project: Path) -> None:
    write_index(project)
    code, output, _, _ = sign(project, "COSIGN_TLOG=0", key=KEY_TEXT)
    assert code == 0, output
    sbom_args = (project.parent / "sbom-args").read_text().splitlines()
    assert sbom_args == [
        "sbom",
        "--output-dir",
        ".digests/v1.2.3/sbom",
        f"ghcr.io/team/signed-app@{DIGEST}",
    ]
    attests = (project.parent / "cosign-attest").read_text().split("attest\n")[1:]
    assert attests == [
        "--yes\n--tlog-upload=false\n--key\nenv://COSIGN_KEY\n--type\nspdxjson\n--predicate\n"
        f".digests/v1.2.3/sbom/linux-{arch}.spdx.json\n"
        f"ghcr.io/team/signed-app@sha256:{'0' * 63}5\n"
        for arch in ("amd64", "arm64")
    ]
    assert "attested .digests/v1.2.3/sbom/linux-arm64.spdx.json to ghcr.io" in output


def test_without_mkmultiarch_no_attestation_and_it_says_so(project: Path) -> None:
    write_index(project)
    (project.parent / "bin" / "mkmultiarch").unlink()
    env = {"PATH": f"{project.parent / 'bin'}:/usr/bin:/bin"}
    result = make(project, "docker-sign", "VERSION=v1.2.3", env=env)
    assert result.returncode == 0, result.stderr
    assert "make: mkmultiarch is not installed: no SBOM attestations" in result.stdout
    assert not (project.parent / "cosign-attest").exists()


def test_a_key_file_is_passed_by_path(project: Path, tmp_path: Path) -> None:
    write_index(project)
    key = tmp_path / "my key.pem"
    key.write_text("unused")
    code, output, argv, _ = sign(project, key=str(key))
    assert code == 0, output
    assert argv == ["sign", "--yes", "--key", str(key), f"ghcr.io/team/signed-app@{DIGEST}"]


def test_without_a_key_cosign_signs_keyless(project: Path) -> None:
    write_index(project)
    code, output, argv, _ = sign(project, key=None)
    assert code == 0, output
    assert argv == ["sign", "--yes", f"ghcr.io/team/signed-app@{DIGEST}"]


@pytest.mark.parametrize("content", [None, "latest", "sha256:abc", f"{DIGEST};id"])
def test_no_digest_no_signature(project: Path, content: str | None) -> None:
    if content is not None:
        write_index(project, content)
    code, output, argv, _ = sign(project, key=None)
    assert code != 0
    assert "make: " in output and ".digests/v1.2.3/index" in output
    assert argv == []


def test_cosign_tlog_is_checked(project: Path) -> None:
    write_index(project)
    code, output, argv, _ = sign(project, "COSIGN_TLOG=yes", key=None)
    assert code == 2
    assert "make: COSIGN_TLOG='yes' is not allowed: use 1 or 0" in output
    assert argv == []
