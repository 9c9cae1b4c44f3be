"""Show a VerifyResult: a plain-text table for people, JSON for scripts.

Every string of the text output goes through printable(): names, platforms
and messages come from a registry or a docker client, and a control
character in them is shown, not obeyed (text.py). JSON escapes them itself.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from mkmultiarch.errors import MkmultiarchError
from mkmultiarch.inspect.checks import LABELS, Check, CheckOutcome
from mkmultiarch.inspect.text import printable
from mkmultiarch.inspect.verify.results import VerifyResult

HEADERS = ("PLATFORM", "CONFIG", "ENTRYPOINT", "BINARY", "RESULT")


def table(rows: Sequence[Sequence[str]], indent: str = "") -> list[str]:
    """Left-aligned columns, two spaces apart, no trailing blanks; every cell made printable."""
    rows = [[printable(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        (
            indent + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def _short(digest: str) -> str:
    algorithm, _, value = digest.partition(":")
    return f"{algorithm}:{value[:12]}" if value else digest


def render_text(result: VerifyResult) -> str:
    """The human report: header, one row per entry, then every finding, then the verdict."""
    lines = [f"image     {result.image}"]
    lines.append(f"digest    {result.digest} ({result.media_type_name})")
    if result.expected:
        lines.append(f"expected  {' '.join(result.expected)} (from {result.expected_source})")
    else:
        lines.append("expected  nothing given (use --arch or --config)")
    lines.append(f"auth      {result.auth}")
    lines = [printable(line) for line in lines]
    lines.append("")

    rows: list[tuple[str, ...]] = [HEADERS]
    for entry in result.entries:
        if entry.kind == "attestation":
            rows.append((entry.platform, "-", "-", "-", "attestation, not a platform"))
            continue
        rows.append(
            (
                entry.platform,
                entry.config_platform or "-",
                entry.entrypoint or "-",
                entry.binary or "-",
                LABELS[entry.status],
            )
        )
    lines += table(rows)
    lines.append("")

    findings = [(check.status, check.name, check.message) for check in result.checks]
    for entry in result.entries:
        if entry.kind == "attestation":
            continue
        findings += [
            (check.status, f"{entry.platform} {check.name}", check.message)
            for check in entry.checks
        ]
    order = {
        CheckOutcome.FAIL: 0,
        CheckOutcome.WARNING: 1,
        CheckOutcome.INFO: 2,
        CheckOutcome.OK: 3,
        CheckOutcome.SKIPPED: 4,
    }
    findings.sort(key=lambda item: order[item[0]])
    lines += table([(LABELS[status], f"{name}:", message) for status, name, message in findings])
    lines.append("")

    problems = result.problems
    warnings = result.findings(CheckOutcome.WARNING)
    platforms = len(result.present)
    image = printable(result.image)
    if problems:
        lines.append(f"FAILED: {len(problems)} problem(s) in {image}")
    else:
        extra = f", {len(warnings)} warning(s)" if warnings else ""
        lines.append(f"OK: {image} is a manifest list of {platforms} platform(s){extra}")
    return "\n".join(lines)


def render_json(result: VerifyResult) -> str:
    return json.dumps(result.to_dict(), indent=2)


def render_error_json(image: str, error: MkmultiarchError) -> str:
    """The JSON for a tag that could not be checked: the error and its exit code."""
    data = {"image": image, "ok": False, "exit_code": int(error.exit_code), "error": str(error)}
    return json.dumps(data, indent=2)


def render_checks(checks: Sequence[Check]) -> str:
    """`doctor` output: status, name, detail; the fix on the next line, under the detail."""
    rows = [(LABELS[check.status], check.name, check.message) for check in checks]
    widths = [max(len(printable(row[i])) for row in rows) for i in range(2)] if rows else [0, 0]
    indent = " " * (widths[0] + widths[1] + 4)
    lines: list[str] = []
    for check, line in zip(checks, table(rows) if rows else [], strict=True):
        lines.append(line)
        if check.fix and check.status is not CheckOutcome.OK:  # info and skipped too
            lines.append(f"{indent}fix: {printable(check.fix)}")
    failures = sum(check.status is CheckOutcome.FAIL for check in checks)
    warnings = sum(check.status is CheckOutcome.WARNING for check in checks)
    lines.append("")
    if failures:
        lines.append(f"FAILED: {failures} failure(s), {warnings} warning(s)")
    else:
        lines.append(
            f"OK: no failures, {warnings} warning(s)" if warnings else "OK: all checks passed"
        )
    return "\n".join(lines)
