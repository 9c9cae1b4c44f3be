"""Image references in Compose files: `services.<name>.image`.

Compose interpolates `${VAR:-default}` from the environment and `.env`; the
audit reads the file alone, so a default is used and a variable without one is
reported as unresolved, not guessed.
"""

from __future__ import annotations

import yaml

from mkmultiarch.inspect.audit.uses import Use, get, items, line, scalar, substitute


def is_compose(docs: list[yaml.Node]) -> bool:
    """A mapping with a `services` mapping and no Kubernetes `kind`."""
    return any(
        isinstance(get(doc, "services"), yaml.MappingNode) and get(doc, "kind") is None
        for doc in docs
    )


def find(file: str, docs: list[yaml.Node]) -> list[Use]:
    uses: list[Use] = []
    for doc in docs:
        for name, service in items(get(doc, "services")):
            image = get(service, "image")
            written = scalar(image)
            if image is None or written is None:
                continue
            text, unresolved = substitute(written, {})
            uses.append(
                Use(file, line(image), "compose", f"services.{name}", text, unresolved=unresolved)
            )
    return uses
