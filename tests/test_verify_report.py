"""The verify table and JSON, and the doctor listing, from hand-made results."""

from __future__ import annotations

import json

from mkmultiarch.inspect.checks import Check, CheckOutcome
from mkmultiarch.inspect.registry import NotFoundError
from mkmultiarch.inspect.report import render_checks, render_error_json, render_json, render_text
from mkmultiarch.inspect.verify import EntryResult, VerifyResult

DIGEST = "sha256:" + "ab" * 32


def seed_result() -> VerifyResult:
    result = VerifyResult(
        image="127.0.0.1:5000/org/app:1.0",
        digest=DIGEST,
        media_type="application/vnd.docker.distribution.manifest.list.v2+json",
        is_list=True,
        expected=["linux/amd64", "linux/arm64"],
        expected_source="--arch",
        present=["linux/amd64", "linux/arm64"],
        attestations=1,
    )
    result.add(
        "list", CheckOutcome.OK, "Docker manifest list with 2 platform(s) + 1 attestation(s)"
    )
    result.add("platforms", CheckOutcome.OK, "all 2 expected platforms are present")
    amd64 = EntryResult("linux/amd64", "sha256:1", "m", config_platform="linux/amd64")
    amd64.entrypoint, amd64.binary = "/app", "ELF 64-bit LSB x86-64"
    amd64.add("config", CheckOutcome.OK, "the image config says linux/amd64, as the entry does")
    amd64.add("binary", CheckOutcome.OK, "/app is ELF 64-bit LSB x86-64")
    arm64 = EntryResult("linux/arm64", "sha256:2", "m", config_platform="linux/amd64")
    arm64.entrypoint, arm64.binary = "/app", "ELF 64-bit LSB AArch64"
    arm64.add(
        "config",
        CheckOutcome.FAIL,
        "the image config says linux/amd64, but the list entry says linux/arm64",
    )
    arm64.add("binary", CheckOutcome.OK, "/app is ELF 64-bit LSB AArch64")
    attestation = EntryResult("unknown/unknown", "sha256:3", "m", kind="attestation")
    attestation.add("entry", CheckOutcome.SKIPPED, "attestation (provenance/SBOM); not a platform")
    result.entries += [amd64, arm64, attestation]
    return result


EXPECTED_TEXT = f"""\
image     127.0.0.1:5000/org/app:1.0
digest    {DIGEST} (Docker manifest list)
expected  linux/amd64 linux/arm64 (from --arch)
auth      anonymous

PLATFORM         CONFIG       ENTRYPOINT  BINARY                  RESULT
linux/amd64      linux/amd64  /app        ELF 64-bit LSB x86-64   ok
linux/arm64      linux/amd64  /app        ELF 64-bit LSB AArch64  FAIL
unknown/unknown  -            -           -                       attestation, not a platform

FAIL  linux/arm64 config:  the image config says linux/amd64, but the list entry says linux/arm64
ok    list:                Docker manifest list with 2 platform(s) + 1 attestation(s)
ok    platforms:           all 2 expected platforms are present
ok    linux/amd64 config:  the image config says linux/amd64, as the entry does
ok    linux/amd64 binary:  /app is ELF 64-bit LSB x86-64
ok    linux/arm64 binary:  /app is ELF 64-bit LSB AArch64

FAILED: 1 problem(s) in 127.0.0.1:5000/org/app:1.0"""


def test_text_report() -> None:
    assert render_text(seed_result()) == EXPECTED_TEXT


def test_text_report_ok_and_no_expectations() -> None:
    result = VerifyResult("r/a:1", DIGEST, "application/vnd.oci.image.index.v1+json", True, [], "")
    result.present = ["linux/amd64"]
    result.add("platforms", CheckOutcome.WARNING, "nothing to compare with")
    text = render_text(result)
    assert "expected  nothing given (use --arch or --config)" in text
    assert "(OCI image index)" in text
    assert text.endswith("OK: r/a:1 is a manifest list of 1 platform(s), 1 warning(s)")


def test_json_report() -> None:
    data = json.loads(render_json(seed_result()))
    assert data["ok"] is False and data["exit_code"] == 1
    assert data["image"] == "127.0.0.1:5000/org/app:1.0"
    assert data["media_type_name"] == "Docker manifest list"
    assert data["expected"] == ["linux/amd64", "linux/arm64"]
    assert data["present"] == ["linux/amd64", "linux/arm64"]
    assert data["missing"] == [] and data["unexpected"] == []
    assert data["attestations"] == 1
    assert [entry["status"] for entry in data["entries"]] == ["ok", "fail", "skipped"]
    assert data["entries"][1]["checks"][0] == {
        "name": "config",
        "status": "fail",
        "message": "the image config says linux/amd64, but the list entry says linux/arm64",
        "fix": "",
    }
    assert data["problems"] == [
        "linux/arm64 config: the image config says linux/amd64, but the list entry says linux/arm64"
    ]
    assert data["warnings"] == []


def test_error_json() -> None:
    data = json.loads(render_error_json("r/a:1", NotFoundError("tag not found: r/a:1")))
    assert data == {"image": "r/a:1", "ok": False, "exit_code": 2, "error": "tag not found: r/a:1"}


def test_doctor_listing() -> None:
    checks = [
        Check("docker client", CheckOutcome.OK, "/usr/bin/docker: 20.10.24"),
        Check(
            "BuildKit",
            CheckOutcome.FAIL,
            "client 28.2.2 has no buildx plugin",
            "install docker-buildx",
        ),
        Check(
            "QEMU linux/arm64",
            CheckOutcome.WARNING,
            "no qemu-aarch64 handler",
            "docker run ... --install arm64",
        ),
    ]
    assert render_checks(checks) == (
        "ok       docker client     /usr/bin/docker: 20.10.24\n"
        "FAIL     BuildKit          client 28.2.2 has no buildx plugin\n"
        "                           fix: install docker-buildx\n"
        "warning  QEMU linux/arm64  no qemu-aarch64 handler\n"
        "                           fix: docker run ... --install arm64\n"
        "\n"
        "FAILED: 1 failure(s), 1 warning(s)"
    )
    assert render_checks(checks[:1]).endswith("OK: all checks passed")
