"""mkmultiarch sbom against the in-process registry: one SPDX 2.3 document per platform,
valid per spdx-tools, listing the image (digest as checksum and purl), its layers and the
entrypoint's Go modules from its build info."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from mkmultiarch.inspect.elf import GoModule, go_build_info
from mkmultiarch.inspect.imageref import parse_reference
from mkmultiarch.inspect.registry import RegistryClient
from mkmultiarch.inspect.sbom import collect, write
from tests.support.cli import refusal, run_cli
from tests.support.elf import MACHINES, elf_header, go_buildinfo
from tests.support.fake_registry import FakeRegistry
from tests.support.images import REPO, image, platform

DEPS = (
    "dep\tgolang.org/x/text\tv0.14.0\th1:ScX5w1eTa3QqT8oi6+ziP7dTV1S2+ALU0bI+0zXKWiQ=\n"
    "dep\tgithub.com/old/name\tv1.0.0\th1:aaaa\n"
    "=>\tgithub.com/new/name\tv1.2.0\th1:bbbb\n"
)


def go_binary(goarch: str) -> bytes:
    machine, bits, little = MACHINES[goarch]
    data = elf_header(machine, bits, little) + bytes(200)
    data += bytes(-len(data) % 16)
    return data + go_buildinfo({"GOARCH": goarch, "GOOS": "linux"}, "go1.23.5", DEPS)


def test_build_info_lists_the_main_module_and_every_dependency() -> None:
    info = go_build_info(go_binary("arm64"))
    assert info is not None
    assert info.path == "example.com/app"
    assert info.main == GoModule("example.com/app", "(devel)", "")
    assert info.deps == (
        GoModule("golang.org/x/text", "v0.14.0", "h1:ScX5w1eTa3QqT8oi6+ziP7dTV1S2+ALU0bI+0zXKWiQ="),
        GoModule("github.com/new/name", "v1.2.0", "h1:bbbb"),  # the replacement was built
    )


def sbom_of(registry: FakeRegistry, out: Path, tag: str) -> list[dict[str, Any]]:
    ref = parse_reference(f"{registry.host}/{REPO}:{tag}")
    with RegistryClient(registry.host, insecure=True, timeout=5) as client:
        _, images = collect(client, ref)
    written = write(out, images)
    documents = []
    for item in written:
        parsed = parse_file(str(item.path))
        assert validate_full_spdx_document(parsed) == [], item.path
        documents.append(json.loads(item.path.read_text()))
        digest_file = item.path.with_name(item.path.name.replace(".spdx.json", ".digest"))
        assert digest_file.read_text().strip() == item.image.digest
    return documents


def test_one_valid_document_per_platform(registry: FakeRegistry, tmp_path: Path) -> None:
    amd64 = image(registry, "amd64", binary=go_binary("amd64"))
    arm = image(registry, "arm", "v7", binary=go_binary("arm"))
    registry.put_index(REPO, "1.0", [(amd64, platform("amd64")), (arm, platform("arm", "v7"))])
    documents = sbom_of(registry, tmp_path, "1.0")
    assert sorted(p.name for p in tmp_path.glob("*.spdx.json")) == [
        "linux-amd64.spdx.json",
        "linux-arm-v7.spdx.json",
    ]
    doc = next(d for d in documents if d["name"].endswith("linux/arm/v7"))
    assert doc["spdxVersion"] == "SPDX-2.3"
    packages = {p["SPDXID"]: p for p in doc["packages"]}
    described = packages["SPDXRef-Image"]
    digest = arm["digest"]
    assert described["checksums"] == [{"algorithm": "SHA256", "checksumValue": digest[7:]}]
    purl = described["externalRefs"][0]["referenceLocator"]
    assert purl.startswith(f"pkg:oci/app@sha256%3A{digest[7:]}?arch=arm&variant=v7&")
    names = [p["name"] for p in doc["packages"]]
    assert "example.com/app" in names and "golang.org/x/text" in names
    assert "github.com/new/name" in names and "github.com/old/name" not in names
    assert packages["SPDXRef-Go-stdlib"]["versionInfo"] == "go1.23.5"
    layers = [p for p in doc["packages"] if p["SPDXID"].startswith("SPDXRef-Layer-")]
    assert len(layers) == 2  # /etc/passwd, then the binary
    assert all(p["name"].startswith("sha256:") for p in layers)
    assert [p["checksums"][0]["checksumValue"] for p in layers] == [
        p["name"].removeprefix("sha256:") for p in layers
    ]
    depends = [r for r in doc["relationships"] if r["relationshipType"] == "DEPENDS_ON"]
    assert len(depends) == 3  # stdlib and two modules
    assert doc["relationships"][0] == {
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": "SPDXRef-Image",
    }


def test_attestations_are_not_platforms(registry: FakeRegistry, tmp_path: Path) -> None:
    amd64 = image(registry, "amd64", binary=go_binary("amd64"))
    unknown = image(registry, "unknown", binary=b"not an image")
    registry.put_index(
        REPO,
        "2.0",
        [(amd64, platform("amd64")), (unknown, {"architecture": "unknown", "os": "unknown"})],
    )
    sbom_of(registry, tmp_path, "2.0")
    assert [p.name for p in tmp_path.glob("*.spdx.json")] == ["linux-amd64.spdx.json"]


def test_a_binary_without_build_info_says_so(registry: FakeRegistry, tmp_path: Path) -> None:
    machine, bits, little = MACHINES["amd64"]
    image(registry, "amd64", binary=elf_header(machine, bits, little) + bytes(64), tag="plain")
    (doc,) = sbom_of(registry, tmp_path, "plain")
    assert "carries no Go build info" in doc["comment"]
    assert not [p for p in doc["packages"] if p["SPDXID"].startswith("SPDXRef-Go")]


def test_a_missing_tag_cannot_be_read(registry: FakeRegistry, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("sbom", "--insecure", "-o", str(out), f"{registry.host}/{REPO}:missing")
    assert refusal(result).startswith("mkmultiarch: cannot read ")
    assert not out.exists()
