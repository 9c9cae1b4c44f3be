"""render and init against a hostile project: all-or-nothing, never through a link, one line.

The CLI cases run the real command in a child process (tests/support/cli.py);
the rename-failure case runs write_all in process, failing one rename on purpose.
Tests run as root, where chmod stops nothing: an unwritable target is a
directory standing where a file goes, or a file-size limit (RLIMIT_FSIZE).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from mkmultiarch.render import output
from mkmultiarch.render.config import validate
from mkmultiarch.render.output import BACKUP_SUFFIX, TEMP_SUFFIX, OutputError, plan, write_all
from mkmultiarch.render.templates import render
from tests.support.cli import refusal, run_cli

CONFIG = "image: org/app\narches: [amd64, arm/v7]\n"
CHANGED_CONFIG = "image: org/other\narches: [amd64, arm64, riscv64]\nci: [github]\n"
RENDERED = [
    "Dockerfile",
    "Makefile",
    "mk/common.mk",
    "mk/engine-docker.mk",
    "mk/engine-podman.mk",
    "mk/guard.mk",
]


def tree(root: Path) -> dict[str, bytes | str]:
    """Every entry under ROOT: a file's bytes, a link's target, or "<dir>"."""
    entries: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.is_symlink():
            entries[name] = f"-> {os.readlink(path)}"
        elif path.is_dir():
            entries[name] = "<dir>"
        else:
            entries[name] = path.read_bytes()
    return entries


def leftovers(root: Path) -> list[str]:
    return [p.name for p in root.rglob("*") if p.name.endswith((TEMP_SUFFIX, BACKUP_SUFFIX))]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    directory = tmp_path / "project"
    directory.mkdir()
    (directory / "multiarch.yaml").write_text(CONFIG)
    return directory


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory outside the project, with a file a link may point at."""
    directory = tmp_path / "outside"
    directory.mkdir()
    (directory / "precious").write_text("not yours\n")
    return directory


def render_cli(project: Path, *args: str, file_size: int | None = None) -> Any:
    return run_cli(
        "render", "--config", str(project / "multiarch.yaml"), *args, file_size=file_size
    )


# Links


@pytest.mark.parametrize("args", [(), ("--force",), ("--diff",), ("--check",)])
def test_a_symlinked_makefile_is_refused(project: Path, outside: Path, args: tuple[str]) -> None:
    (project / "Makefile").symlink_to(outside / "precious")
    before, outside_before = tree(project), tree(outside)
    result = render_cli(project, *args)
    line = refusal(result)
    assert f"{project / 'Makefile'}: is a symbolic link" in line
    assert "not yours" not in result.stdout  # --diff did not read through it
    assert tree(project) == before and tree(outside) == outside_before


def test_a_dangling_symlinked_makefile_is_refused(project: Path, outside: Path) -> None:
    (project / "Makefile").symlink_to(outside / "Makefile")  # would create a file outside
    line = refusal(render_cli(project, "--force"))
    assert "Makefile: is a symbolic link" in line
    assert sorted(p.name for p in outside.iterdir()) == ["precious"]


@pytest.mark.parametrize(
    ("link", "config"),
    [
        ("mk", CONFIG),
        (".github", CONFIG + "ci: [github]\n"),
        (".github/workflows", CONFIG + "ci: [github]\n"),
    ],
)
def test_a_symlinked_directory_on_the_way_is_refused(
    project: Path, outside: Path, link: str, config: str
) -> None:
    (project / "multiarch.yaml").write_text(config)
    (project / link).parent.mkdir(parents=True, exist_ok=True)
    (project / link).symlink_to(outside, target_is_directory=True)
    before, outside_before = tree(project), tree(outside)
    line = refusal(render_cli(project))
    assert f"{project / link}: is a symbolic link" in line
    assert tree(project) == before and tree(outside) == outside_before  # nothing written


def test_the_output_directory_itself_may_be_a_link(project: Path, tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "via-link").symlink_to(real, target_is_directory=True)
    result = render_cli(project, "--output", str(tmp_path / "via-link"))
    assert result.returncode == 0, result.stderr
    assert (real / "Makefile").is_file()


