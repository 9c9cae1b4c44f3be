"""make docker-build skips an arch whose inputs did not change (issue #15, nothing changed).

Real make on rendered projects, with a stand-in client first on PATH that records each call
and keeps a store: `build` gives the tag a new image ID, `image inspect --format {{.Id}}`
prints it, `image rm` removes it. Each test builds, changes one input, and reads which
arches the next `make docker-build` built: exactly the ones the change touches, never
fewer (a skipped arch would serve a stale binary). The real engines are exercised in
tests/e2e/test_makefile_e2e.py (docker), test_podman_e2e.py and test_buildx_e2e.py.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.fake_docker import inspect_answers
from tests.support.rendering import CONFIGS, render_into

ARCHES = "amd64 arm64 arm/v7"
# config, client name: the docker builder with docker and with podman, and buildx.
ENGINES = [("seed", "docker"), ("seed", "podman"), ("buildx", "docker")]
BUILT = re.compile(r"^==> building \S+:(\S+)-\S+ for ", re.MULTILINE)
UP_TO_DATE = re.compile(r"^==> up to date: \S+:(\S+)-\S+ ", re.MULTILINE)


def client_script(state: Path, *, buildx: bool = True) -> str:
    """A stand-in docker/podman: records calls, keeps a store of tag -> image ID. Without
    BUILDX, a Docker 20.10 client: BuildKit built in, no buildx plugin."""
    return (
        "#!/usr/bin/env bash\n"
        f"state={state}\n"
        'echo "$*" >>"$state/calls"\n'
        + (
            ""
            if buildx
            else "if [[ $1 == version ]]; then echo 20.10.24; exit 0; fi\n"
            'if [[ $1 == buildx ]]; then echo "unknown command: buildx" >&2; exit 1; fi\n'
        )
        + "if [[ $1 == version || ($1 == buildx && $2 == version) ]]; then exit 0; fi\n"
        "if [[ $1 == build || ($1 == buildx && ($2 == build || $2 == bake)) ]]; then\n"
        '  tags=(); prev=; for a in "$@"; do\n'
        '    [[ $prev != --tag ]] || tags+=("$a")\n'
        '    [[ $prev != --set || $a != *.tags=* ]] || tags+=("${a#*.tags=}"); prev=$a\n'
        "  done\n"
        '  for tag in "${tags[@]}"; do\n'
        '    n=$(( $(cat "$state/counter" 2>/dev/null || echo 0) + 1 ))\n'
        '    echo "$n" >"$state/counter"; echo "$tag" >>"$state/built"\n'
        '    mkdir -p "$state/store"; printf "sha256:%064d\\n" "$n" >"$state/store/${tag//\\//_}"\n'
        "  done\n"
        "  exit 0\n"
        "fi\n"
        # Every image's ID and tags in one call, as docker answers it: the images it has
        # (docker.io/ and library/ left out of a tag), an error for each it has not.
        "if [[ $1 == image && $2 == inspect && $4 == *RepoTags* ]]; then status=0\n"
        '  for ref in "${@:5}"; do image="$state/store/${ref//\\//_}"\n'
        "    if [[ -f $image ]]; then tag=${ref#docker.io/}; tag=${tag#library/}\n"
        '      [[ $0 != */podman ]] || tag=$ref; echo "$(cat "$image") $tag"\n'
        '    else echo "Error: No such image: $ref" >&2; status=1; fi\n'
        "  done; exit $status\n"
        "fi\n"
        "if [[ $1 == image && ($2 == inspect || $2 == rm) ]]; then\n"
        '  ref=${*: -1}; image="$state/store/${ref//\\//_}"\n'
        '  [[ -f $image ]] || { echo "Error: No such image: $ref" >&2; exit 1; }\n'
        '  if [[ $2 == rm ]]; then rm "$image"; exit 0; fi\n'
        "fi\n" + inspect_answers(str(state)) + "exit 0\n"
    )


@dataclass
class Project:
    root: Path
    state: Path
    bin: Path
    client: str
    buildx: bool = True

    @property
    def bakes(self) -> bool:
        """The docker engine builds every changed arch of a run in one bake (not podman, nor
        the buildx builder's per-arch --load builds)."""
        buildx_builder = (self.root / "mk" / "builder-buildx.mk").exists()
        return self.client == "docker" and self.buildx and not buildx_builder

    @property
    def stamps(self) -> Path:
        """Where the Makefile keeps the stamps: the user's cache (XDG_CACHE_HOME here)."""
        return self.state / "cache" / "mkmultiarch" / "stamps"

    def make(self, *args: str, cache: Path | None = None) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "XDG_CACHE_HOME": str(cache or self.state / "cache"),
        }
        return subprocess.run(
            ["make", "--no-print-directory", f"DOCKER={self.client}", *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            env=env,
        )

    def build(self, *args: str) -> list[str]:
        """Run make docker-build; return the arches it built (the rest must be up to date)."""
        calls = self.state / "calls"
        calls.unlink(missing_ok=True)
        (self.state / "built").unlink(missing_ok=True)
        result = self.make("VERSION=1.0", f"ARCHES={ARCHES}", *args, "docker-build")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "warning: undefined variable" not in result.stderr, result.stderr
        built = BUILT.findall(result.stdout)
        skipped = UP_TO_DATE.findall(result.stdout)
        arches = next((a.split("=", 1)[1] for a in args if a.startswith("ARCHES=")), ARCHES)
        assert sorted(built + skipped) == sorted(a.replace("/", "-") for a in arches.split())
        images = self.state / "built"
        assert len(images.read_text().splitlines() if images.exists() else []) == len(built)
        builds = [
            c for c in calls.read_text().splitlines() if re.match(r"(buildx )?(build|bake) ", c)
        ]
        if self.bakes and built:
            assert len(builds) == 1 and builds[0].startswith("buildx bake "), builds
        return built

    def remove_image(self, ref: str) -> None:
        (self.state / "store" / ref.replace("/", "_")).unlink()


def make_project(tmp_path: Path, config: str, client: str) -> Project:
    root = tmp_path / "project"
    root.mkdir()
    render_into(root, CONFIGS[config])
    (root / "go.mod").write_text("module example.com/app\n\ngo 1.23\n")
    (root / "main.go").write_text("package main\n\nfunc main() {}\n")
    state = tmp_path / "state"
    state.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / client
    script.write_text(client_script(state))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return Project(root, state, bin_dir, client)


@pytest.fixture(params=ENGINES, ids=[f"{c}-{e}" for c, e in ENGINES])
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Project:
    config, client = request.param
    return make_project(tmp_path, config, client)


def test_nothing_changed_builds_nothing(project: Project) -> None:
    assert project.build() == ["amd64", "arm64", "arm-v7"]
    assert project.build() == []
    # The gate and the push still find the images a skipped build left.
    check = project.make("VERSION=1.0", f"ARCHES={ARCHES}", "docker-check")
    assert check.returncode == 0, check.stderr
    assert check.stdout.count("==> checked ") == 3


@pytest.mark.parametrize(
    "change",
    ["edit", "add", "delete", "mode", "dockerfile", "dockerignore", "makefile", "same-size"],
)
def test_a_change_in_the_context_builds_every_arch(project: Project, change: str) -> None:
    project.build()
    main = project.root / "main.go"
    if change == "edit":
        main.write_text(main.read_text() + "// edited\n")
    elif change == "add":
        (project.root / "extra.go").write_text("package main\n")
    elif change == "delete":
        (project.root / "go.mod").unlink()
    elif change == "mode":
        main.chmod(0o600)
    elif change == "dockerfile":
        dockerfile = project.root / "Dockerfile"
        dockerfile.write_text(dockerfile.read_text() + "# edited\n")
    elif change == "dockerignore":
        (project.root / ".dockerignore").write_text("*.md\n")
    elif change == "makefile":
        makefile = project.root / "Makefile"
        makefile.write_text(makefile.read_text() + "# edited\n")
    else:
        # Same size, and the old mtime put back: the ctime still moves.
        before = main.stat()
        main.write_text(main.read_text().replace("main", "mian", 1))
        os.utime(main, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert project.build() == ["amd64", "arm64", "arm-v7"]
    assert project.build() == []


def test_what_the_dockerignore_leaves_out_is_no_input(project: Project) -> None:
    project.build()
    for name in [".git", ".mkmultiarch", ".digests"]:
        (project.root / name).mkdir(exist_ok=True)
        (project.root / name / "new").write_text("x\n")
    assert project.build() == []


@pytest.mark.parametrize(
    "setting",
    [
        "VERSION_BACK",
        "EXTRA_BUILD_ARGS=HTTP_PROXY=http://proxy:3128",
        "REVISION=abc",
        "SOURCE=https://example.com/x",
        "GO_IMAGE=golang:1.22",
        "RUNTIME_IMAGE=alpine:3.20",
        "DOCKERFILE=Dockerfile.other",
    ],
)
def test_a_changed_build_value_builds_every_arch(project: Project, setting: str) -> None:
    project.build()
    if setting == "VERSION_BACK":
        # Another version is other images; the first version's stamps still hold.
        assert project.build("VERSION=2.0") == ["amd64", "arm64", "arm-v7"]
        assert project.build() == []
        return
    if setting.startswith("DOCKERFILE="):
        (project.root / "Dockerfile.other").write_text((project.root / "Dockerfile").read_text())
    assert project.build(setting) == ["amd64", "arm64", "arm-v7"]
    assert project.build(setting) == []
    assert project.build() == ["amd64", "arm64", "arm-v7"]


def test_arches_is_an_input_of_every_arch(project: Project) -> None:
    """The one compile step builds ARCHES: another ARCHES never serves a cached build."""
    project.build()
    assert project.build("ARCHES=amd64 arm64") == ["amd64", "arm64"]
    assert project.build("ARCHES=amd64 arm64") == []
    # arm-v7's image is still the one built with every arch: its inputs are the same again.
    assert project.build() == ["amd64", "arm64"]


def test_an_image_gone_from_the_store_builds_again(project: Project) -> None:
    project.build()
    project.remove_image(f"{image_name(project)}:arm64-1.0")
    assert project.build() == ["arm64"]
    # Replaced by another image under the same tag (another ID): built again.
    store = project.state / "store" / f"{image_name(project)}:amd64-1.0".replace("/", "_")
    store.write_text("sha256:" + "f" * 64 + "\n")
    assert project.build() == ["amd64"]
    assert project.build() == []


def test_force_and_clean_build_every_arch(project: Project) -> None:
    project.build()
    assert project.build("FORCE=1") == ["amd64", "arm64", "arm-v7"]
    assert project.build() == []
    refused = project.make("FORCE=yes", "docker-build")
    assert refused.returncode == 2
    assert "make: FORCE='yes' is not allowed: use 1 or 0" in refused.stderr
    clean = project.make("VERSION=1.0", f"ARCHES={ARCHES}", "clean")
    assert clean.returncode == 0, clean.stderr
    assert not list(project.stamps.rglob("*-1.0.*"))
    assert project.build() == ["amd64", "arm64", "arm-v7"]


def test_input_files_are_rewritten_only_when_they_differ(project: Project) -> None:
    project.build()
    files = sorted(p for p in project.stamps.rglob("*") if p.is_file())
    assert {p.suffix for p in files} >= {".args", ".store", ".id"}
    before = {p: p.stat().st_mtime_ns for p in files}
    project.build()
    assert {p: p.stat().st_mtime_ns for p in files} == before
    # No temporary file (NAME.<pid>) is left behind.
    assert not [p for p in project.stamps.rglob("*") if re.search(r"\.\d+$", p.name)]


def test_help_runs_no_client_and_writes_no_stamp(project: Project) -> None:
    for goal in ["help", "version"]:
        result = project.make(goal)
        assert result.returncode == 0, result.stderr
    assert not (project.state / "calls").exists()
    assert not (project.state / "cache").exists()


def test_no_stamp_is_written_into_the_build_context(project: Project) -> None:
    """A file written in the context between two arches' builds would change it: the
    compile step (COPY . .) would run again for every arch."""
    before = sorted(p for p in project.root.rglob("*"))
    project.build()
    assert sorted(p for p in project.root.rglob("*")) == before
    assert project.stamps.is_dir()


def test_a_cache_directory_that_is_not_plain_builds_every_time(project: Project) -> None:
    """make cannot name files with a space: without stamps, every arch builds, as before."""
    odd = project.state / "odd cache"
    env = {"XDG_CACHE_HOME": str(odd)}
    for _ in range(2):
        result = subprocess.run(
            [
                "make",
                "--no-print-directory",
                f"DOCKER={project.client}",
                "VERSION=1.0",
                f"ARCHES={ARCHES}",
                "docker-build",
            ],
            cwd=project.root,
            capture_output=True,
            text=True,
            env={**os.environ, "PATH": f"{project.bin}{os.pathsep}{os.environ['PATH']}", **env},
        )
        assert result.returncode == 0, result.stderr
        assert len(BUILT.findall(result.stdout)) == 3
    assert not odd.exists()


def test_a_cache_directory_that_cannot_be_written_builds_every_time(project: Project) -> None:
    """A read-only or odd HOME (a CI container's) turns the check off; it never fails a build."""
    blocked = project.state / "not-a-directory"
    blocked.write_text("a file where the cache directory would be\n")
    for _ in range(2):
        result = project.make("VERSION=1.0", f"ARCHES={ARCHES}", "docker-build", cache=blocked)
        assert result.returncode == 0, result.stdout + result.stderr
        assert len(BUILT.findall(result.stdout)) == 3
        # Said once for each build call: one bake, or each arch's build.
        assert result.stdout.count("note: cannot write ") == (1 if project.bakes else 3)
    assert blocked.read_text() == "a file where the cache directory would be\n"


def test_stamps_are_keyed_by_the_per_arch_image(project: Project) -> None:
    project.build()
    ids = sorted(p.relative_to(project.stamps).as_posix() for p in project.stamps.rglob("*.id"))
    key = image_name(project).replace(":", "+")
    assert ids == [f"{key}+{a}-1.0.id" for a in ["amd64", "arm-v7", "arm64"]]
    # Another registry is other images: built, and the first ones stay up to date.
    assert project.build("REGISTRY=other.example.com") == ["amd64", "arm64", "arm-v7"]
    assert project.build() == []


def image_name(project: Project) -> str:
    text = (project.root / "Makefile").read_text()
    registry = re.search(r"^REGISTRY \?= (\S+)$", text, re.MULTILINE)
    img = re.search(r"^IMG \?= (\S+)$", text, re.MULTILINE)
    assert registry and img
    return f"{registry[1]}/{img[1]}"


def test_each_image_of_several_has_its_own_stamps(tmp_path: Path) -> None:
    project = make_project(tmp_path, "multi", "docker")
    for main in ["cmd/server", "cmd/work", "cmd/cli"]:
        (project.root / main).mkdir(parents=True)
        (project.root / main / "main.go").write_text("package main\n\nfunc main() {}\n")

    def built(*args: str) -> list[tuple[str, str]]:
        result = project.make("VERSION=1.0", *args, "docker-build")
        assert result.returncode == 0, result.stdout + result.stderr
        pattern = r"^==> building \S+/(\S+):(\S+)-1\.0 "
        found: list[tuple[str, str]] = re.findall(pattern, result.stdout, re.MULTILINE)
        return sorted(found)

    first = built()
    assert ("server", "riscv64") in first and ("worker", "arm64") in first
    assert len(first) == 4 + 2 + 4
    assert built() == []
    # ARCHES from the command line is every image's and the compile step's: all rebuild.
    assert built("ARCHES=amd64") == [("cli", "amd64"), ("server", "amd64"), ("worker", "amd64")]
    assert built() == [("cli", "amd64"), ("server", "amd64"), ("worker", "amd64")]
    # One image's image gone: that image's arch alone.
    project.remove_image("localhost:5000/team/worker:arm64-1.0")
    assert built() == [("worker", "arm64")]


def test_a_client_without_buildx_builds_the_changed_arches_one_by_one(tmp_path: Path) -> None:
    """A Docker 20.10 client (BuildKit built in, no buildx plugin, so no bake): every changed
    arch is built by its own `docker build`, and stamped as the bake's would be."""
    project = make_project(tmp_path, "seed", "docker")
    (project.bin / "docker").write_text(client_script(project.state, buildx=False))
    project.buildx = False
    assert project.build() == ["amd64", "arm64", "arm-v7"]
    calls = (project.state / "calls").read_text().splitlines()
    builds = [c for c in calls if re.match(r"(buildx )?(build|bake) ", c)]
    assert [re.findall(r"--platform (\S+)", c) for c in builds] == [
        ["linux/amd64"],
        ["linux/arm64"],
        ["linux/arm/v7"],
    ]
    assert project.build() == []
    (project.root / "main.go").write_text("package main\n\nfunc main() { println() }\n")
    assert project.build() == ["amd64", "arm64", "arm-v7"]
