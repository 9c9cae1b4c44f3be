"""Write the SBOMs of one tag: DIR/<os>-<arch>[-<variant>].spdx.json, and beside each
DIR/<...>.digest, the platform image's digest (what the Makefile attests it to).

Every document is built before any file is written; each file is written to a temporary
name and renamed, so a reader never sees half a document.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mkmultiarch.inspect.sbom.collect import PlatformImage
from mkmultiarch.inspect.sbom.spdx import document, file_name


@dataclass(frozen=True)
class Written:
    path: Path
    image: PlatformImage


def _write(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write(directory: Path, images: list[PlatformImage]) -> list[Written]:
    """Write one SPDX document (and digest file) per image into DIRECTORY."""
    documents = [(image, json.dumps(document(image), indent=2) + "\n") for image in images]
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for image, text in documents:
        path = directory / file_name(image)
        _write(path, text)
        _write(
            path.with_name(path.name.removesuffix(".spdx.json") + ".digest"), image.digest + "\n"
        )
        written.append(Written(path, image))
    return written
