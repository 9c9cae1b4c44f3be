"""copier.yml's questions come from the settings table: up to date, and refusing alike.

scripts/gen_copier.py writes them from SETTINGS in mkmultiarch.render.settings. These tests
fail when copier.yml was edited by hand or the table changed without re-running the script,
and check that every generated validator, rendered the way Copier renders it, refuses exactly
what the Python validator refuses (test_copier.py runs real `copier copy` on the shared bad
values).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import jinja2
import pytest
import yaml
from jinja2.sandbox import SandboxedEnvironment

from mkmultiarch.render.config import FIELDS, SETTING, SETTINGS, Config, ConfigError, validate
from mkmultiarch.render.images import TOP_LEVEL_PER_IMAGE
from tests.support.bad_values import BAD_ENTRIES, BAD_VALUES
from tests.support.paths import REPO_ROOT
from tests.support.rendering import CONFIGS

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
    questions = [name for name in QUESTIONS if not name.startswith("_") and name != "scaffold"]
    # images first: image, go_main, binary and dockerfile are the first image's with it.
    assert questions == ["images", *(s.name for s in SETTINGS)]
    images = QUESTIONS["images"]
    assert (images["type"], images["default"]) == ("yaml", [])
    # Asked only when it came with the data (or the last answers): recorded then, so
    # `copier update` keeps it, and a one-image copy records no images: [].
    assert images["when"] == "{{ images is defined and (images | string) != '[]' }}"
    # Every multiarch.yaml setting is in the table, in Config's order; go_module is the
    # scaffold's own question. images (a list of mappings, render/images.py) is the one
    # setting outside the table: its validator comes from images.py.
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
    defaults = {"engine": "docker", "language": "go", "images": []}
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


# images: (issue #18). Copier's images validator refuses an entry the way validate() does,
# naming the image (images[NAME].KEY); the rules that depend on language are the language
# question's validator (Copier asks images before language).
MULTI: dict[str, Any] = CONFIGS["multi"]


def _with_entry(changes: dict[str, Any]) -> dict[str, Any]:
    """CONFIGS["multi"] with its second image (worker) changed; None removes a key."""
    entries = [dict(entry) for entry in MULTI["images"]]
    entries[1] = {k: v for k, v in {**entries[1], **changes}.items() if v is not None}
    return {**MULTI, "images": entries}


def copier_images_refusal(data: dict[str, Any]) -> str:
    """What Copier says about DATA's images: the images question, then language's."""
    message = copier_refusal("images", data["images"])
    if message:
        return message
    return copier_refusal("language", data.get("language", "go"), {"images": data["images"]})


def python_refusal(data: dict[str, Any]) -> str:
    try:
        validate(data)
    except ConfigError as error:
        return str(error)
    return ""


def assert_same_refusal(copier_says: str, python_says: str) -> None:
    """The same field named (images[NAME].KEY), and the same rule: Copier's text is the
    Python refusal's, without the echoed value ('x' is not allowed; ...)."""
    assert copier_says and python_says, (copier_says, python_says)
    field, _, rule = copier_says.partition(": ")
    assert python_says.startswith(f"{field}: "), (copier_says, python_says)
    python_rule = python_says.removeprefix(f"{field}: ")
    if rule.startswith("expected a string"):
        assert python_rule.startswith("expected a string"), (copier_says, python_says)
    else:
        assert python_rule.endswith(rule), (copier_says, python_says)


@pytest.mark.parametrize(("changes", "message"), BAD_ENTRIES)
def test_the_images_validator_refuses_each_bad_entry_as_python_does(
    changes: dict[str, Any], message: str
) -> None:
    data = _with_entry(changes)
    python_says = python_refusal(data)
    assert python_says.startswith(message)
    assert_same_refusal(copier_images_refusal(data), python_says)


@pytest.mark.parametrize(
    "images",
    [
        "server",
        None,
        {"name": "server", "image": "team/server"},
        ["server"],
        [{"image": "team/server"}],
        [{"name": "s", "image": "o/s"}] * 33,
        [{"name": "api", "image": "o/api", ("a", "b"): 1}],
    ],
)
def test_the_images_validator_refuses_bad_lists_as_python_does(images: Any) -> None:
    data = {**MULTI, "images": images}
    python_says = python_refusal(data)
    copier_says = copier_images_refusal(data)
    if "unknown setting" in python_says:  # a key that is no name is not echoed by Copier
        assert (
            copier_says
            == "images[api]: unknown setting of an image; allowed: "
            + (python_says.split("allowed: ")[1])
        )
    else:
        assert_same_refusal(copier_says, python_says)


def test_good_images_pass_both_and_an_empty_list_means_one_image() -> None:
    dockerfile = {
        "language": "dockerfile",
        "images": [
            {"name": "api", "image": "acme/api", "dockerfile": "api/Dockerfile"},
            {"name": "web", "image": "acme/web", "arches": "amd64 386"},
        ],
    }
    for data in (MULTI, dockerfile):
        assert python_refusal(data) == "" and copier_images_refusal(data) == ""
    # [] is Copier's default, one image (validate() refuses images: [] in a file).
    assert copier_images_refusal({"images": []}) == ""


@pytest.mark.parametrize(("key", "value"), [(k, f"./{k}") for k in TOP_LEVEL_PER_IMAGE])
def test_a_one_image_setting_given_with_images_is_refused_as_python_does(
    key: str, value: str
) -> None:
    """--data image=... with images: each image sets its own, in both."""
    data = {**MULTI, key: value}
    copier_says = copier_refusal(key, value, {"images": MULTI["images"]})
    assert copier_says == python_refusal(data)
    assert (
        copier_says == f"{key}: with images, each image sets its own: move it to images[NAME].{key}"
    )


@pytest.mark.parametrize(
    "images",
    [
        MULTI["images"],
        [{"name": "a", "image": "o/a", "binary": "", "arches": "amd64 arm64"}],
        [{"name": "b", "image": "o/b", "arches": [386, "arm/v7"], "runtime_image": "alpine"}],
    ],
)
def test_the_templates_fill_in_defaults_as_the_config_does(images: list[dict[str, Any]]) -> None:
    """Copier hands the templates the entries as written; templates/images-defaults.jinja-lib
    fills them in, and must give what Config.template_context() gives mkmultiarch render."""
    data = {"arches": ["amd64", "riscv64"], "runtime_image": "scratch", "images": images}
    expected = validate(data).template_context()["images"]
    environment = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(str(REPO_ROOT)), undefined=jinja2.StrictUndefined
    )
    template = environment.from_string(
        '{% import "templates/images-defaults.jinja-lib" as d with context %}'
        "{{ d.images | tojson }}"
    )
    assert json.loads(template.render(data)) == expected


def test_ci_with_images_is_accepted_as_python_does() -> None:
    """The CI workflows know several images: neither Copier nor validate() refuses ci."""
    data = {**MULTI, "ci": ["github"]}
    assert copier_refusal("ci", ["github"], {"images": MULTI["images"]}) == ""
    assert validate(data).ci == ("github",)
