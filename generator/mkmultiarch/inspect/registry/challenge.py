"""Parse a WWW-Authenticate header into the challenges a 401 offers.

Written by hand because the header's grammar (RFC 9110 section 11.6.1) lets a
quoted value hold commas, `=` and escapes, and lets several challenges share
one header: splitting on commas gets Bearer scopes such as
`repository:o/r:pull,push` wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Challenge:
    """One challenge of a WWW-Authenticate header; scheme lowercased, param names too."""

    scheme: str
    params: dict[str, str] = field(default_factory=dict)


_SEPARATORS = " \t,="


def parse_www_authenticate(header: str) -> list[Challenge]:
    """Parse `Bearer realm="https://a/token",service="x",scope="repository:o/r:pull,push"`.

    Quoted values may hold commas, `=` and backslash escapes; several
    challenges may share one header (or come in several, joined with commas).
    A token68 (e.g. `Negotiate abc==`) is skipped.
    """
    challenges: list[Challenge] = []
    current: Challenge | None = None
    i, n = 0, len(header)

    def skip_blanks(j: int) -> int:
        while j < n and header[j] in " \t":
            j += 1
        return j

    while i < n:
        while i < n and header[i] in " \t,":
            i += 1
        start = i
        while i < n and header[i] not in _SEPARATORS:
            i += 1
        word = header[start:i]
        if not word:  # a stray "=": skip it
            i += 1
            continue
        j = skip_blanks(i)
        pad = j
        while pad < n and header[pad] == "=":
            pad += 1
        if pad > j and (pad - j > 1 or skip_blanks(pad) >= n or header[skip_blanks(pad)] == ","):
            i = pad  # a token68 such as `abc==`: not a parameter
            continue
        if j < n and header[j] == "=" and current is not None:
            j = skip_blanks(j + 1)
            if j < n and header[j] == '"':
                j += 1
                value: list[str] = []
                while j < n and header[j] != '"':
                    if header[j] == "\\" and j + 1 < n:
                        j += 1
                    value.append(header[j])
                    j += 1
                current.params[word.lower()] = "".join(value)
                i = j + 1
            else:
                end = j
                while end < n and header[end] not in " \t,":
                    end += 1
                current.params[word.lower()] = header[j:end]
                i = end
        elif j < n and header[j] == "=":  # a parameter before any scheme: skip it
            i = j + 1
        else:
            current = Challenge(word.lower())
            challenges.append(current)
            i = j
    return challenges
