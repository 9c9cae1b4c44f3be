"""How bench.py shows its results: a table of medians and ratios to the host, and a chart.

The ratios are what to compare (the machine's speed drifts between runs, less within
one); the targets of issue 15 are printed beside the six-arch rows, never enforced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

HOST = "host"
PHASES = ("cold", "change", "no-op")
# (phase, most x host) for `make docker-build` of six arches; no-op: seconds.
TARGETS = {"cold": 1.05, "change": 2.0}
NOOP_TARGET_SECONDS = 1.0


def _host(results: list[Any]) -> dict[tuple[str, int, str], float]:
    return {(r.store, r.arches, r.phase): r.seconds for r in results if r.pipeline == HOST}


def print_table(results: list[Any]) -> None:
    """Median seconds per pipeline and phase, with x host (the host's serial go build)."""
    host = _host(results)
    groups: dict[tuple[str, int, str], dict[str, float]] = {}
    for r in results:
        groups.setdefault((r.store, r.arches, r.pipeline), {})[r.phase] = r.seconds
    print(
        f"\n{'store':<10} {'pipeline':<17} {'arches':>6} {'cold s':>8} {'x host':>6} "
        f"{'change s':>8} {'x host':>6} {'no change s':>11}"
    )
    for (store, arches, pipeline), phases in groups.items():
        cells = []
        for phase in ("cold", "change"):
            seconds, base = phases.get(phase), host.get((store, arches, phase))
            cells.append(f"{seconds:8.2f}" if seconds is not None else f"{'-':>8}")
            ratio = seconds / base if seconds is not None and base else None
            cells.append(f"{ratio:6.2f}" if ratio is not None else f"{'-':>6}")
        noop = phases.get("no-op")
        cells.append(f"{noop:11.2f}" if noop is not None else f"{'-':>11}")
        print(f"{store:<10} {pipeline:<17} {arches:>6} " + " ".join(cells))
    print("\ntargets, `make docker-build` of six arches (serially):")
    for r in results:
        if r.pipeline != "generated" or r.arches != 6:
            continue
        base = host.get((r.store, r.arches, r.phase))
        if r.phase in TARGETS and base:
            ratio, target = r.seconds / base, TARGETS[r.phase]
            verdict = "met" if ratio <= target else "NOT met"
            print(f"  {r.store:<10} {r.phase:<7} {ratio:5.2f}x host (<= {target}x): {verdict}")
        elif r.phase == "no-op":
            verdict = "met" if r.seconds < NOOP_TARGET_SECONDS else "NOT met"
            limit = f"< {NOOP_TARGET_SECONDS:.0f}s"
            print(f"  {r.store:<10} no-op   {r.seconds:5.2f}s ({limit}): {verdict}")


def print_markdown(results: list[Any]) -> None:
    """The six-arch rows as the README's Markdown table (medians; x host)."""
    host = _host(results)
    rows: dict[tuple[str, str], dict[str, float]] = {}
    for r in results:
        if r.arches == 6:
            rows.setdefault((r.store, r.pipeline), {})[r.phase] = r.seconds
    print("\n| pipeline (six arches) | cold s | x host | after change s | x host | no change s |")
    print("|---|---|---|---|---|---|")
    for (store, pipeline), phases in rows.items():
        cells = []
        for phase in PHASES:
            seconds, base = phases.get(phase), host.get((store, 6, phase))
            cells.append(f"{seconds:.2f}" if seconds is not None else "")
            if phase != "no-op":
                ratio = seconds / base if seconds is not None and base else None
                cells.append(f"{ratio:.2f}" if ratio is not None else "")
        print(f"| {pipeline} ({store}) | " + " | ".join(cells) + " |")


def chart(
    results: list[Any],
    machine: dict[str, str],
    engines: dict[str, dict[str, str]],
    load: list[float],
    path: Path,
) -> None:
    """Left: cold and after-a-change time as a ratio to the host (1 = the host's own go
    build); right: the no-change run in seconds, on its own axis. Six arches."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(no matplotlib: pip install -e '.[bench]' for bench/chart.png)")
        return
    host = _host(results)
    six = [r for r in results if r.arches == 6]
    names: list[tuple[str, str]] = []
    for r in six:
        if (r.store, r.pipeline) not in names and r.pipeline != HOST:
            names.append((r.store, r.pipeline))
    several = len(engines) > 1
    labels = [f"{name}\n({store})" if several else name for store, name in names]
    seconds = {(r.store, r.pipeline, r.phase): r.seconds for r in six}

    def ratio(store: str, name: str, phase: str) -> float:
        base = host.get((store, 6, phase))
        value = seconds.get((store, name, phase))
        return value / base if value is not None and base else 0.0

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8), gridspec_kw={"width_ratios": [3, 2]})
    xs = list(range(len(names)))
    for offset, phase, label in (
        (-0.2, "cold", "cold"),
        (0.2, "change", "after a one-line change"),
    ):
        values = [ratio(store, name, phase) for store, name in names]
        bars = left.bar([x + offset for x in xs], values, 0.4, label=label)
        left.bar_label(bars, labels=[f"{v:.2f}" if v else "" for v in values], fontsize=7)
    left.axhline(1.0, color="black", linewidth=0.8)
    left.axhline(
        TARGETS["change"],
        color="tab:orange",
        linestyle="--",
        linewidth=0.8,
        label=f"target after a change ({TARGETS['change']}x)",
    )
    left.axhline(
        TARGETS["cold"],
        color="tab:blue",
        linestyle=":",
        linewidth=0.8,
        label=f"target cold ({TARGETS['cold']}x)",
    )
    left.set_xticks(xs, labels, fontsize=8, rotation=15, ha="right")
    left.set_ylabel("time / host's own go build (1 = host)")
    left.set_title("six arches, ratio to the host", fontsize=10)
    left.legend(fontsize=8)
    noop_names = [(s, n) for s, n in names] + [(s, HOST) for s in engines]
    noop_labels = [f"{n}\n({s})" if several else n for s, n in noop_names]
    noops = [seconds.get((s, n, "no-op"), 0.0) for s, n in noop_names]
    bars = right.bar(range(len(noops)), noops, 0.6, color="tab:green")
    right.bar_label(bars, fmt="%.2f", fontsize=7)
    right.axhline(
        NOOP_TARGET_SECONDS,
        color="tab:orange",
        linestyle="--",
        linewidth=0.8,
        label=f"target ({NOOP_TARGET_SECONDS:.0f} s)",
    )
    right.set_xticks(range(len(noops)), noop_labels, fontsize=8, rotation=25, ha="right")
    right.set_ylabel("seconds (median)")
    right.set_title("nothing changed: the fixed cost of a run", fontsize=10)
    right.legend(fontsize=8)
    engine_text = "; ".join(
        f"Docker {e['docker']}, buildx {e['buildx']}, {store} store" for store, e in engines.items()
    )
    fig.suptitle(
        f"mkmultiarch vs the host's go build: {machine['cores']} cores ({machine['cpu']}), "
        f"{engine_text}\nload average {' to '.join(f'{x:.1f}' for x in load)} during the run",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")
