"""Shell completion, as typer apps offer it: --show-completion prints a script that works."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

MKMULTIARCH = Path(sys.executable).with_name("mkmultiarch")


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MKMULTIARCH), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
        env={**os.environ, **(env or {})},
    )


def test_show_completion_bash_prints_a_bash_completion_script() -> None:
    # --show-completion is a flag: typer finds the shell by walking up the process tree, so
    # run it from bash as a user's terminal does (a test runner started without a shell
    # above it, e.g. a detached job, would otherwise get "Shell  not supported").
    result = subprocess.run(
        ["bash", "-c", f"{MKMULTIARCH} --show-completion; exit $?"],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "_mkmultiarch_completion()" in result.stdout
    assert "complete -o default -F _mkmultiarch_completion mkmultiarch" in result.stdout
    # The script is valid bash.
    checked = subprocess.run(
        ["bash", "-n"], input=result.stdout, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr


def test_the_completion_answers_commands_and_options() -> None:
    """What the script asks the program (bash's COMP_WORDS) gets the commands and options."""

    def complete(words: str) -> list[str]:
        env = {
            "_MKMULTIARCH_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split()) - 1),
        }
        result = _run(env=env)
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    assert complete("mkmultiarch re") == ["render"]
    assert "schema" in complete("mkmultiarch s")
    assert complete("mkmultiarch render --ch") == ["--check"]


def test_install_completion_is_offered() -> None:
    result = _run("--help")
    assert "--install-completion" in result.stdout
    assert "--show-completion" in result.stdout
