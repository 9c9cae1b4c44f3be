"""merge3: the three-way line merge render uses to keep a team's edits."""

from __future__ import annotations

import pytest

from mkmultiarch.render.merge import MergeResult, has_conflict_markers, merge3

BASE = "a\nb\nc\nd\ne\n"


def lines(*items: str) -> str:
    return "".join(f"{item}\n" for item in items)


def test_nothing_changed() -> None:
    assert merge3(BASE, BASE, BASE) == MergeResult(BASE, 0)


def t(letters: str) -> str:
    """One line per letter: t("abc") is "a\\nb\\nc\\n"."""
    return lines(*letters)


@pytest.mark.parametrize(
    ("ours", "theirs", "merged"),
    [
        (t("aBcde"), BASE, t("aBcde")),  # one side changes a line: that side wins
        (BASE, t("abcDe"), t("abcDe")),
        (t("aBcde"), t("abcDe"), t("aBcDe")),  # both change, in different places
        (t("aXcde"), t("aXcde"), t("aXcde")),  # the same change on both sides is taken once
        (t("0abcde"), t("abcdef"), t("0abcdef")),  # insert at the start / at the end
        (t("abcdeT"), t("Sabcde"), t("SabcdeT")),
        (t("acde"), t("abcd"), t("acd")),  # a deletion on each side
        (BASE, t("ae"), t("ae")),  # one side deletes a run the other left alone
        (t("ae"), BASE, t("ae")),
    ],
)
def test_clean_merges(ours: str, theirs: str, merged: str) -> None:
    result = merge3(BASE, ours, theirs)
    assert (result.text, result.conflicts) == (merged, 0)
    assert not has_conflict_markers(result.text)


def test_a_makefile_target_added_by_the_team_survives_a_settings_change() -> None:
    base = lines("IMG ?= org/app", "LATEST ?= 1", "", "all: build")
    ours = base + lines("", "team:", "\t@echo ours")
    theirs = base.replace("LATEST ?= 1", "LATEST ?= 0")
    result = merge3(base, ours, theirs)
    assert result.conflicts == 0
    assert result.text == theirs + lines("", "team:", "\t@echo ours")


def test_different_changes_to_one_line_conflict_with_git_markers() -> None:
    result = merge3(BASE, lines("a", "ours", "c", "d", "e"), lines("a", "theirs", "c", "d", "e"))
    assert result.conflicts == 1
    assert result.text == lines(
        "a",
        "<<<<<<< yours",
        "ours",
        "||||||| last rendering",
        "b",
        "=======",
        "theirs",
        ">>>>>>> new rendering",
        "c",
        "d",
        "e",
    )
    assert has_conflict_markers(result.text)


def test_two_conflicts_are_counted_and_the_clean_parts_merged() -> None:
    ours = lines("A1", "b", "c", "d", "E1")
    theirs = lines("A2", "b", "C", "d", "E2")
    result = merge3(BASE, ours, theirs)
    assert result.conflicts == 2
    assert "\nC\n" in result.text
    assert result.text.count("<<<<<<< yours\n") == 2


def test_both_insert_different_lines_at_the_end_conflict() -> None:
    result = merge3(BASE, BASE + "ours\n", BASE + "theirs\n")
    assert result.conflicts == 1
    assert result.text.startswith(BASE + "<<<<<<< yours\nours\n||||||| last rendering\n=======\n")


def test_a_missing_final_newline_does_not_glue_a_marker_to_a_line() -> None:
    result = merge3("x\n", "ours", "theirs")
    assert result.conflicts == 1
    assert result.text == lines(
        "<<<<<<< yours",
        "ours",
        "||||||| last rendering",
        "x",
        "=======",
        "theirs",
        ">>>>>>> new rendering",
    )


def test_repeated_lines_are_matched_not_junked() -> None:
    """A Makefile repeats blank and `.PHONY` lines; autojunk would treat them as noise."""
    base = "".join(f"t{n}:\n\t@true\n\n" for n in range(150))
    ours = base.replace("t3:\n", "t3: dep\n")
    theirs = base.replace("t140:\n", "t140: other\n")
    result = merge3(base, ours, theirs)
    assert result.conflicts == 0
    assert "t3: dep\n" in result.text and "t140: other\n" in result.text


def test_markers_need_a_start_and_an_end_line() -> None:
    assert not has_conflict_markers("=======\n# a banner\n")
    assert not has_conflict_markers("<<<<<<< only a start\n")
    assert has_conflict_markers("<<<<<<< a\nx\n=======\ny\n>>>>>>> b\n")
