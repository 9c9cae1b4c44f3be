"""`mkmultiarch doctor`: fake docker clients, a fake binfmt_misc, the in-process registry."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from pathlib import Path

from typer.testing import CliRunner

from mkmultiarch.cli import app
from mkmultiarch.inspect import doctor
from mkmultiarch.inspect.checks import Check, CheckOutcome
from tests.support.fake_registry import PASSWORD, USER, FakeRegistry

DAEMON_DOWN = (
    "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
    "Is the docker daemon running?"
)
NO_BUILDX = "echo \"docker: 'buildx' is not a docker command.\" >&2; exit 1"
BUILDX = "echo 'github.com/docker/buildx v0.14.1 59582b4'"
MANIFEST = "echo 'Usage:  docker manifest COMMAND'; echo '  create      Create a local list'"
NO_MANIFEST = (
    "echo 'docker manifest is only supported on a Docker cli with experimental cli features "
    "enabled' >&2; exit 1"
)


CLASSIC = {"driver": "overlay2", "status": [["Backing Filesystem", "extfs"]]}
CONTAINERD = {
    "driver": "overlayfs",
    "status": [["driver-type", "io.containerd.snapshotter.v1"]],
}


def fake_docker(
    directory: Path,
    client: str,
    *,
    server: str | None = "20.10.24",
    buildx: bool | str = False,
    manifest: bool = True,
    store: Mapping[str, object] | None = None,
    driver: str = "docker",
) -> Path:
    """A `docker` script answering version, buildx version and inspect, manifest --help and
    info like CLI CLIENT; BUILDX a `docker buildx version` line (True: v0.14.1), STORE what
    `docker info` says of the image store (default: the classic one), DRIVER the current
    builder's driver."""
    directory.mkdir(parents=True, exist_ok=True)
    version = json.dumps(
        {"Client": {"Version": client}, "Server": {"Version": server} if server else None}
    )
    down = "" if server else f"echo '{DAEMON_DOWN}' >&2; exit 1"
    answer = BUILDX if buildx is True else f"echo '{buildx}'" if buildx else NO_BUILDX
    inspect = f"printf 'Name:          b1\\nDriver:        {driver}\\nLast Activity: x\\n'"
    info = f"echo {json.dumps(CLASSIC if store is None else store)!r}" if server else down
    lines = [
        "#!/bin/sh",
        'case "$1 $2" in',
        f"  'version --format') echo '{version}'; {down} ;;",
        f"  'buildx version') {answer} ;;",
        f"  'buildx inspect') {inspect if buildx else NO_BUILDX} ;;",
        f"  'manifest --help') {MANIFEST if manifest else NO_MANIFEST} ;;",
        f"  'info --format') {info} ;;",
        '  *) echo "unexpected: $*" >&2; exit 9 ;;',
        "esac",
    ]
    path = directory / "docker"
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o755)
    return path


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


def test_docker_20_has_buildkit_built_in(tmp_path: Path) -> None:
    docker = fake_docker(tmp_path / "a", "20.10.24+dfsg1")
    checks = by_name(doctor.check_docker(str(docker), {"PATH": ""}))
    assert checks["docker client"] == Check(
        "docker client", CheckOutcome.OK, f"{docker}: 20.10.24+dfsg1"
    )
    assert checks["docker daemon"].status == CheckOutcome.OK
    assert checks["BuildKit"].status == CheckOutcome.OK and "built in" in checks["BuildKit"].message
    assert checks["docker manifest"].status == CheckOutcome.OK


def test_docker_19_without_buildx_fails_like_the_makefile(tmp_path: Path) -> None:
    """doctor and check-builder apply one rule: buildx, or a 20.x-22.x client."""
    docker = fake_docker(tmp_path / "a", "19.03.15")
    checks = by_name(doctor.check_docker(str(docker), {"PATH": ""}))
    assert checks["BuildKit"].status == CheckOutcome.FAIL
    assert "20.10-22" in checks["BuildKit"].message


def test_docker_28_without_buildx_fails_and_names_another_client(tmp_path: Path) -> None:
    new = fake_docker(tmp_path / "local", "28.2.2")
    old = fake_docker(tmp_path / "usr", "20.10.24")
    checks = by_name(
        doctor.check_docker(str(new), {"PATH": f"{tmp_path / 'local'}:{tmp_path / 'usr'}"})
    )
    buildkit = checks["BuildKit"]
    assert buildkit.status == CheckOutcome.FAIL
    assert "client 28.2.2 has no buildx plugin" in buildkit.message
    assert "docker-buildx-plugin" in buildkit.fix
    assert f"--docker {old}" in buildkit.fix and f"make DOCKER={old}" in buildkit.fix


