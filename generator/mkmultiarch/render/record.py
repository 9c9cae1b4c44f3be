"""Where render keeps what it last wrote, and what stands in for it in an older project.

Why a record: to tell a file the team edited from one rendered from an older
config, render needs the text it last wrote. It keeps a copy of every
rendered file under .mkmultiarch/rendered/ in the project (committed with it,
so a clone or a CI job has it too; `diff -r` against it shows the team's
edits), written in the same all-or-nothing step as the files themselves.

A project scaffolded by Copier before it had a record: Copier rendered its
files from .copier-answers.yml, so rendering those answers gives the base
back, but only with the template version Copier used (the answers' _commit
must be this mkmultiarch's version); otherwise there is no base.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path, PurePosixPath
from typing import Any

from mkmultiarch import __version__
from mkmultiarch.render.config import FIELDS, Config, ConfigError, validate
from mkmultiarch.render.refusal import shown
from mkmultiarch.render.strict_yaml import read_document, read_text

RECORD_DIR = ".mkmultiarch"
RENDERED_DIR = f"{RECORD_DIR}/rendered"
README_PATH = f"{RECORD_DIR}/README"
ANSWERS_FILE = ".copier-answers.yml"
# Brings Copier's answers in line with multiarch.yaml, without a terminal or a template upgrade.
COPIER_SYNC_COMMAND = "copier update --defaults --vcs-ref=:current: --data-file multiarch.yaml"

README_TEXT = """\
What `mkmultiarch render` last wrote into this project, one copy per file.

render compares each file with its copy here to tell your edits from an older
rendering: a file you did not edit is replaced by the new rendering, a file you
edited is merged with it (your edits kept; a clash is left as <<<<<<< markers).
Commit this directory with the files. Do not edit it; `diff -r` between a file
and its copy here shows your own edits.
"""


def recorded_path(relative: str) -> str:
    """Where the record keeps the rendered file RELATIVE (a path inside the project)."""
    return f"{RENDERED_DIR}/{PurePosixPath(relative).as_posix()}"


@dataclass(frozen=True)
class CopierAnswers:
    """The settings Copier rendered from, and the template version it used."""

    config: Config
    commit: str

    @property
    def matches_this_version(self) -> bool:
        """Whether these templates are the ones Copier rendered from (so the base is exact)."""
        return self.commit.removeprefix("v") == __version__


def read_answers(output_dir: Path) -> CopierAnswers | None:
    """The project's .copier-answers.yml as a Config (None if absent).

    Read bounded and strictly like multiarch.yaml; Copier's own keys (`_commit`,
    `_src_path`) and the scaffold's questions (go_module) are not settings.
    """
    path = output_dir / ANSWERS_FILE
    if not path.is_file() or path.is_symlink():
        return None
    data: Any = read_document(read_text(path), origin=str(path))
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected Copier's mapping of answers")
    settings = {key: value for key, value in data.items() if key in FIELDS}
    try:
        config = validate(settings)
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from None
    return CopierAnswers(config=config, commit=str(data.get("_commit", "")))


def _value(value: object) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(str(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return shown(value, quoted=False)


def disagreements(config: Config, answers: Config) -> list[str]:
    """One line per setting where multiarch.yaml and Copier's answers differ."""
    lines = []
    for field in fields(Config):
        ours, copiers = getattr(config, field.name), getattr(answers, field.name)
        if ours != copiers:
            lines.append(
                f"{field.name}: multiarch.yaml says {_value(ours)}, {ANSWERS_FILE} says "
                f"{_value(copiers)}; multiarch.yaml wins for mkmultiarch render "
                f"(to bring Copier in line: {COPIER_SYNC_COMMAND})"
            )
    return lines
