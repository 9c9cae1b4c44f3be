"""`images:` in multiarch.yaml (issue #18): several images, each checked, each refusal naming it.

validate() and the JSON Schema must agree: what one refuses the other refuses.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from mkmultiarch.render.config import ConfigError, validate
from mkmultiarch.render.schema import schema
from tests.support.bad_values import BAD_ENTRIES
from tests.support.rendering import CONFIGS

MULTI: dict[str, Any] = CONFIGS["multi"]


def _with_entry(**changes: Any) -> dict[str, Any]:
    """MULTI with its second image (worker) changed; a None value removes the key."""
    entries = [dict(entry) for entry in MULTI["images"]]
    entries[1].update(changes)
    entries[1] = {key: value for key, value in entries[1].items() if value is not None}
    return {**MULTI, "images": entries}


def _schema_errors(data: dict[str, Any]) -> list[Any]:
    return list(jsonschema.Draft202012Validator(schema()).iter_errors(data))


def test_several_images_get_their_defaults_and_shared_settings() -> None:
    config = validate(MULTI)
    assert [image.name for image in config.images] == ["server", "worker", "cli"]
    server, worker, cli = config.images
    assert (server.go_main, server.binary) == ("./cmd/server", "server")
    assert (worker.image, worker.go_main, worker.binary) == ("team/worker", "./cmd/work", "wrk")
    assert worker.arches == ("amd64", "arm64")  # its own
    assert cli.arches == ("amd64", "arm64", "arm/v7", "riscv64")  # the config's
    assert cli.runtime_image == "gcr.io/distroless/static:nonroot"  # its own
    assert server.runtime_image == "scratch"  # the config's default
    # The one-image fields hold the first image's, for code that knows one image only.
    assert (config.image, config.binary) == ("team/server", "server")
    context = config.template_context()
    assert context["images"][1]["arches"] == ["amd64", "arm64"]
    assert not _schema_errors(MULTI)


def test_a_one_image_config_is_unchanged() -> None:
    config = validate(CONFIGS["seed"])
    assert config.images == ()
    assert config.template_context()["images"] == []


@pytest.mark.parametrize(("changes", "message"), BAD_ENTRIES)
def test_a_bad_entry_is_refused_naming_the_image(changes: dict[str, Any], message: str) -> None:
    data = _with_entry(**changes)
    with pytest.raises(ConfigError) as refusal:
        validate(data)
    assert str(refusal.value).startswith(message), str(refusal.value)
    assert "\n" not in str(refusal.value)
    if "is also" not in message and "would" not in message:  # cross-entry rules: Python's
        assert _schema_errors(data), data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({**MULTI, "image": "team/app"}, "image: with images, each image sets its own"),
        ({**MULTI, "go_main": "./x"}, "go_main: with images, each image sets its own"),
        ({**MULTI, "images": []}, "images: expected a non-empty list"),
        ({**MULTI, "images": "server"}, "images: expected a non-empty list"),
        ({**MULTI, "images": ["server"]}, "images[0]: expected a mapping"),
        ({**MULTI, "images": [{"name": "s", "image": "o/s"}] * 33}, "images: at most 32"),
        ({**MULTI, "arches": ["amd64", "x"]}, "arches: 'x' is not supported"),
    ],
)
def test_a_bad_images_list_is_refused(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as refusal:
        validate(data)
    assert str(refusal.value).startswith(message), str(refusal.value)
    assert _schema_errors(data), data


def test_images_take_ci_like_one_image() -> None:
    """The workflows build every image (issue #18 point 4): ci is no longer refused."""
    data = {**MULTI, "ci": ["github", "gitlab"], "ci_strategy": "emulated"}
    config = validate(data)
    assert config.ci == ("github", "gitlab") and len(config.images) == 3
    assert not _schema_errors(data)


def test_language_dockerfile_images_take_a_dockerfile_and_no_go_settings() -> None:
    data = {
        "language": "dockerfile",
        "images": [
            {"name": "api", "image": "acme/api", "dockerfile": "api/Dockerfile"},
            {"name": "web", "image": "acme/web"},
        ],
    }
    config = validate(data)
    assert [image.dockerfile for image in config.images] == ["api/Dockerfile", "Dockerfile"]
    assert not _schema_errors(data)
    bad = {**data, "images": [{"name": "api", "image": "acme/api", "go_main": "./cmd/api"}]}
    with pytest.raises(ConfigError, match=r"^images\[api\]\.go_main: not a setting"):
        validate(bad)
