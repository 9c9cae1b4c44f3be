"""The release's tag set, computed by the generated Makefile (mk/common.mk) from VERSION,
TAGS and LATEST: what `make help` names and what docker-push would push."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.makeplan import make, plan
from tests.support.rendering import render_into

ALL = "TAGS=version minor major"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tags")
    render_into(root, {"image": "org/app", "registry": "r.example", "tags": ["version", "minor"]})
    return root


def lists(project: Path, *args: str) -> list[str]:
    """The list tags `make help` names for this run."""
    result = make(project, "help", *args)
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("  lists: "))
    return [ref.rpartition(":")[2] for ref in line.split()[1:]]


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("1.2.3", ["1.2.3", "1.2", "1", "latest"]),
        ("v1.2.3", ["1.2.3", "1.2", "1", "latest"]),  # a git tag's v is dropped everywhere
        ("0.1.0", ["0.1.0", "0.1", "0", "latest"]),
        ("10.20.30", ["10.20.30", "10.20", "10", "latest"]),
        ("1.2.3-rc1", ["1.2.3-rc1", "latest"]),  # a pre-release publishes only itself
        ("v2.0.0-rc.1", ["2.0.0-rc.1", "latest"]),
        ("v1.4.0-3-gabc1234-dirty", ["1.4.0-3-gabc1234-dirty", "latest"]),  # git describe
        ("sha-0123abc", ["sha-0123abc", "latest"]),  # not semver: itself, as it is
        ("v-next", ["v-next", "latest"]),
        ("1.2", ["1.2", "latest"]),
        ("01.2.3", ["01.2.3", "latest"]),  # a leading zero is not semver
        ("1.2.3.4", ["1.2.3.4", "latest"]),
        ("1.2.3.", ["1.2.3.", "latest"]),
        ("1..3", ["1..3", "latest"]),
    ],
)
def test_semver_tag_set(project: Path, version: str, expected: list[str]) -> None:
    assert lists(project, f"VERSION={version}", ALL, "LATEST=1") == expected


def test_tags_choose_the_lists_and_latest_stays_its_own_switch(project: Path) -> None:
    # The rendered default: tags: [version, minor] from the config, latest: true.
    assert lists(project, "VERSION=v3.4.5") == ["3.4.5", "3.4", "latest"]
    assert lists(project, "VERSION=3.4.5", "TAGS=version", "LATEST=0") == ["3.4.5"]
    assert lists(project, "VERSION=3.4.5", "TAGS=version major", "LATEST=0") == ["3.4.5", "3"]


def test_every_list_is_pushed_and_recorded(project: Path) -> None:
    commands = plan(project, "VERSION=v1.2.3", ALL, "docker-push")
    pushes = [c for c in commands if c.startswith("docker manifest push ")]
    assert pushes == [
        f"docker manifest push --purge r.example/org/app:{tag} >.digests/v1.2.3/pushed"
        for tag in ("1.2.3", "1.2", "1", "latest")
    ]
    # Per-arch images keep VERSION as it is: they are this run's inputs, not release names.
    assert "docker push r.example/org/app:amd64-v1.2.3" in commands


@pytest.mark.parametrize("tags", ["latest", "minor major", "version patch", "version,minor", ""])
def test_check_vars_refuses_a_bad_tag_set(project: Path, tags: str) -> None:
    result = make(project, "VERSION=1.2.3", f"TAGS={tags}", "docker-build")
    assert result.returncode == 2
    assert f"make: TAGS='{tags}' is not allowed: use version" in result.stderr
    assert "(latest is LATEST=1)" in result.stderr
