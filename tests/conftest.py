"""Shared fixtures (fixtures only: the helpers they use live in tests/support)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fake_registry import FakeRegistry
from tests.support.git import make_template_repo


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tagged git copy of the Copier template, shared by the session."""
    return make_template_repo(tmp_path_factory.mktemp("template") / "repo")


@pytest.fixture
def registry() -> Iterator[FakeRegistry]:
    """An empty, anonymous FakeRegistry serving on 127.0.0.1 for one test."""
    with FakeRegistry() as server:
        yield server
