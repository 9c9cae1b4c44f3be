"""Where things are in this repository."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_PROJECT = REPO_ROOT / "example-project"
EXAMPLE_MULTI = REPO_ROOT / "example-multi"  # several images (images:, issue #18)
