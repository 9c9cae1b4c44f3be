"""Names both products agree on: the project's config file, and Docker's reference grammar.

render checks multiarch.yaml's image, registry and tags against these patterns
(every value ends up unquoted in a Makefile); verify parses the references it
is given with the same ones, so a name that one accepts the other reads.
"""

from __future__ import annotations

import re

from mkmultiarch import __version__

CONFIG_FILE = "multiarch.yaml"
# Where mkmultiarch lives: the package's project URLs, the git URL CI installs it from
# (mkmultiarch_requirement), and the committed JSON Schema editors read.
PROJECT_URL = "https://github.com/mkmultiarch/mkmultiarch"
RELEASE_TAG = f"v{__version__}"
SCHEMA_FILE = "multiarch.schema.json"
# The committed schema of the release that renders, pinned to its tag: an editor checks a
# multiarch.yaml against the rules of the mkmultiarch that wrote it.
SCHEMA_URL = (
    PROJECT_URL.replace("https://github.com/", "https://raw.githubusercontent.com/")
    + f"/{RELEASE_TAG}/{SCHEMA_FILE}"
)

# Every pattern is anchored as ^...\Z and applied with re.search, exactly as
# Copier's regex_search filter applies it to the same text: `$` would also
# match before a trailing newline, so "app\n" would pass. A literal dot is
# written [.], which reads the same in copier.yml's Jinja string literals.
#
# Docker's reference grammar (distribution/reference), narrowed to what a
# Makefile can carry without quoting.
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
IMAGE_PATH = re.compile(rf"^{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*\Z")
_HOST_LABEL = r"(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
REGISTRY_HOST = re.compile(rf"^{_HOST_LABEL}(?:[.]{_HOST_LABEL})*(?::[0-9]{{1,5}})?\Z")
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\Z")
IMAGE_REF = re.compile(
    rf"^(?:{_HOST_LABEL}(?:[.]{_HOST_LABEL})*(?::[0-9]{{1,5}})?/)?"
    rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?\Z"
)