def test_buildx_plugin(tmp_path: Path) -> None:
    docker = fake_docker(tmp_path, "27.0.1", buildx=True)
    buildkit = by_name(doctor.check_docker(str(docker), {}))["BuildKit"]
    assert buildkit.status == CheckOutcome.OK and "v0.14.1" in buildkit.message


def test_daemon_down_and_no_manifest(tmp_path: Path) -> None:
    docker = fake_docker(tmp_path, "20.10.24", server=None, manifest=False)
    checks = by_name(doctor.check_docker(str(docker), {}))
    assert checks["docker daemon"].status == CheckOutcome.FAIL
    assert DAEMON_DOWN in checks["docker daemon"].message
    assert "systemctl start docker" in checks["docker daemon"].fix
    assert checks["docker manifest"].status == CheckOutcome.FAIL
    assert "experimental" in checks["docker manifest"].message


def test_docker_buildkit_0_in_the_environment(tmp_path: Path) -> None:
    docker = fake_docker(tmp_path, "20.10.24")
    buildkit = by_name(doctor.check_docker(str(docker), {"DOCKER_BUILDKIT": "0"}))["BuildKit"]
    assert buildkit.status == CheckOutcome.FAIL and buildkit.fix == "unset DOCKER_BUILDKIT"


def test_no_docker() -> None:
    (check,) = doctor.check_docker("no-such-docker-client", {})
    assert check.status == CheckOutcome.FAIL and "--docker PATH" in check.fix


BUILDX_13 = "github.com/docker/buildx 0.13.1 0.13.1+ds1-3"
PATHS = ("path: docker manifest", "path: buildx")


def test_docker_20_without_buildx_classic_store(tmp_path: Path) -> None:
    """The seed's host: builder: docker works; buildx is not needed, its path not possible."""
    docker = fake_docker(tmp_path, "20.10.24+dfsg1")
    checks = by_name(doctor.check_engine(str(docker), {"PATH": ""}))
    assert checks["docker daemon"].message == "reachable, engine 20.10.24"
    buildx = checks["buildx"]
    assert (
        buildx.status == CheckOutcome.INFO and "builder: docker does not need it" in buildx.message
    )
    assert "docker-buildx-plugin" in buildx.fix
    assert checks["image store"].status == CheckOutcome.OK
    assert checks["image store"].message.startswith("classic (driver overlay2): one platform")
    assert "attestations" not in checks
    manifest = checks["path: docker manifest"]
    assert manifest.status == CheckOutcome.OK
    assert manifest.message == (
        "used by this project (builder: docker): docker build (built-in BuildKit) per arch, "
        "then docker manifest create and push"
    )
    path = checks["path: buildx"]
    assert path.status == CheckOutcome.INFO
    assert path.message == (
        "not used by this project (builder: docker); not possible here: no buildx plugin"
    )
    assert "docker-buildx-plugin" in path.fix
    assert list(checks)[-len(PATHS) :] == list(PATHS)


def test_docker_26_buildx_classic_store(tmp_path: Path) -> None:
    """The docker driver builds one platform per call on the classic store: buildx needs a
    docker-container builder, or the containerd store."""
    docker = fake_docker(tmp_path, "26.1.4", server="26.1.4", buildx=BUILDX_13)
    checks = by_name(doctor.check_engine(str(docker), {}, builder="buildx"))
    assert checks["docker daemon"].message == "reachable, engine 26.1.4"
    assert checks["buildx"] == Check(
        "buildx", CheckOutcome.OK, f"{BUILDX_13}; current builder b1 (docker driver)"
    )
    assert "attestations" not in checks
    path = checks["path: buildx"]
    assert path.status == CheckOutcome.FAIL
    assert path.message == (
        "used by this project (builder: buildx): current builder b1 (docker driver) cannot "
        "build several platforms at once on the classic image store"
    )
    assert path.fix.startswith("docker buildx create --use")
    assert "moby/buildkit" in path.fix and "docker load" in path.fix
    assert '"containerd-snapshotter": true' in path.fix
    assert checks["path: docker manifest"].status == CheckOutcome.OK
    assert checks["path: docker manifest"].message.startswith("not used by this project")

    # The same host for a builder: docker project: the buildx path is only information.
    other = by_name(doctor.check_engine(str(docker), {}))["path: buildx"]
    assert other.status == CheckOutcome.INFO and other.fix == path.fix

    # A docker-container builder builds several platforms on either store.
    container = fake_docker(
        tmp_path / "c", "26.1.4", server="26.1.4", buildx=BUILDX_13, driver="docker-container"
    )
    path = by_name(doctor.check_engine(str(container), {}, builder="buildx"))["path: buildx"]
    assert path.status == CheckOutcome.OK and "(docker-container driver)" in path.message


