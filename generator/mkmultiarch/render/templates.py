"""Render the shared templates the way Copier does, minus the scaffolding.

`templates/` is the one source of every generated file. Copier reads it from
the repository root; an installed wheel carries the same files as package data
(`mkmultiarch/templates`). File names are Jinja too: a name that renders empty
(e.g. `{% if scaffold %}main.go{% endif %}.jinja` with scaffold false) is not
written, and neither is anything under a directory whose name renders empty
(`{% if 'github' in ci %}.github{% endif %}/...`), exactly as Copier skips them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from mkmultiarch.names import SCHEMA_URL
from mkmultiarch.render.config import Config

TEMPLATE_SUFFIX = ".jinja"
# Copier's loop in a path (Copier >= 9.5), a tag this module's Jinja does not know.
COPIER_YIELD = re.compile(r"\{%-?\s*yield\s")
# Must match `_envops` in copier.yml (a test checks it), so both entry points
# render byte-identical files.
ENVOPS: dict[str, Any] = {"keep_trailing_newline": True, "undefined": jinja2.StrictUndefined}


@dataclass(frozen=True)
class RenderedFile:
    """One output file: its path relative to the project, and its text."""

    path: str
    text: str


def templates_dir() -> Path:
    """The installed package data, or `templates/` of a source checkout."""
    packaged = Path(str(files("mkmultiarch"))) / "templates"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[3] / "templates"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError("mkmultiarch templates not found; reinstall mkmultiarch")


def _environment(root: Path) -> SandboxedEnvironment:
    # The templates import their shared Jinja as templates/NAME.jinja-lib: Copier's
    # loader starts at the template repository's root, the parent of templates/.
    loader = jinja2.FileSystemLoader([str(root), str(root.parent)])
    return SandboxedEnvironment(loader=loader, **ENVOPS)


def _outputs(
    env: SandboxedEnvironment, root: Path, context: dict[str, Any]
) -> list[tuple[str, str]]:
    """(template, output name) pairs for this context, sorted by output name.

    Templates named after Copier's own variables (`_copier_conf`, the answers
    file) belong to Copier alone and are skipped here, and so are the ones whose
    path loops with Copier's `{% yield %}` tag (one cmd/NAME/main.go per image):
    they are scaffold files, which render never writes.
    """
    outputs = []
    for template in sorted(root.rglob(f"*{TEMPLATE_SUFFIX}")):
        relative = template.relative_to(root).as_posix()
        if "_copier_" in relative or COPIER_YIELD.search(relative):
            continue
        name = env.from_string(relative.removesuffix(TEMPLATE_SUFFIX)).render(context)
        if all(name.split("/")):  # no empty file or directory name
            outputs.append((relative, name))
    return sorted(outputs, key=lambda pair: pair[1])


def render(
    config: Config, *, scaffold: bool = False, only: str | None = None
) -> list[RenderedFile]:
    """Render the templates whose names survive the context (or just the one named `only`)."""
    root = templates_dir()
    env = _environment(root)
    # schema_url: Copier's unasked question of the same name (settings.SETTINGS).
    context = {**config.template_context(), "scaffold": scaffold, "schema_url": SCHEMA_URL}
    return [
        RenderedFile(path=name, text=env.get_template(relative).render(context))
        for relative, name in _outputs(env, root, context)
        if only is None or name == only
    ]


def render_starter_config(config: Config) -> str:
    """The commented multiarch.yaml that `init` writes and Copier scaffolds."""
    (starter,) = render(config, scaffold=True, only="multiarch.yaml")
    return starter.text