def test_init_refuses_to_write_through_a_link(tmp_path: Path, outside: Path) -> None:
    config = tmp_path / "multiarch.yaml"
    for target in (outside / "precious", outside / "new.yaml"):  # existing and dangling
        config.unlink(missing_ok=True)
        config.symlink_to(target)
        for args in ((), ("--force",)):
            line = refusal(run_cli("init", "--config", str(config), *args))
            assert f"{config}: is a symbolic link" in line
    assert tree(outside) == {"precious": b"not yours\n"}


def test_init_refuses_a_fifo_or_a_directory_even_with_force(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    (tmp_path / "dir.yaml").mkdir()
    for path in (fifo, tmp_path / "dir.yaml"):
        line = refusal(run_cli("init", "--force", "--config", str(path)))
        assert f"{path}: not a regular file" in line


def test_init_force_replaces_a_regular_file_atomically(tmp_path: Path) -> None:
    config = tmp_path / "multiarch.yaml"
    config.write_text("old\n")
    result = run_cli("init", "--force", "--config", str(config), "--image", "acme/tool")
    assert result.returncode == 0, result.stderr
    assert "image: acme/tool" in config.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["multiarch.yaml"]


# Unreadable and unwritable targets


def test_a_directory_where_a_file_goes_writes_nothing(project: Path) -> None:
    (project / "mk" / "guard.mk").mkdir(parents=True)  # sorts last: the rest came first
    before = tree(project)
    line = refusal(render_cli(project, "--force"))
    assert "mk/guard.mk: not a regular file" in line
    assert tree(project) == before and leftovers(project) == []


def test_a_file_where_a_directory_goes_writes_nothing(project: Path) -> None:
    (project / "mk").write_text("a file\n")
    before = tree(project)
    line = refusal(render_cli(project))
    assert f"{project / 'mk'}: not a directory" in line
    assert tree(project) == before


def test_a_fifo_where_a_file_goes_is_refused_without_blocking(project: Path) -> None:
    os.mkfifo(project / "Makefile")
    line = refusal(render_cli(project, "--check"))
    assert "Makefile: not a regular file" in line


def test_a_makefile_that_is_not_utf8_is_one_line(project: Path) -> None:
    (project / "Makefile").write_bytes(b"all:\n\techo \xff\xfe\n")
    before = tree(project)
    for args in ((), ("--force",), ("--diff",)):
        line = refusal(render_cli(project, *args))
        assert "Makefile: not UTF-8 text (byte 11)" in line
    assert tree(project) == before


def test_a_huge_existing_target_is_refused_unread(project: Path) -> None:
    (project / "Makefile").write_bytes(b"#" * (output.MAX_TARGET_BYTES + 1))
    assert "Makefile: larger than 1024 KiB" in refusal(render_cli(project))


def test_a_failed_write_changes_no_file_and_leaves_no_temporary(project: Path) -> None:
    """A full disk, as RLIMIT_FSIZE: the Dockerfile (2 KiB) fits, the Makefile (7 KiB) does not."""
    assert render_cli(project).returncode == 0
    (project / "multiarch.yaml").write_text(CHANGED_CONFIG)
    before = tree(project)
    line = refusal(render_cli(project, "--force", file_size=4096))
    assert "cannot write it (File too large); nothing was changed" in line
    assert tree(project) == before and leftovers(project) == []
    fresh = project.parent / "fresh"
    fresh.mkdir()
    (fresh / "multiarch.yaml").write_text(CONFIG)
    refusal(render_cli(fresh, file_size=4096))
    assert tree(fresh) == {"multiarch.yaml": CONFIG.encode()}  # no file, no new mk/


def test_a_rename_failing_midway_restores_what_was_replaced(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = render(validate({"image": "org/app", "arches": ["amd64", "arm/v7"]}))
    write_all(plan(first, project))
    before = tree(project)
    second = render(validate({"image": "org/other", "arches": ["amd64"], "ci": ["github"]}))
    planned = plan(second, project)
    stale = [p.rendered.path for p in planned if p.current != p.rendered.text]
    assert stale == [".github/workflows/multiarch.yml", "Dockerfile", "Makefile"]

    real_replace = os.replace
    renames: list[str] = []

    def third_rename_fails(source: Any, destination: Any) -> None:
        if str(source).endswith(TEMP_SUFFIX):
            renames.append(str(destination))
            if len(renames) == 3:
                raise OSError(5, "Input/output error", str(source))
        real_replace(source, destination)

    monkeypatch.setattr(os, "replace", third_rename_fails)
    with pytest.raises(OutputError) as raised:
        write_all(planned)
    monkeypatch.undo()
    message = str(raised.value)
    assert message.endswith("/Makefile: cannot write it (Input/output error); nothing was changed")
    assert len(renames) == 3  # the workflow (new) and the Dockerfile were in place: undone
    assert tree(project) == before and leftovers(project) == []


def test_a_target_turned_into_a_directory_after_planning_writes_nothing(project: Path) -> None:
    planned = plan(render(validate({"image": "org/app"})), project)
    (project / "mk" / "engine-podman.mk").mkdir(parents=True)
    before = tree(project)
    with pytest.raises(OutputError, match=r"engine-podman\.mk: not a regular file"):
        write_all(planned)
    assert tree(project) == before and leftovers(project) == []


def test_a_directory_turned_into_a_link_after_planning_writes_nothing(
    project: Path, outside: Path
) -> None:
    planned = plan(render(validate({"image": "org/app"})), project)
    (project / "mk").symlink_to(outside, target_is_directory=True)
    with pytest.raises(OutputError, match="mk: is a symbolic link"):
        write_all(planned)
    assert sorted(p.name for p in project.iterdir()) == ["mk", "multiarch.yaml"]
    assert tree(outside) == {"precious": b"not yours\n"}


def test_a_good_render_still_writes_everything(project: Path) -> None:
    result = render_cli(project)
    assert result.returncode == 0, result.stderr
    record = [".mkmultiarch", ".mkmultiarch/README", ".mkmultiarch/rendered"]
    record += [".mkmultiarch/rendered/mk", *(f".mkmultiarch/rendered/{name}" for name in RENDERED)]
    assert sorted(tree(project)) == sorted(["multiarch.yaml", "mk", *RENDERED, *record])
    assert leftovers(project) == []
    assert (project / "Makefile").stat().st_mode & 0o777 == 0o644


def test_a_rollback_that_cannot_restore_says_where_the_old_file_is(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_all(plan(render(validate({"image": "org/app"})), project))
    old_dockerfile = (project / "Dockerfile").read_bytes()
    planned = plan(render(validate({"image": "org/other"})), project)
    real_replace = os.replace

    def fail_makefile_and_restores(source: Any, destination: Any) -> None:
        if str(source).endswith(BACKUP_SUFFIX) or Path(destination).name == "Makefile":
            raise OSError(5, "Input/output error", str(source))
        real_replace(source, destination)

    monkeypatch.setattr(os, "replace", fail_makefile_and_restores)
    with pytest.raises(OutputError) as raised:
        write_all(planned)
    monkeypatch.undo()
    message = str(raised.value)
    assert "Makefile: cannot write it (Input/output error); and could not restore" in message
    assert "\n" not in message
    (kept,) = leftovers(project)  # the Dockerfile's old version, named in the message
    assert kept.endswith(BACKUP_SUFFIX) and kept in message
    assert (project / kept).read_bytes() == old_dockerfile


def test_an_unreadable_target_is_one_line(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root reads anything, so the refusal of the OS is simulated."""
    real_open = os.open

    def refuse_makefile(path: Any, *args: Any, **kwargs: Any) -> int:
        if Path(path).name == "Makefile":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    (project / "Makefile").write_text("all:\n")
    monkeypatch.setattr(os, "open", refuse_makefile)
    with pytest.raises(OutputError, match=r"Makefile: cannot read it: Permission denied\Z"):
        plan(render(validate({"image": "org/app"})), project)
