"""`mkmultiarch init` in an existing repository: it proposes what the project says.

The files read are the project's, so untrusted: a value the validator refuses is dropped
with a note, reads are bounded, links and FIFOs are not followed, credentials in a git
remote never reach the output or the file. Every guess is shown with its origin, every
flag overrides one, and with stdin not a terminal nothing is asked.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import yaml

from mkmultiarch.render.config import load
from mkmultiarch.render.discover import MAX_FILE_BYTES, discover, source_from_remote
from tests.support.cli import refusal, run_cli
from tests.support.git import git


def _project(root: Path, *, module: str = "github.com/Acme/Widget", go: str = "1.22") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "go.mod").write_text(f"module {module}\n\ngo {go}\n", encoding="utf-8")
    return root


def _main(root: Path, name: str) -> None:
    directory = root / "cmd" / name
    directory.mkdir(parents=True)
    (directory / "main.go").write_text("// Command x.\npackage main\n\nfunc main() {}\n")


def shown(out: str) -> dict[str, tuple[str, str]]:
    """init's table of guesses: setting -> (value, origin), from its aligned columns."""
    rows = [re.split(r"  +", line, maxsplit=2) for line in out.splitlines()]
    return {row[0]: (row[1], row[2]) for row in rows if len(row) == 3}


def _init(root: Path, *flags: str) -> tuple[int, str, str, dict[str, object]]:
    result = run_cli("init", "--config", str(root / "multiarch.yaml"), *flags)
    written: dict[str, object] = {}
    if (root / "multiarch.yaml").exists():
        written = yaml.safe_load((root / "multiarch.yaml").read_text(encoding="utf-8"))
        load(root / "multiarch.yaml")  # what init writes, render accepts
    return result.returncode, result.stdout, result.stderr, written


def test_a_go_repository_gives_every_value_and_where_it_came_from(tmp_path: Path) -> None:
    root = _project(tmp_path / "widget")
    _main(root, "widget")
    (root / "cmd" / "widget" / "main_test.go").write_text("package main_test\n")
    (root / "internal").mkdir()
    git(root, "init", "-q")
    git(root, "remote", "add", "origin", "git@github.com:acme/widget.git")
    code, out, err, written = _init(root)
    assert code == 0, err
    assert written["image"] == "acme/widget"
    assert written["go_version"] == "1.22"
    assert written["go_main"] == "./cmd/widget"
    assert written["source"] == "https://github.com/acme/widget"
    assert written["language"] == "go"
    assert shown(out) == {
        "image": ("acme/widget", "(from go.mod module github.com/Acme/Widget; override: --image)"),
        "go_version": ("1.22", "(from go.mod's go directive; override: --go-version)"),
        "go_main": ("./cmd/widget", "(from the one main package under cmd/; override: --go-main)"),
        "source": (
            "https://github.com/acme/widget",
            "(from git remote origin; override: --source)",
        ),
    }


