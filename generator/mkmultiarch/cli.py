"""The `mkmultiarch` command line.

Exit codes (the same for every command):
  0  done, or nothing to do
  1  `render --check`/`--diff` found stale files, or `render` refused to
     overwrite a file the team changed (re-run with --force)
  2  bad input: an invalid multiarch.yaml, a missing file, a bad option
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mkmultiarch import __version__
from mkmultiarch.config import CONFIG_FILE, Config, ConfigError, load, validate
from mkmultiarch.output import Status, plan, write_all
from mkmultiarch.templates import render, render_starter_config

EXIT_STALE = 1
EXIT_BAD_INPUT = 2

app = typer.Typer(
    name="mkmultiarch",
    help="Generate a plain, team-owned Makefile and Dockerfile for multi-arch container images.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print one line to stderr and return the Exit to raise."""
    typer.echo(f"mkmultiarch: {message}", err=True)
    return typer.Exit(code)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"mkmultiarch {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Generate a plain, team-owned Makefile and Dockerfile for multi-arch container images.

    Exit codes: 0 done; 1 stale files (--check) or a refused overwrite; 2 bad input.
    """


ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="The multiarch.yaml to read.", dir_okay=False)
]


@app.command("render")
def render_command(
    config_path: ConfigOption = Path(CONFIG_FILE),
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Directory to write into [default: the config's]."),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if any file is out of date.")
    ] = False,
    diff: Annotated[
        bool, typer.Option("--diff", help="Write nothing; show what would change (exit 1 if any).")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite files that differ from the rendering.")
    ] = False,
) -> None:
    """Render the Makefile (and the Dockerfile, for language go) from multiarch.yaml."""
    try:
        config = load(config_path)
    except ConfigError as error:
        raise _fail(str(error)) from None
    output_dir = output if output is not None else config_path.parent
    if output_dir.exists() and not output_dir.is_dir():
        raise _fail(f"--output: {output_dir} is not a directory")

    planned = plan(render(config), output_dir)
    stale = [item for item in planned if item.status is not Status.UNCHANGED]
    if check or diff:
        for item in stale:
            typer.echo(item.diff() if diff else f"{item.status.value}: {item.target}")
        if stale:
            hint = "run `mkmultiarch render` to update them"
            raise _fail(f"{len(stale)} file(s) out of date; {hint}", EXIT_STALE)
        typer.echo("up to date")
        return

    edited = [item for item in stale if item.status is Status.CHANGED]
    if edited and not force:
        for item in edited:
            typer.echo(item.diff(), err=True)
        names = ", ".join(str(item.target) for item in edited)
        raise _fail(
            f"{names}: differs from the rendering (diff above); nothing was written. "
            "Re-run with --force to overwrite, or keep your edits.",
            EXIT_STALE,
        )
    for item in write_all(planned):
        typer.echo(f"wrote {item.target}")
    if not stale:
        typer.echo("up to date")


@app.command("init")
def init_command(
    config_path: ConfigOption = Path(CONFIG_FILE),
    image: Annotated[
        str, typer.Option("--image", help="Image repository path, e.g. org/app.")
    ] = "my-org/my-app",
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter multiarch.yaml."""
    if config_path.exists() and not force:
        raise _fail(f"{config_path}: already exists; edit it, or pass --force to start over")
    try:
        config: Config = validate({"image": image})
    except ConfigError as error:
        raise _fail(f"--image: {error}") from None
    config_path.parent.mkdir(parents=True, exist_ok=True)
    config_path.write_text(render_starter_config(config), encoding="utf-8")
    typer.echo(f"wrote {config_path}; edit it, then run `mkmultiarch render`")
