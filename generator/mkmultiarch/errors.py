"""One error model and one exit-code scheme for every command.

Every error mkmultiarch raises on purpose is a MkmultiarchError whose message
is one line for the user (and holds no secret), and whose class says the exit
code. The CLI turns any of them into `mkmultiarch: <message>` on stderr;
callers that know better catch the specific class (ConfigError, AuthError...).
"""

from __future__ import annotations

from enum import IntEnum
from typing import ClassVar


class ExitCode(IntEnum):
    """How a command ended: the one scheme of every command (EXIT_CODES says it in words)."""

    OK = 0
    PROBLEMS_FOUND = 1  # it ran, and found something wrong
    NOT_DONE = 2  # bad input, or what it names could not be read
    INTERNAL_ERROR = 3  # a bug: an exception mkmultiarch did not expect
    INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C


EXIT_CODES: dict[ExitCode, str] = {
    ExitCode.OK: "done, up to date, or every check passed",
    ExitCode.PROBLEMS_FOUND: "problems found: stale files, a refused overwrite or merge "
    "conflicts (render), a broken image (verify), a failing check (doctor)",
    ExitCode.NOT_DONE: "bad input (multiarch.yaml, an option, an image reference), "
    "or could not check (registry down, 401, no such tag, an unreadable file)",
    ExitCode.INTERNAL_ERROR: "internal error, please report it",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
}


def exit_codes_help() -> str:
    """EXIT_CODES as a help epilog: a heading, then one line per code."""
    lines = [f"{int(code):>3}  {meaning}" for code, meaning in EXIT_CODES.items()]
    return "\n".join(["Exit codes:", *lines])


class MkmultiarchError(Exception):
    """An error mkmultiarch expects; its message is one line for the user."""

    exit_code: ClassVar[ExitCode] = ExitCode.NOT_DONE


class BadInputError(MkmultiarchError):
    """What the user gave cannot be used: a config value, an option, an image reference."""

    exit_code = ExitCode.NOT_DONE


class CannotCheckError(MkmultiarchError):
    """The input is fine, but what it names could not be read: a registry, a layer, a file."""

    exit_code = ExitCode.NOT_DONE


class ProblemsFoundError(MkmultiarchError):
    """The command ran and found something wrong: stale files, a broken image, a failing check."""

    exit_code = ExitCode.PROBLEMS_FOUND
