"""Copier with several images (issue #18), for real: `copier copy` with no terminal.

images comes with the data (`--data images=[...]` or `--data-file multiarch.yaml`); the
scaffold has one main package per Go image at its go_main, and renders the same files as
`mkmultiarch render` of the multiarch.yaml it writes (the one source of truth).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from mkmultiarch.render.config import validate
from mkmultiarch.render.templates import render
from tests.support.bad_values import BAD_ENTRIES
from tests.support.cli import run_cli
from tests.support.git import git, make_template_repo
from tests.support.makeplan import plan
from tests.support.rendering import CONFIGS

MULTI: dict[str, Any] = CONFIGS["multi"]
IMAGES_DATA = (
    "images=[{name: server, image: team/server}, "
    "{name: worker, image: team/worker, go_main: ./cmd/work, binary: wrk, arches: [amd64, arm64]}, "
    '{name: cli, image: team/cli, runtime_image: "gcr.io/distroless/static:nonroot"}]'
)


def copier(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The copier command line, stdin not a terminal (nothing may be asked)."""
    return subprocess.run(
        ["copier", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def copy_multi(template: Path, destination: Path, *data: str) -> None:
    """copier copy of IMAGES_DATA (four arches, a local registry), plus any --data given."""
    given = (
        IMAGES_DATA,
        "registry=localhost:5000",
        "arches=[amd64, arm64, arm/v7, riscv64]",
        *data,
    )
    options = [option for value in given for option in ("--data", value)]
    result = copier("copy", "--defaults", "--quiet", *options, str(template), str(destination))
    assert result.returncode == 0, result.stderr


def assert_renders_as_the_cli(project: Path) -> None:
    """Every generated file is what `mkmultiarch render` makes of the scaffold's config."""
    config = validate(yaml.safe_load((project / "multiarch.yaml").read_text()))
    for rendered in render(config):
        assert (project / rendered.path).read_text() == rendered.text, rendered.path


def test_three_images_from_data_scaffold_a_project_render_agrees_with(
    template_repo: Path, tmp_path: Path
) -> None:
    project = tmp_path / "monorepo"
    copy_multi(template_repo, project)
    files = sorted(p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file())
    assert files == [
        ".copier-answers.yml",
        ".dockerignore",
        ".gitignore",
        "Dockerfile",
        "Makefile",
        "README.md",
        "cmd/cli/main.go",
        "cmd/server/main.go",
        "cmd/work/main.go",  # worker's go_main
        "go.mod",
        "mk/common.mk",
        "mk/engine-docker.mk",
        "mk/engine-podman.mk",
        "mk/guard.mk",
        "mk/images.mk",
        "multiarch.yaml",
    ]
    # The scaffold's multiarch.yaml is the config given, images: and all.
    written = yaml.safe_load((project / "multiarch.yaml").read_text())
    assert validate(written) == validate(MULTI)
    assert "image" not in written and "go_main" not in written and "binary" not in written
    assert_renders_as_the_cli(project)
    # Each main package is named after its image's binary; one module for all.
    assert "// Command wrk is a tiny HTTP service" in (project / "cmd/work/main.go").read_text()
    assert "// Command cli is" in (project / "cmd/cli/main.go").read_text()
    assert (project / "go.mod").read_text() == "module example.com/team\n\ngo 1.23\n"
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert [entry["name"] for entry in answers["images"]] == ["server", "worker", "cli"]
    assert "image" not in answers  # each image's own, not an answer of its own
    # mkmultiarch render reads the answers (images and all) and agrees with them.
    check = run_cli("render", "--check", "--config", str(project / "multiarch.yaml"))
    assert (check.returncode, check.stdout, check.stderr) == (0, "up to date\n", "")


def test_several_images_with_both_ci_systems_render_as_the_cli(
    template_repo: Path, tmp_path: Path
) -> None:
    """The workflows read the entries' defaults (arches) as Copier passes them, unfilled."""
    project = tmp_path / "monorepo"
    copy_multi(template_repo, project, "ci=[github, gitlab]")
    assert (project / ".github/workflows/multiarch.yml").is_file()
    assert (project / ".gitlab-ci.yml").is_file()
    assert "docker-push-worker-arm64" in (project / ".gitlab-ci.yml").read_text()
    assert_renders_as_the_cli(project)


def test_the_scaffold_plans_every_image(template_repo: Path, tmp_path: Path) -> None:
    project = tmp_path / "monorepo"
    copy_multi(template_repo, project)
    builds = [
        line
        for line in plan(project, "VERSION=1", "docker-build")
        if line.startswith("docker build ")
    ]
    # One docker build per image and arch: server and cli 4 arches, worker 2.
    for name, image, arches in [
        ("server", "team/server", ("amd64", "arm64", "arm/v7", "riscv64")),
        ("worker", "team/worker", ("amd64", "arm64")),
        ("cli", "team/cli", ("amd64", "arm64", "arm/v7", "riscv64")),
    ]:
        mine = [line for line in builds if f"--build-arg IMAGE_NAME={name} " in line]
        assert len(mine) == len(arches), (name, mine)
        for arch in arches:
            tag = f"localhost:5000/{image}:{arch.replace('/', '-')}-1 "
            assert any(f"--platform linux/{arch} " in b and tag in b for b in mine), (name, arch)


def test_a_data_file_with_images_and_copier_update_keep_them(tmp_path: Path) -> None:
    """--data-file multiarch.yaml (images: and all) copies; copier update keeps the images."""
    template = make_template_repo(tmp_path / "template", tag="0.1.0")
    data_file = tmp_path / "multiarch.yaml"
    data_file.write_text(yaml.safe_dump(MULTI))
    project = tmp_path / "project"
    result = copier(
        "copy", "--defaults", "--quiet", "--data-file", str(data_file), str(template), str(project)
    )
    assert result.returncode == 0, result.stderr
    assert_renders_as_the_cli(project)
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "scaffold")
    # The template gains a line; copier update (answers only, no data) keeps every image.
    makefile = template / "templates" / "Makefile.jinja"
    makefile.write_text(makefile.read_text().replace("SHELL := bash\n", "# 0.2.0\nSHELL := bash\n"))
    git(template, "commit", "-q", "-am", "template change")
    git(template, "tag", "0.2.0")
    result = copier("update", "--defaults", "--quiet", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "# 0.2.0\n" in (project / "Makefile").read_text()
    assert "override IMG_worker := team/worker" in (project / "mk/images.mk").read_text()
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "0.2.0" and len(answers["images"]) == 3


@pytest.mark.parametrize("extra", [(), ("--data", "images=[]")])
def test_a_one_image_copy_records_no_images(
    template_repo: Path, tmp_path: Path, extra: tuple[str, ...]
) -> None:
    """images=[] is one image: not recorded (validate() refuses images: [] in a file)."""
    project = tmp_path / "svc"
    result = copier(
        "copy", "--defaults", "--quiet", "--data", "image=team/svc", *extra,
        str(template_repo), str(project),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "images" not in yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert not (project / "cmd").exists()
    assert (project / "main.go").exists()
    check = run_cli("render", "--check", "--config", str(project / "multiarch.yaml"))
    assert check.returncode == 0, check.stderr


# A few of the shared bad entries through the real copier command (test_copier_yml.py
# checks all of them against the validators' Jinja): refused, naming the image, nothing
# written.
REAL = [
    ({"go_main": "cmd/work"}, "images[worker].go_main:"),
    ({"name": "arm64"}, "images[1].name:"),
    ({"binary": "server"}, "images[worker].binary:"),
    ({"dockerfile": "Dockerfile"}, "images[worker].dockerfile:"),
    ({"image": "team/server"}, "images[worker].image:"),
]


@pytest.mark.parametrize(("changes", "field"), REAL)
def test_copier_refuses_a_bad_entry_naming_the_image(
    template_repo: Path, tmp_path: Path, changes: dict[str, Any], field: str
) -> None:
    assert any(changes == bad for bad, _ in BAD_ENTRIES)
    entries = [dict(entry) for entry in MULTI["images"]]
    entries[1].update(changes)
    result = copier(
        "copy",
        "--defaults",
        "--quiet",
        "--data",
        "images=" + json.dumps(entries),  # JSON is YAML
        str(template_repo),
        str(tmp_path / "out"),
    )
    assert result.returncode != 0
    # Copier's CLI prints its ValueError with a traceback, one-image refusals too; the
    # last line is the validator's message.
    assert field in result.stderr.strip().splitlines()[-1], result.stderr
    assert not (tmp_path / "out" / "Makefile").exists()


def test_copier_refuses_image_given_beside_images(template_repo: Path, tmp_path: Path) -> None:
    result = copier(
        "copy", "--defaults", "--quiet", "--data", IMAGES_DATA, "--data", "image=team/app",
        str(template_repo), str(tmp_path / "out"),
    )  # fmt: skip
    assert result.returncode != 0
    assert "image: with images, each image sets its own: move it to images[NAME].image" in (
        result.stderr
    )
    assert not (tmp_path / "out" / "Makefile").exists()


def test_language_dockerfile_images_keep_their_own_dockerfiles(
    template_repo: Path, tmp_path: Path
) -> None:
    data = (
        "images=[{name: api, image: acme/api, dockerfile: api/Dockerfile}, "
        "{name: web, image: acme/web}]"
    )
    project = tmp_path / "own"
    result = copier(
        "copy", "--defaults", "--quiet", "--data", data, "--data", "language=dockerfile",
        str(template_repo), str(project),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert_renders_as_the_cli(project)
    config = validate(yaml.safe_load((project / "multiarch.yaml").read_text()))
    assert [image.dockerfile for image in config.images] == ["api/Dockerfile", "Dockerfile"]
    # No Go app and no generated Dockerfile: the Dockerfiles are the team's own.
    assert not (project / "Dockerfile").exists() and not (project / "cmd").exists()
    assert not (project / "go.mod").exists() and not (project / "main.go").exists()
    assert "override DOCKERFILE_api := api/Dockerfile" in (project / "mk/images.mk").read_text()


def test_a_go_key_on_a_dockerfile_image_is_refused_by_the_language_question(
    template_repo: Path, tmp_path: Path
) -> None:
    result = copier(
        "copy", "--defaults", "--quiet", "--data", "language=dockerfile",
        "--data", "images=[{name: api, image: acme/api, go_main: ./cmd/api}]",
        str(template_repo), str(tmp_path / "out"),
    )  # fmt: skip
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert "images[api].go_main: not a setting of an image with language dockerfile" in last
    assert not (tmp_path / "out" / "Makefile").exists()
