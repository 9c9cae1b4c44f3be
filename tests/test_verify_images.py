"""verify, doctor and audit on a config with images (issue #18): every image, every arch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mkmultiarch.cli import _verify_targets, app
from mkmultiarch.inspect import doctor
from mkmultiarch.inspect.audit import project
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
    # A tag given: that tag alone.
    assert _verify_targets("r/x:1", config) == [("r/x:1", ("amd64", "arm64"))]


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
        (4, "images[cli].runtime_image", "alpine:3.20", ("s390x",)),
    ]
