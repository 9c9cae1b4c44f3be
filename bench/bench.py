"""Benchmark: the generated pipeline against the seed, naive emulation and the host.

One run, one machine. For 2 and 6 arches it times, cold (empty build cache) and
after a one-line source change:
  host       `go build` per arch on the host: the physical limit;
  seed       the seed's Makefile and a seed-style Dockerfile (no cache mounts);
  generated  the generated Makefile and Dockerfile, serial and `make -j`;
and, for one non-native arch (arm64), a naive build whose Go builder stage runs
under QEMU. It also times `mkmultiarch render` against `copier copy` and
compares the runtime image size with the binary. It prints medians and ratios
to the host, writes bench/results.json and (with matplotlib) bench/chart.png.

Needs the test environment (scripts/test-env.sh) and root. No assertion here:
targets are read from the ratios, never enforced by timed tests.
    python bench/bench.py [--repeat 3] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ENV_FILE = Path("/var/lib/mkmultiarch-test/env")
DOCKER = "/usr/bin/docker"  # the 20.10 client: BuildKit built in
ARCH_SETS = {
    2: ["amd64", "arm64"],
    6: ["amd64", "arm64", "arm/v7", "ppc64le", "s390x", "riscv64"],
}
EMULATED_ARCH = "arm64"


@dataclass
class Result:
    pipeline: str
    arches: int
    phase: str  # cold | change
    seconds: float
    runs: int


def sh(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    subprocess.run(
        args,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def timed(action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def prune_build_cache() -> None:
    sh(DOCKER, "builder", "prune", "-af")


SEED_REPO = "thedoh/somethingsoon"


def reset_seed_cache() -> None:
    """Cold for the seed: it builds with the legacy builder (no BuildKit in its Makefile),
    whose cache is the image store, not the BuildKit cache: remove its images and the
    untagged build-stage images too, or "cold" would be a cache hit."""
    listing = subprocess.run(
        [DOCKER, "image", "ls", "--quiet", SEED_REPO], capture_output=True, text=True, check=True
    )
    ids = sorted(set(listing.stdout.split()))
    if ids:
        sh(DOCKER, "image", "rm", "--force", *ids)
    sh(DOCKER, "image", "prune", "--force")
    prune_build_cache()


class Project:
    """A scratch copy of example-project whose source we can change."""

    def __init__(self, root: Path) -> None:
        self.root = root
        shutil.copytree(REPO / "example-project", root)
        self.changes = 0

    def change_one_line(self) -> None:
        self.changes += 1
        main = self.root / "main.go"
        text = main.read_text()
        marker = 'var version = "dev'
        main.write_text(text.replace(marker, f"{marker}{self.changes}", 1))


def host_build(project: Path, arches: list[str], gocache: Path) -> None:
    for arch in arches:
        goarch, _, variant = arch.partition("/")
        sh(
            "go",
            "build",
            "-trimpath",
            "-ldflags=-s -w",
            "-o",
            f"/tmp/bench-host-{goarch}",
            ".",
            cwd=project,
            env={
                "GOOS": "linux",
                "GOARCH": goarch,
                "GOARM": variant.removeprefix("v"),
                "CGO_ENABLED": "0",
                "GOCACHE": str(gocache),
                "GOFLAGS": "-buildvcs=false",
            },
        )


def measure(
    name: str,
    arches: int,
    build: Callable[[], None],
    change: Callable[[], None],
    cold_reset: Callable[[], None],
    repeat: int,
) -> list[Result]:
    """Median times: cold (cache reset before each), after a one-line change, and with
    nothing changed at all. The last is a pipeline's fixed cost per run (for Docker: the
    BuildKit solve, context and image export of every arch), which no cache can remove."""
    cold, warm, noop = [], [], []
    for _ in range(repeat):
        cold_reset()
        cold.append(timed(build))
        change()
        warm.append(timed(build))
        noop.append(timed(build))
    print(
        f"  {name:<18} {arches} arches: cold {statistics.median(cold):6.1f}s "
        f"change {statistics.median(warm):6.1f}s no change {statistics.median(noop):6.1f}s",
        flush=True,
    )
    return [
        Result(name, arches, "cold", statistics.median(cold), repeat),
        Result(name, arches, "change", statistics.median(warm), repeat),
        Result(name, arches, "no-op", statistics.median(noop), repeat),
    ]


def bench_builds(env: dict[str, str], repeat: int, arch_counts: list[int]) -> list[Result]:
    results: list[Result] = []
    go_image = env["MKMA_GO_IMAGE"]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for count in arch_counts:
            arches = ARCH_SETS[count]
            project = Project(work / f"gen{count}")
            gocache = work / f"gocache{count}"
            results += measure(
                "host go build",
                count,
                lambda p=project, a=arches, c=gocache: host_build(p.root, a, c),
                project.change_one_line,
                lambda c=gocache: shutil.rmtree(c, ignore_errors=True),
                repeat,
            )

            seed = Project(work / f"seed{count}")
            shutil.copy(REPO / "bench/seed/Makefile", seed.root / "Makefile")
            shutil.copy(REPO / "bench/seed/Dockerfile", seed.root / "Dockerfile")
            seed_arches = " ".join(a.split("/")[0] for a in arches)
            results += measure(
                "seed",
                count,
                lambda s=seed, a=seed_arches: sh(
                    "make",
                    "docker-build",
                    f"ARCHES={a}",
                    f"GO_IMAGE={go_image}",
                    f"DOCKER={DOCKER}",
                    cwd=s.root,
                ),
                seed.change_one_line,
                reset_seed_cache,
                repeat,
            )

            for jobs in (1, count):
                label = "generated" if jobs == 1 else "generated -j"
                results += measure(
                    label,
                    count,
                    lambda p=project, a=arches, j=jobs: sh(
                        "make",
                        f"-j{j}",
                        "docker-build",
                        "VERSION=bench",
                        f"ARCHES={' '.join(a)}",
                        f"GO_IMAGE={go_image}",
                        f"DOCKER={DOCKER}",
                        cwd=p.root,
                    ),
                    project.change_one_line,
                    prune_build_cache,
                    repeat,
                )
    return results


def arm64_go_image(env: dict[str, str]) -> str | None:
    """A Go builder image for arm64 made from Debian's arm64 packages (runs under QEMU)."""
    ref = "mkmultiarch-bench/golang-arm64:1.19"  # local only: BuildKit uses local images first
    if subprocess.run([DOCKER, "image", "inspect", ref], capture_output=True).returncode == 0:
        return ref
    with tempfile.TemporaryDirectory() as tmp:
        debs, root, context = Path(tmp) / "debs", Path(tmp) / "root", Path(tmp) / "context"
        for directory in (debs, context):
            directory.mkdir()
        try:
            sh("dpkg", "--add-architecture", "arm64")
            sh("apt-get", "update", "-qq")
            sh(
                "apt-get",
                "download",
                "golang-1.19-go:arm64",
                "golang-1.19-src",
                "busybox-static:arm64",
                "libc6:arm64",
                cwd=debs,
            )
        except subprocess.CalledProcessError as error:
            print(f"  (d) skipped: cannot download arm64 packages: {error.stderr!r}")
            return None
        for deb in debs.glob("*.deb"):
            sh("dpkg-deb", "-x", str(deb), str(root))
        shutil.copy(root / "bin/busybox", root / "bin/sh")
        (root / "tmp").mkdir(mode=0o1777, exist_ok=True)
        sh("tar", "-C", str(root), "-cf", str(context / "rootfs.tar"), ".")
        # `docker import --platform` is ignored by a 20.10 daemon; a BuildKit
        # build FROM scratch writes arm64 into the config.
        (context / "Dockerfile").write_text(
            "FROM scratch\nADD rootfs.tar /\n"
            "ENV PATH=/usr/lib/go-1.19/bin:/bin:/usr/bin GOROOT=/usr/lib/go-1.19 HOME=/root\n"
        )
        sh(
            DOCKER,
            "build",
            "--platform",
            "linux/arm64",
            "-t",
            ref,
            str(context),
            env={"DOCKER_BUILDKIT": "1"},
        )
    return ref


