"""The `mkmultiarch` command line.

Commands raise; they do not print their errors. One handler, _one_line_errors,
wraps every command and turns whatever reaches it into one line on stderr and
an exit code of the one scheme, errors.ExitCode (shown under every --help):
never a traceback.
"""

from __future__ import annotations

import errno
import functools
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec

import typer

from mkmultiarch import __version__
from mkmultiarch.errors import (
    EXIT_CODES,
    BadInputError,
    CannotCheckError,
    ExitCode,
    MkmultiarchError,
    ProblemsFoundError,
    exit_codes_help,
)
from mkmultiarch.inspect.text import printable
from mkmultiarch.names import CONFIG_FILE
from mkmultiarch.render.config import Config, ConfigError, load, shown_path, validate
from mkmultiarch.render.output import PlannedFile, Write, plan, record_writes, write_files
from mkmultiarch.render.record import RENDERED_DIR, disagreements, read_answers
from mkmultiarch.render.templates import render, render_starter_config
from mkmultiarch.render.update import REFUSED, STALE, Action, Decision, decide

P = ParamSpec("P")
EXIT_CODES_HELP = exit_codes_help()

app = typer.Typer(
    name="mkmultiarch",
    help="Generate a plain, team-owned Makefile and Dockerfile for multi-arch container images.",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    # --install-completion / --show-completion [bash|zsh|fish|powershell], as typer apps offer.
    add_completion=True,
    pretty_exceptions_enable=False,
)


def _exit(message: str, code: ExitCode) -> typer.Exit:
    """Print `mkmultiarch: MESSAGE` on one line of stderr; return the Exit to raise.

    The message may quote a registry or a docker client: its control
    characters are shown as escapes, not sent to the terminal.
    """
    line = " ".join(part.strip() for part in message.splitlines() if part.strip())
    typer.echo(f"mkmultiarch: {printable(line)}", err=True)
    return typer.Exit(int(code))


def _describe(error: OSError) -> str:
    """`PATH: Permission denied`: what the OS said, about which file."""
    reason = error.strerror or str(error) or type(error).__name__
    return f"{error.filename}: {reason}" if error.filename else reason


def _one_line_errors(command: Callable[P, None]) -> Callable[P, None]:
    """Run COMMAND; the one place where an error becomes output and an exit code.

    A wrapper around each command rather than a click Group subclass: typer
    vendors click since 0.26, and its Group is not public API.
    """

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            command(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except MkmultiarchError as error:
            raise _exit(str(error), error.exit_code) from None
        except KeyboardInterrupt:
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except OSError as error:
            if error.errno == errno.EPIPE:
                raise  # stdout went away (`| head`): typer ends quietly
            raise _exit(_describe(error), ExitCode.NOT_DONE) from None
        except Exception as error:
            what = EXIT_CODES[ExitCode.INTERNAL_ERROR]
            detail = f"{what}: {type(error).__name__}: {error}"
            raise _exit(detail, ExitCode.INTERNAL_ERROR) from None

    return run


def _command(name: str) -> Callable[[Callable[P, None]], Callable[P, None]]:
    """Register a command behind _one_line_errors, with the exit codes under its help."""

    def register(function: Callable[P, None]) -> Callable[P, None]:
        wrapped = _one_line_errors(function)
        app.command(name, epilog=EXIT_CODES_HELP)(wrapped)
        return wrapped

    return register


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
    """Generate a plain, team-owned Makefile and Dockerfile for multi-arch container images."""


# No dir_okay=False: click's refusal is a usage box of several lines; load() says it in one.
ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="The multiarch.yaml to read.")]