def test_docker_26_buildx_containerd_store(tmp_path: Path) -> None:
    """Both paths work; attestations are worth knowing, and the Makefile turns them off."""
    docker = fake_docker(tmp_path, "26.1.4", server="26.1.4", buildx=BUILDX_13, store=CONTAINERD)
    for builder in ("docker", "buildx"):
        checks = by_name(doctor.check_engine(str(docker), {}, builder=builder))
        assert checks["image store"].message.startswith("containerd (driver overlayfs)")
        assert checks[PATHS[0]].status == checks[PATHS[1]].status == CheckOutcome.OK
        used = PATHS[0] if builder == "docker" else PATHS[1]
        assert checks[used].message.startswith(f"used by this project (builder: {builder})")
        assert all(c.status in (CheckOutcome.OK, CheckOutcome.INFO) for c in checks.values())
    assert checks[PATHS[1]].message.endswith(
        "current builder b1 (docker driver) builds several platforms at once on the "
        "containerd image store"
    )
    attestations = checks["attestations"]
    assert attestations.status == CheckOutcome.INFO
    assert "buildx 0.13.1" in attestations.message
    assert "BUILDX_NO_DEFAULT_ATTESTATIONS=1 (the Makefile sets it)" in attestations.message
    said = by_name(doctor.check_engine(str(docker), {"BUILDX_NO_DEFAULT_ATTESTATIONS": "0"}))
    assert said["attestations"].status == CheckOutcome.WARNING
    assert said["attestations"].fix == "unset BUILDX_NO_DEFAULT_ATTESTATIONS"


def test_docker_28_without_buildx_fails_on_both_paths(tmp_path: Path) -> None:
    docker = fake_docker(tmp_path, "28.2.2", server="28.2.2")
    for builder in ("docker", "buildx"):
        checks = by_name(doctor.check_engine(str(docker), {"PATH": ""}, builder=builder))
        assert checks["buildx"] == Check(
            "buildx", CheckOutcome.WARNING, "not installed", doctor.docker.BUILDX_FIX
        )
        used = checks[PATHS[0] if builder == "docker" else PATHS[1]]
        assert used.status == CheckOutcome.FAIL
        assert "docker-buildx-plugin" in used.fix
    assert checks[PATHS[0]].status == CheckOutcome.INFO
    assert "no BuildKit: client 28.2.2 has no buildx plugin" in checks[PATHS[0]].message


def test_no_podman_and_no_daemon(tmp_path: Path) -> None:
    """A host with docker only (podman is never asked for) and its daemon down: the store
    and both paths say why, nothing asks the daemon twice."""
    docker = fake_docker(tmp_path, "26.1.4", server=None, buildx=BUILDX_13)
    checks = by_name(doctor.check_engine(str(docker), {"PATH": str(tmp_path)}))
    said = " ".join(c.message + c.fix for c in checks.values()).replace(str(tmp_path), "")
    assert "podman" not in said
    assert checks["image store"] == Check(
        "image store", CheckOutcome.SKIPPED, "unknown: the daemon is not reachable"
    )
    assert checks["buildx"].message == BUILDX_13  # no builder asked for without a daemon
    assert checks[PATHS[0]].status == CheckOutcome.FAIL
    assert checks[PATHS[1]].status == CheckOutcome.INFO
    assert doctor.check_engine("no-such-docker-client", {}) == doctor.check_docker(
        "no-such-docker-client", {}
    )


def test_broken_docker_info_and_buildx_inspect(tmp_path: Path) -> None:
    """docker info and buildx inspect that fail: warnings that say so, never a guess."""
    docker = fake_docker(
        tmp_path, "26.1.4", server="26.1.4", buildx=BUILDX_13, store={"nonsense": 1}
    )
    script = docker.read_text().replace("'buildx inspect') printf", "'buildx inspect') exit 3; :")
    docker.write_text(script)
    checks = by_name(doctor.check_engine(str(docker), {}, builder="buildx"))
    assert checks["image store"].status == CheckOutcome.OK  # an answer, just no containerd
    assert "current builder unknown: `docker buildx inspect` failed" in checks["buildx"].message
    assert checks[PATHS[1]].status == CheckOutcome.WARNING
    other = by_name(doctor.check_engine(str(docker), {}))[PATHS[1]]
    assert other.status == CheckOutcome.INFO
    assert other.message.startswith("not used by this project (builder: docker); may not work")
    docker.write_text(script.replace("'info --format') echo", "'info --format') exit 4; echo"))
    checks = by_name(doctor.check_engine(str(docker), {}, builder="buildx"))
    assert checks["image store"].status == CheckOutcome.WARNING
    assert checks["image store"].message.startswith("unknown: `docker info` failed")


