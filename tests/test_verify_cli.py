"""`mkmultiarch verify` end to end against the in-process registry: output and exit codes."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mkmultiarch.cli import app
from tests.support.fake_registry import PASSWORD, USER, FakeRegistry
from tests.support.images import REPO, good_list, image, platform

runner = CliRunner()


def run(*args: str, docker_config: Path | None = None) -> tuple[int, str, str]:
    env = {"COLUMNS": "200", "NO_COLOR": "1"}
    if docker_config is not None:
        env["DOCKER_CONFIG"] = str(docker_config)
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def registry() -> Iterator[FakeRegistry]:
    with FakeRegistry() as server:
        good_list(server)
        yield server


def test_good_list_exit_0(registry: FakeRegistry) -> None:
    ref = f"{registry.host}/{REPO}:1.0"
    code, out, err = run("verify", ref, "--insecure", "--arch", "amd64", "-a", "arm64,arm/v7")
    assert code == 0, err
    assert err == ""
    assert out.splitlines()[0] == f"image     {ref}"
    assert "expected  linux/amd64 linux/arm64 linux/arm/v7 (from --arch)" in out
    table = [line for line in out.splitlines() if line.startswith("linux/")]
    assert [line.split()[0] for line in table] == ["linux/amd64", "linux/arm64", "linux/arm/v7"]
    assert all(line.endswith("ok") for line in table)
    assert out.rstrip().endswith(f"OK: {ref} is a manifest list of 3 platform(s)")


def test_problems_exit_1(registry: FakeRegistry) -> None:
    image(registry, "amd64", tag="amd64-1.0")
    code, out, err = run("verify", f"{registry.host}/{REPO}:amd64-1.0", "--insecure")
    assert code == 1
    assert "FAIL     list:" in out and "single-arch image for linux/amd64" in out
    assert err == f"mkmultiarch: {registry.host}/{REPO}:amd64-1.0: 1 problem(s) found\n"

    code, out, _ = run(
        "verify", f"{registry.host}/{REPO}:1.0", "--insecure", "--arch", "amd64 ppc64le"
    )
    assert code == 1 and "missing linux/ppc64le" in out


def test_json_output(registry: FakeRegistry) -> None:
    ref = f"{registry.host}/{REPO}:1.0"
    code, out, _ = run("verify", ref, "--insecure", "--json", "--arch", "amd64", "--arch", "s390x")
    assert code == 1
    data = json.loads(out)
    assert data["missing"] == ["linux/s390x"] and data["unexpected"] == [
        "linux/arm64",
        "linux/arm/v7",
    ]
    assert data["exit_code"] == 1 and data["ok"] is False
    assert len(data["entries"]) == 3


def test_cannot_check_exit_2(registry: FakeRegistry) -> None:
    code, out, err = run("verify", f"{registry.host}/{REPO}:nope", "--insecure")
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"mkmultiarch: cannot check {registry.host}/{REPO}:nope: tag not found")

    code, out, err = run("verify", f"{registry.host}/{REPO}:nope", "--insecure", "--json")
    assert code == 2 and json.loads(out)["error"].startswith("tag not found")

    code, _, err = run("verify", f"{registry.host}/{REPO}:1.0")  # HTTPS to a plain-HTTP registry
    assert code == 2 and "--insecure" in err


def test_unreachable_registry() -> None:
    with FakeRegistry() as server:
        host = server.host
    code, _, err = run("verify", f"{host}/{REPO}:1.0", "--insecure")
    assert code == 2 and "cannot connect" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--arch", "armv7"], "--arch: 'armv7' is not supported"),
        (["--config", "missing.yaml"], "missing.yaml: no such file"),
    ],
)
def test_bad_input_exit_2(registry: FakeRegistry, args: list[str], message: str) -> None:
    code, _, err = run("verify", f"{registry.host}/{REPO}:1.0", "--insecure", *args)
    assert code == 2 and message in err
    code, _, err = run("verify", "Not/A/Ref:", "--insecure")
    assert code == 2 and "not allowed" in err


def test_config_gives_image_and_arches(
    registry: FakeRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "multiarch.yaml"
    config.write_text(
        f'image: {REPO}\nregistry: "{registry.host}"\nversion: "1.0"\n'
        "arches: [amd64, arm64, arm/v7, riscv64]\n"
    )
    code, out, _ = run("verify", "--insecure", "--config", str(config))
    assert code == 1
    assert f"expected  linux/amd64 linux/arm64 linux/arm/v7 linux/riscv64 (from {config})" in out
    assert "missing linux/riscv64" in out
    # Without IMAGE and --config: ./multiarch.yaml
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("verify", "--insecure")
    assert code == 1 and "(from multiarch.yaml)" in out
    # --arch overrides the config's arches.
    code, out, _ = run(
        "verify", "--insecure", "--arch", "amd64", "--arch", "arm64", "--arch", "arm/v7"
    )
    assert code == 0, out


def test_credentials_from_docker_config(tmp_path: Path) -> None:
    with FakeRegistry(auth="basic") as server:
        good_list(server)
        ref = f"{server.host}/{REPO}:1.0"
        config_dir = tmp_path / "docker"
        config_dir.mkdir()
        auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        (config_dir / "config.json").write_text(
            json.dumps({"auths": {server.host: {"auth": auth}}})
        )
        code, out, err = run("verify", ref, "--insecure", docker_config=config_dir)
        assert code == 0, err
        assert f"auth      basic auth, credentials from auths['{server.host}']" in out

        bad = base64.b64encode(f"{USER}:not-the-password".encode()).decode()
        (config_dir / "config.json").write_text(json.dumps({"auths": {server.host: {"auth": bad}}}))
        code, out, err = run("verify", ref, "--insecure", docker_config=config_dir)
        assert code == 2 and out == ""
        assert "rejected the credentials from auths" in err and f"docker login {server.host}" in err
        assert "not-the-password" not in err and bad not in err

        code, _, err = run("verify", ref, "--insecure", docker_config=tmp_path / "empty")
        assert code == 2 and "needs credentials" in err


def test_seed_style_list_via_cli(registry: FakeRegistry) -> None:
    from tests.support.elf import fake_binary

    amd64 = image(registry, "amd64")
    seed = image(registry, "amd64", binary=fake_binary("arm64"))
    registry.put_index(REPO, "seed", [(amd64, platform("amd64")), (seed, platform("arm64"))])
    code, out, _ = run(
        "verify", f"{registry.host}/{REPO}:seed", "--insecure", "-a", "amd64", "-a", "arm64"
    )
    assert code == 1
    row = next(line for line in out.splitlines() if line.startswith("linux/arm64 "))
    assert row.split()[:2] == ["linux/arm64", "linux/amd64"] and row.endswith("FAIL")