@_command("render")
def render_command(
    config_path: ConfigOption = Path(CONFIG_FILE),
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Directory to write into [default: the config's]."),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help=f"Write nothing; exit {ExitCode.PROBLEMS_FOUND:d} if any file is out of date.",
        ),
    ] = False,
    diff: Annotated[
        bool,
        typer.Option(
            "--diff",
            help="Write nothing; show what would change "
            f"(exit {ExitCode.PROBLEMS_FOUND:d} if any).",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Take the rendering: overwrite edits instead of merging."),
    ] = False,
) -> None:
    """Render the Makefile (and the Dockerfile, for language go) from multiarch.yaml.

    A file you edited is merged with the new rendering (your edits kept);
    .mkmultiarch/rendered/ records what render last wrote, to tell them apart.
    """
    config = load(config_path)
    output_dir = output if output is not None else config_path.parent
    if output_dir.exists() and not output_dir.is_dir():
        raise BadInputError(f"--output: {shown_path(output_dir)} is not a directory")

    if config.language == "dockerfile":
        _warn_about_dockerfile(output_dir / config.dockerfile)
    fallback = _copier_base(config, output_dir)
    decisions = [
        decide(item, _base(item, fallback), force=force)
        for item in plan(render(config), output_dir)
    ]
    if check or diff:
        _report_stale(decisions, diff=diff)
        return
    _refuse_unmergeable(decisions)
    planned = [decision.item for decision in decisions]
    record = record_writes(planned)
    write_files(
        [
            Write(decision.item.root, decision.item.rendered.path, decision.text)
            for decision in decisions
            if decision.changes_file
        ]
        + record
    )
    _report_written(decisions, recorded=bool(record))


def _base(item: PlannedFile, fallback: dict[str, str]) -> str | None:
    """The last rendering of ITEM: the record's copy, else Copier's (None if neither)."""
    return item.recorded if item.recorded is not None else fallback.get(item.rendered.path)


def _copier_base(config: Config, output_dir: Path) -> dict[str, str]:
    """What Copier last rendered, for files the record lacks; and say where the answers differ."""
    try:
        answers = read_answers(output_dir)
    except ConfigError as error:
        typer.echo(f"mkmultiarch: note: ignoring {printable(str(error))}", err=True)
        return {}
    if answers is None:
        return {}
    for line in disagreements(config, answers.config):
        typer.echo(f"mkmultiarch: note: {line}", err=True)
    if not answers.matches_this_version:
        return {}
    return {item.path: item.text for item in render(answers.config)}


def _report_stale(decisions: list[Decision], *, diff: bool) -> None:
    """--check and --diff: what render would do, and exit 1 if it would change anything."""
    stale = [decision for decision in decisions if decision.action in STALE]
    for decision in stale:
        item = decision.item
        if diff:
            shown = decision.text if decision.action not in REFUSED else item.rendered.text
            typer.echo(item.diff(shown), nl=False)
        else:
            typer.echo(f"{decision.action.value}: {item.target}")
    if stale:
        raise ProblemsFoundError(
            f"{len(stale)} file(s) out of date; run `mkmultiarch render` to update them"
        )
    typer.echo("up to date")


def _refuse_unmergeable(decisions: list[Decision]) -> None:
    """Stop, writing nothing, while a file holds old conflict markers or has no base to merge."""
    marked = [d.item.target for d in decisions if d.action is Action.MARKERS]
    if marked:
        names = ", ".join(str(target) for target in marked)
        raise ProblemsFoundError(
            f"{names}: still holds <<<<<<< conflict markers; resolve them, then run "
            "`mkmultiarch render` again (or --force to take the rendering); nothing was written"
        )
    unknown = [d.item for d in decisions if d.action is Action.NO_BASE]
    if unknown:
        for item in unknown:
            typer.echo(item.diff(), err=True, nl=False)
        names = ", ".join(str(item.target) for item in unknown)
        raise ProblemsFoundError(
            f"{names}: differs from the rendering (diff above), and no record of the last "
            f"rendering ({RENDERED_DIR}/) tells your edits from an older one; nothing was "
            "written. Re-run with --force to take the rendering (later renders merge edits)"
        )


def _report_written(decisions: list[Decision], *, recorded: bool) -> None:
    """Name each file written or merged; the conflicts on stderr, one line each, then exit 1."""
    conflicted = []
    for decision in decisions:
        target = decision.item.target
        if decision.action is Action.MERGED:
            typer.echo(f"merged {target} (your edits kept)")
        elif decision.action is Action.CONFLICT:
            conflicted.append(decision)
            typer.echo(
                f"mkmultiarch: {target}: {decision.conflicts} conflict(s) between your edits and "
                "the new rendering, marked <<<<<<< yours ... >>>>>>> new rendering",
                err=True,
            )
        elif decision.changes_file:
            typer.echo(f"wrote {target}")
    if conflicted:
        raise ProblemsFoundError(
            f"{len(conflicted)} file(s) with conflicts; resolve the markers, then check with "
            "`mkmultiarch render --check`"
        )
    if not any(decision.changes_file for decision in decisions):
        typer.echo(f"up to date (recorded in {RENDERED_DIR}/)" if recorded else "up to date")