def test_buildx_version_parsing() -> None:
    assert doctor.engine.buildx_version(BUILDX_13) == (0, 13)
    assert doctor.engine.buildx_version("github.com/docker/buildx v0.14.1 59582b4") == (0, 14)
    assert doctor.engine.buildx_version("buildah 1.28.2") is None  # podman's docker shim
    assert doctor.engine.buildx_version("") is None


def binfmt(directory: Path, handlers: dict[str, tuple[bool, str]]) -> Path:
    directory.mkdir()
    (directory / "status").write_text("enabled\n")
    (directory / "register").write_text("")
    for name, (enabled, flags) in handlers.items():
        (directory / name).write_text(
            f"{'enabled' if enabled else 'disabled'}\ninterpreter /usr/bin/{name}-static\n"
            f"flags: {flags}\noffset 0\nmagic 7f454c46\nmask ffffffff\n"
        )
    return directory


def test_qemu_handlers(tmp_path: Path) -> None:
    directory = binfmt(
        tmp_path / "binfmt",
        {"qemu-aarch64": (True, "OCF"), "qemu-arm": (False, "F"), "qemu-ppc64le": (True, "OC")},
    )
    arches = ("amd64", "arm64", "arm/v7", "ppc64le", "riscv64", "386")
    checks = by_name(doctor.check_qemu(arches, "go", host="amd64", binfmt_dir=directory))
    assert "QEMU linux/amd64" not in checks
    assert checks["QEMU linux/arm64"].status == CheckOutcome.OK
    assert "not to build it" in checks["QEMU linux/arm64"].message
    assert checks["QEMU linux/arm/v7"].status == CheckOutcome.WARNING
    assert "disabled" in checks["QEMU linux/arm/v7"].message
    assert checks["QEMU linux/ppc64le"].status == CheckOutcome.WARNING
    assert "F flag" in checks["QEMU linux/ppc64le"].message
    riscv = checks["QEMU linux/riscv64"]
    assert riscv.status == CheckOutcome.WARNING
    assert (
        "building needs none (Go cross-compiles), but running or testing the image does"
        in riscv.message
    )
    assert "tonistiigi/binfmt --install riscv64" in riscv.fix
    assert checks["QEMU linux/386"].status == CheckOutcome.OK  # x86-64 runs 386 natively


def test_qemu_other_cases(tmp_path: Path) -> None:
    (check,) = doctor.check_qemu(("amd64",), "go", host="amd64", binfmt_dir=tmp_path)
    assert check.status == CheckOutcome.OK and "host's" in check.message
    (check,) = doctor.check_qemu(("amd64", "arm64"), "go", host="amd64", binfmt_dir=tmp_path / "x")
    assert check.status == CheckOutcome.WARNING and "not mounted" in check.message
    directory = binfmt(tmp_path / "b", {})
    (check,) = doctor.check_qemu(("arm/v7",), "dockerfile", host="arm64", binfmt_dir=directory)
    assert "RUNs commands in the target stage" in check.message
    assert "run it natively" in check.message
    assert doctor.host_arch("x86_64") == "amd64" and doctor.host_arch("aarch64") == "arm64"


def docker_config(directory: Path, host: str, password: str) -> dict[str, str]:
    directory.mkdir(exist_ok=True)
    auth = base64.b64encode(f"{USER}:{password}".encode()).decode()
    (directory / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}))
    return {"DOCKER_CONFIG": str(directory)}


def test_registry_open(tmp_path: Path) -> None:
    with FakeRegistry() as server:
        checks = doctor.check_registry(server.host, {"DOCKER_CONFIG": str(tmp_path)})
    registry, credentials = checks
    assert registry.status == CheckOutcome.OK and "plain HTTP only" in registry.message
    assert "INSECURE=1" in registry.message
    assert credentials.status == CheckOutcome.OK and "none needed" in credentials.message


