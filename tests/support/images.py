"""Images and lists for the verify tests: a Go binary at /usr/local/bin/app per platform."""

from __future__ import annotations

from typing import Any

from tests.support.elf import fake_binary
from tests.support.fake_registry import FakeRegistry
from tests.support.layers import file, tar_layer

REPO = "org/app"
ENTRYPOINT = {"Entrypoint": ["/usr/local/bin/app"], "Env": ["PATH=/usr/local/bin:/usr/bin"]}
GOOD = [("amd64", ""), ("arm64", ""), ("arm", "v7")]


def image(
    registry: FakeRegistry,
    config_arch: str,
    config_variant: str = "",
    *,
    binary: bytes | None = None,
    config: dict[str, Any] | None = None,
    tag: str | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """An image whose config says CONFIG_ARCH and whose /usr/local/bin/app is BINARY."""
    if binary is None:
        binary = fake_binary(config_arch, config_variant.removeprefix("v"))
    layers = [
        tar_layer(file("etc/passwd", b"root:x:0:0\n")),
        tar_layer(file("usr/local/bin/app", binary)),
    ]
    return registry.put_image(
        REPO,
        tag,
        layers=layers,
        architecture=config_arch,
        variant=config_variant,
        config=ENTRYPOINT if config is None else config,
        **kwargs,
    )


def platform(arch: str, variant: str = "") -> dict[str, str]:
    """An index entry's platform: linux/ARCH, with VARIANT when given."""
    data = {"architecture": arch, "os": "linux"}
    if variant:
        data["variant"] = variant
    return data


def good_list(
    registry: FakeRegistry, tag: str = "1.0", arches: list[tuple[str, str]] = GOOD
) -> None:
    """Push under TAG a list with one right image per (arch, variant) of ARCHES."""
    entries = [
        (image(registry, arch, variant), platform(arch, variant)) for arch, variant in arches
    ]
    registry.put_index(REPO, tag, entries)
