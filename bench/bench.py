"""Benchmark: the generated pipeline against the host's own `go build`.

One command, one run, one machine (estimated 8 minutes on 2 idle cores; 27 on 2 cores
shared with three test suites):
    python bench/bench.py            (after scripts/test-env.sh; root)
It builds a copy of example-project (a net/http program) for six arches (amd64 arm64
arm/v7 ppc64le s390x riscv64) with:
  host            `go build` per arch, one after another, on the host, with the Go of the
                  builder image and the Dockerfile's flags: the physical limit;
  host parallel   the same builds, all at once (what the Dockerfile's compile step does;
                  a reference row, timed cold only with --full);
  generated       `make VERSION=bench docker-build`, serially (the seed's command line):
                  with nothing changed, make's own up-to-date check skips every arch;
  generated FORCE=1  the same, every arch's docker build run even when up to date (the
                  per-arch fixed cost the check skips; it builds generated's project);
  generated -j    `make -j6 docker-build`: six per-arch builds at once, one daemon;
  buildx one call `make docker-multiarch` of the same project rendered with builder: buildx
                  (every platform in one solve, into the build cache);
  one image --load  a reference row, containerd store only: generated's project built by
                  one `docker buildx build --platform <all> --load`, one multi-platform
                  image in the store (one solve, the store's export; no per-arch images).
Each is timed cold, after a one-line source change and with nothing changed (the fixed
cost of a run); it prints medians with ratios to the host, names the machine, engine and
image store, and writes bench/results.json and (with matplotlib, the `bench` extra)
bench/chart.png. No assertion: the targets are read from the ratios, never timed tests.

Cold without touching anyone else's cache: no global prune. Every cold run builds a fresh
copy of the project whose go.mod carries a unique comment (every layer from `COPY go.*`
on misses the cache) and whose Dockerfile names its cache mounts with a unique id
(`--mount=type=cache,id=bench-<run>-...`: the Go build cache starts empty, as the host's
fresh GOCACHE does). Only the mount id differs from the generated Dockerfile. The builder
image stays, as the host's Go stays installed. At the end bench.py removes its own cache
mounts and images. On a machine of your own, --prune-all first empties the whole build
cache (docker builder prune -af) instead.

Options: --repeat N (change and no-change runs, default 3), --cold N (default 1),
--full (also 2 arches, the seed's Makefile, a naive arm64 build under QEMU), --quick
(a smoke run: 2 arches, once, printed only; with --cold 0 no cold run: it starts from a
project every run shares, cached after the first),
--each-store (runs everything on the containerd, then the classic image store, switching
with scripts/test-env.sh --store, and back: only on a machine nobody else is using).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import chart, print_markdown, print_table

REPO = Path(__file__).resolve().parents[1]
ENV_FILE = Path("/var/lib/mkmultiarch-test/env")
ARCH_SETS = {
    2: ["amd64", "arm64"],
    6: ["amd64", "arm64", "arm/v7", "ppc64le", "s390x", "riscv64"],
}
EMULATED_ARCH = "arm64"
VERSION = "bench"
# Every name this run gives the engine (images, cache mount ids) starts with this.
RUN_ID = f"bench-{secrets.token_hex(4)}"


@dataclass
class Result:
    pipeline: str
    arches: int
    phase: str  # cold | change | no-op
    seconds: float
    runs: int
    store: str = ""
    samples: list[float] = field(default_factory=list)  # every run, in order: the spread


@dataclass
class Bench:
    """What every pipeline needs: the client, the builder image, the host's Go."""

    docker: str
    go_image: str
    host_go: str
    work: Path
    store: str
    images: list[str] = field(default_factory=list)


