"""Text from a registry or a docker client is data, not terminal control.

A registry names platforms, variants and error messages; a docker client
prints versions and errors. Any of them can hold an escape sequence (ESC ]0;
retitles the terminal, CSI moves the cursor or clears the screen), a carriage
return that overwrites a line already printed, or a newline that forges one.
printable() shows every such character as an escape (`\\x1b`, `\\n`), so the
text output shows what was sent without obeying it. JSON output needs no
help: json.dumps escapes them already.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls (CSI is \x9b, OSC \x9d), and the Unicode line
# separators and bidirectional overrides that reorder or break a line on screen.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """TEXT with every control character shown as an escape: one line, inert on a terminal."""
    return _UNSAFE.sub(_escape, text)
