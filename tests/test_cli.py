"""The typer CLI: render (write, idempotent, --check, --diff, --force), init, --version."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mkmultiarch import __version__
from mkmultiarch.cli import app
from mkmultiarch.render.config import load
from tests.support.paths import EXAMPLE_MULTI, EXAMPLE_PROJECT

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200", "NO_COLOR": "1"})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "multiarch.yaml").write_text("image: org/app\narches: [amd64, arm/v7]\n")
    return tmp_path


def test_version_and_help() -> None:
    assert run("--version") == (0, f"mkmultiarch {__version__}\n", "")
    code, out, _ = run("--help")
    assert code == 0 and "render" in out and "init" in out
    code, out, _ = run("render", "--help")
    assert code == 0 and "--check" in out and "--force" in out


def test_no_arguments_shows_help() -> None:
    code, out, err = run()
    assert code == 2 and "render" in out + err


def test_render_writes_then_is_idempotent(project: Path) -> None:
    config = str(project / "multiarch.yaml")
    code, out, _ = run("render", "--config", config)
    assert code == 0 and "wrote" in out
    makefile = (project / "Makefile").read_text()
    mtime = (project / "Makefile").stat().st_mtime_ns
    code, out, _ = run("render", "--config", config)
    assert (code, out) == (0, "up to date\n")
    assert (project / "Makefile").stat().st_mtime_ns == mtime
    assert (project / "Makefile").read_text() == makefile
    assert run("render", "--config", config, "--check")[0] == 0


def test_check_fails_on_stale_output(project: Path) -> None:
    config = str(project / "multiarch.yaml")
    run("render", "--config", config)
    (project / "multiarch.yaml").write_text("image: org/app\narches: [amd64, arm64]\n")
    code, out, err = run("render", "--config", config, "--check")
    assert code == 1
    assert "untouched: " in out and "Makefile" in out  # nobody edited it: render replaces it
    assert "out of date" in err


def test_keeps_edits_and_force_takes_the_rendering(project: Path) -> None:
    config = str(project / "multiarch.yaml")
    run("render", "--config", config)
    makefile = project / "Makefile"
    makefile.write_text(makefile.read_text() + "\nlocal-target:\n\techo mine\n")
    edited = makefile.read_text()
    assert run("render", "--config", config) == (0, "up to date\n", "")  # the team's own edit
    assert makefile.read_text() == edited
    code, _, _ = run("render", "--config", config, "--force")
    assert code == 0 and "local-target" not in makefile.read_text()


def test_refuses_to_overwrite_edits_without_a_record_or_force(project: Path) -> None:
    """A project rendered before the record existed: its edits cannot be told apart."""
    config = str(project / "multiarch.yaml")
    run("render", "--config", config)
    shutil.rmtree(project / ".mkmultiarch")
    makefile = project / "Makefile"
    makefile.write_text(makefile.read_text() + "\nlocal-target:\n\techo mine\n")
    edited = makefile.read_text()
    code, _, err = run("render", "--config", config)
    assert code == 1
    assert "-local-target:" in err  # the diff is shown
    assert "no record of the last rendering" in err and "nothing was written" in err
    assert makefile.read_text() == edited and not (project / ".mkmultiarch").exists()
    assert run("render", "--config", config, "--check")[0] == 1
    code, _, _ = run("render", "--config", config, "--force")
    assert code == 0 and "local-target" not in makefile.read_text()
    assert (project / ".mkmultiarch" / "rendered" / "Makefile").read_text() == makefile.read_text()


def test_diff_writes_nothing(project: Path) -> None:
    code, out, _ = run("render", "--config", str(project / "multiarch.yaml"), "--diff")
    assert code == 1 and "+++ b/Makefile" in out
    assert not (project / "Makefile").exists()


def test_output_directory(project: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    code, _, _ = run(
        "render", "--config", str(project / "multiarch.yaml"), "--output", str(out_dir)
    )
    assert code == 0 and sorted(p.name for p in out_dir.iterdir()) == [
        ".mkmultiarch",
        "Dockerfile",
        "Makefile",
        "mk",
    ]


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("image: Org/App\n", "image: 'Org/App' is not allowed"),
        ("image: org/app\narches: [amd64, amd64]\n", "arches: 'amd64' is listed twice"),
        ("image: org/app\nversion: '1;rm -rf /'\n", "version: '1;rm -rf /' is not allowed"),
        ("image: org/app\ncolour: blue\n", "colour: unknown setting"),
    ],
)
def test_bad_config_is_one_line_exit_2_and_writes_nothing(
    project: Path, yaml_text: str, message: str
) -> None:
    (project / "multiarch.yaml").write_text(yaml_text)
    code, _, err = run("render", "--config", str(project / "multiarch.yaml"))
    assert code == 2
    assert err.startswith("mkmultiarch: ") and message in err and err.count("\n") == 1
    assert sorted(p.name for p in project.iterdir()) == ["multiarch.yaml"]


def test_missing_config(tmp_path: Path) -> None:
    code, _, err = run("render", "--config", str(tmp_path / "nope.yaml"))
    assert code == 2 and "no such file; run `mkmultiarch init`" in err


def test_init_writes_a_starter_that_renders(tmp_path: Path) -> None:
    config = tmp_path / "multiarch.yaml"
    code, _, _ = run("init", "--config", str(config), "--image", "acme/tool")
    assert code == 0 and "image: acme/tool" in config.read_text()
    assert run("render", "--config", str(config))[0] == 0
    code, _, err = run("init", "--config", str(config))
    assert code == 2 and "already exists" in err
    code, _, err = run("init", "--config", str(tmp_path / "x.yaml"), "--image", "Bad Image")
    assert code == 2 and "--image: image:" in err


@pytest.mark.parametrize("example", [EXAMPLE_PROJECT, EXAMPLE_MULTI], ids=lambda p: p.name)
def test_example_is_up_to_date(example: Path) -> None:
    """CI also runs `mkmultiarch render --check` on each; this keeps pytest honest too."""
    code, out, err = run("render", "--config", str(example / "multiarch.yaml"), "--check")
    assert code == 0, out + err


def test_example_multi_has_three_images_each_with_its_main_package() -> None:
    """example-multi shows the several-images shape: images:, a main package per image, and
    the rendered mk/images.mk; render's record is committed with the files."""
    config = load(EXAMPLE_MULTI / "multiarch.yaml")
    assert [entry.name for entry in config.images] == ["server", "worker", "cli"]
    for entry in config.images:
        assert (EXAMPLE_MULTI / entry.go_main / "main.go").is_file(), entry.go_main
    assert config.images[1].arches != config.arches  # one image's own arches
    for rendered in ("Makefile", "Dockerfile", "mk/images.mk"):
        copy = EXAMPLE_MULTI / ".mkmultiarch" / "rendered" / rendered
        assert copy.read_text() == (EXAMPLE_MULTI / rendered).read_text()