def test_flags_override_every_guess(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    _main(root, "widget")
    (root / "Dockerfile").write_text("FROM alpine\n")
    git(root, "init", "-q")
    git(root, "remote", "add", "origin", "https://github.com/acme/widget")
    code, out, err, written = _init(
        root,
        "--image", "other/name",
        "--go-version", "1.23",
        "--go-main", ".",
        "--language", "go",
        "--source", "https://example.com/x",
    )  # fmt: skip
    assert code == 0, err
    assert written["image"] == "other/name"
    assert (written["go_version"], written["go_main"]) == ("1.23", ".")
    assert (written["language"], written["source"]) == ("go", "https://example.com/x")
    assert shown(out)["image"] == ("other/name", "(from --image)")
    assert shown(out)["source"] == ("https://example.com/x", "(from --source)")


def test_several_main_packages_are_several_images(tmp_path: Path) -> None:
    """Without a terminal nothing is asked: one image per main package, under the owner."""
    root = _project(tmp_path / "p")
    _main(root, "api")
    _main(root, "worker")
    code, out, err, written = _init(root)
    assert code == 0, err
    assert written["images"] == [
        {"name": "api", "image": "acme/api"},
        {"name": "worker", "image": "acme/worker"},
    ]
    assert "image" not in written and "go_main" not in written
    origin = "acme: from go.mod module github.com/Acme/Widget; override: --image"
    assert shown(out)["images[api]"] == ("acme/api", f"(from ./cmd/api; {origin})")
    assert shown(out)["images[worker]"] == ("acme/worker", f"(from ./cmd/worker; {origin})")
    assert "note: one image instead: --go-main, e.g. --go-main ./cmd/api" in out
    # The project renders: a Makefile building both images.
    rendered = run_cli("render", "--config", str(root / "multiarch.yaml"))
    assert rendered.returncode == 0, rendered.stderr
    assert "override IMG_worker := acme/worker" in (root / "mk" / "images.mk").read_text()
    # --go-main picks one image, as before.
    code, _, err, written = _init(root, "--force", "--go-main", "./cmd/worker")
    assert code == 0, err
    assert (written["image"], written["go_main"]) == ("acme/widget", "./cmd/worker")
    assert "images" not in written


def test_the_images_take_the_owner_of_image_and_a_name_from_each_directory(
    tmp_path: Path,
) -> None:
    root = tmp_path / "p"
    root.mkdir()
    for name in ("my_tool", "server", "arm64"):
        _main(root, name)
    code, out, err, written = _init(root, "--image", "team/anything")
    assert code == 0, err
    # my_tool: a name of its own (my-tool) and its main package; arm64 is a word the
    # Makefile's targets use, so no image (noted).
    assert written["images"] == [
        {"name": "my-tool", "image": "team/my-tool", "go_main": "./cmd/my_tool"},
        {"name": "server", "image": "team/server"},
    ]
    assert "note: ignored ./cmd/arm64 as an image: its directory is no image name" in out
    assert shown(out)["images[server]"] == (
        "team/server",
        "(from ./cmd/server; team: from --image)",
    )
    # Nothing to read: the placeholder's owner, said so.
    bare = tmp_path / "q"
    bare.mkdir()
    _main(bare, "a")
    _main(bare, "b")
    code, out, err, written = _init(bare)
    assert code == 0, err
    assert written["images"] == [
        {"name": "a", "image": "my-org/a"},
        {"name": "b", "image": "my-org/b"},
    ]
    assert "my-org: a placeholder; set it: --image org/app" in out


def test_main_packages_that_make_no_two_images_name_the_flag(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    _main(root, "arm64")
    _main(root, "worker")
    result = run_cli("init", "--config", str(root / "multiarch.yaml"))
    line = refusal(result)
    assert "several main packages (./cmd/arm64 ./cmd/worker) that are not images" in line
    assert "pass one with --go-main, e.g. --go-main ./cmd/arm64" in line
    assert not (root / "multiarch.yaml").exists()


def test_a_dockerfile_it_did_not_write_means_language_dockerfile(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "Dockerfile").write_text("FROM debian:12\nRUN true\n")
    code, out, err, written = _init(root, "--image", "acme/tool")
    assert code == 0, err
    assert written["language"] == "dockerfile"
    assert "(from a Dockerfile mkmultiarch did not write; override: --language)" in out
    ours = tmp_path / "q"
    ours.mkdir()
    (ours / "Dockerfile").write_text("# Dockerfile for x.\n#\n# Generated by mkmultiarch; now\n")
    code, _, err, written = _init(ours, "--image", "acme/tool")
    assert code == 0, err
    assert written["language"] == "go"


def test_nothing_to_read_gives_the_placeholder_as_before(tmp_path: Path) -> None:
    code, out, err, written = _init(tmp_path)
    assert code == 0, err
    assert written["image"] == "my-org/my-app"
    assert "a placeholder; set it: --image org/app" in out


def test_values_the_validator_refuses_are_dropped_with_a_note(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", module="example.com/org/$(id)", go="1.22;rm")
    git(root, "init", "-q")
    git(root, "remote", "add", "origin", "https://tok:s3cret@git.example.com/org/app?x=1")
    code, out, err, written = _init(root)
    assert code == 0, err
    assert "ignored go.mod module example.com/org/$(id): image:" in out
    assert "ignored go.mod's go directive: go_version:" in out
    assert written["go_version"] == "1.23"  # the default
    assert written["image"] == "org/app"  # from the remote, which was readable
    assert "s3cret" not in out + err
    assert "s3cret" not in (root / "multiarch.yaml").read_text()


def test_reads_are_bounded_and_follow_no_links(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    # The module line lies past the bytes init reads: not seen.
    (root / "go.mod").write_text("// x\n" * (MAX_FILE_BYTES // 5 + 1) + "module a.b/org/late\n")
    assert "image" not in discover(root).guesses
    (root / "go.mod").unlink()
    (tmp_path / "elsewhere.mod").write_text("module a.b/org/linked\n")
    (root / "go.mod").symlink_to(tmp_path / "elsewhere.mod")
    assert "image" not in discover(root).guesses
    (root / "go.mod").unlink()
    os.mkfifo(root / "go.mod")  # a FIFO nobody writes to would block a plain open()
    (root / "cmd").mkdir()
    os.symlink("/", root / "cmd" / "root")  # a link under cmd/ is not walked
    found = discover(root)
    assert found.guesses == {} and found.mains == []


def test_git_remote_forms() -> None:
    assert source_from_remote("git@github.com:acme/widget.git") == (
        "https://github.com/acme/widget",
        "acme/widget",
    )
    assert source_from_remote("ssh://git@gitlab.example.com:2222/g/sub/app.git") == (
        "https://gitlab.example.com/g/sub/app",
        "g/sub/app",
    )
    assert source_from_remote("https://user:tok@github.com/acme/widget") == (
        "https://github.com/acme/widget",
        "acme/widget",
    )
    assert source_from_remote("/srv/git/widget") is None


def _on_a_terminal(args: list[str], answer: bytes) -> tuple[int, str]:
    """Run ARGS with a pseudo-terminal as stdin/stdout, type ANSWER; (exit code, output)."""
    master, slave = pty.openpty()
    process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    os.write(master, answer)
    output = b""
    while select.select([master], [], [], 30)[0]:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(master)
    return process.wait(timeout=30), output.decode(errors="replace")


def test_on_a_terminal_several_main_packages_are_asked_for(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    _main(root, "api")
    _main(root, "worker")
    mkmultiarch = str(Path(sys.executable).with_name("mkmultiarch"))
    config = str(root / "multiarch.yaml")
    code, out = _on_a_terminal([mkmultiarch, "init", "--config", config], b"./cmd/worker\n")
    assert code == 0, out
    assert "Main package to build (./cmd/api ./cmd/worker)" in out
    assert yaml.safe_load((root / "multiarch.yaml").read_text())["go_main"] == "./cmd/worker"


def test_on_a_terminal_all_main_packages_are_images_by_default(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    _main(root, "api")
    _main(root, "worker")
    mkmultiarch = str(Path(sys.executable).with_name("mkmultiarch"))
    config = str(root / "multiarch.yaml")
    code, out = _on_a_terminal([mkmultiarch, "init", "--config", config], b"\n")
    assert code == 0, out
    assert "or all for one image each [all]" in out
    written = yaml.safe_load((root / "multiarch.yaml").read_text())
    assert [entry["name"] for entry in written["images"]] == ["api", "worker"]
