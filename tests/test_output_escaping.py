"""What a registry or a docker client sends is data, not terminal control.

A platform, a variant or an error message holding an OSC sequence
(`ESC ]0;pwned BEL` retitles the terminal), a carriage return or a newline
(which forges a line of output) is shown escaped in the text output and on the
CLI's error line; the JSON output stays valid JSON holding the text as sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from mkmultiarch.inspect.checks import Check, CheckOutcome
from mkmultiarch.inspect.report import render_checks
from mkmultiarch.inspect.text import printable
from tests.support.hostile_registry import HostileRegistry, Ran, run_cli, stream
from tests.support.images import REPO, image, platform

EVIL = "\x1b]0;pwned\x07\nok: forged line\r"
RAW = ("\x1b", "\x07", "\r", "\x9b")


@pytest.fixture
def registry() -> Iterator[HostileRegistry]:
    with HostileRegistry() as server:
        yield server


def verify(registry: HostileRegistry, *extra: str) -> Ran:
    ref = f"{registry.host}/{REPO}:1.0"
    return run_cli("verify", ref, "--insecure", *extra, memory=False, timeout=60)


def assert_inert(text: str) -> None:
    """No control character, and no line that the registry forged."""
    for char in RAW:
        assert char not in text, repr(text)
    assert not any(line.startswith("ok: forged line") for line in text.splitlines())


def test_printable() -> None:
    assert printable("linux/arm/v7") == "linux/arm/v7"
    assert printable(EVIL) == "\\x1b]0;pwned\\x07\\nok: forged line\\r"
    assert printable("a\tb\x00c\x7f\x9b2J\u2028\u202e") == "a\\tb\\x00c\\x7f\\x9b2J\\u2028\\u202e"
    assert printable("ünïcode ✓") == "ünïcode ✓"


def test_evil_variant_and_platform(registry: HostileRegistry) -> None:
    entry = image(registry, "arm", "v7")
    evil = {**platform("arm", "v7" + EVIL), "os": "linux\x1b[2J"}
    registry.put_index(REPO, "1.0", [(entry, evil)])

    ran = verify(registry)
    assert ran.code == 1
    assert_inert(ran.stdout)
    assert_inert(ran.stderr)
    assert "v7\\x1b]0;pwned\\x07\\nok: forged line\\r" in ran.stdout
    assert "linux\\x1b[2J" in ran.stdout

    ran = verify(registry, "--json")
    assert ran.code == 1
    data = json.loads(ran.stdout)
    assert data["entries"][0]["platform"] == f"linux\x1b[2J/arm/v7{EVIL}"
    assert "\x1b" not in ran.stdout  # JSON escapes it: \u001b


def test_evil_error_message(registry: HostileRegistry) -> None:
    body = json.dumps({"errors": [{"code": "DENIED", "message": EVIL}]}).encode()

    def deny(handler: BaseHTTPRequestHandler) -> None:
        stream(handler, [body], status=403, length=len(body))

    registry.paths[f"/v2/{REPO}/manifests/1.0"] = deny
    ran = verify(registry)
    assert ran.code == 2
    assert ran.stderr.count("\n") == 1
    assert_inert(ran.stderr)
    assert "DENIED: \\x1b]0;pwned\\x07" in ran.stderr

    ran = verify(registry, "--json")
    assert ran.code == 2
    assert json.loads(ran.stdout)["error"].endswith(f"(DENIED: {EVIL})")


def test_doctor_checks_are_escaped() -> None:
    checks = [
        Check("docker client", CheckOutcome.OK, f"version 24.0{EVIL}"),
        Check("registry x", CheckOutcome.FAIL, "down", f"fix{EVIL}"),
    ]
    text = render_checks(checks)
    assert_inert(text)
    assert "version 24.0\\x1b]0;pwned" in text and "fix: fix\\x1b]0;pwned" in text