# The same `go build` flags as the generated Dockerfile and the host baseline, so the
# only difference is where the compiler runs. (Without -trimpath, Debian's Go 1.19 would
# reuse the arm64 standard library it ships precompiled; Go >= 1.20 ships none, so every
# current builder image compiles the standard library, as here.)
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


def bench_emulated(env: dict[str, str], repeat: int) -> list[Result]:
    image = arm64_go_image(env)
    if image is None:
        return []
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        naive = Project(Path(tmp) / "naive")
        (naive.root / "Dockerfile.naive").write_text(NAIVE_DOCKERFILE)
        results += measure(
            "emulated (naive)",
            1,
            lambda: sh(
                DOCKER,
                "build",
                "--platform",
                f"linux/{EMULATED_ARCH}",
                "-f",
                "Dockerfile.naive",
                "--build-arg",
                f"GO_IMAGE={image}",
                "-t",
                "bench/naive",
                ".",
                cwd=naive.root,
                env={"DOCKER_BUILDKIT": "1"},
            ),
            naive.change_one_line,
            prune_build_cache,
            repeat,
        )
        generated = Project(Path(tmp) / "gen")
        results += measure(
            "generated",
            1,
            lambda: sh(
                "make",
                "docker-build",
                "VERSION=bench",
                f"ARCHES={EMULATED_ARCH}",
                f"GO_IMAGE={env['MKMA_GO_IMAGE']}",
                f"DOCKER={DOCKER}",
                cwd=generated.root,
            ),
            generated.change_one_line,
            prune_build_cache,
            repeat,
        )
    return results


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