def sh(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run ARGS; return stdout; on failure, exit with the command's last lines of output."""
    result = subprocess.run(
        args, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
        sys.exit(f"bench: `{' '.join(args)}` failed (exit {result.returncode}):\n{tail}")
    return result.stdout


def timed(action: Callable[[], object]) -> float:
    """Wall seconds of ACTION, started with no dirty pages: what the run before it wrote is
    flushed first, untimed. Without it the host's builds (their binaries and Go cache, not
    fsynced) were written back during the next pipeline's run: `make docker-build` right
    after the host's parallel build took 4.85 s against 4.44 s after another build, and
    the same with a flush in between (4 rounds each)."""
    os.sync()
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


class Project:
    """A fresh copy of example-project whose build no cache has seen (see the docstring)."""

    def __init__(self, root: Path, nonce: str, builder: str = "docker") -> None:
        self.root = root
        shutil.copytree(REPO / "example-project", root, ignore=shutil.ignore_patterns(".git"))
        if builder != "docker":  # rendered before the Dockerfile gets its mount ids
            config = root / "multiarch.yaml"
            config.write_text(config.read_text() + f"builder: {builder}\n")
            sh("mkmultiarch", "render", "--force", "--config", str(config), cwd=root)
        go_mod = root / "go.mod"
        go_mod.write_text(go_mod.read_text() + f"// {nonce}: a go.mod no cache has seen\n")
        dockerfile = root / "Dockerfile"
        dockerfile.write_text(
            re.sub(
                r"--mount=type=cache,target=(\S+)",
                lambda m: f"--mount=type=cache,id={nonce}{m.group(1)},target={m.group(1)}",
                dockerfile.read_text(),
            )
        )
        self.changes = 0
        # The host's Go build cache: the project's own, or one every warm run shares.
        shared = Path(tempfile.gettempdir()) / f"{nonce}-gocache"
        self.gocache = shared if nonce.startswith("bench-warm") else root / ".gocache"

    def change_one_line(self) -> None:
        self.changes += 1
        main = self.root / "main.go"
        text = main.read_text()
        marker = 'var version = "dev'
        main.write_text(text.replace(marker, f"{marker}{self.changes}", 1))


@dataclass
class Pipeline:
    """A way to build ARCHES; `cold` makes a new Project, `build` builds the current one."""

    name: str
    arches: list[str]
    bench: Bench
    make_project: Callable[[Path, str], Project]
    build_in: Callable[[Project, list[str]], None]
    project: Project | None = None
    colds: int = 0
    cold_by_default: bool = True  # False: cold only with --full (a reference row)
    # Without a cold run of its own: start from this pipeline's Go build cache (the host's).
    share_cache_with: Pipeline | None = None
    # Without a cold run of its own: build this pipeline's project (the same Makefile run
    # another way), so it needs no cold build of its own.
    share_project_with: Pipeline | None = None

    def cold(self, warm: bool = False) -> float:
        """A build of a new project; WARM: one every run shares (cached after the first)."""
        self.colds += 1
        slug = re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")
        run = "bench-warm" if warm else f"{RUN_ID}-{self.colds}"
        nonce = f"{run}-{slug}-{len(self.arches)}"
        self.project = self.make_project(self.bench.work / nonce, nonce)
        shared = self.share_cache_with.project if self.share_cache_with else None
        if warm and shared is not None:
            self.project.gocache = shared.gocache
        return self.build()

    def build(self) -> float:
        assert self.project is not None
        project = self.project
        return timed(lambda: self.build_in(project, self.arches))

    def change(self) -> float:
        assert self.project is not None
        self.project.change_one_line()
        return self.build()


def host_go(bench_env: dict[str, str], given: str | None) -> str:
    """The host's `go` of the builder image's version (MKMA_GO_VERSION): the same
    compiler on both sides, or the ratios would compare two Go releases."""
    wanted = bench_env.get("MKMA_GO_VERSION", "")
    candidates = [given] if given else []
    candidates += [
        shutil.which("go") or "",
        *sorted(map(str, Path("/usr/lib").glob("go-*/bin/go"))),
    ]
    candidates.append("/usr/local/go/bin/go")
    for candidate in filter(None, candidates):
        if not Path(candidate).is_file():
            continue
        version = subprocess.run(
            [candidate, "env", "GOVERSION"], capture_output=True, text=True
        ).stdout.strip()
        if given or version == wanted:
            return candidate
    sys.exit(f"bench: no host go of {wanted} (the builder image's): give --host-go PATH")


def host_build(bench: Bench, project: Project, arches: list[str], parallel: bool) -> None:
    """`go build` per arch with the Dockerfile's flags; GOCACHE is the project's own."""
    processes = []
    for arch in arches:
        goarch, _, variant = arch.partition("/")
        command = [
            bench.host_go,
            "build",
            "-trimpath",
            f"-ldflags=-s -w -X main.version={VERSION}",
            "-o",
            str(project.root / f".out-{goarch}{variant}"),
            ".",
        ]
        env = {
            **os.environ,
            "GOOS": "linux",
            "GOARCH": goarch,
            "GOARM": "6" if variant == "v6" else "7",
            "CGO_ENABLED": "0",
            "GOCACHE": str(project.gocache),
            "GOFLAGS": "-buildvcs=false",
        }
        process = subprocess.Popen(command, cwd=project.root, env=env, stderr=subprocess.PIPE)
        if parallel:
            processes.append(process)
        else:
            _, error = process.communicate()
            if process.returncode:
                sys.exit(f"bench: host go build for {arch} failed:\n{error.decode()}")
    for process in processes:
        _, error = process.communicate()
        if process.returncode:
            sys.exit(f"bench: host go build failed:\n{error.decode()}")


def make(bench: Bench, project: Project, arches: list[str], *args: str) -> None:
    sh(
        "make",
        *args,
        f"VERSION={VERSION}",
        f"IMG={RUN_ID}/hello",
        f"ARCHES={' '.join(arches)}",
        f"GO_IMAGE={bench.go_image}",
        f"DOCKER={bench.docker}",
        cwd=project.root,
    )


def one_image(bench: Bench, project: Project, arches: list[str]) -> None:
    """Every platform in one solve, loaded into the store as one multi-platform image: the
    generated Dockerfile and build args, not a Makefile path (Docker 26 can neither tag nor
    push one platform of such an image, and the Makefile's check and push need that)."""
    platforms = ",".join(f"linux/{arch}" for arch in arches)
    sh(
        bench.docker,
        "buildx",
        "build",
        "--quiet",
        "--load",
        "--platform",
        platforms,
        "--build-arg",
        f"GO_IMAGE={bench.go_image}",
        "--build-arg",
        f"ARCHES={' '.join(sorted(arches))}",
        "--build-arg",
        f"VERSION={VERSION}",
        "--tag",
        f"{RUN_ID}/hello:one-image-{VERSION}",
        ".",
        cwd=project.root,
        env={"BUILDX_NO_DEFAULT_ATTESTATIONS": "1"},
    )


def pipelines(bench: Bench, arches: list[str]) -> list[Pipeline]:
    jobs = f"-j{len(arches)}"
    one_call = Pipeline(
        "buildx one call",
        arches,
        bench,
        lambda root, nonce: Project(root, nonce, builder="buildx"),
        lambda p, a: make(bench, p, a, "docker-multiarch"),
    )
    host = Pipeline("host", arches, bench, Project, lambda p, a: host_build(bench, p, a, False))
    generated = Pipeline(
        "generated", arches, bench, Project, lambda p, a: make(bench, p, a, "docker-build")
    )
    # A reference row: what one solve costs with the store's export (gzip, image records)
    # and without per-arch images. It builds generated's project, so it needs no cold run.
    loaded = Pipeline(
        "one image --load",
        arches,
        bench,
        Project,
        lambda p, a: one_image(bench, p, a),
        cold_by_default=False,
        share_project_with=generated,
    )
    return [
        host,
        Pipeline(
            "host parallel",
            arches,
            bench,
            Project,
            lambda p, a: host_build(bench, p, a, True),
            cold_by_default=False,
            share_cache_with=host,
        ),
        generated,
        # The same Makefile with its up-to-date check off: every arch's docker build runs,
        # so its no-change run is the per-arch fixed cost the stamps skip.
        Pipeline(
            "generated FORCE=1",
            arches,
            bench,
            Project,
            lambda p, a: make(bench, p, a, "FORCE=1", "docker-build"),
            cold_by_default=False,
            share_project_with=generated,
        ),
        Pipeline(
            f"generated {jobs}",
            arches,
            bench,
            Project,
            lambda p, a: make(bench, p, a, jobs, "docker-build"),
        ),
        # buildx's docker driver builds several platforms in one call on the containerd
        # store only (the classic store refuses; see the README's paths).
        *([one_call, loaded] if bench.store == "containerd" else []),
    ]


def measure(group: list[Pipeline], repeat: int, colds: int, store: str, full: bool) -> list[Result]:
    """Cold runs first (each pipeline in turn), then REPEAT rounds of a change and a
    no-change run of every pipeline in turn: a machine whose speed drifts slows them all
    alike, so the ratios within a round hold."""
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(colds):
        for pipeline in (p for p in group if full or p.cold_by_default):
            seconds = pipeline.cold()
            times.setdefault((pipeline.name, "cold"), []).append(seconds)
            print(f"  {pipeline.name:<16} cold      {seconds:7.2f}s", flush=True)
    for pipeline in group:
        if pipeline.project is None and pipeline.share_project_with is not None:
            pipeline.project = pipeline.share_project_with.project
        if pipeline.project is None:  # untimed: a project every run shares, or the host's cache
            pipeline.cold(warm=True)
    for round_ in range(repeat):
        for pipeline in group:
            change, noop = pipeline.change(), pipeline.build()
            times.setdefault((pipeline.name, "change"), []).append(change)
            times.setdefault((pipeline.name, "no-op"), []).append(noop)
            print(
                f"  {pipeline.name:<16} round {round_ + 1}: change {change:6.2f}s, "
                f"no change {noop:5.2f}s",
                flush=True,
            )
    count = len(group[0].arches)
    return [
        Result(name, count, phase, statistics.median(values), len(values), store, values)
        for (name, phase), values in times.items()
    ]


def seed_pipeline(bench: Bench, arches: list[str]) -> Pipeline:
    """The seed's Makefile and a seed-style Dockerfile: no cache mounts, no --platform."""

    def seed_project(root: Path, nonce: str) -> Project:
        project = Project(root, nonce)
        for name in ("Makefile", "Dockerfile"):
            shutil.copy(REPO / "bench/seed" / name, root / name)
        return project

    def build(project: Project, arches: list[str]) -> None:
        sh(
            "make",
            "docker-build",
            f"ARCHES={' '.join(a.split('/')[0] for a in arches)}",
            f"GO_IMAGE={bench.go_image}",
            f"DOCKER={bench.docker}",
            cwd=project.root,
        )

    return Pipeline("seed", arches, bench, seed_project, build)


def emulated_pipelines(bench: Bench) -> list[Pipeline]:
    """A naive arm64 build whose compiler runs under QEMU, beside the generated one."""
    image = arm64_go_image(bench.docker)
    if image is None:
        return []

    def naive_project(root: Path, nonce: str) -> Project:
        project = Project(root, nonce)
        (root / "Dockerfile.naive").write_text(NAIVE_DOCKERFILE)
        return project

    def naive(project: Project, arches: list[str]) -> None:
        sh(
            bench.docker,
            "build",
            "--platform",
            f"linux/{EMULATED_ARCH}",
            "-f",
            "Dockerfile.naive",
            "--build-arg",
            f"GO_IMAGE={image}",
            "-t",
            f"{RUN_ID}/naive",
            ".",
            cwd=project.root,
        )

    return [
        Pipeline("emulated (naive)", [EMULATED_ARCH], bench, naive_project, naive),
        Pipeline(
            "generated",
            [EMULATED_ARCH],
            bench,
            Project,
            lambda p, a: make(bench, p, a, "docker-build"),
        ),
    ]


def arm64_go_image(docker: str) -> str | None:
    """A Go builder image for arm64 made from Debian's arm64 packages (runs under QEMU)."""
    ref = "mkmultiarch-bench/golang-arm64:1.19"  # local only: BuildKit uses local images first
    if subprocess.run([docker, "image", "inspect", ref], capture_output=True).returncode == 0:
        return ref
    with tempfile.TemporaryDirectory() as tmp:
        debs, root, context = Path(tmp) / "debs", Path(tmp) / "root", Path(tmp) / "context"
        for directory in (debs, context):
            directory.mkdir()
        try:
            for command in (
                ["dpkg", "--add-architecture", "arm64"],
                ["apt-get", "update", "-qq"],
                [
                    "apt-get",
                    "download",
                    "golang-1.19-go:arm64",
                    "golang-1.19-src",
                    "busybox-static:arm64",
                    "libc6:arm64",
                ],
            ):
                subprocess.run(command, cwd=debs, check=True, capture_output=True)
        except subprocess.CalledProcessError as error:
            print(f"  (emulated) skipped: cannot download arm64 packages: {error.stderr!r}")
            return None
        for deb in debs.glob("*.deb"):
            sh("dpkg-deb", "-x", str(deb), str(root))
        shutil.copy(root / "bin/busybox", root / "bin/sh")
        (root / "tmp").mkdir(mode=0o1777, exist_ok=True)
        sh("tar", "-C", str(root), "-cf", str(context / "rootfs.tar"), ".")
        (context / "Dockerfile").write_text(
            "FROM scratch\nADD rootfs.tar /\n"
            "ENV PATH=/usr/lib/go-1.19/bin:/bin:/usr/bin GOROOT=/usr/lib/go-1.19 HOME=/root\n"
        )
        sh(docker, "build", "--platform", "linux/arm64", "-t", ref, str(context))
    return ref


# The same `go build` flags as the generated Dockerfile and the host, so the only
# difference is where the compiler runs.
NAIVE_DOCKERFILE = """\
ARG GO_IMAGE
FROM ${GO_IMAGE} AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -buildvcs=false -o /out/hello .
FROM scratch
COPY --from=build /out/hello /hello
ENTRYPOINT ["/hello"]
"""


def bench_render(repeat: int) -> dict[str, float]:
    """Cold process start: `mkmultiarch render` vs `copier copy` of the same files."""
    times: dict[str, list[float]] = {"render": [], "copier": []}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        template = work / "template"
        template.mkdir()
        shutil.copy(REPO / "copier.yml", template)
        shutil.copytree(REPO / "templates", template / "templates")
        config = REPO / "example-project/multiarch.yaml"
        for i in range(max(repeat, 5)):
            out = work / f"render{i}"
            times["render"].append(
                timed(
                    lambda o=out: sh(
                        "mkmultiarch", "render", "--config", str(config), "--output", str(o)
                    )
                )
            )
            out = work / f"copier{i}"
            times["copier"].append(
                timed(
                    lambda o=out: sh(
                        "copier",
                        "copy",
                        "--defaults",
                        "--quiet",
                        "--data-file",
                        str(config),
                        str(template),
                        str(o),
                    )
                )
            )
    return {name: statistics.median(values) for name, values in times.items()}


def image_overhead(docker: str) -> tuple[int, int]:
    """(image size, binary size) of the amd64 image the generated pipeline built. The
    containerd store counts an image's compressed layers: the binary is then counted
    gzipped too (level 6, BuildKit's), so both sides are alike."""
    ref = f"docker.io/{RUN_ID}/hello:amd64-{VERSION}"
    size = int(sh(docker, "image", "inspect", "-f", "{{.Size}}", ref))
    container = sh(docker, "create", "--platform", "linux/amd64", ref).strip()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            sh(docker, "cp", f"{container}:/usr/local/bin/hello", f"{tmp}/hello")
            data = Path(f"{tmp}/hello").read_bytes()
    finally:
        sh(docker, "rm", container)
    if "io.containerd.snapshotter" in sh(docker, "info", "--format", "{{json .DriverStatus}}"):
        return size, len(gzip.compress(data, compresslevel=6))
    return size, len(data)


def describe_engine(docker: str) -> dict[str, str]:
    """The engine, buildx and image store this run measured."""
    server = sh(docker, "version", "--format", "{{.Server.Version}}").strip()
    buildx = sh(docker, "buildx", "version").split()[1]
    status = sh(docker, "info", "--format", "{{json .DriverStatus}}")
    store = "containerd" if "io.containerd.snapshotter" in status else "classic"
    return {"docker": server, "buildx": buildx, "store": store}


def describe_machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    memory = re.search(r"^MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text(), re.MULTILINE)
    return {
        "cpu": model.group(1) if model else "unknown",
        "cores": str(os.cpu_count()),
        "memory_gib": f"{int(memory.group(1)) / 2**20:.1f}" if memory else "unknown",
        "kernel": os.uname().release,
    }


def cleanup(docker: str) -> None:
    """Remove this run's cache mounts (their description holds RUN_ID) and images."""
    usage = subprocess.run(
        [docker, "buildx", "du", "--verbose"], capture_output=True, text=True
    ).stdout
    ids, current = [], ""
    for line in usage.splitlines():
        if line.startswith("ID:"):
            current = line.split()[1]
        elif line.startswith("Description:") and RUN_ID in line:
            ids.append(current)
    for record in ids:
        subprocess.run(
            [docker, "builder", "prune", "-f", "--filter", f"id={record}"], capture_output=True
        )
    listing = subprocess.run(
        [docker, "image", "ls", "--format", "{{.Repository}}:{{.Tag}}"],
        capture_output=True,
        text=True,
    ).stdout.split()
    mine = [ref for ref in listing if RUN_ID in ref]
    if mine:
        subprocess.run([docker, "image", "rm", "--force", *mine], capture_output=True)
    print(f"removed {len(ids)} cache mounts and {len(mine)} images of {RUN_ID}")


def switch_store(store: str) -> None:
    """scripts/test-env.sh --store STORE: restarts dockerd (everyone's builds stop)."""
    print(f"\nswitching the engine to the {store} image store (scripts/test-env.sh)", flush=True)
    sh("bash", str(REPO / "scripts/test-env.sh"), "--store", store)


def run_builds(bench: Bench, args: argparse.Namespace) -> list[Result]:
    results: list[Result] = []
    counts = [2] if args.quick else [2, 6] if args.full else [6]
    for count in counts:
        print(f"\n{count} arches: {' '.join(ARCH_SETS[count])}", flush=True)
        group = pipelines(bench, ARCH_SETS[count])
        if args.full:
            group.append(seed_pipeline(bench, ARCH_SETS[count]))
        results += measure(group, args.repeat, args.cold, bench.store, args.full)
    if args.full:
        emulated = emulated_pipelines(bench)
        if emulated:
            print(f"\n1 arch, {EMULATED_ARCH}: compiler under QEMU vs cross-compiling")
            results += measure(emulated, args.repeat, args.cold, bench.store, args.full)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="change and no-change runs")
    parser.add_argument("--cold", type=int, default=1, help="cold runs of each pipeline")
    parser.add_argument("--full", action="store_true", help="also 2 arches, seed, emulation")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 arches, 1 repeat")
    parser.add_argument("--prune-all", action="store_true", help="docker builder prune -af first")
    parser.add_argument("--each-store", action="store_true", help="containerd, then classic")
    parser.add_argument("--host-go", help="the host's go binary (default: the image's version)")
    args = parser.parse_args()
    if args.quick:
        args.repeat = 1
    if not ENV_FILE.exists():
        print("run scripts/test-env.sh first (root, Debian)", file=sys.stderr)
        return 2
    env = dict(line.split("=", 1) for line in ENV_FILE.read_text().split() if "=" in line)
    docker = env["MKMA_DOCKER_BUILDKIT_CLIENT"]
    go = host_go(env, args.host_go)
    machine = describe_machine()
    started = time.perf_counter()
    load = [os.getloadavg()[0]]
    print(
        f"machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, "
        f"Linux {machine['kernel']}; load {load[0]:.2f}\n"
        f"host go: {go} ({env.get('MKMA_GO_VERSION')}); builder image {env['MKMA_GO_IMAGE']}\n"
        f"run id {RUN_ID}; repeat {args.repeat}, cold {args.cold}",
        flush=True,
    )
    if args.prune_all:
        sh(docker, "builder", "prune", "-af")
    original = describe_engine(docker)["store"]
    stores = ["containerd", "classic"] if args.each_store else [original]
    results: list[Result] = []
    engines: dict[str, dict[str, str]] = {}
    image_bytes = binary_bytes = 0
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for store in stores:
                if store != describe_engine(docker)["store"]:
                    switch_store(store)
                engine = describe_engine(docker)
                engines[store] = engine
                print(
                    f"engine: Docker {engine['docker']}, buildx {engine['buildx']}, "
                    f"{store} image store",
                    flush=True,
                )
                bench = Bench(docker, env["MKMA_GO_IMAGE"], go, Path(tmp) / store, store)
                bench.work.mkdir()
                results += run_builds(bench, args)
                if not image_bytes:
                    image_bytes, binary_bytes = image_overhead(docker)
                cleanup(docker)
        finally:
            if describe_engine(docker)["store"] != original:
                switch_store(original)
    load.append(os.getloadavg()[0])
    render = bench_render(args.repeat)
    print_table(results)
    print_markdown(results)
    print(
        f"\nrender (cold process): mkmultiarch {render['render']:.3f}s, "
        f"copier copy {render['copier']:.3f}s, {render['copier'] / render['render']:.1f}x faster"
    )
    overhead = 100 * (image_bytes - binary_bytes) / binary_bytes
    counted = "gzipped, as the store counts layers" if "containerd" in engines else "as is"
    print(
        f"image size {image_bytes} B, binary {binary_bytes} B ({counted}): overhead {overhead:.2f}%"
    )
    minutes = (time.perf_counter() - started) / 60
    print(f"load average (1 min) at start {load[0]:.2f}, at end {load[1]:.2f}; {minutes:.1f} min")
    if args.quick:  # a smoke run never replaces the results the docs quote
        return 0
    (REPO / "bench/results.json").write_text(
        json.dumps(
            {
                "machine": machine,
                "engines": engines,
                "host_go": env.get("MKMA_GO_VERSION", ""),
                "load_average": load,
                "results": [asdict(r) for r in results],
                "render": render,
                "image_bytes": image_bytes,
                "binary_bytes": binary_bytes,
            },
            indent=2,
        )
        + "\n"
    )
    chart(results, machine, engines, load, REPO / "bench/chart.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
