"""multiarch.yaml validation: every rejection names its field and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from mkmultiarch.arches import SUPPORTED_ARCHES, Arch
from mkmultiarch.render.config import Config, ConfigError, parse, validate
from tests.support.bad_values import BAD_VALUES


@pytest.mark.parametrize(("field", "value"), BAD_VALUES)
def test_rejects_bad_value_naming_the_field(field: str, value: Any) -> None:
    with pytest.raises(ConfigError) as raised:
        validate({"image": "org/app", field: value})
    message = str(raised.value)
    assert message.startswith(f"{field}:"), message
    assert "\n" not in message


def test_defaults_are_filled_and_derived() -> None:
    config = validate({"image": "thedoh/somethingsoon"})
    assert config == Config(
        image="thedoh/somethingsoon",
        go_image="golang:1.23",
        binary="somethingsoon",
    )
    assert config.registry == "docker.io"
    assert config.arches == ("amd64", "arm64")
    assert config.latest is True


def test_unknown_key_is_refused_with_the_allowed_list() -> None:
    with pytest.raises(ConfigError, match=r"^arch: unknown setting; allowed settings: image, "):
        validate({"image": "org/app", "arch": ["amd64"]})


def test_missing_image_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"^image: required"):
        validate({"registry": "docker.io"})


def test_yaml_float_version_must_be_quoted() -> None:
    with pytest.raises(ConfigError, match=r"^version: expected a string, got float 1.1; quote it"):
        parse("image: org/app\nversion: 1.10\n")


def test_integer_version_and_revision_are_accepted() -> None:
    config = parse("image: org/app\nversion: 2\nrevision: 7\n")
    assert (config.version, config.revision) == ("2", "7")


def test_bad_yaml_and_empty_file() -> None:
    with pytest.raises(ConfigError, match=r"not valid YAML \(line 3\)"):
        parse("image: org/app\narches: [amd64\n")
    with pytest.raises(ConfigError, match="the file is empty"):
        parse("")
    with pytest.raises(ConfigError, match="expected a mapping"):
        parse("- image\n")


def test_arches_accept_variants_and_keep_order() -> None:
    config = validate({"image": "org/app", "arches": ["arm/v7", "amd64", "riscv64"]})
    assert config.arches == ("arm/v7", "amd64", "riscv64")


def test_registry_with_port_and_nested_image() -> None:
    config = validate({"image": "team/sub/app", "registry": "localhost:5000"})
    assert (config.registry, config.image, config.binary) == (
        "localhost:5000",
        "team/sub/app",
        "app",
    )


@pytest.mark.parametrize(
    ("token", "goarch", "goarm", "platform", "suffix"),
    [
        ("amd64", "amd64", "", "linux/amd64", "amd64"),
        ("arm/v7", "arm", "7", "linux/arm/v7", "arm-v7"),
        ("arm/v6", "arm", "6", "linux/arm/v6", "arm-v6"),
        ("386", "386", "", "linux/386", "386"),
    ],
)
def test_arch_mapping(token: str, goarch: str, goarm: str, platform: str, suffix: str) -> None:
    arch = Arch.parse(token)
    assert (arch.goarch, arch.goarm, arch.platform, arch.tag_suffix) == (
        goarch,
        goarm,
        platform,
        suffix,
    )


@pytest.mark.parametrize("token", ["arm64/v8", "armv7", "arm/v8", "linux/amd64", "AMD64", ""])
def test_arch_tokens_outside_the_list_are_refused(token: str) -> None:
    with pytest.raises(ValueError, match="unsupported arch"):
        Arch.parse(token)


def test_every_supported_arch_has_a_distinct_platform_and_tag_suffix() -> None:
    arches = [Arch.parse(token) for token in SUPPORTED_ARCHES]
    assert len({a.platform for a in arches}) == len({a.tag_suffix for a in arches}) == len(arches)
    assert all(a.platform.startswith("linux/") and "/" not in a.tag_suffix for a in arches)


def test_buildx_needs_the_docker_engine() -> None:
    with pytest.raises(ConfigError, match=r"^builder: buildx is a docker plugin"):
        validate({"image": "org/app", "engine": "podman", "builder": "buildx"})


def test_ci_defaults_to_none_and_accepts_both() -> None:
    assert validate({"image": "org/app"}).ci == ()
    config = validate({"image": "org/app", "ci": ["gitlab", "github"]})
    assert config.ci == ("gitlab", "github")
    assert config.template_context()["ci"] == ["gitlab", "github"]
