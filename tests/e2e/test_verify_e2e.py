"""End-to-end: `mkmultiarch verify` (and `doctor`) against the real local registries.

One build of a copy of example-project/ with the generated Makefile (three arches, pushed to
the plain registry) gives a good list and per-arch tags. Two bad lists are then assembled the
way people get them wrong:
- seed-style: `docker build --build-arg GOARCH=arm64` without --platform (an arm64 binary in an
  image whose config says amd64), added to a list with `docker manifest annotate --arch arm64`;
- forced: `--platform linux/arm64` with a Dockerfile that compiles GOARCH=amd64 (an arm64
  config around an amd64 binary).
verify runs as a separate process (`python -m mkmultiarch`), with a private DOCKER_CONFIG.
"""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import (
    CmdResult,
    E2EEnv,
    MakeProject,
    arch_suffix,
    clean_env,
    copy_example,
    new_project,
    run_cmd,
    unique_name,
)

pytestmark = pytest.mark.docker

ARCHES = ("amd64", "arm64", "arm/v7")
ARCH_FLAGS = [flag for arch in ARCHES for flag in ("--arch", arch)]

SEED_DOCKERFILE = """\
# The seed's way: GOARCH as a build arg, no --platform. The binary is for GOARCH,
# the image config is the build host's platform.
ARG GO_IMAGE=golang:1.22
FROM ${GO_IMAGE} AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-buildvcs=false
COPY . .
ARG GOARCH=amd64
RUN GOARCH=$GOARCH go build -o /out/hello .

FROM scratch
COPY --from=build /out/hello /usr/local/bin/hello
ENTRYPOINT ["/usr/local/bin/hello"]
"""

FORCED_DOCKERFILE = """\
# --platform sets the config's arch, but the binary is compiled for amd64 regardless.
ARG GO_IMAGE=golang:1.22
FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-buildvcs=false
COPY . .
RUN GOOS=linux GOARCH=amd64 go build -o /out/hello .

FROM scratch
COPY --from=build /out/hello /usr/local/bin/hello
ENTRYPOINT ["/usr/local/bin/hello"]
"""

CREDENTIAL_HELPER = """\
#!/bin/sh
# docker-credential-mkmatest: the auth registry's test account, for any server it is asked.
[ "$1" = get ] || exit 2
server=$(cat)
printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}\\n' "$server" "$MKMA_USER" "$MKMA_SECRET"
"""


@dataclass
class Built:
    project: MakeProject
    result: CmdResult


def verify(*args: str, env: dict[str, str]) -> CmdResult:
    """`python -m mkmultiarch verify ARGS` as its own process (stderr kept apart)."""
    return run_cmd(
        [sys.executable, "-m", "mkmultiarch", "verify", *args], env=env, merge_stderr=False
    )


def row(result: CmdResult, platform: str) -> list[str]:
    """The table row of PLATFORM, split on runs of 2+ spaces."""
    line = next(line for line in result.stdout.splitlines() if line.startswith(f"{platform} "))
    return [cell.strip() for cell in line.split("  ") if cell.strip()]


def docker(project: MakeProject, *args: str, env: dict[str, str] | None = None) -> CmdResult:
    result = run_cmd([project.e2e.docker, *args], env=env or project.env)
    assert result.returncode == 0, result.tail()
    return result


def assemble_list(project: MakeProject, tag: str, entries: list[tuple[str, str | None]]) -> str:
    """`docker manifest create` + `annotate --arch` + `push`: the list TAG of ENTRIES
    (per-arch ref, arch to annotate or None to keep what the config says)."""
    ref = f"{project.image}:{tag}"
    docker(project, "manifest", "create", "--insecure", ref, *[image for image, _ in entries])
    for image, arch in entries:
        if arch is not None:
            docker(project, "manifest", "annotate", ref, image, "--os", "linux", "--arch", arch)
    docker(project, "manifest", "push", "--purge", "--insecure", ref)
    return ref


def build_image(project: MakeProject, dockerfile: str, tag: str, *build_args: str) -> str:
    """Build DOCKERFILE (text) in the project with BuildKit and push it as TAG: a plain
    image, as the seed's pipeline needs (on the containerd image store buildx would add
    attestations, which make the push an index that `docker manifest create` refuses)."""
    path = project.path / f"Dockerfile.{tag.split('-')[0]}"
    path.write_text(dockerfile)
    ref = f"{project.image}:{tag}"
    env = project.env | {"DOCKER_BUILDKIT": "1", "BUILDX_NO_DEFAULT_ATTESTATIONS": "1"}
    docker(
        project,
        "build",
        "--build-arg",
        f"GO_IMAGE={project.e2e.go_image}",
        *build_args,
        "-f",
        str(path),
        "-t",
        ref,
        str(project.path),
        env=env,
    )
    docker(project, "push", ref)
    return ref


