"""The `mkmultiarch` command line.

Exit codes (one scheme for every command):
  0  done, nothing to do, or every check passed
  1  problems found: `render --check`/`--diff` found stale files, `render`
     refused to overwrite a file the team changed (re-run with --force),
     `verify` found a broken image, `doctor` found a failing check
  2  could not do it: bad input (invalid multiarch.yaml, missing file, bad
     option), or `verify` could not reach or read the registry
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mkmultiarch import __version__
from mkmultiarch.names import CONFIG_FILE
from mkmultiarch.render.config import Config, ConfigError, load, validate
from mkmultiarch.render.output import FileState, plan, write_all
from mkmultiarch.render.templates import render, render_starter_config

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

    Exit codes: 0 ok; 1 problems found (stale files, a refused overwrite, a
    broken image, a failing host check); 2 bad input or could not check.
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
    stale = [item for item in planned if item.state is not FileState.UNCHANGED]
    if check or diff:
        for item in stale:
            typer.echo(item.diff() if diff else f"{item.state.value}: {item.target}")
        if stale:
            hint = "run `mkmultiarch render` to update them"
            raise _fail(f"{len(stale)} file(s) out of date; {hint}", EXIT_STALE)
        typer.echo("up to date")
        return

    edited = [item for item in stale if item.state is FileState.CHANGED]
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


# ---------------------------------------------------------------------------
# verify and doctor. Their modules are imported when the command runs, so
# `render` does not pay for the HTTP client. Exit codes:
#   verify: 0 every check passed; 1 problems found; 2 could not check (bad
#           input, unreachable registry, 401, tag not found)
#   doctor: 0 no failure (warnings allowed); 1 at least one failure

EXIT_PROBLEMS = 1
EXIT_CANNOT_CHECK = 2


@app.command("verify")
def verify_command(
    image: Annotated[
        str | None,
        typer.Argument(
            help="The tag to check, e.g. localhost:5000/org/app:1.2.3 "
            "(default: REGISTRY/IMAGE:VERSION from the config).",
            metavar="IMAGE[:TAG]",
            show_default=False,
        ),
    ] = None,
    arch: Annotated[
        list[str] | None,
        typer.Option(
            "--arch",
            "-a",
            help="An arch the list must have, e.g. amd64 or arm/v7; repeat it "
            "(default: the config's arches).",
            metavar="ARCH",
            show_default=False,
        ),
    ] = None,
    config_path: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="The multiarch.yaml giving the expected arches (read by default without IMAGE).",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="The registry speaks plain HTTP.")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Check a pushed tag in the registry: a manifest list with every arch, honest images.

    Reads the registry over HTTP (no Docker engine), with your `docker login`
    credentials. Checks that the tag is a manifest list, has the expected
    platforms, that each image config names its entry's platform, and that
    each entrypoint binary is built for it (ELF header). Exit codes: 0 all
    good; 1 problems found; 2 could not check.
    """
    from mkmultiarch.inspect import credentials, report, verify
    from mkmultiarch.inspect.imageref import ImageRefError
    from mkmultiarch.inspect.registry import RegistryClient, RegistryError

    config = None
    if config_path is not None or image is None:
        try:
            config = load(config_path if config_path is not None else Path(CONFIG_FILE))
        except ConfigError as error:
            hint = "" if image is not None else " (without IMAGE, the image comes from the config)"
            raise _fail(f"{error}{hint}", EXIT_CANNOT_CHECK) from None
    if image is None:
        assert config is not None
        image = f"{config.registry}/{config.image}:{config.version}"
    configured = config.arches if config is not None else None
    source = str(config_path) if config_path is not None else CONFIG_FILE
    try:
        job = verify.plan(image, arch or [], configured, source)
    except (verify.VerifyInputError, ImageRefError) as error:
        raise _fail(str(error), EXIT_CANNOT_CHECK) from None

    def lookup() -> credentials.Credential | None:
        return credentials.lookup(job.ref.registry)

    try:
        with RegistryClient(job.ref.registry, insecure=insecure, credentials=lookup) as client:
            result = verify.verify(client, job.ref, job.expected, job.expected_source)
    except RegistryError as error:
        if json_output:
            typer.echo(report.render_error_json(str(job.ref), str(error)))
        raise _fail(f"cannot check {job.ref}: {error}", EXIT_CANNOT_CHECK) from None
    typer.echo(report.render_json(result) if json_output else report.render_text(result))
    if not result.ok:
        raise _fail(f"{job.ref}: {len(result.problems)} problem(s) found", EXIT_PROBLEMS)


@app.command("doctor")
def doctor_command(
    config_path: ConfigOption = Path(CONFIG_FILE),
    docker: Annotated[
        str, typer.Option("--docker", help="The docker client to check (a name on PATH or a path).")
    ] = "docker",
) -> None:
    """Check this host can build and push: docker, BuildKit, docker manifest, QEMU, registry.

    Each check is ok, a warning or a failure with its fix. Reads multiarch.yaml
    for the arches and the registry (the defaults without one). Exit codes:
    0 no failure; 1 at least one failure; 2 bad input.
    """
    from mkmultiarch.inspect import doctor, report
    from mkmultiarch.inspect.checks import CheckOutcome

    if config_path.exists():
        try:
            config = load(config_path)
        except ConfigError as error:
            raise _fail(str(error)) from None
        source = str(config_path)
    else:
        config = validate({"image": "org/app"})
        source = f"defaults ({config_path} not found)"
    typer.echo(
        f"mkmultiarch doctor: {source}: registry {config.registry}, "
        f"arches {' '.join(config.arches)}"
    )
    typer.echo("")
    checks = doctor.run(
        arches=config.arches, language=config.language, registry=config.registry, docker=docker
    )
    typer.echo(report.render_checks(checks))
    failures = [check for check in checks if check.status is CheckOutcome.FAIL]
    if failures:
        raise _fail(f"{len(failures)} check(s) failed: {failures[0].name}", EXIT_PROBLEMS)
