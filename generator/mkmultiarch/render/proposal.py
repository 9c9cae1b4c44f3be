"""What `mkmultiarch init` writes: each flag, else what the project says (discover).

Returns the settings and the lines that show each one with where it came from; asks
nothing itself (the caller's `ask` is used only for several main packages, and only
when the caller says a person is at a terminal).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mkmultiarch.errors import BadInputError
from mkmultiarch.render.config import ConfigError, validate
from mkmultiarch.render.discover import discover
from mkmultiarch.render.refusal import printable

# Each flag overrides what init would read from the project: (setting, flag).
FLAGS = (
    ("image", "--image"),
    ("go_version", "--go-version"),
    ("go_main", "--go-main"),
    ("language", "--language"),
    ("source", "--source"),
)
PLACEHOLDER_IMAGE = "my-org/my-app"


@dataclass(frozen=True)
class Proposal:
    """The settings to write, and the lines that say where each came from."""

    values: dict[str, str]
    lines: list[str]


def _choose_main(mains: list[str], ask: Callable[[str, str], str] | None) -> str:
    listed = " ".join(mains)
    if ask is None:
        raise BadInputError(
            f"cmd/ holds several main packages ({listed}); pass one with --go-main, "
            f"e.g. --go-main {mains[0]}"
        )
    chosen = ask(f"Main package to build ({listed})", mains[0])
    if chosen not in mains:
        raise BadInputError(f"--go-main: {printable(chosen)} is not one of: {listed}")
    return chosen


def propose(
    root: Path, flags: dict[str, str | None], ask: Callable[[str, str], str] | None
) -> Proposal:
    """Flags first, then the project's guesses; ASK (None: no terminal) picks a main package."""
    found = discover(root)
    values: dict[str, str] = {}
    shown: list[tuple[str, str, str]] = []
    for name, flag in FLAGS:
        given = flags.get(name)
        if given is not None:
            try:
                validate({"image": "org/app", name: given})
            except ConfigError as error:
                raise ConfigError(f"{flag}: {error}") from None
            values[name] = given
            shown.append((name, given, f"from {flag}"))
        elif name in found.guesses:
            guess = found.guesses[name]
            values[name] = guess.value
            shown.append((name, guess.value, f"from {guess.origin}; override: {flag}"))
    if "image" not in values:
        values["image"] = PLACEHOLDER_IMAGE
        shown.insert(0, ("image", PLACEHOLDER_IMAGE, "a placeholder; set it: --image org/app"))
    if values.get("language", "go") == "go" and "go_main" not in values and found.mains:
        values["go_main"] = _choose_main(found.mains, ask)
        shown.append(("go_main", values["go_main"], "chosen at the prompt"))
    rows = [(name, printable(value), origin) for name, value, origin in shown]
    width = max(len(name) for name, _, _ in rows)
    value_width = max(len(value) for _, value, _ in rows)
    lines = [f"note: {note}" for note in found.notes]
    lines += [
        f"{name:<{width}}  {value:<{value_width}}  ({origin})" for name, value, origin in rows
    ]
    return Proposal(values, lines)
