"""copier.yml's questions come from the settings table: up to date, and refusing alike.

scripts/gen_copier.py writes them from SETTINGS in mkmultiarch.render.settings. These tests
fail when copier.yml was edited by hand or the table changed without re-running the script,
and check that every generated validator, rendered the way Copier renders it, refuses exactly
what the Python validator refuses (test_copier.py runs real `copier copy` on the shared bad
values).
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import jinja2
import pytest
import yaml
from jinja2.sandbox import SandboxedEnvironment

from mkmultiarch.render.config import FIELDS, SETTING, SETTINGS, Config, ConfigError, validate
from tests.support.bad_values import BAD_VALUES
from tests.support.paths import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "gen_copier.py"
QUESTIONS: dict[str, Any] = yaml.safe_load((REPO_ROOT / "copier.yml").read_text())
# Copier's own environment for validators: sandboxed, with the Ansible filters (regex_search).
JINJA = SandboxedEnvironment(
    extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
    undefined=jinja2.StrictUndefined,
)
PATTERNED = [s.name for s in SETTINGS if s.pattern is not None]


def test_copier_yml_is_what_the_script_writes() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, (
        "copier.yml is stale: run `python scripts/gen_copier.py` and commit it\n" + result.stderr
    )


def test_the_questions_are_the_settings_in_order() -> None:
    questions = [
        name
        for name in QUESTIONS
        if not name.startswith("_") and name not in ("scaffold", "images")
    ]
    # images: not asked (yet), an empty list for the shared templates.
    assert QUESTIONS["images"] == {"type": "yaml", "default": [], "when": False}
    assert questions == [s.name for s in SETTINGS]
    # Every multiarch.yaml setting is in the table, in Config's order; go_module is the
    # scaffold's own question. images (a list of mappings, render/images.py) is the one
    # setting outside the table: Copier does not ask it yet (docs/design-multi-image.md).
    assert (*(s.name for s in SETTINGS if not s.scaffold_only), "images") == FIELDS
    assert [s.name for s in SETTINGS if s.scaffold_only] == ["go_module", "schema_url"]


def test_config_defaults_are_the_tables() -> None:
    defaults = Config(image="org/app")
    for setting in SETTINGS:
        if not setting.scaffold_only and setting.default is not None:
            assert getattr(defaults, setting.name) == setting.default, setting.name


def copier_refusal(name: str, value: Any, answers: dict[str, Any] | None = None) -> str:
    """The message the question's validator renders for `value` ("" accepts it)."""
    template = JINJA.from_string(QUESTIONS[name]["validator"])
    defaults = {"engine": "docker", "language": "go"}
    return template.render({**defaults, **(answers or {}), name: value}).strip()


def python_refuses(name: str, value: Any) -> bool:
    try:
        validate({"image": "org/app", name: value})
    except ConfigError as error:
        assert str(error).startswith(f"{name}:"), error
        return True
    return False


def samples(name: str) -> list[str]:
    """Good and bad values of one patterned setting, each also with a trailing newline."""
    setting = SETTING[name]
    good = [v for v in (setting.default, "org/app", "1.2.3", "x") if isinstance(v, str) and v]
    bad = [v for field, v in BAD_VALUES if field == name and isinstance(v, str)]
    values = [*good, *bad, "", " ", "a b", "$(id)"]
    return values + [v + "\n" for v in values] + ["\n" + v for v in values if v]


@pytest.mark.parametrize("name", [n for n in PATTERNED if not SETTING[n].scaffold_only])
def test_each_validator_refuses_what_python_refuses(name: str) -> None:
    setting = SETTING[name]
    for value in samples(name):
        if value == "" and (setting.default is None or setting.copier_default):
            continue  # Python reads "" as not given (required, or derived); Copier asks again
        message = copier_refusal(name, value)
        assert bool(message) is python_refuses(name, value), (name, value, message)
        if message:  # the pattern's refusal, or the cross-setting one (refuse_when)
            assert message in (f"{name}: {setting.allowed}", f"{name}: {setting.refusal}")


# A good value of each patterned setting whose default is empty or derived.
GOOD = {
    "image": "org/app",
    "go_image": "golang:1.23",
    "binary": "app",
    "source": "https://github.com/org/app",
    "go_module": "example.com/org/app",
    "extra_build_args": "HTTP_PROXY=http://proxy:3128 FLAVOUR=slim",
}


@pytest.mark.parametrize("name", PATTERNED)
def test_no_validator_lets_a_trailing_newline_through(name: str) -> None:
    """Jinja's regex_search is re.search, where `$` also matches before a final newline."""
    good = GOOD.get(name, SETTING[name].default)
    assert isinstance(good, str) and good, name
    assert copier_refusal(name, good) == ""
    assert copier_refusal(name, good + "\n") == f"{name}: {SETTING[name].allowed}"


def test_multiselect_and_cross_setting_validators() -> None:
    refusal = copier_refusal("extra_build_args", "GO_IMAGE=x", {"language": "go"})
    assert refusal == f"extra_build_args: {SETTING['extra_build_args'].refusal}"
    assert copier_refusal("extra_build_args", "GO_IMAGE=x", {"language": "dockerfile"}) == ""
    assert copier_refusal("arches", []) == "arches: choose at least one arch"
    assert copier_refusal("arches", ["amd64", "amd64"]) == "arches: list each arch once"
    assert copier_refusal("arches", ["amd64"]) == ""
    assert copier_refusal("ci", []) == ""
    refusal = copier_refusal("builder", "buildx", {"engine": "podman"})
    assert refusal == f"builder: {SETTING['builder'].refusal}"
    with pytest.raises(ConfigError) as raised:
        validate({"image": "org/app", "engine": "podman", "builder": "buildx"})
    assert str(raised.value) == refusal
