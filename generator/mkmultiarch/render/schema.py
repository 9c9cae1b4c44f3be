"""A JSON Schema of multiarch.yaml, generated from SETTINGS, for editors.

Generated, not written beside the validator: the patterns, choices and defaults are the
settings table's own, so the schema cannot drift from what `render` accepts. It is printed
by `mkmultiarch schema`, committed as multiarch.schema.json at the repository root (a test
checks it is current), and named by the `# yaml-language-server: $schema=` line that
`init` and the Copier scaffold write.

Patterns: Python's `\\Z` (true end of text) does not exist in ECMA-262, the dialect of JSON
Schema. `$(?!\\n)` means the true end in both: ECMA's `$` already is, and Python's `$`,
which also matches before a final newline, is kept off it by the lookahead. Editors and
check-jsonschema (ECMA) and Python's jsonschema (re.search) then all refuse "app\\n".
"""

from __future__ import annotations

import json
import re
from typing import Any

from mkmultiarch import __version__
from mkmultiarch.names import SCHEMA_FILE, SCHEMA_URL
from mkmultiarch.render.images import (
    GO_ONLY,
    IMAGE_KEYS,
    IMAGE_NAME,
    MAX_IMAGES,
    MAX_NAME_LENGTH,
    RESERVED_NAMES,
    TOP_LEVEL_PER_IMAGE,
)
from mkmultiarch.render.settings import GO_BUILD_ARG_NAMES, SETTINGS, Setting

__all__ = ["SCHEMA_FILE", "SCHEMA_URL", "ecma_pattern", "schema", "schema_text"]
# Settings whose empty value means "derived" (go_image from go_version, binary from image).
_EMPTY_MEANS_DERIVED = frozenset({"go_image", "binary"})
# Settings a YAML integer is accepted for (validate() reads it as its digits).
_NUMBERS_OK = frozenset({"version", "revision"})


def ecma_pattern(pattern: re.Pattern[str]) -> str:
    """PATTERN's text with its `\\Z` anchor written so ECMA-262 and Python agree."""
    text = pattern.pattern
    assert text.endswith("\\Z"), text
    return text.removesuffix("\\Z") + "$(?!\\n)"


def _several(setting: Setting) -> dict[str, Any]:
    """A multiselect: a list of its choices, each once (or the space-separated string form)."""
    items = {"enum": list(setting.choices)}
    words = "|".join(re.escape(choice) for choice in setting.choices)
    as_list: dict[str, Any] = {"type": "array", "items": items, "uniqueItems": True}
    if setting.at_least_one:
        as_list["minItems"] = 1
    as_text = {"type": "string", "pattern": f"^ *(?:(?:{words})(?: +|$(?!\\n)))+$(?!\\n)"}
    if not setting.at_least_one:
        as_text["pattern"] = f"^ *(?:(?:{words})(?: +|$(?!\\n)))*$(?!\\n)"
    return {"anyOf": [as_list, as_text]}


def _property(setting: Setting) -> dict[str, Any]:
    schema: dict[str, Any] = {"description": setting.help}
    if isinstance(setting.default, bool):
        schema["type"] = "boolean"
    elif setting.multiselect:
        schema.update(_several(setting))
    elif setting.choices:
        schema["enum"] = list(setting.choices)
    elif setting.pattern is not None:
        text = {"type": "string", "pattern": ecma_pattern(setting.pattern)}
        if setting.name in _EMPTY_MEANS_DERIVED:
            schema["anyOf"] = [text, {"const": ""}]
        elif setting.name in _NUMBERS_OK:
            schema["anyOf"] = [text, {"type": "integer", "minimum": 0}]
        else:
            schema.update(text)
    if isinstance(setting.default, tuple):
        schema["default"] = list(setting.default)
    elif setting.default not in (None, ""):
        schema["default"] = setting.default
    return schema


def _images(properties: dict[str, Any]) -> dict[str, Any]:
    """`images:` (render/images.py): each entry's keys take the top-level setting's schema."""
    entry = {key: properties[key] for key in IMAGE_KEYS if key in properties}
    entry["name"] = {
        "description": "The image's name in make targets (docker-build-NAME) and IMAGES",
        "type": "string",
        "maxLength": MAX_NAME_LENGTH,
        "pattern": ecma_pattern(IMAGE_NAME),
        "not": {"enum": sorted(RESERVED_NAMES)},
    }
    entry["go_main"] = {**entry["go_main"], "default": "./cmd/NAME"}
    entry["binary"] = {**entry["binary"], "default": "NAME"}
    return {
        "description": "Several images from this repository, each multi-arch; instead of "
        "image, go_main, binary and dockerfile",
        "type": "array",
        "minItems": 1,
        "maxItems": MAX_IMAGES,
        "items": {
            "type": "object",
            "required": ["name", "image"],
            "additionalProperties": False,
            "properties": {key: entry[key] for key in IMAGE_KEYS},
        },
    }


def _images_without(keys: tuple[str, ...]) -> dict[str, Any]:
    refused = {"anyOf": [{"required": [key]} for key in keys]}
    return {"properties": {"images": {"items": {"not": refused}}}}


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a multiarch.yaml."""
    settings = [setting for setting in SETTINGS if not setting.scaffold_only]
    properties = {setting.name: _property(setting) for setting in settings}
    properties["images"] = _images(properties)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_URL,
        "title": "mkmultiarch multiarch.yaml",
        "description": f"Settings of mkmultiarch {__version__} (generated from its SETTINGS).",
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
        # The cross-setting refusals validate() makes too (each Setting's refuse_when).
        "allOf": [
            {  # an image's own Dockerfile with language dockerfile, its Go settings with go
                "if": {
                    "required": ["language"],
                    "properties": {"language": {"const": "dockerfile"}},
                },
                "then": _images_without(GO_ONLY),
                "else": _images_without(("dockerfile",)),
            },
            {  # one image (image), or several (images) and then none of one image's keys
                "oneOf": [
                    {"required": ["image"], "not": {"required": ["images"]}},
                    {
                        "required": ["images"],
                        "not": {"anyOf": [{"required": [key]} for key in TOP_LEVEL_PER_IMAGE]},
                    },
                ]
            },
            {
                "not": {
                    "required": ["engine", "builder"],
                    "properties": {"engine": {"const": "podman"}, "builder": {"const": "buildx"}},
                }
            },
            {
                "not": {  # language go is the default: an absent language is go
                    "required": ["extra_build_args"],
                    "properties": {
                        "language": {"const": "go"},
                        "extra_build_args": {"pattern": GO_BUILD_ARG_NAMES.pattern},
                    },
                }
            },
        ],
    }


def schema_text() -> str:
    """The schema as the committed file holds it: indented JSON, one trailing newline."""
    return json.dumps(schema(), indent=2) + "\n"
