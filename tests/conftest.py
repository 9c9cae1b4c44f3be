"""Shared fixtures (fixtures only: the helpers they use live in tests/support)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.git import make_template_repo


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tagged git copy of the Copier template, shared by the session."""
    return make_template_repo(tmp_path_factory.mktemp("template") / "repo")