def test_registry_basic_auth(tmp_path: Path) -> None:
    with FakeRegistry(auth="basic") as server:
        good = doctor.check_registry(
            server.host, docker_config(tmp_path / "good", server.host, PASSWORD)
        )
        bad = doctor.check_registry(
            server.host, docker_config(tmp_path / "bad", server.host, "wrong-pw")
        )
        none = doctor.check_registry(server.host, {"DOCKER_CONFIG": str(tmp_path / "none")})
    assert good[1].status == CheckOutcome.OK and "accepted (basic auth)" in good[1].message
    assert bad[1].status == CheckOutcome.FAIL and "rejected" in bad[1].message
    assert "wrong-pw" not in bad[1].message
    assert bad[1].fix == f"log in again: docker login {server.host}"
    assert none[1].status == CheckOutcome.WARNING and "wants credentials" in none[1].message


def test_registry_bearer_anonymous_pull(tmp_path: Path) -> None:
    with FakeRegistry(auth="bearer") as server:
        checks = doctor.check_registry(server.host, {"DOCKER_CONFIG": str(tmp_path)})
        with_creds = doctor.check_registry(
            server.host, docker_config(tmp_path / "c", server.host, PASSWORD)
        )
    assert checks[1].status == CheckOutcome.WARNING and "pushing will not" in checks[1].message
    assert with_creds[1].status == CheckOutcome.OK and "bearer token" in with_creds[1].message


def test_registry_unreachable_and_broken_helper(tmp_path: Path) -> None:
    with FakeRegistry() as server:
        host = server.host
    (tmp_path / "config.json").write_text(json.dumps({"credsStore": "nonexistent-helper"}))
    registry, credentials = doctor.check_registry(host, {"DOCKER_CONFIG": str(tmp_path)})
    assert registry.status == CheckOutcome.FAIL and "not reachable" in registry.message
    assert credentials.status == CheckOutcome.FAIL
    assert "docker-credential-nonexistent-helper is not on PATH" in credentials.message


def test_doctor_command(tmp_path: Path) -> None:
    runner = CliRunner()
    good = fake_docker(tmp_path / "good", "20.10.24")
    bad = fake_docker(tmp_path / "bad", "28.2.2")
    with FakeRegistry() as server:
        config = tmp_path / "multiarch.yaml"
        config.write_text(
            f'image: org/app\nregistry: "{server.host}"\narches: [{doctor.host_arch()}]\n'
        )
        env = {"COLUMNS": "200", "DOCKER_CONFIG": str(tmp_path / "dc"), "PATH": "/usr/bin:/bin"}
        result = runner.invoke(
            app, ["doctor", "--config", str(config), "--docker", str(good)], env=env
        )
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith(f"mkmultiarch doctor: {config}: registry {server.host}")
        assert "OK: all checks passed" in result.stdout
        assert ", builder docker\n" in result.stdout.splitlines(keepends=True)[0]
        assert re.search(r"^ok +path: docker manifest +used by this project", result.stdout, re.M)

        result = runner.invoke(
            app, ["doctor", "--config", str(config), "--docker", str(bad)], env=env
        )
        assert result.exit_code == 1
        assert re.search(
            r"^FAIL +BuildKit +client 28.2.2 has no buildx plugin", result.stdout, re.M
        )
        assert "fix: install the buildx plugin" in result.stdout
        assert re.search(
            r"^FAIL +path: docker manifest +used by this project \(builder: docker\): no BuildKit",
            result.stdout,
            re.M,
        )
        assert re.search(r"^info +path: buildx +not used by this project", result.stdout, re.M)
        assert result.stderr == "mkmultiarch: 2 check(s) failed: BuildKit\n"

        # builder: buildx on the same 20.10 host: its path is the one that fails.
        config.write_text(config.read_text() + "builder: buildx\n")
        result = runner.invoke(
            app, ["doctor", "--config", str(config), "--docker", str(good)], env=env
        )
        assert result.exit_code == 1
        assert ", builder buildx\n" in result.stdout.splitlines(keepends=True)[0]
        assert re.search(
            r"^FAIL +path: buildx +used by this project \(builder: buildx\): no buildx plugin",
            result.stdout,
            re.M,
        )
        assert re.search(r"^warning +buildx +not installed", result.stdout, re.M)
        assert result.stderr == "mkmultiarch: 1 check(s) failed: path: buildx\n"

    (tmp_path / "broken.yaml").write_text("image: Bad Name\n")
    result = runner.invoke(app, ["doctor", "--config", str(tmp_path / "broken.yaml")], env=env)
    assert result.exit_code == 2 and "image:" in result.stderr
