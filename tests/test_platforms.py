"""Platform spelling: how verify compares a list entry, an image config and an arch token."""

from __future__ import annotations

import pytest

from mkmultiarch.arches import SUPPORTED_ARCHES, Arch
from mkmultiarch.inspect.platforms import Platform


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (("linux", "x86_64", ""), ("linux", "amd64", "")),
        (("linux", "aarch64", ""), ("linux", "arm64", "")),
        (("linux", "arm64", "v8"), ("linux", "arm64", "")),
        (("linux", "amd64", "v1"), ("linux", "amd64", "")),
        (("linux", "arm", ""), ("linux", "arm", "v7")),  # Docker's default ARM level
        (("linux", "arm", "7"), ("linux", "arm", "v7")),
        (("linux", "armel", ""), ("linux", "arm", "v6")),
        (("linux", "armhf", ""), ("linux", "arm", "v7")),
        (("Linux", "I386", ""), ("linux", "386", "")),
        (("linux", "amd64", "v3"), ("linux", "amd64", "v3")),  # a real amd64 level stays
    ],
)
def test_normalized(written: tuple[str, str, str], expected: tuple[str, str, str]) -> None:
    assert Platform(*written).normalized() == Platform(*expected)


def test_arm_levels_do_not_match_each_other() -> None:
    v6, v7 = Platform("linux", "arm", "v6"), Platform("linux", "arm", "v7")
    assert not v6.matches(v7)
    assert Platform("linux", "arm", "").matches(v7)
    assert not Platform("linux", "arm", "").matches(v6)


def test_different_architectures_never_match() -> None:
    tokens = [Platform.from_arch(Arch.parse(t)) for t in SUPPORTED_ARCHES]
    for i, one in enumerate(tokens):
        for j, other in enumerate(tokens):
            assert one.matches(other) == (i == j), (one, other)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"os": "linux", "architecture": "arm", "variant": "v7"}, Platform("linux", "arm", "v7")),
        ({"os": "linux", "architecture": "amd64"}, Platform("linux", "amd64", "")),
        ({"os": None, "architecture": None}, Platform("", "", "")),
        ("not an object", Platform("unknown", "unknown")),
        (None, Platform("unknown", "unknown")),
    ],
)
def test_from_json(data: object, expected: Platform) -> None:
    assert Platform.from_json(data) == expected


def test_attestation_entries_are_unknown() -> None:
    assert Platform.from_json({"os": "unknown", "architecture": "unknown"}).is_unknown
    assert not Platform("linux", "amd64").is_unknown


@pytest.mark.parametrize(
    ("platform", "text"),
    [
        (Platform("linux", "arm", "v7"), "linux/arm/v7"),
        (Platform("linux", "amd64"), "linux/amd64"),
        (Platform("", ""), "?/?"),
    ],
)
def test_str_shows_what_was_written(platform: Platform, text: str) -> None:
    assert str(platform) == text


def test_from_arch_matches_the_platform_string() -> None:
    for token in SUPPORTED_ARCHES:
        arch = Arch.parse(token)
        assert str(Platform.from_arch(arch)) == arch.platform
