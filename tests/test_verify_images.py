"""verify, doctor and audit on a config with images (issue #18): every image, every arch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mkmultiarch.cli import _verify_targets, app
from mkmultiarch.inspect import doctor
from mkmultiarch.inspect.audit import project
from mkmultiarch.inspect.doctor import checklist
from mkmultiarch.render.config import validate
from tests.support.fake_registry import FakeRegistry
from tests.support.images import REPO, good_list

runner = CliRunner()


def test_every_image_with_its_own_arches() -> None:
    config = validate(
        {
            "registry": "localhost:5000",
            "version": "2.0",
            "arches": ["amd64", "arm64"],
            "images": [
                {"name": "server", "image": "team/server"},
                {"name": "worker", "image": "team/worker", "arches": ["riscv64"]},
            ],
        }
    )
    assert _verify_targets(None, config) == [
        ("localhost:5000/team/server:2.0", ("amd64", "arm64")),
        ("localhost:5000/team/worker:2.0", ("riscv64",)),
    ]
    # A tag given: that tag alone, with the arches of the image whose path it names.
    assert _verify_targets("localhost:5000/team/worker:1", config) == [
        ("localhost:5000/team/worker:1", ("riscv64",))
    ]
    assert _verify_targets("other.example/team/server@sha256:" + "a" * 64, config) == [
        ("other.example/team/server@sha256:" + "a" * 64, ("amd64", "arm64"))
    ]


def test_a_tag_naming_no_image_of_the_config_is_refused_in_one_line(tmp_path: Path) -> None:
    config = tmp_path / "multiarch.yaml"
    config.write_text(
        "arches: [amd64]\nimages:\n  - {name: server, image: team/server}\n"
        "  - {name: worker, image: team/worker}\n"
    )
    result = runner.invoke(app, ["verify", "--config", str(config), "localhost:5000/team/cli:1"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "mkmultiarch: localhost:5000/team/cli:1: team/cli is none of the config's images "
        "(team/server team/worker): give one of them, or --arch instead of --config\n"
    )


def test_a_one_image_docker_hub_path_matches_its_library_name() -> None:
    config = validate(
        {
            "arches": ["s390x"],
            "images": [{"name": "app", "image": "app"}, {"name": "b", "image": "o/b"}],
        }
    )
    assert _verify_targets("app:2", config) == [("app:2", ("s390x",))]
    assert _verify_targets("docker.io/library/app:2", config) == [
        ("docker.io/library/app:2", ("s390x",))
    ]


def test_verify_image_reads_that_images_arches(tmp_path: Path) -> None:
    """verify IMAGE --config checks the list against IMAGE's own entry: org/app's three arches
    pass, and the same list checked as an image that needs riscv64 too fails."""
    with FakeRegistry() as registry:
        good_list(registry)  # org/app:1.0 with amd64, arm64, arm/v7
        config = tmp_path / "multiarch.yaml"
        config.write_text(
            f'registry: "{registry.host}"\narches: [amd64, arm64, arm/v7, riscv64]\n'
            f"images:\n  - {{name: other, image: org/other}}\n"
            f"  - {{name: app, image: {REPO}, arches: [amd64, arm64, arm/v7]}}\n"
        )
        args = ["verify", "--insecure", "--config", str(config), f"{registry.host}/{REPO}:1.0"]
        result = runner.invoke(app, args, env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.stdout + result.stderr
        assert "is a manifest list of 3 platform(s)" in result.stdout
        config.write_text(config.read_text().replace(", arches: [amd64, arm64, arm/v7]", ""))
        result = runner.invoke(app, args, env={"COLUMNS": "200"})
        assert result.exit_code == 1, result.stdout + result.stderr
        assert "linux/riscv64" in result.stdout


def test_verify_reads_each_images_list_in_turn(tmp_path: Path) -> None:
    with FakeRegistry() as registry:
        good_list(registry)  # org/app:1.0 with amd64, arm64, arm/v7; org/other is absent
        config = tmp_path / "multiarch.yaml"
        config.write_text(
            f'registry: "{registry.host}"\nversion: "1.0"\narches: [amd64, arm64, arm/v7]\n'
            f"images:\n  - {{name: app, image: {REPO}}}\n  - {{name: other, image: org/other}}\n"
        )
        result = runner.invoke(
            app, ["verify", "--insecure", "--config", str(config)], env={"COLUMNS": "200"}
        )
    assert f"OK: {registry.host}/{REPO}:1.0 is a manifest list of 3 platform(s)" in result.stdout
    assert result.exit_code == 2, result.stdout + result.stderr
    assert f"cannot check {registry.host}/org/other:1.0" in result.stderr


def test_doctor_checks_every_arch_some_image_is_built_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def fake_run(**kwargs: Any) -> list[Any]:
        seen.update(kwargs)
        return []

    monkeypatch.setattr(doctor, "run", fake_run)
    config = tmp_path / "multiarch.yaml"
    config.write_text(
        "arches: [amd64, arm64]\nimages:\n  - {name: server, image: team/server}\n"
        "  - {name: worker, image: team/worker, arches: [riscv64, amd64]}\n"
    )
    result = runner.invoke(app, ["doctor", "--config", str(config)])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert seen["arches"] == ("amd64", "arm64", "riscv64")
    assert "arches amd64 arm64 riscv64" in result.stdout


def test_audit_checks_each_images_runtime_for_its_own_arches() -> None:
    text = (
        "arches: [amd64, arm64]\nruntime_image: gcr.io/distroless/static\nimages:\n"
        "  - {name: server, image: team/server}\n"
        "  - {name: worker, image: team/worker, arches: [riscv64], runtime_image: scratch}\n"
        "  - {name: cli, image: team/cli, arches: [s390x], runtime_image: alpine:3.20}\n"
    )
    config = project.find("multiarch.yaml", text)
    assert config.arches == ("amd64", "arm64", "riscv64", "s390x")
    assert [(u.line, u.where, u.written, u.needs) for u in config.uses[1:]] == [
        (4, "images[server].runtime_image", "gcr.io/distroless/static", ("amd64", "arm64")),
        (6, "images[cli].runtime_image", "alpine:3.20", ("s390x",)),
    ]
    # Each use's line is its entry's (its own runtime_image, else the entry): the text
    # report's file:line tells the images apart.
    block = text.replace(
        "  - {name: cli, image: team/cli, arches: [s390x], runtime_image: alpine:3.20}\n",
        "  - name: cli\n    image: team/cli\n    arches: [s390x]\n    runtime_image: alpine:3.20\n",
    )
    assert [use.line for use in project.find("multiarch.yaml", block).uses[1:]] == [4, 9]


def test_doctor_reads_every_images_own_dockerfile_and_names_the_image(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """language: dockerfile with images: each image's Dockerfile is read (not only the first),
    each line of doctor's names its image; the engine, QEMU and registry checks are stubbed."""
    for name in ("check_engine", "check_qemu", "check_registry"):
        monkeypatch.setattr(checklist, name, lambda *args, **kwargs: [])
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "server.Dockerfile").write_text(
        "FROM --platform=$BUILDPLATFORM golang AS b\nARG TARGETARCH\n"
        "RUN GOARCH=$TARGETARCH go build -o /app .\nFROM scratch\nCOPY --from=b /app /app\n"
    )
    (tmp_path / "build" / "worker.Dockerfile").write_text(
        "FROM --platform=$BUILDPLATFORM golang AS b\nRUN go build -o /app .\n"
        "FROM scratch\nCOPY --from=b /app /app\n"
    )
    config = tmp_path / "multiarch.yaml"
    config.write_text(
        "language: dockerfile\narches: [amd64, arm64]\nimages:\n"
        "  - {name: server, image: team/server, dockerfile: build/server.Dockerfile}\n"
        "  - {name: worker, image: team/worker, dockerfile: build/worker.Dockerfile}\n"
        "  - {name: cli, image: team/cli, dockerfile: build/cli.Dockerfile}\n"
    )
    result = runner.invoke(app, ["doctor", "--config", str(config)], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.stdout + result.stderr
    lines = [line.split(None, 2) for line in result.stdout.splitlines() if "Dockerfile" in line]
    build = tmp_path / "build"
    assert [(status, message.split(": ")[0]) for status, _, message in lines] == [
        ("ok", "images[server]"),
        ("warning", "images[worker]"),
        ("warning", "images[cli]"),
    ]
    assert (
        lines[0][2]
        == f"images[server]: {build}/server.Dockerfile: compiles per target arch (TARGETARCH)"
    )
    assert lines[1][2].startswith(f"images[worker]: {build}/worker.Dockerfile:1: stage b")
    assert lines[2][2].startswith(f"images[cli]: {build}/cli.Dockerfile: cannot read it")
    assert "set images[cli].dockerfile in multiarch.yaml" in result.stdout
