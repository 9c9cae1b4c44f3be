"""The JSON Schema of multiarch.yaml agrees with the validator it is generated beside.

check-jsonschema (ECMA-262 regexes, as editors use) and Python's jsonschema (re.search)
accept every config the project ships or snapshots, and refuse every value of the shared
bad-values table, which validate() refuses too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mkmultiarch import __version__
from mkmultiarch.names import SCHEMA_FILE, SCHEMA_URL
from mkmultiarch.render.config import ConfigError, validate
from mkmultiarch.render.schema import schema, schema_text
from mkmultiarch.render.templates import render_starter_config
from tests.support.bad_values import BAD_VALUES
from tests.support.cli import run_cli
from tests.support.paths import EXAMPLE_PROJECT, REPO_ROOT
from tests.support.rendering import CONFIGS

COMMITTED = REPO_ROOT / SCHEMA_FILE
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")
# Valid configs in forms the shipped ones do not use.
OTHER_VALID: list[dict[str, Any]] = [
    {"image": "org/app", "arches": "amd64 arm/v7", "version": 3, "revision": 12},
    {"image": "org/app", "go_image": "", "binary": "", "source": "", "ci": []},
    {"image": "org/app", "engine": "podman", "builder": "docker"},
]


def _check_jsonschema(instances: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--schemafile", str(COMMITTED), *map(str, instances)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _write(directory: Path, name: str, data: dict[str, Any]) -> Path:
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_the_committed_schema_is_the_generated_one() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == schema_text(), (
        f"{SCHEMA_FILE} is stale: run `mkmultiarch schema > {SCHEMA_FILE}` and commit it"
    )


def test_schema_command_prints_it() -> None:
    result = run_cli("schema")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == schema()
    assert schema()["$id"] == SCHEMA_URL


def test_starter_config_names_the_schema() -> None:
    first = render_starter_config(validate({"image": "org/app"})).splitlines()[0]
    assert first == f"# yaml-language-server: $schema={SCHEMA_URL}"
    assert SCHEMA_URL.endswith(f"/v{__version__}/{SCHEMA_FILE}")


def test_every_shipped_and_snapshot_config_is_valid(tmp_path: Path) -> None:
    instances = [EXAMPLE_PROJECT / "multiarch.yaml"]
    for name, data in sorted(CONFIGS.items()):
        validate(data)  # the validator accepts it, so the schema must
        instances.append(_write(tmp_path, f"snapshot-{name}", data))
    for index, data in enumerate(OTHER_VALID):
        validate(data)
        instances.append(_write(tmp_path, f"other-{index}", data))
    starter = tmp_path / "starter.yaml"
    starter.write_text(render_starter_config(validate({"image": "org/app"})), encoding="utf-8")
    instances.append(starter)
    result = _check_jsonschema(instances)
    assert result.returncode == 0, result.stdout + result.stderr


def _bad_config(field: str, value: Any) -> dict[str, Any]:
    return {"image": "org/app", field: value} if field != "image" else {"image": value}


def test_check_jsonschema_refuses_every_bad_value(tmp_path: Path) -> None:
    paths = []
    for index, (field, value) in enumerate(BAD_VALUES):
        with pytest.raises(ConfigError):
            validate(_bad_config(field, value))
        paths.append(_write(tmp_path, f"bad-{index}", _bad_config(field, value)))
    result = _check_jsonschema(paths)
    assert result.returncode == 1
    accepted = [
        BAD_VALUES[index] for index, path in enumerate(paths) if f"{path}::" not in result.stdout
    ]
    assert accepted == [], result.stdout


@pytest.mark.parametrize(("field", "value"), BAD_VALUES)
def test_python_jsonschema_refuses_it_too(field: str, value: Any) -> None:
    """re.search semantics (where `$` alone would let "app\\n" through) agree with ECMA's."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    errors = list(validator.iter_errors(_bad_config(field, value)))
    assert errors, (field, value)


@pytest.mark.parametrize(
    "data",
    [
        {"image": "org/app", "unknown": 1},
        {"registry": "docker.io"},
        {"image": "org/app", "version": 1.1},
        {"image": "org/app", "latest": "yes"},
        {"image": "org/app", "engine": "podman", "builder": "buildx"},
        {"image": "org/app", "arches": "amd64 armv7"},
        {"image": "org/app", "go_main": None},
    ],
)
def test_both_refuse_the_shapes_yaml_gets_wrong(data: dict[str, Any]) -> None:
    import jsonschema

    with pytest.raises(ConfigError):
        validate(data)
    assert list(jsonschema.Draft202012Validator(schema()).iter_errors(data)), data


def test_the_copier_scaffold_names_the_schema_and_is_valid(
    template_repo: Path, tmp_path: Path
) -> None:
    import copier

    copier.run_copy(
        str(template_repo),
        str(tmp_path),
        data={"image": "acme/hello", "arches": ["amd64", "arm/v7"]},
        defaults=True,
        unsafe=False,
        quiet=True,
    )
    config = tmp_path / "multiarch.yaml"
    first = config.read_text(encoding="utf-8").splitlines()[0]
    assert first == f"# yaml-language-server: $schema={SCHEMA_URL}"
    answers = yaml.safe_load((tmp_path / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert "schema_url" not in answers  # never asked, never recorded
    result = _check_jsonschema([config])
    assert result.returncode == 0, result.stdout + result.stderr
