"""The generated Makefile without Docker: `make -n` plans and the make-time checks.

`make -n` prints the commands a run would execute, in order, so these tests pin
the workflow (build every arch, push every arch, create + annotate, push the
list) for several ARCHES without needing an engine. The Docker end-to-end suite
(tests/e2e) proves the same commands against a real engine and registry.
"""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from mkmultiarch.arches import Arch
from tests.support.makeplan import make, plan
from tests.support.rendering import CONFIGS, render_into

SEED_GOALS = ["clean", "docker-build", "docker-push"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    render_into(tmp_path, CONFIGS["seed"])
    return tmp_path


def docker_commands(project: Path, *args: str) -> list[str]:
    """The docker command lines `make -n` would run, in order."""
    return [c for c in plan(project, *args) if c.startswith(("docker ", "if docker "))]


def index_of(commands: list[str], prefix: str) -> int:
    return next(i for i, c in enumerate(commands) if c.startswith(prefix))


@pytest.mark.parametrize(
    "arches", ["amd64 arm64", "arm/v7", "amd64 arm64 arm/v7 ppc64le s390x riscv64", "386 arm/v6"]
)
def test_seed_command_line_runs_the_workflow_in_order(project: Path, arches: str) -> None:
    tokens = arches.split()
    commands = docker_commands(
        project, "VERSION=x", f"ARCHES={arches}", "REGISTRY=localhost:5000", *SEED_GOALS
    )
    image = "localhost:5000/thedoh/somethingsoon"
    per_arch = [f"{image}:{Arch.parse(t).tag_suffix}-x" for t in tokens]

    builds = [c for c in commands if c.startswith("docker build ")]
    assert len(builds) == len(tokens)
    for token, build in zip(tokens, builds, strict=True):
        arch = Arch.parse(token)
        assert f"--platform linux/{token} " in build
        # --platform alone names the arch: the Dockerfile reads TARGETARCH/TARGETVARIANT.
        assert "GOOS" not in build and "GOARCH" not in build and "GOARM" not in build
        assert f"--tag {image}:{arch.tag_suffix}-x " in build

    pushes = [c for c in commands if c.startswith("docker push")]
    assert pushes == [f"docker push {ref}" for ref in per_arch]

    for tag in ("x", "latest"):
        rm = commands.index(f"docker manifest rm {image}:{tag} >/dev/null 2>&1 || true")
        create = commands.index(f"docker manifest create {image}:{tag} {' '.join(per_arch)}")
        annotates = [
            i
            for i, c in enumerate(commands)
            if c.startswith(f"docker manifest annotate {image}:{tag} ")
        ]
        push = commands.index(f"docker manifest push --purge {image}:{tag} >.digests/x/pushed")
        assert max(index_of(commands, "docker push"), rm) < create < min(annotates)
        assert len(annotates) == len(tokens) and max(annotates) < push
    # Every build happens before the first push; the clean comes first of all.
    assert max(commands.index(b) for b in builds) < index_of(commands, "docker push")
    assert index_of(commands, "if docker image inspect") < index_of(commands, "docker build ")


def test_variants_are_annotated(project: Path) -> None:
    commands = docker_commands(
        project, "VERSION=x", "ARCHES=arm/v6 arm/v7 arm64", "docker-multiarch"
    )
    annotates = [c.split(" --os ")[1] for c in commands if "manifest annotate" in c]
    assert annotates[:3] == [
        "linux --arch arm --variant v6",
        "linux --arch arm --variant v7",
        "linux --arch arm64",
    ]


def test_registry_is_used_in_every_image_name(project: Path) -> None:
    commands = docker_commands(
        project, "VERSION=x", "REGISTRY=registry.example.com:5000", *SEED_GOALS
    )
    refs = [word for c in commands for word in c.split() if "thedoh/somethingsoon" in word]
    assert refs and all(r.startswith("registry.example.com:5000/thedoh/") for r in refs)


def test_insecure_goes_on_create_and_push_not_annotate(project: Path) -> None:
    commands = docker_commands(project, "VERSION=x", "INSECURE=1", "docker-push")
    for command in commands:
        if command.startswith(("docker manifest create", "docker manifest push")):
            assert " --insecure " in command
        if command.startswith("docker manifest annotate"):
            assert "--insecure" not in command


def test_latest_zero_publishes_only_the_version_list(project: Path) -> None:
    commands = docker_commands(project, "VERSION=x", "LATEST=0", "docker-push")
    assert not [c for c in commands if c.endswith(":latest")]


def test_revision_reaches_the_build(project: Path) -> None:
    commands = docker_commands(project, "VERSION=x", "REVISION=abc123", "docker-build")
    assert all(
        "--build-arg REVISION=abc123 " in c for c in commands if c.startswith("docker build ")
    )


def test_per_arch_targets_exist_for_parallel_builds(project: Path) -> None:
    commands = docker_commands(project, "VERSION=x", "ARCHES=amd64 arm/v7", "docker-build-arm-v7")
    assert len([c for c in commands if c.startswith("docker build ")]) == 1
    assert "--platform linux/arm/v7 " in commands[0]


def test_version_falls_back_outside_git(project: Path) -> None:
    result = make(project, "version", env={"GIT_CEILING_DIRECTORIES": str(project.parent)})
    assert result.stdout.strip() == "0.0.1"


def test_version_comes_from_git_describe(project: Path) -> None:
    from tests.support.git import git

    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "init")
    git(project, "tag", "v1.4.0")
    assert make(project, "version").stdout.strip() == "v1.4.0"