@pytest.fixture(scope="module")
def built(
    e2e_env: E2EEnv, tmp_path_factory: pytest.TempPathFactory, local_repos: set[str]
) -> Built:
    """`make ... ARCHES="amd64 arm64 arm/v7" docker-push` on a copy of example-project/."""
    root = tmp_path_factory.mktemp("verify")
    project = new_project(
        e2e_env,
        copy_example(root / "project"),
        root / "docker-config",
        local_repos,
        name="verify",
        arches=ARCHES,
    )
    result = project.make("docker-push")
    if result.returncode != 0:
        pytest.fail(f"the example build failed:\n{result.tail(60)}", pytrace=False)
    return Built(project, result)


def test_good_list_passes(built: Built, e2e_env: E2EEnv) -> None:
    project = built.project
    go = e2e_env.go_version.removeprefix("go")  # the builder image's Go, e.g. 1.23.5
    result = verify(project.list_ref(), "--insecure", *ARCH_FLAGS, env=project.env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    assert row(result, "linux/amd64")[1:] == [
        "linux/amd64",
        "/usr/local/bin/hello",
        f"ELF 64-bit LSB x86-64, Go {go}",
        "ok",
    ]
    assert row(result, "linux/arm64")[3].startswith("ELF 64-bit LSB AArch64")
    assert row(result, "linux/arm/v7")[3] == f"ELF 32-bit LSB ARM EABI5, Go {go} GOARM=7"
    assert f"OK: {project.list_ref()} is a manifest list of 3 platform(s)" in result.stdout

    as_json = verify(project.list_ref(), "--insecure", "--json", *ARCH_FLAGS, env=project.env)
    data = json.loads(as_json.stdout)
    assert as_json.returncode == 0 and data["ok"] is True
    assert sorted(data["present"]) == ["linux/amd64", "linux/arm/v7", "linux/arm64"]
    assert data["media_type_name"] == "Docker manifest list"
    assert data["problems"] == [] and data["warnings"] == []


def test_single_arch_tag_fails(built: Built) -> None:
    project = built.project
    result = verify(project.arch_ref("arm64"), "--insecure", *ARCH_FLAGS, env=project.env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "not a manifest list: a single-arch image for linux/arm64" in result.stdout
    assert "missing linux/amd64 linux/arm/v7" in result.stdout
    assert result.stderr.strip().endswith("problem(s) found")


def test_list_missing_arches_fails(built: Built) -> None:
    """Expected more arches than the list has: from --arch, and from the project's config
    (example-project/multiarch.yaml lists six)."""
    project = built.project
    result = verify(project.list_ref(), "--insecure", *ARCH_FLAGS, "-a", "s390x", env=project.env)
    assert result.returncode == 1
    assert "missing linux/s390x" in result.stdout

    config = str(project.path / "multiarch.yaml")
    result = verify(project.list_ref(), "--insecure", "--config", config, env=project.env)
    assert result.returncode == 1
    assert "missing linux/ppc64le linux/s390x linux/riscv64" in result.stdout
    assert f"(from {config})" in result.stdout


def test_seed_style_list_fails_on_config(built: Built) -> None:
    project = built.project
    seed = build_image(
        project, SEED_DOCKERFILE, f"seed-arm64-{project.version}", "--build-arg", "GOARCH=arm64"
    )
    ref = assemble_list(
        project, f"seed-{project.version}", [(project.arch_ref("amd64"), None), (seed, "arm64")]
    )
    result = verify(ref, "--insecure", "--arch", "amd64", "--arch", "arm64", env=project.env)
    assert result.returncode == 1, result.stdout + result.stderr
    arm64 = row(result, "linux/arm64")
    assert arm64[1] == "linux/amd64" and arm64[-1] == "FAIL"
    assert arm64[3].startswith("ELF 64-bit LSB AArch64")  # the binary itself is arm64
    assert (
        "linux/arm64 config:  the image config says linux/amd64, but the list entry says "
        "linux/arm64" in result.stdout
    )
    assert "FAILED: 1 problem(s)" in result.stdout


def test_forced_config_with_amd64_binary_fails_on_elf(built: Built) -> None:
    project = built.project
    forced = build_image(
        project, FORCED_DOCKERFILE, f"forced-arm64-{project.version}", "--platform", "linux/arm64"
    )
    ref = assemble_list(
        project, f"forced-{project.version}", [(project.arch_ref("amd64"), None), (forced, None)]
    )
    result = verify(ref, "--insecure", "--arch", "amd64", "--arch", "arm64", env=project.env)
    assert result.returncode == 1, result.stdout + result.stderr
    arm64 = row(result, "linux/arm64")
    assert arm64[1] == "linux/arm64"  # the config agrees with the entry ...
    assert arm64[3].startswith("ELF 64-bit LSB x86-64")  # ... the binary does not
    problems = [line for line in result.stdout.splitlines() if line.startswith("FAIL ")]
    assert len(problems) == 1
    assert "linux/arm64 binary:" in problems[0] and "exec format error" in problems[0]


def test_auth_registry(
    built: Built, e2e_env: E2EEnv, tmp_path: Path, local_repos: set[str]
) -> None:
    """A list in the basic-auth registry: credentials from `docker login`'s config.json or a
    credential helper work; wrong or missing ones give exit 2 with the reason."""
    project = built.project
    login_config = tmp_path / "login"
    login_config.mkdir()
    env = clean_env(login_config)
    login = run_cmd(
        [
            e2e_env.docker,
            "login",
            e2e_env.auth_registry,
            "-u",
            e2e_env.auth_user,
            "--password-stdin",
        ],
        env=env,
        stdin=e2e_env.auth_password,
    )
    assert login.returncode == 0, login.tail()

    image = f"{e2e_env.auth_registry}/{unique_name('e2e/verify-auth')}"
    local_repos.add(image)
    per_arch = []
    for arch in ARCHES:
        target = f"{image}:{arch_suffix(arch)}"
        docker(project, "tag", project.arch_ref(arch), target)
        docker(project, "push", target, env=env)
        per_arch.append(target)
    ref = f"{image}:1.0"
    docker(project, "manifest", "create", "--insecure", ref, *per_arch, env=env)
    docker(
        project,
        "manifest",
        "annotate",
        ref,
        per_arch[2],
        "--arch",
        "arm",
        "--variant",
        "v7",
        env=env,
    )
    docker(project, "manifest", "push", "--purge", "--insecure", ref, env=env)

    result = verify(ref, "--insecure", *ARCH_FLAGS, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    source = f"auths['{e2e_env.auth_registry}'] in {login_config}/config.json"
    assert f"auth      basic auth, credentials from {source}" in result.stdout

    # A credential helper (credHelpers[host]) on PATH.
    helper_dir = tmp_path / "bin"
    helper_dir.mkdir()
    helper = helper_dir / "docker-credential-mkmatest"
    helper.write_text(CREDENTIAL_HELPER)
    helper.chmod(0o755)
    helper_config = tmp_path / "helper"
    helper_config.mkdir()
    (helper_config / "config.json").write_text(
        json.dumps({"credHelpers": {e2e_env.auth_registry: "mkmatest"}})
    )
    helper_env = clean_env(
        helper_config,
        PATH=f"{helper_dir}{os.pathsep}{os.environ['PATH']}",
        MKMA_USER=e2e_env.auth_user,
        MKMA_SECRET=e2e_env.auth_password,
    )
    result = verify(ref, "--insecure", *ARCH_FLAGS, env=helper_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "docker-credential-mkmatest (credHelpers" in result.stdout

    # Wrong password: exit 2, one line, no secret.
    bad_config = tmp_path / "bad"
    bad_config.mkdir()
    wrong = base64.b64encode(f"{e2e_env.auth_user}:not-{e2e_env.auth_password}".encode()).decode()
    (bad_config / "config.json").write_text(
        json.dumps({"auths": {e2e_env.auth_registry: {"auth": wrong}}})
    )
    result = verify(ref, "--insecure", *ARCH_FLAGS, env=clean_env(bad_config))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert (
        f"cannot check {ref}: {e2e_env.auth_registry} rejected the credentials from auths"
        in result.stderr
    )
    assert e2e_env.auth_password not in result.stderr and wrong not in result.stderr

    # None at all.
    empty = tmp_path / "empty"
    empty.mkdir()
    result = verify(ref, "--insecure", env=clean_env(empty))
    assert result.returncode == 2 and "needs credentials" in result.stderr
    assert f"docker login {e2e_env.auth_registry}" in result.stderr


def test_down_registry(built: Built) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = verify(f"127.0.0.1:{port}/org/app:1.0", "--insecure", env=built.project.env)
    assert result.returncode == 2 and result.stdout == ""
    assert f"cannot connect to http://127.0.0.1:{port}" in result.stderr
    # And a tag that is not there.
    result = verify(f"{built.project.image}:no-such-tag", "--insecure", env=built.project.env)
    assert result.returncode == 2 and "tag not found" in result.stderr


def test_doctor_on_this_host(built: Built, e2e_env: E2EEnv, tmp_path: Path) -> None:
    """doctor on the engine under test: the engine and buildx versions, the image store, and
    both paths fit (Docker 26 + buildx: docker manifest on either store; one buildx call
    for several platforms only on the containerd store)."""
    config = tmp_path / "multiarch.yaml"
    config.write_text(
        f'image: org/app\nregistry: "{e2e_env.registry}"\narches: [amd64, arm64, arm/v7]\n'
    )
    doctor = [sys.executable, "-m", "mkmultiarch", "doctor", "--config", str(config)]
    clients = [e2e_env.docker, *([e2e_env.other_docker] if e2e_env.other_docker else [])]
    for client in clients:
        result = run_cmd([*doctor, "--docker", client], env=built.project.env, merge_stderr=False)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"engine {e2e_env.engine_version}" in result.stdout
        assert "buildx plugin" in result.stdout
        out = result.stdout
        assert re.search(rf"^ok +image store +{e2e_env.store} ", out, re.M), out
        assert re.search(r"^ok +path: docker manifest +used by this project", out, re.M), out
        if e2e_env.store == "containerd":
            assert re.search(r"^ok +path: buildx ", out, re.M), out
        assert "QEMU linux/arm64" in result.stdout and "QEMU linux/arm/v7" in result.stdout
        assert "reachable over plain HTTP only" in result.stdout