def _warn_about_dockerfile(path: Path) -> None:
    """Warn (stderr, no failure) when the team's Dockerfile would not compile per arch."""
    from mkmultiarch.inspect.crossbuild import dockerfile_problems

    try:
        findings = dockerfile_problems(path)
    except FileNotFoundError:
        typer.echo(f"warning: {shown_path(path)}: not found; make docker-build needs it", err=True)
        return
    except (OSError, ValueError) as error:
        typer.echo(f"warning: {shown_path(path)}: not checked: {error}", err=True)
        return
    for finding in findings:
        typer.echo(f"warning: {shown_path(path)}:{finding.line}: {finding.message}", err=True)


def _replace_file(path: Path, text: str) -> None:
    """Write PATH atomically: a temporary sibling renamed over it, never through a link."""
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(name, 0o644)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def _ask(question: str, default: str) -> str:
    return str(typer.prompt(question, default=default))


@_command("init")
def init_command(
    config_path: ConfigOption = Path(CONFIG_FILE),
    image: Annotated[
        str | None,
        typer.Option(
            "--image",
            help="Image repository path, e.g. org/app [default: from go.mod or the git remote].",
            show_default=False,
        ),
    ] = None,
    go_version: Annotated[
        str | None,
        typer.Option(
            "--go-version", help="Go release [default: go.mod's go directive].", show_default=False
        ),
    ] = None,
    go_main: Annotated[
        str | None,
        typer.Option(
            "--go-main",
            help="Main package, e.g. ./cmd/server [default: the one under cmd/; "
            "several there are several images].",
            show_default=False,
        ),
    ] = None,
    language: Annotated[
        str | None,
        typer.Option(
            "--language",
            help="go or dockerfile [default: dockerfile when a "
            "Dockerfile mkmultiarch did not write exists].",
            show_default=False,
        ),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source", help="Source URL label [default: from the git remote].", show_default=False
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter multiarch.yaml, with what the project says.

    In an existing repository it proposes the image (go.mod's module path or the
    git remote), go_version (go.mod), go_main (the main package under cmd/),
    language dockerfile (a Dockerfile it did not write) and source (the git
    remote); each guess is shown and each flag overrides one. Several main
    packages under cmd/ are several images (images:, each named after its
    directory, under the image's owner); --go-main picks one instead. It asks
    only on a terminal (several main packages: one, or all).
    """
    where = shown_path(config_path)
    try:
        mode: int | None = os.lstat(config_path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        mode = None  # a missing parent, or a file where a directory goes: mkdir says which
    if mode is not None and stat.S_ISLNK(mode):
        raise BadInputError(
            f"{where}: is a symbolic link; mkmultiarch init does not write through links"
        )
    if mode is not None and not force:
        raise BadInputError(f"{where}: already exists; edit it, or pass --force to start over")
    if mode is not None and not stat.S_ISREG(mode):
        raise BadInputError(f"{where}: not a regular file; pass the path of a file to write")
    import sys

    from mkmultiarch.render.proposal import propose

    flags = {"image": image, "go_version": go_version, "go_main": go_main}
    flags.update({"language": language, "source": source})
    proposal = propose(config_path.parent, flags, _ask if sys.stdin.isatty() else None)
    for line in proposal.lines:
        typer.echo(line)
    config: Config = validate(dict(proposal.values))
    config_path.parent.mkdir(parents=True, exist_ok=True)
    _replace_file(config_path, render_starter_config(config))
    typer.echo(f"wrote {config_path}; edit it, then run `mkmultiarch render`")


@_command("schema")
def schema_command() -> None:
    """Print the JSON Schema of multiarch.yaml (for editors; generated from the settings table).

    `mkmultiarch init` and the Copier scaffold name the released copy in a
    `# yaml-language-server: $schema=` line; save this output beside your
    multiarch.yaml and point that line at it to work offline.
    """
    from mkmultiarch.render.schema import schema_text

    typer.echo(schema_text(), nl=False)


# verify and doctor: their modules are imported when the command runs, so
# `render` does not pay for the HTTP client.

TimeoutOption = Annotated[
    float,
    typer.Option(
        "--timeout",
        help="Give up after this many seconds in all (a slow or hostile registry ends "
        f"with exit {ExitCode.NOT_DONE:d}).",
        metavar="SECONDS",
        min=1.0,
        max=86400.0,
    ),
]
DEFAULT_COMMAND_TIMEOUT = 120.0  # inspect.limits.DEFAULT_TIMEOUT, without importing it


def _verify_config(image: str | None, config_path: Path | None) -> Config | None:
    """The config verify reads: --config, or ./multiarch.yaml when IMAGE is not given."""
    if image is not None and config_path is None:
        return None
    try:
        return load(config_path or Path(CONFIG_FILE))
    except ConfigError as error:
        if image is not None:
            raise
        raise ConfigError(f"{error} (without IMAGE, the image comes from the config)") from None


@_command("verify")
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
            help="The multiarch.yaml giving the expected arches (read by default without IMAGE; "
            "with images:, those of the image IMAGE names).",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="The registry speaks plain HTTP.")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            help="cosign.pub: the tag's digest must be signed by this key (cosign's scheme; "
            "checked by mkmultiarch, no transparency log); reports each platform's SBOM.",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    require_signature: Annotated[
        bool,
        typer.Option("--require-signature", help="Fail unless the digest has a cosign signature."),
    ] = False,
    timeout: TimeoutOption = DEFAULT_COMMAND_TIMEOUT,
) -> None:
    """Check a pushed tag in the registry: a manifest list with every arch, honest images.

    Reads the registry over HTTP (no Docker engine), with your `docker login`
    credentials. Checks that the tag is a manifest list, has the expected
    platforms, that each image config names its entry's platform, and that
    each entrypoint binary is built for it (ELF header).
    """
    from mkmultiarch.inspect import credentials, report, verify
    from mkmultiarch.inspect.limits import Deadline, command_deadline
    from mkmultiarch.inspect.registry import RegistryClient
    from mkmultiarch.inspect.verify import signature

    config = _verify_config(image, config_path)
    origin = str(config_path or CONFIG_FILE)
    checks = _verify_targets(image, config)
    public_key = signature.load_key(key) if key is not None else None
    deadline = Deadline(timeout)
    reports: list[str] = []
    failed: list[str] = []
    for target, configured in checks:
        job = verify.plan(target, arch or [], configured, origin)

        def lookup(job: verify.VerifyPlan = job) -> credentials.Credential | None:
            return credentials.lookup(job.ref.registry, timeout=deadline.remaining())

        try:
            with (
                command_deadline(deadline),
                RegistryClient(
                    job.ref.registry, insecure=insecure, credentials=lookup, deadline=deadline
                ) as client,
            ):
                result = verify.verify(client, job.ref, job.expected, job.expected_source)
                if key is not None or require_signature:
                    signature.check_signature(client, job.ref.repository, result, public_key)
                    signature.check_sboms(client, job.ref.repository, result, public_key)
        except CannotCheckError as error:
            if json_output:
                typer.echo(report.render_error_json(str(job.ref), error))
            raise CannotCheckError(f"cannot check {job.ref}: {error}") from None
        if json_output:
            reports.append(report.render_json(result))
        else:
            typer.echo(report.render_text(result))
        if not result.ok:
            failed.append(f"{job.ref}: {len(result.problems)} problem(s) found")
    if json_output:  # several images: a JSON array of their reports
        typer.echo(reports[0] if len(checks) == 1 else "[" + ",\n".join(reports) + "]")
    if failed:
        raise ProblemsFoundError("; ".join(failed))


def _verify_targets(
    image: str | None, config: Config | None
) -> list[tuple[str, tuple[str, ...] | None]]:
    """What verify checks: IMAGE, or the config's list(s) at its VERSION, each with the
    arches it must have (a config with images: every image's list, with its own arches)."""
    if image is not None:
        return [(image, _configured_arches(image, config))]
    assert config is not None
    if not config.images:
        return [(f"{config.registry}/{config.image}:{config.version}", config.arches)]
    return [
        (f"{config.registry}/{entry.image}:{config.version}", entry.arches)
        for entry in config.images
    ]


def _configured_arches(image: str, config: Config | None) -> tuple[str, ...] | None:
    """The arches the config gives IMAGE's list: with images, those of the entry whose path
    IMAGE names (each image has its own); an IMAGE that is none of them is refused, since
    the config says nothing about it."""
    if config is None or not config.images:
        return config.arches if config is not None else None
    from mkmultiarch.inspect.imageref import parse_reference

    repository = parse_reference(image).repository
    for entry in config.images:
        named = (entry.image, parse_reference(f"{config.registry}/{entry.image}").repository)
        if repository in named:
            return entry.arches
    paths = " ".join(entry.image for entry in config.images)
    raise BadInputError(
        f"{image}: {repository} is none of the config's images ({paths}): "
        "give one of them, or --arch instead of --config"
    )


@_command("sbom")
def sbom_command(
    image: Annotated[
        str,
        typer.Argument(
            help="The pushed tag, e.g. localhost:5000/org/app:1.2.3 (or @sha256:...).",
            metavar="IMAGE[:TAG]",
            show_default=False,
        ),
    ],
    output_dir: Annotated[
        Path,
        typer.Option(
            "--output-dir",
            "-o",
            help="Where to write <os>-<arch>[-<variant>].spdx.json (and .digest) per platform.",
            file_okay=False,
        ),
    ] = Path("sbom"),
    insecure: Annotated[
        bool, typer.Option("--insecure", help="The registry speaks plain HTTP.")
    ] = False,
    timeout: TimeoutOption = DEFAULT_COMMAND_TIMEOUT,
) -> None:
    """Write an SPDX 2.3 SBOM per platform of a pushed image, from what it really holds.

    Per platform: the image (its manifest digest as checksum and purl), its layers by
    digest, and the entrypoint's Go module with every dependency from the binary's
    build info. Reads the registry like verify: bounded, with your docker credentials.
    """
    from mkmultiarch.inspect import credentials, sbom
    from mkmultiarch.inspect.imageref import parse_reference
    from mkmultiarch.inspect.limits import Deadline, command_deadline
    from mkmultiarch.inspect.registry import RegistryClient

    ref = parse_reference(image)
    deadline = Deadline(timeout)

    def lookup() -> credentials.Credential | None:
        return credentials.lookup(ref.registry, timeout=deadline.remaining())

    try:
        with (
            command_deadline(deadline),
            RegistryClient(
                ref.registry, insecure=insecure, credentials=lookup, deadline=deadline
            ) as client,
        ):
            digest, images = sbom.collect(client, ref)
    except CannotCheckError as error:
        raise CannotCheckError(f"cannot read {ref}: {error}") from None
    if not images:
        raise ProblemsFoundError(f"{ref}: no platform image to describe")
    for written in sbom.write(output_dir, images):
        go = written.image.go
        what = (
            f"Go {go.main.path if go.main else go.path} with {len(go.deps)} dependencies"
            if go is not None
            else "no Go build info: " + "; ".join(written.image.notes)
        )
        typer.echo(
            printable(
                f"wrote {written.path} for {ref.registry}/{ref.repository}@{written.image.digest}"
                f" ({written.image.platform}): {len(written.image.layers)} layer(s), {what}"
            )
        )
    typer.echo(printable(f"{ref} is {digest}"))


@_command("doctor")
def doctor_command(
    config_path: ConfigOption = Path(CONFIG_FILE),
    docker: Annotated[
        str, typer.Option("--docker", help="The docker client to check (a name on PATH or a path).")
    ] = "docker",
    timeout: TimeoutOption = DEFAULT_COMMAND_TIMEOUT,
) -> None:
    """Check this host can build and push: docker, BuildKit, buildx, the image store, the
    build paths, QEMU, registry.

    Each check is ok, a warning or a failure with its fix (info: worth knowing,
    no problem). Reads multiarch.yaml for the arches, the registry and the
    builder, whose path must work here (the defaults without one). Warnings do
    not fail it; a failing check is a problem found.
    """
    from mkmultiarch.inspect import doctor, report
    from mkmultiarch.inspect.checks import CheckOutcome
    from mkmultiarch.inspect.limits import Deadline, command_deadline

    if config_path.exists():
        config = load(config_path)
        source = str(config_path)
    else:
        config = validate({"image": "org/app"})
        source = f"defaults ({config_path} not found)"
    # Several images: the host must build every arch some image is built for.
    arches = tuple(dict.fromkeys(a for entry in config.images for a in entry.arches))
    arches = arches or config.arches
    typer.echo(
        f"mkmultiarch doctor: {source}: registry {config.registry}, "
        f"arches {' '.join(arches)}, builder {config.builder}"
    )
    typer.echo("")
    deadline = Deadline(timeout)
    with command_deadline(deadline):
        checks = doctor.run(
            arches=arches,
            language=config.language,
            registry=config.registry,
            builder=config.builder,
            docker=docker,
            deadline=deadline,
            dockerfiles=_doctor_dockerfiles(config, config_path),
        )
    typer.echo(report.render_checks(checks))
    failures = [check for check in checks if check.status is CheckOutcome.FAIL]
    if failures:
        raise ProblemsFoundError(f"{len(failures)} check(s) failed: {failures[0].name}")


def _doctor_dockerfiles(config: Config, config_path: Path) -> list[tuple[str | None, Path]]:
    """The team's own Dockerfiles doctor reads (language: dockerfile): every image's, named."""
    if config.language != "dockerfile" or not config_path.exists():
        return []
    if not config.images:
        return [(None, config_path.parent / config.dockerfile)]
    return [(entry.name, config_path.parent / entry.dockerfile) for entry in config.images]


@_command("audit")
def audit_command(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Files and directories to read (default: .); - reads YAML from stdin "
            "(helm template, kustomize build).",
            metavar="PATH",
            show_default=False,
        ),
    ] = None,
    arch: Annotated[
        list[str] | None,
        typer.Option(
            "--arch",
            "-a",
            help="An arch every image must have; repeat it (default: the arches of a "
            "multiarch.yaml found, else amd64 arm64).",
            metavar="ARCH",
            show_default=False,
        ),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    output_format: Annotated[
        str,
        typer.Option(
            "--format", help="text, json, or github (::error annotations).", metavar="FORMAT"
        ),
    ] = "text",
    insecure: Annotated[
        bool,
        typer.Option("--insecure", help="The registries speak plain HTTP (never Docker Hub)."),
    ] = False,
    build_arch: Annotated[
        str | None,
        typer.Option(
            "--build-arch",
            help="The build host's arch, for FROM --platform=$BUILDPLATFORM and go_image "
            "(default: this machine's).",
            metavar="ARCH",
            show_default=False,
        ),
    ] = None,
    build_arg: Annotated[
        list[str] | None,
        typer.Option(
            "--build-arg",
            help="NAME=VALUE: the value of a Dockerfile's global ARG NAME, as docker build "
            "--build-arg (e.g. GO_IMAGE=mirror.example.com/golang:1.23); repeat it.",
            metavar="NAME=VALUE",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Find every image reference (Kubernetes, Compose, Dockerfiles, CI, multiarch.yaml)
    and check in its registry that it has every required platform.

    Reads registries over HTTP with your `docker login` credentials. Exit 1
    when a reference lacks a platform; 2 when one could not be checked (an
    unresolved variable, a missing tag, an unreachable registry); every
    reference is reported either way.
    """
    import sys

    from mkmultiarch.inspect.audit import check, dockerfile, report, sources
    from mkmultiarch.inspect.audit.resolve import Resolver
    from mkmultiarch.inspect.verify.inputs import parse_arch_tokens

    chosen = "json" if json_output else output_format
    if chosen not in report.FORMATS:
        raise BadInputError(f"--format: {chosen!r}; use one of: {', '.join(report.FORMATS)}")
    flags = [item.token for item in parse_arch_tokens(arch or [])]
    host = parse_arch_tokens([build_arch])[0].token if build_arch else check.host_arch()
    build_args = dockerfile.parse_build_args(build_arg or [])
    found = sources.find(paths or ["."], sys.stdin, build_args)
    required, required_source = check.required_arches(flags, found)
    resolver = Resolver(insecure=lambda registry: insecure)
    result = check.audit(found, required, required_source, host, resolver)
    typer.echo(report.render(result, chosen))
    if result.exit_code == ExitCode.NOT_DONE:
        raise CannotCheckError(report.verdict(result))
    if result.exit_code == ExitCode.PROBLEMS_FOUND:
        raise ProblemsFoundError(report.verdict(result))