PUBLIC_TARGETS = [
    "help",
    "version",
    "docker-audit",
    "docker-build",
    "docker-check",
    "docker-push-arch",
    "docker-multiarch",
    "docker-push",
    "docker-manifest",
    "docker-verify",
    "clean",
    "registry-login",
    "docker-build-<arch>",
    "docker-check-<arch>",
    "docker-push-<arch>",
]


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_help_lists_exactly_the_public_targets(tmp_path: Path, name: str) -> None:
    render_into(tmp_path, CONFIGS[name])
    result = make(tmp_path, "help")
    assert result.returncode == 0, result.stderr
    section = result.stdout.split("Targets:\n")[1].split("\n\n")[0]
    public = list(PUBLIC_TARGETS)
    if CONFIGS[name].get("sign") == "cosign":  # sign: cosign adds docker-sign
        public.insert(public.index("docker-verify"), "docker-sign")
    images = [image["name"] for image in CONFIGS[name].get("images", [])]
    if images:  # several images (mk/images.mk): per image, and per image and arch
        public[-3:] = [f"docker-{step}-<image>" for step in ("build", "check", "push")]
        public.append("docker-build-<image>-<arch>")
    assert [line.split()[0] for line in section.splitlines()] == public
    # ...and each of them is a target make knows (the per-arch ones for each arch).
    suffixes = [Arch.parse(token).tag_suffix for token in CONFIGS[name].get("arches", [])]
    if images:
        suffixes = [f"{image}-{suffix}" for image in images[:1] for suffix in suffixes]
        suffixes += images
    names = [t for t in public if "<" not in t]
    names += [f"docker-{step}-{suffix}" for step in ("build", "push") for suffix in suffixes]
    known = make(tmp_path, "-n", "VERSION=1", *names)
    assert known.returncode == 0, known.stderr


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_help_settings_are_the_makefiles_settings(tmp_path: Path, name: str) -> None:
    """Every setting help shows is a `?=` variable of the Makefile, and the other way round."""
    render_into(tmp_path, CONFIGS[name])
    result = make(tmp_path, "help")
    section = result.stdout.split("Settings (make VAR=value):\n")[1].split("\n\n")[0]
    shown = [line.split()[0] for line in section.splitlines()]
    makefile = (tmp_path / "Makefile").read_text()
    settable = [line.split()[0] for line in makefile.splitlines() if " ?= " in line]
    if CONFIGS[name].get("images"):  # IMAGES selects; IMG is each image's own (refused here)
        settable = ["IMAGES", *(setting for setting in settable if setting != "IMG")]
    assert shown == settable