def image_overhead(env: dict[str, str]) -> tuple[int, int]:
    """(image size, binary size) of the amd64 image built above."""
    ref = "docker.io/mkmultiarch/hello:amd64-bench"
    size = int(
        subprocess.run(
            [DOCKER, "image", "inspect", "-f", "{{.Size}}", ref],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    container = subprocess.run(
        [DOCKER, "create", ref], capture_output=True, text=True, check=True
    ).stdout.strip()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            sh(DOCKER, "cp", f"{container}:/usr/local/bin/hello", f"{tmp}/hello")
            binary = Path(f"{tmp}/hello").stat().st_size
    finally:
        sh(DOCKER, "rm", container)
    return size, binary


def print_table(results: list[Result]) -> None:
    host = {(r.arches, r.phase): r.seconds for r in results if r.pipeline == "host go build"}
    print(f"\n{'pipeline':<18} {'arches':>6} {'phase':<7} {'median s':>9} {'x host':>7}")
    for r in results:
        base = host.get((r.arches, r.phase))
        ratio = f"{r.seconds / base:7.2f}" if base else "      -"
        print(f"{r.pipeline:<18} {r.arches:>6} {r.phase:<7} {r.seconds:9.2f} {ratio}")
    seed = {(r.arches, r.phase): r.seconds for r in results if r.pipeline == "seed"}
    print("\nseed / generated (how many times faster the generated pipeline is):")
    for r in results:
        if r.pipeline.startswith("generated") and (r.arches, r.phase) in seed:
            speedup = seed[(r.arches, r.phase)] / r.seconds
            print(f"  {r.pipeline:<14} {r.arches} arches {r.phase:<7} {speedup:6.1f}x")
    naive = {r.phase: r.seconds for r in results if r.pipeline == "emulated (naive)"}
    if naive:
        print(f"\nemulated {EMULATED_ARCH} builder / generated (cross-compiling):")
        for r in results:
            if r.pipeline == "generated" and r.arches == 1 and r.phase in naive:
                print(f"  {r.phase:<7} {naive[r.phase] / r.seconds:6.1f}x")


def chart(results: list[Result], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(no matplotlib: pip install matplotlib for bench/chart.png)")
        return
    groups = [(r.pipeline, r.arches) for r in results if r.phase == "cold"]
    labels = [f"{p}\n{a} arch" for p, a in groups]
    cold = [r.seconds for r in results if r.phase == "cold"]
    change = [r.seconds for r in results if r.phase == "change"]
    xs = range(len(labels))
    fig, ax = plt.subplots(figsize=(max(8, len(labels) * 1.1), 4.5))
    ax.bar([x - 0.2 for x in xs], cold, 0.4, label="cold")
    ax.bar([x + 0.2 for x in xs], change, 0.4, label="after a one-line change")
    ax.set_xticks(list(xs), labels, fontsize=7)
    ax.set_ylabel("seconds (median)")
    ax.set_title("mkmultiarch build time vs seed, emulation and host go build (2 cores)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="2 arches only, 1 repeat")
    args = parser.parse_args()
    if not ENV_FILE.exists():
        print("run scripts/test-env.sh first (root, Debian)", file=sys.stderr)
        return 2
    env = dict(line.split("=", 1) for line in ENV_FILE.read_text().split())
    repeat = 1 if args.quick else args.repeat
    print(f"machine: {os.cpu_count()} cores; repeat {repeat}")
    results = bench_builds(env, repeat, [2] if args.quick else [2, 6])
    results += bench_emulated(env, repeat)
    print_table(results)
    render = bench_render(repeat)
    print(
        f"\nrender (cold process): mkmultiarch {render['render']:.3f}s, "
        f"copier copy {render['copier']:.3f}s, {render['copier'] / render['render']:.1f}x faster"
    )
    size, binary = image_overhead(env)
    print(f"image size {size} B, binary {binary} B: overhead {100 * (size - binary) / binary:.2f}%")
    (REPO / "bench/results.json").write_text(
        json.dumps(
            {
                "results": [asdict(r) for r in results],
                "render": render,
                "image_bytes": size,
                "binary_bytes": binary,
            },
            indent=2,
        )
        + "\n"
    )
    chart(results, REPO / "bench/chart.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
