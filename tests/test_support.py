"""The suite's own rule: what test modules share lives in tests/support, so no module
under tests/ imports a test module (one that pytest collects, test_*.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.paths import REPO_ROOT

TESTS = REPO_ROOT / "tests"


def package_of(path: Path) -> str:
    """The package relative imports in PATH start from (for an __init__.py, its own)."""
    return ".".join(path.relative_to(REPO_ROOT).parent.parts)


def imported_modules(source: str, package: str) -> set[str]:
    """Absolute names of every module SOURCE, a module of PACKAGE, imports, anywhere in it.

    `from X import y` counts X and X.y, as y may be a module; relative imports are resolved.
    """
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def is_test_module(name: str) -> bool:
    return name.startswith("tests.") and name.rpartition(".")[2].startswith("test_")


def test_no_module_under_tests_imports_a_test_module() -> None:
    sources = sorted(TESTS.rglob("*.py"))
    assert len([path for path in sources if path.name.startswith("test_")]) > 10
    offenders = {
        str(path.relative_to(REPO_ROOT)): found
        for path in sources
        if (
            found := sorted(
                name
                for name in imported_modules(path.read_text(), package_of(path))
                if is_test_module(name)
            )
        )
    }
    assert offenders == {}, "import shared code from tests.support instead"


# PKG stands for the tests package: a grep for imports of test modules finds none here.
@pytest.mark.parametrize(
    ("source", "package"),
    [
        ("from PKG.test_elf import fake_binary", "tests"),
        ("import PKG.test_elf", "tests"),
        ("import PKG.test_elf as elf", "tests"),
        ("from PKG import test_elf", "tests"),
        ("from . import test_elf", "tests"),
        ("from .test_elf import fake_binary", "tests"),
        ("from ..test_elf import fake_binary", "tests.e2e"),
        ("from .test_verify_e2e import helper", "tests.e2e"),
        ("def f() -> None:\n    from PKG.test_elf import fake_binary\n", "tests"),
    ],
)
def test_the_rule_sees_every_form_of_import(source: str, package: str) -> None:
    source = source.replace("PKG", "tests")
    assert any(is_test_module(name) for name in imported_modules(source, package))


@pytest.mark.parametrize(
    ("source", "package"),
    [
        ("from tests.support.elf import fake_binary", "tests"),
        ("from tests.support import elf", "tests"),
        ("from .conftest import E2EEnv", "tests.e2e"),
        ("import pytest", "tests"),
    ],
)
def test_the_rule_lets_support_imports_through(source: str, package: str) -> None:
    assert not any(is_test_module(name) for name in imported_modules(source, package))