def test_make_finds_mk_from_anywhere(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The includes use the Makefile's own directory: make -C and make -f work from elsewhere."""
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    by_c = subprocess.run(
        ["make", "--no-print-directory", "-C", str(project), "-n", "VERSION=x", "docker-push"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
    )
    assert by_c.returncode == 0, by_c.stderr
    assert "docker manifest push --purge" in by_c.stdout
    by_f = subprocess.run(
        [
            "make",
            "-f",
            str(project / "Makefile"),
            "-n",
            "VERSION=x",
            "DOCKER=podman",
            "docker-push",
        ],
        cwd=elsewhere,
        capture_output=True,
        text=True,
    )
    assert by_f.returncode == 0, by_f.stderr
    assert "podman manifest push --all" in by_f.stdout
    help_f = subprocess.run(
        ["make", "-f", str(project / "Makefile"), "help"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
    )
    assert "  docker-push " in help_f.stdout and "  IMG " in help_f.stdout


def test_help_is_the_default_goal(project: Path) -> None:
    result = make(project)
    assert result.returncode == 0
    for target in ("docker-build", "docker-multiarch", "docker-push", "clean", "docker-manifest"):
        assert f"  {target} " in result.stdout
    for variable in ("IMG", "REGISTRY", "VERSION", "ARCHES", "INSECURE", "GO_IMAGE"):
        assert f"  {variable} " in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ARCHES=amd64 armv7"], "ARCHES: unsupported 'armv7'"),
        (["ARCHES=amd64 amd64"], "ARCHES lists an arch twice"),
        (["ARCHES="], "ARCHES is empty"),
    ],
)
def test_bad_arches_stop_make_before_anything_runs(
    project: Path, args: list[str], message: str
) -> None:
    result = make(project, *args, "docker-build")
    assert result.returncode == 2
    assert message in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("VERSION", "1.0;touch pwned"),
        ("VERSION", "$(touch pwned)"),
        ("VERSION", "-rc1"),
        ("IMG", "Org/App"),
        ("REGISTRY", "host name"),
        ("INSECURE", "yes"),
        ("GO_IMAGE", "golang;id"),
        ("SOURCE", "https://u:p@example.com/x"),
    ],
)
def test_bad_values_are_refused_before_reaching_a_shell(
    project: Path, variable: str, value: str
) -> None:
    result = make(project, f"{variable}={value}", "check-vars")
    assert result.returncode == 2
    # check-vars names the variable; a `$` stops make while it reads the Makefile (*** ...).
    assert f"make: {variable}" in result.stderr or f"*** {variable} " in result.stderr
    assert not (project / "pwned").exists()


