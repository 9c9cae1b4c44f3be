"""Hostile multiarch.yaml files and Copier answers: refused in one line, never a hang.

Each case runs the real CLI in a child process limited to 512 MiB of address
space and 30 seconds (tests/support/cli.py): an alias bomb that expanded, a
read that waited on a FIFO or a value echoed whole would fail the test.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from mkmultiarch.render.config import (
    MAX_CONFIG_BYTES,
    SETTING,
    SETTINGS,
    ConfigError,
    parse,
    printable,
    shown,
    validate,
)
from tests.support.bad_values import BAD_VALUES
from tests.support.cli import refusal, run_cli

# Nine levels of nine: 9**9 (387 million) strings from about 700 bytes.
BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)
HUGE_INT = "9" * 5000

# (name, file content, what the one line must name)
HOSTILE_FILES: list[tuple[str, bytes, str]] = [
    ("alias bomb", (BILLION_LAUGHS + "image: *i\n").encode(), "aliases"),
    ("anchor alone", b"image: &x org/app\n", "anchors"),
    ("merge key", b"image: org/app\n<<: {version: x}\n", "merge keys"),
    ("explicit tag", b"image: org/app\nversion: !!binary aGVsbG8=\n", "tags"),
    ("nested deep", b"image: " + b"[" * 30000 + b"]" * 30000 + b"\n", "nested"),
    ("not UTF-8", b"image: org/app\nversion: \xff\xfe\n", "not UTF-8 text (byte 24)"),
    ("control character", b"image: org/app\nversion: '1\x01'\n", "special character \\x01"),
    (
        "duplicate key",
        b"image: org/app\nversion: '1'\nimage: org/b\n",
        "image: set twice (lines 1 and 3)",
    ),
    ("duplicate nested key", b"image: org/app\narches: {a: 1, a: 2}\n", "arches: 'a' is set twice"),
    ("hex int", b"image: org/app\nversion: 0x10\n", "version: 0x10 is a YAML 1.1 number"),
    ("octal int", b"image: org/app\nversion: 010\n", 'quote it, e.g. version: "010"'),
    ("binary int", b"image: org/app\nrevision: 0b101\n", "revision: 0b101 is a YAML 1.1"),
    ("underscore int", b"image: org/app\nversion: 1_000\n", "version: 1_000 is a YAML 1.1"),
    ("sexagesimal int", b"image: org/app\nversion: 1:30\n", 'version: "1:30"'),
    ("signed int", b"image: org/app\nversion: +5\n", "version: +5 is a YAML 1.1"),
    ("int in a list", b"image: org/app\narches: [0x182]\n", "arches: 0x182 is a YAML 1.1"),
    ("huge int", f"image: org/app\nversion: {HUGE_INT}\n".encode(), "version: a number of 5000"),
    ("huge int key", f"image: org/app\n{HUGE_INT[:1000]}: 1\n".encode(), "setting name must be"),
    ("huge int top level", f"{HUGE_INT}\n".encode(), "expected a mapping"),
    ("bad date", b"image: org/app\nversion: 2024-13-45\n", "version: 2024-13-45 is a YAML date"),
    ("yes for latest", b"image: org/app\nlatest: yes\n", "latest: yes is a YAML 1.1 boolean"),
    ("ANSI and newline", b'image: "org/app\\e[2J\\e[31mred\\nFOO=1"\n', "image: 'org/app\\x1b[2J"),
    ("long value", b"binary: " + b"a" * 50000 + b"\nimage: org/app\n", "binary: 'aaaa"),
    ("long unknown key", b"image: org/app\n" + b"k" * 1000 + b": 1\n", "unknown setting"),
    ("float", b"image: org/app\nversion: 1.10\n", "version: expected a string, got float"),
]


def write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("content", "named"),
    [pytest.param(content, named, id=name) for name, content, named in HOSTILE_FILES],
)
def test_hostile_config_is_one_short_line_exit_2(
    tmp_path: Path, content: bytes, named: str
) -> None:
    config = write(tmp_path / "multiarch.yaml", content)
    line = refusal(run_cli("render", "--config", str(config)))
    assert named in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["multiarch.yaml"]  # nothing written


def test_a_10_mb_file_is_refused_by_its_size(tmp_path: Path) -> None:
    config = write(tmp_path / "big.yaml", b"image: org/app\n#" + b"x" * 10_000_000 + b"\n")
    line = refusal(run_cli("render", "--config", str(config)))
    assert f"{config}: larger than 64 KiB" in line


def test_a_file_just_over_the_limit_is_refused_and_one_at_the_limit_is_read(
    tmp_path: Path,
) -> None:
    head = b"image: org/app\n#"
    at_limit = write(tmp_path / "at.yaml", head + b"x" * (MAX_CONFIG_BYTES - len(head) - 1) + b"\n")
    assert at_limit.stat().st_size == MAX_CONFIG_BYTES
    assert run_cli("render", "--check", "--config", str(at_limit)).returncode == 1  # stale: read
    over = write(tmp_path / "over.yaml", at_limit.read_bytes() + b"\n")
    assert "larger than 64 KiB" in refusal(run_cli("render", "--config", str(over)))


def test_dev_zero_is_refused_without_reading_it() -> None:
    line = refusal(run_cli("render", "--config", "/dev/zero"))
    assert "/dev/zero: not a regular file" in line


def test_a_fifo_is_refused_without_opening_it(tmp_path: Path) -> None:
    fifo = tmp_path / "multiarch.yaml"
    os.mkfifo(fifo)  # no writer: a blocking open would wait for ever (the timeout fails it)
    for command in ("render", "doctor"):
        line = refusal(run_cli(command, "--config", str(fifo)))
        assert f"{fifo}: not a regular file" in line


def test_a_directory_as_config_is_one_line(tmp_path: Path) -> None:
    line = refusal(run_cli("render", "--config", str(tmp_path)))
    assert f"{tmp_path}: is a directory" in line


def test_an_unreadable_path_is_one_line(tmp_path: Path) -> None:
    blocker = write(tmp_path / "file", b"")
    line = refusal(run_cli("render", "--config", str(blocker / "multiarch.yaml")))
    assert "no such file" in line


def test_a_path_with_control_characters_is_escaped(tmp_path: Path) -> None:
    config = write(tmp_path / "multi\x1b[31march.yaml", b"image: org/app\nimage: x\n")
    line = refusal(run_cli("render", "--config", str(config)))
    assert "image: set twice" in line
    missing = refusal(run_cli("render", "--config", str(tmp_path / "no\x1b[2Jpe.yaml")))
    assert "no\\x1b[2Jpe.yaml: no such file" in missing


def test_plain_decimal_numbers_are_still_read_as_their_text() -> None:
    config = parse("image: org/app\nversion: 10\nrevision: 0\narches: [386, amd64]\n")
    assert (config.version, config.revision, config.arches) == ("10", "0", ("386", "amd64"))
    assert parse('image: org/app\nversion: "0x10"\n').version == "0x10"  # quoted: kept


def test_the_yaml_1_1_forms_are_refused_in_process_too() -> None:
    for form in ("0x10", "010", "0b1", "1_000", "1:30", "+5", "-0"):
        expected = rf'^version: .*quote it, e.g. version: "{re.escape(form)}"\Z'
        with pytest.raises(ConfigError, match=expected):
            parse(f"image: org/app\nversion: {form}\n")


def test_shown_cuts_and_escapes() -> None:
    assert shown("a" * 100) == "'" + "a" * 60 + "…'"
    assert shown("x\x1b[0m\n") == "'x\\x1b[0m\\n'"
    assert shown(10**5000) == "a number of about 5000 digits"
    assert shown(list(range(100))) == "a list of 100 items"
    assert printable("\u202eevil") == "\\u202eevil"  # right-to-left override


# Copier: the questions it does not ask (`when` false) must not let a value through either.

# An answer that makes each conditional question unasked.
UNASKED_WHEN: dict[str, dict[str, str]] = {
    "language == 'go'": {"language": "dockerfile"},
    "language == 'dockerfile'": {"language": "go"},
    "engine == 'docker'": {"engine": "podman"},
    "ci | length > 0": {},
    "'github' in ci": {"ci": "[gitlab]"},
    "'gitlab' in ci": {"ci": "[github]"},
    "false": {},  # never asked (schema_url)
}
# Per conditional setting: a shell injection, and its first value from BAD_VALUES (or a
# space; builder's buildx, refused with engine podman).
HIDDEN_BAD_VALUES = [
    (setting.name, value)
    for setting in SETTINGS
    if setting.asked_when
    for value in [
        "x;id" if setting.pattern else "kaniko",
        next(
            (v for f, v in BAD_VALUES if f == setting.name and isinstance(v, str)),
            "a b" if setting.pattern else "buildx",
        ),
    ]
]


def copier_copy(
    template: Path, destination: Path, data: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """`copier copy --defaults` with DATA as --data NAME=VALUE, as a user would run it."""
    options = [item for name, value in data.items() for item in ("--data", f"{name}={value}")]
    return subprocess.run(
        ["copier", "copy", "--defaults", "--quiet", *options, str(template), str(destination)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def test_every_conditional_question_has_a_default() -> None:
    """Copier validates --data for an unasked question only when it has a default."""
    for setting in SETTINGS:
        if setting.asked_when:
            assert setting.default is not None or setting.copier_default, setting.name
            assert setting.asked_when in UNASKED_WHEN, setting.asked_when


@pytest.mark.parametrize(("name", "value"), HIDDEN_BAD_VALUES)
def test_copier_refuses_a_bad_value_for_a_question_it_does_not_ask(
    template_repo: Path, tmp_path: Path, name: str, value: str
) -> None:
    hidden = UNASKED_WHEN[SETTING[name].asked_when]
    result = copier_copy(
        template_repo, tmp_path / "out", {"image": "org/app", **hidden, name: value}
    )
    assert result.returncode != 0, (name, value)
    assert f"'{name}'" in result.stderr.splitlines()[-1], result.stderr[-500:]
    assert not (tmp_path / "out" / "Makefile").exists()


def test_copier_refuses_an_image_whose_default_binary_the_cli_refuses(
    template_repo: Path, tmp_path: Path
) -> None:
    """Copier leaves the derived binary unvalidated when it does not ask it (language dockerfile)
    but writes it to multiarch.yaml: the image question refuses it instead, as the CLI does."""
    image = "org/" + "a" * 65
    for language in ("dockerfile", "go"):
        result = copier_copy(
            template_repo, tmp_path / language, {"image": image, "language": language}
        )
        assert result.returncode != 0
        assert "image: its last part is the default binary name" in result.stderr
        assert not (tmp_path / language).exists()
        with pytest.raises(ConfigError, match=r"^binary: 'a{60}…' is not allowed"):
            validate({"image": image, "language": language})
    # With binary set, both accept it, and the scaffold renders up to date.
    result = copier_copy(template_repo, tmp_path / "ok", {"image": image, "binary": "app"})
    assert result.returncode == 0, result.stderr
    check = run_cli("render", "--check", "--config", str(tmp_path / "ok" / "multiarch.yaml"))
    assert check.returncode == 0, check.stderr
