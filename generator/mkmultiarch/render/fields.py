"""Reading one setting's value from raw YAML data: its type, then its pattern or choices.

Shared by the top-level settings (config) and each image's (images): a refusal starts with
the field's name, which the caller may prefix (`images[worker].go_main: ...`).
"""

from __future__ import annotations

from typing import Any

from mkmultiarch.render.refusal import ConfigError, shown
from mkmultiarch.render.settings import SETTING, SETTINGS

# Config's defaults, from the table.
_DEFAULTS: dict[str, Any] = {setting.name: setting.default for setting in SETTINGS}


def _text(data: dict[str, Any], field: str, default: str, *, numbers_ok: bool = False) -> str:
    """Read a string field; YAML turns `1.10` into a float, so floats are refused loudly."""
    value = data.get(field, default)
    if isinstance(value, bool) or value is None:
        raise ConfigError(f"{field}: expected a string, got {shown(value)}")
    if isinstance(value, int) and numbers_ok:
        return str(value)
    if not isinstance(value, str):
        raise ConfigError(
            f"{field}: expected a string, got {type(value).__name__} {shown(value)}; "
            f'quote it, e.g. {field}: "{shown(value, quoted=False)}"'
        )
    return value


def _check(field: str, value: str) -> str:
    """Refuse a value its setting's pattern does not match (re.search, as Copier does)."""
    setting = SETTING[field]
    assert setting.pattern is not None, field
    if setting.pattern.search(value) is None:
        raise ConfigError(f"{field}: {shown(value)} is not allowed; {setting.allowed}")
    return value


def _checked_text(data: dict[str, Any], field: str, *, numbers_ok: bool = False) -> str:
    return _check(field, _text(data, field, _DEFAULTS[field], numbers_ok=numbers_ok))


def _several(data: dict[str, Any], field: str) -> tuple[str, ...]:
    """A multiselect setting: a list (or a space-separated string) of its choices, each once."""
    setting = SETTING[field]
    value = data.get(field, list(_DEFAULTS[field]))
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list) or (setting.at_least_one and not value):
        example = ", ".join(setting.choices[:2])
        kind = "a non-empty list" if setting.at_least_one else "a list"
        raise ConfigError(
            f"{field}: expected {kind}, e.g. [{example}]; allowed: {' '.join(setting.choices)}"
        )
    seen: list[str] = []
    for choice in value:
        if isinstance(choice, int) and not isinstance(choice, bool):
            choice = str(choice)  # YAML reads a bare 386 as a number
        if not isinstance(choice, str) or choice not in setting.choices:
            raise ConfigError(f"{field}: {shown(choice)} is not supported; {setting.allowed}")
        if choice in seen:
            raise ConfigError(
                f"{field}: {shown(choice)} is listed twice; list each {setting.item} once"
            )
        seen.append(choice)
    return tuple(seen)


def _choice(data: dict[str, Any], field: str) -> str:
    setting = SETTING[field]
    value = data.get(field, _DEFAULTS[field])
    if value not in setting.choices:
        allowed = setting.allowed or f"use one of: {', '.join(setting.choices)}"
        raise ConfigError(f"{field}: {shown(value)} is not supported; {allowed}")
    return str(value)
