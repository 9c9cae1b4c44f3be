"""What `mkmultiarch init` writes: each flag, else what the project says (discover).

Returns the settings and the lines that show each one with where it came from; asks
nothing itself (the caller's `ask` is used only for several main packages, and only
when the caller says a person is at a terminal). Several main packages under cmd/ are
several images (images:, one per package, named after its directory) unless --go-main
or the person at the terminal picks one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkmultiarch.errors import BadInputError
from mkmultiarch.render.config import ConfigError, validate
from mkmultiarch.render.discover import discover
from mkmultiarch.render.images import IMAGE_NAME, MAX_NAME_LENGTH, RESERVED_NAMES
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
ALL_MAINS = "all"  # the answer at the prompt for one image per main package


@dataclass(frozen=True)
class Proposal:
    """The settings to write, and the lines that say where each came from."""

    values: dict[str, Any]
    lines: list[str]


def _choose_main(mains: list[str], ask: Callable[[str, str], str] | None) -> str:
    """A main package, or ALL_MAINS (one image each): asked on a terminal, else ALL_MAINS."""
    if ask is None:
        return ALL_MAINS
    listed = " ".join(mains)
    chosen = ask(f"Main package to build ({listed}), or {ALL_MAINS} for one image each", ALL_MAINS)
    if chosen != ALL_MAINS and chosen not in mains:
        raise BadInputError(
            f"--go-main: {printable(chosen)} is not one of: {listed} (or {ALL_MAINS})"
        )
    return chosen


def _image_name(main: str) -> str | None:
    """The image name of main package ./cmd/DIR: DIR, lowercased, _ and . as -; None if
    that is no image name (images.py's rules)."""
    name = main.removeprefix("./cmd/").lower().replace("_", "-").replace(".", "-")
    if len(name) > MAX_NAME_LENGTH or not IMAGE_NAME.search(name) or name in RESERVED_NAMES:
        return None
    return name


def _several_images(
    mains: list[str], image: tuple[str, str], notes: list[str]
) -> tuple[list[dict[str, str]], list[tuple[str, str, str]]] | None:
    """images: one entry per main package, its path under IMAGE's owner; None if fewer
    than two main packages make images. Returns the entries and their table rows."""
    value, origin = image
    owner = value.rsplit("/", 1)[0]
    entries: list[dict[str, str]] = []
    rows: list[tuple[str, str, str]] = []
    for main in mains:
        name = _image_name(main)
        if name is None:
            notes.append(f"ignored {printable(main)} as an image: its directory is no image name")
            continue
        entry = {"name": name, "image": f"{owner}/{name}"}
        if main != f"./cmd/{name}":
            entry["go_main"] = main
        entries.append(entry)
        rows.append((f"images[{name}]", entry["image"], f"from {main}; {owner}: {origin}"))
    if len(entries) < 2:
        return None
    try:
        validate({"images": entries})
    except ConfigError as error:
        notes.append(f"ignored the main packages under cmd/ as images: {error}")
        return None
    return entries, rows


def propose(
    root: Path, flags: dict[str, str | None], ask: Callable[[str, str], str] | None
) -> Proposal:
    """Flags first, then the project's guesses; ASK (None: no terminal) picks a main package."""
    found = discover(root)
    values: dict[str, Any] = {}
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
    notes = list(found.notes)
    if values.get("language", "go") == "go" and "go_main" not in values and found.mains:
        chosen = _choose_main(found.mains, ask)
        image_row = next(row for row in shown if row[0] == "image")
        several = None
        if chosen == ALL_MAINS:
            several = _several_images(found.mains, (image_row[1], image_row[2]), notes)
            if several is None:
                raise BadInputError(
                    f"cmd/ holds several main packages ({' '.join(found.mains)}) that are not "
                    f"images of their own; pass one with --go-main, e.g. --go-main {found.mains[0]}"
                )
        if several is not None:
            entries, image_rows = several
            del values["image"]
            values["images"] = entries
            at = shown.index(image_row)
            shown[at : at + 1] = image_rows
            notes.append(f"one image instead: --go-main, e.g. --go-main {found.mains[0]}")
        else:
            values["go_main"] = chosen
            shown.append(("go_main", chosen, "chosen at the prompt"))
    rows = [(name, printable(value), origin) for name, value, origin in shown]
    width = max(len(name) for name, _, _ in rows)
    value_width = max(len(value) for _, value, _ in rows)
    lines = [f"note: {note}" for note in notes]
    lines += [
        f"{name:<{width}}  {value:<{value_width}}  ({origin})" for name, value, origin in rows
    ]
    return Proposal(values, lines)
