"""One error model: every error's exit code, one line on stderr, no traceback ever."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mkmultiarch import cli
from mkmultiarch.errors import (
    EXIT_CODES,
    BadInputError,
    CannotCheckError,
    ExitCode,
    MkmultiarchError,
    ProblemsFoundError,
)
from mkmultiarch.inspect.credentials import CredentialsError
from mkmultiarch.inspect.elf import NotElfError
from mkmultiarch.inspect.imageref import ImageRefError
from mkmultiarch.inspect.layers import LayerError
from mkmultiarch.inspect.registry import AuthError, NotFoundError, RegistryError, UnreachableError
from mkmultiarch.inspect.verify import VerifyInputError
from mkmultiarch.render.config import ConfigError
from tests.support.paths import REPO_ROOT

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli.app, list(args), env={"COLUMNS": "200", "NO_COLOR": "1"})
    return result.exit_code, result.stdout, result.stderr


def one_line(err: str) -> str:
    """STDERR's only line, which must be `mkmultiarch: ...`."""
    assert "Traceback" not in err
    (line,) = err.splitlines()
    assert line.startswith("mkmultiarch: ")
    return line


@pytest.mark.parametrize(
    ("error", "category", "code"),
    [
        (ConfigError, BadInputError, 2),
        (ImageRefError, BadInputError, 2),
        (VerifyInputError, BadInputError, 2),
        (CredentialsError, CannotCheckError, 2),
        (RegistryError, CannotCheckError, 2),
        (UnreachableError, CannotCheckError, 2),
        (NotFoundError, CannotCheckError, 2),
        (AuthError, CannotCheckError, 2),
        (LayerError, CannotCheckError, 2),
        (NotElfError, ProblemsFoundError, 1),
    ],
)
def test_every_error_is_in_one_category_with_its_code(
    error: type[MkmultiarchError], category: type[MkmultiarchError], code: int
) -> None:
    assert issubclass(error, category)
    assert error("x").exit_code == code


def test_the_scheme() -> None:
    assert [int(code) for code in ExitCode] == [0, 1, 2, 3, 130]
    assert set(EXIT_CODES) == set(ExitCode)


def test_readme_and_help_show_the_scheme() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    for code, meaning in EXIT_CODES.items():
        assert f"| {int(code)} | {meaning} |" in readme
    for args in (["--help"], ["render", "--help"], ["verify", "--help"]):
        exit_code, out, _ = run(*args)
        assert exit_code == 0 and "Exit codes:" in out and "internal error" in out


def test_ok_is_0(tmp_path: Path) -> None:
    config = tmp_path / "multiarch.yaml"
    assert run("init", "--config", str(config))[0] == 0
    assert run("render", "--config", str(config))[0] == 0


def test_problems_found_is_1(tmp_path: Path) -> None:
    config = tmp_path / "multiarch.yaml"
    run("init", "--config", str(config))
    code, _, err = run("render", "--config", str(config), "--check")
    assert code == 1
    assert one_line(err).endswith("file(s) out of date; run `mkmultiarch render` to update them")


def test_bad_input_is_2(tmp_path: Path) -> None:
    code, _, err = run("render", "--config", str(tmp_path / "none.yaml"))
    assert code == 2 and "no such file" in one_line(err)
    code, _, err = run("init", "--config", str(tmp_path / "m.yaml"), "--image", "Not Valid")
    assert code == 2 and one_line(err).startswith("mkmultiarch: --image: image:")
    code, _, err = run("verify", "localhost:1/org/app:1.0", "--arch", "mips")
    assert code == 2 and "--arch: 'mips' is not supported" in one_line(err)


def test_could_not_check_is_2() -> None:
    code, _, err = run("verify", "127.0.0.1:1/org/app:1.0", "--insecure")
    assert code == 2 and "cannot check 127.0.0.1:1/org/app:1.0: cannot connect" in one_line(err)


def test_config_not_utf8_is_bad_input(tmp_path: Path) -> None:
    config = tmp_path / "multiarch.yaml"
    config.write_bytes(b"image: org/app\n# \xff\n")
    code, _, err = run("render", "--config", str(config))
    assert code == 2 and "not UTF-8 text" in one_line(err)


def test_os_error_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code, _, err = run("init", "--config", str(blocker / "multiarch.yaml"))
    assert code == 2
    assert one_line(err) == f"mkmultiarch: {blocker}: File exists"


def test_unreadable_config_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A config the user may not read (root reads anything, so the OS error is simulated)."""
    config = tmp_path / "multiarch.yaml"
    config.write_text("image: org/app\n")

    real_open = os.open

    def refuse(path: str | os.PathLike[str], *args: Any, **kwargs: Any) -> int:
        if Path(path) == config:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    code, _, err = run("render", "--config", str(config))
    assert code == 2
    assert one_line(err) == f"mkmultiarch: {config}: Permission denied"


def test_unexpected_exception_is_one_line_and_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(cli, "render", broken)
    config = tmp_path / "multiarch.yaml"
    config.write_text("image: org/app\n")
    code, _, err = run("render", "--config", str(config))
    assert code == ExitCode.INTERNAL_ERROR.value == 3
    assert (
        one_line(err)
        == "mkmultiarch: internal error, please report it: RuntimeError: boom second line"
    )


def test_ctrl_c_is_130(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "render", interrupted)
    config = tmp_path / "multiarch.yaml"
    config.write_text("image: org/app\n")
    code, _, err = run("render", "--config", str(config))
    assert code == 130 and "Traceback" not in err


def test_a_real_process_prints_no_traceback(tmp_path: Path) -> None:
    """The same through the installed entry point's code path, in its own process."""
    config = tmp_path / "multiarch.yaml"
    config.write_text("image: org/app\n")
    script = (
        "import sys\n"
        "from mkmultiarch import cli\n"
        "def broken(*args, **kwargs): raise ValueError('boom')\n"
        "cli.render = broken\n"
        "cli.app(prog_name='mkmultiarch')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, "render", "--config", str(config)],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )
    assert result.returncode == 3
    assert result.stderr == "mkmultiarch: internal error, please report it: ValueError: boom\n"