def fake_docker(directory: Path, client_version: str, has_buildx: bool) -> Path:
    """A stand-in docker client answering only what check-builder asks."""
    script = directory / "docker"
    buildx = "exit 0" if has_buildx else "echo 'unknown command' >&2; exit 1"
    script.write_text(
        "#!/usr/bin/env bash\n"
        f"if [[ $1 == buildx ]]; then {buildx}; fi\n"
        f"if [[ $1 == version ]]; then echo {client_version}; exit 0; fi\n"
        "exit 99\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


@pytest.mark.parametrize(
    ("client", "buildx", "ok"),
    [
        ("28.2.2", False, False),  # new client without buildx: cannot use BuildKit
        ("28.2.2", True, True),
        ("23.0.0", False, False),
        ("20.10.24+dfsg1", False, True),  # BuildKit built into the 20.x-22.x clients
        ("22.06.0-beta.0", False, True),
        ("19.03.15", False, False),  # too old for this Makefile (docker manifest needs 20.10)
        ("", False, False),  # no client version at all
    ],
)
def test_check_builder(project: Path, client: str, buildx: bool, ok: bool) -> None:
    docker = fake_docker(project, client, buildx)
    result = make(project, f"DOCKER={docker}", "check-builder")
    assert (result.returncode == 0) is ok, result.stderr
    if not ok:
        assert result.returncode == 2
        assert "BuildKit is required" in result.stderr and client in result.stderr
        assert "mkmultiarch doctor" in result.stderr


def test_legacy_builder_is_refused(project: Path) -> None:
    docker = fake_docker(project, "20.10.24", has_buildx=False)
    result = make(project, f"DOCKER={docker}", "check-builder", env={"DOCKER_BUILDKIT": "0"})
    assert result.returncode == 2
    assert "DOCKER_BUILDKIT=0: BuildKit is required" in result.stderr


# docker-verify's fallback (no mkmultiarch on PATH) reads the list JSON a stand-in client
# prints for `manifest inspect`: whole platforms count, not architectures alone.
DOCKER_LIST_JSON = """\
{
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
   "manifests": [
      {
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "size": 527,
         "digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111",
         "platform": {
            "architecture": "amd64",
            "os": "linux"
         }
      },
      {
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "size": 527,
         "digest": "sha256:2222222222222222222222222222222222222222222222222222222222222222",
         "platform": {
            "architecture": "arm",
            "os": "linux",
            "variant": "v6"
         }
      },
      {
         "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
         "size": 527,
         "digest": "sha256:3333333333333333333333333333333333333333333333333333333333333333",
         "platform": {
            "architecture": "arm",
            "os": "linux",
            "variant": "v7"
         }
      }
   ]
}
"""
# As a registry (or buildx imagetools inspect --raw) gives it: one line, attestation
# entries (unknown/unknown, with annotations), arm64 with the variant v8 podman writes.
OCI_INDEX_JSON = (
    '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":['
    '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:a","size":1,'
    '"platform":{"architecture":"386","os":"linux"}},'
    '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:b","size":1,'
    '"platform":{"architecture":"arm64","os":"linux","variant":"v8"}},'
    '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:c","size":1,'
    '"annotations":{"vnd.docker.reference.digest":"sha256:a",'
    '"vnd.docker.reference.type":"attestation-manifest"},'
    '"platform":{"architecture":"unknown","os":"unknown"}},'
    '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:d","size":1,'
    '"annotations":{"vnd.docker.reference.digest":"sha256:b",'
    '"vnd.docker.reference.type":"attestation-manifest"},'
    '"platform":{"architecture":"unknown","os":"unknown"}}]}'
)
# arm/v7 but no arm/v6: an architecture-only check sees "arm" and passes.
NO_V6_LIST_JSON = DOCKER_LIST_JSON.replace('"variant": "v6"', '"variant": "v7"')


def inspecting_docker(directory: Path, manifest_json: str) -> Path:
    """A stand-in docker client whose `manifest inspect` prints MANIFEST_JSON."""
    (directory / "list.json").write_text(manifest_json)
    script = directory / "docker"
    script.write_text(
        "#!/usr/bin/env bash\n"
        f'if [[ $1 == manifest && $2 == inspect ]]; then cat "{directory}/list.json"; exit 0; fi\n'
        "exit 99\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


@pytest.mark.parametrize(
    ("manifest_json", "arches", "missing"),
    [
        (DOCKER_LIST_JSON, "amd64 arm/v6 arm/v7", None),
        (DOCKER_LIST_JSON, "arm/v6", None),
        (DOCKER_LIST_JSON, "amd64 arm64", "linux/arm64"),
        (OCI_INDEX_JSON, "386 arm64", None),
        (OCI_INDEX_JSON, "386 arm64 amd64", "linux/amd64"),
        (NO_V6_LIST_JSON, "amd64 arm/v7", None),
        (NO_V6_LIST_JSON, "amd64 arm/v6 arm/v7", "linux/arm/v6"),
    ],
    ids=[
        "docker",
        "docker-subset",
        "docker-no-arm64",
        "oci",
        "oci-no-amd64",
        "no-v6",
        "v6-missing",
    ],
)
def test_verify_fallback_compares_whole_platforms(
    project: Path, manifest_json: str, arches: str, missing: str | None
) -> None:
    docker = inspecting_docker(project, manifest_json)
    result = make(
        project,
        f"DOCKER={docker}",
        "VERSION=x",
        f"ARCHES={arches}",
        "docker-verify",
        env={"PATH": "/usr/bin:/bin"},  # no mkmultiarch: the fallback runs
    )
    assert "manifest inspect only" in result.stdout, result.stdout + result.stderr
    image = "docker.io/thedoh/somethingsoon"
    if missing is None:
        assert result.returncode == 0, result.stderr
        assert result.stdout.count(f"lists {arches}\n") == 2, result.stdout
    else:
        assert result.returncode != 0, result.stdout
        assert f"make: {image}:x has no {missing} entry (it lists: " in result.stderr
        assert "unknown" not in result.stderr  # attestation entries are not platforms


def test_verify_fallback_names_what_the_list_holds(project: Path) -> None:
    docker = inspecting_docker(project, OCI_INDEX_JSON)
    result = make(
        project,
        f"DOCKER={docker}",
        "VERSION=x",
        "ARCHES=arm/v7",
        "docker-verify",
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0
    assert "has no linux/arm/v7 entry (it lists: linux/386 linux/arm64/v8)" in result.stderr
