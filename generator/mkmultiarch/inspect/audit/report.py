"""Show an AuditResult: a table for people, JSON for scripts, annotations for GitHub.

Every text that came from a scanned file or a registry is escaped before it
is printed: a control character (an ANSI escape, a carriage return, a bidi
override) is shown as `\\x1b`, `\\r`, `\\u202e`, never sent to the terminal.
"""

from __future__ import annotations

import json
from typing import Any

from mkmultiarch.inspect.audit.check import AuditResult, ReferenceResult, Status, UseResult
from mkmultiarch.inspect.audit.uses import BUILD, STDIN
from mkmultiarch.inspect.text import printable

# Registry text and file names are data: the one escaping verify and doctor use.
escape = printable

HEADERS = ("REFERENCE", "PLATFORMS", "MISSING", "USED AT")
FORMATS = ("text", "json", "github")
_PROBLEM_LABELS = {
    Status.UNRESOLVED: "unresolved variable",
    Status.INVALID: "not a reference",
    Status.ERROR: "cannot check",
}


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def _used_at(result: UseResult, required: tuple[str, ...]) -> str:
    text = escape(result.use.location)
    if result.use.needs == BUILD:
        return f"{text} (build host)"
    if result.needs != required:
        return f"{text} (needs {' '.join(result.needs)})"
    return text


def required_platforms(result: AuditResult) -> tuple[str, ...]:
    return tuple(f"linux/{arch}" for arch in result.required)


def verdict(result: AuditResult) -> str:
    total = len(result.references)
    missing = result.count(Status.MISSING)
    unchecked = total - result.count(Status.OK, Status.MISSING)
    if not missing and not unchecked:
        if not total:
            return "OK: no image references found"
        return f"OK: all {total} reference(s) have the platforms they need"
    parts = []
    if missing:
        parts.append(f"{missing} of {total} reference(s) lack a required platform")
    if unchecked:
        parts.append(f"{unchecked} could not be checked")
    return "FAILED: " + "; ".join(parts)


def _header(result: AuditResult) -> str:
    uses = sum(len(reference.uses) for reference in result.references)
    return (
        f"audit: {uses} use(s) of {len(result.references)} reference(s) in {result.files} "
        f"file(s); required {' '.join(required_platforms(result))} "
        f"(from {escape(result.required_source)}); build host linux/{result.build_arch}"
    )


def _row(reference: ReferenceResult, required: tuple[str, ...]) -> list[tuple[str, ...]]:
    if reference.status.checked:
        platforms = " ".join(reference.platforms) or "none"
        missing = " ".join(reference.missing) or "-"
    else:
        platforms, missing = "?", _PROBLEM_LABELS[reference.status]
    used = [_used_at(use, required) for use in reference.uses]
    rows: list[tuple[str, ...]] = [(escape(reference.reference), platforms, missing, used[0])]
    rows += [("", "", "", where) for where in used[1:]]
    return rows


def render_text(result: AuditResult) -> str:
    lines = [_header(result), ""]
    required = required_platforms(result)
    if result.references:
        rows: list[tuple[str, ...]] = [HEADERS]
        for reference in result.references:
            rows += _row(reference, required)
        lines += _table(rows)
        lines.append("")
    problems = [ref for ref in result.references if not ref.status.checked]
    for reference in problems:
        lines.append(f"{escape(reference.reference)}: {escape(reference.error)}")
    for note in result.skipped:
        lines.append(f"skipped {escape(note)}")
    if problems or result.skipped:
        lines.append("")
    lines.append(verdict(result))
    return "\n".join(lines)


def to_dict(result: AuditResult) -> dict[str, Any]:
    references = []
    for reference in result.references:
        resolution = reference.resolution
        item: dict[str, Any] = {
            "reference": reference.reference,
            "status": reference.status.value,
            "platforms": reference.platforms if reference.status.checked else None,
            "missing": reference.missing,
        }
        if resolution is not None and not resolution.error:
            item |= {
                "digest": resolution.digest,
                "media_type": resolution.media_type,
                "list": resolution.is_list,
                "attestations": resolution.attestations,
            }
        if reference.error:
            item["error"] = reference.error
        item["uses"] = [
            {
                "file": use.use.file,
                "line": use.use.line,
                "source": use.use.source,
                "where": use.use.where,
                "written": use.use.written,
                "needs": list(use.needs),
                "missing": list(use.missing),
                **({"unresolved": list(use.use.unresolved)} if use.use.unresolved else {}),
            }
            for use in reference.uses
        ]
        references.append(item)
    return {
        "ok": result.exit_code == 0,
        "exit_code": int(result.exit_code),
        "required": list(required_platforms(result)),
        "required_source": result.required_source,
        "build_platform": f"linux/{result.build_arch}",
        "files": result.files,
        "references": references,
        "skipped": result.skipped,
        "summary": verdict(result),
    }


def render_json(result: AuditResult) -> str:
    return json.dumps(to_dict(result), indent=2)


def _data(text: str) -> str:
    """GitHub workflow-command escaping of a message."""
    return escape(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(result: AuditResult) -> str:
    """One `::error file=...,line=...::` per use with a problem, then the verdict."""
    lines: list[str] = []
    for reference in result.references:
        for use in reference.uses:
            if reference.status.checked:
                if not use.missing:
                    continue
                have = " ".join(reference.platforms) or "none"
                message = f"{reference.reference} lacks {' '.join(use.missing)} (has {have})"
            else:
                message = f"{reference.reference}: {reference.error}"
            where = f"{use.use.where}: {message}"
            if use.use.file == STDIN:
                properties = "title=mkmultiarch audit"
                where = f"{use.use.location} {where}"
            else:
                properties = f"file={_property(use.use.file)},line={use.use.line}"
                properties += ",title=mkmultiarch audit"
            lines.append(f"::error {properties}::{_data(where)}")
    lines.append(verdict(result))
    return "\n".join(lines)


def render(result: AuditResult, output_format: str) -> str:
    if output_format == "json":
        return render_json(result)
    if output_format == "github":
        return render_github(result)
    return render_text(result)
