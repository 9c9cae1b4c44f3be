"""How a config refusal reads: one ConfigError line, the refused value short and escaped.

A refused value may be hostile (a terminal escape, a megabyte of text), so messages echo it
cut to a few dozen characters with every control character escaped.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkmultiarch.errors import BadInputError

SHOWN_CHARS = 60  # an echoed value is cut to this many characters


class ConfigError(BadInputError):
    """A config value is missing or not allowed; the message is one line for the user."""


# Messages: a refused value is echoed cut short, with control characters escaped,
# so a hostile file cannot flood the terminal or move its cursor.

SETTING_NAME = re.compile(r"[A-Za-z0-9_]{1,60}\Z")


def printable(text: str, limit: int = SHOWN_CHARS) -> str:
    """TEXT with every non-printable character escaped (\\n, \\x1b...), cut to LIMIT chars + …."""
    cut = text[:limit]
    escaped = "".join(char if char.isprintable() else repr(char)[1:-1] for char in cut)
    return escaped + ("…" if len(text) > limit else "")


def shown(value: object, *, quoted: bool = True) -> str:
    """VALUE for a message: short, one line, no control characters; a str is quoted."""
    if isinstance(value, str):
        text = printable(value)
        return f"'{text}'" if quoted else text
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"a number of about {int(value.bit_length() * 0.30103)} digits"
    if isinstance(value, list | tuple | dict | set) and len(value) > 8:
        return f"a {type(value).__name__} of {len(value)} items"
    return printable(repr(value))


def shown_path(path: Path | str) -> str:
    """A path for a message: printable, and cut short when it is very long."""
    return printable(str(path), limit=200)
