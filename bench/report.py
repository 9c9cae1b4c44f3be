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
    """One row per image store. Left: cold and after-a-change time as a ratio to the host
    (1 = the host's own go build); right: the no-change run in seconds, on its own axis.
    Six arches."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(no matplotlib: pip install -e '.[bench]' for bench/chart.png)")
        return
    host = _host(results)
    six = [r for r in results if r.arches == 6]
    seconds = {(r.store, r.pipeline, r.phase): r.seconds for r in six}
    stores = list(engines)
    fig, axes = plt.subplots(
        len(stores),
        2,
        figsize=(12, 4.2 * len(stores)),
        gridspec_kw={"width_ratios": [3, 2]},
        squeeze=False,
    )
    for row, store in enumerate(stores):
        names = list(dict.fromkeys(r.pipeline for r in six if r.store == store))
        _ratio_panel(axes[row][0], store, [n for n in names if n != HOST], seconds, host, row == 0)
        _noop_panel(axes[row][1], store, names, seconds, row == 0)
    engine = engines[stores[0]]
    fig.suptitle(
        f"mkmultiarch vs the host's go build, six arches: {machine['cores']} cores "
        f"({machine['cpu']}), Docker {engine['docker']}, buildx {engine['buildx']}, "
        f"{' and '.join(stores)} image store{'s' if len(stores) > 1 else ''}; "
        f"load average {' to '.join(f'{x:.1f}' for x in load)} during the run",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


def _ratio_panel(
    axis: Any,
    store: str,
    names: list[str],
    seconds: dict[tuple[str, str, str], float],
    host: dict[tuple[str, int, str], float],
    legend: bool,
) -> None:
    """Cold and after-a-change bars of STORE's pipelines, as ratios to its host row."""

    def ratio(name: str, phase: str) -> float:
        base = host.get((store, 6, phase))
        value = seconds.get((store, name, phase))
        return value / base if value is not None and base else 0.0

    xs = list(range(len(names)))
    tallest = 0.0
    for offset, phase, label in (
        (-0.2, "cold", "cold"),
        (0.2, "change", "after a one-line change"),
    ):
        values = [ratio(name, phase) for name in names]
        tallest = max([tallest, *values])
        bars = axis.bar([x + offset for x in xs], values, 0.4, label=label)
        axis.bar_label(bars, labels=[f"{v:.2f}" if v else "" for v in values], fontsize=7)
    axis.axhline(1.0, color="black", linewidth=0.8)
    for target, style, color, text in (
        (TARGETS["change"], "--", "tab:orange", "target after a change"),
        (TARGETS["cold"], ":", "tab:blue", "target cold"),
    ):
        label = f"{text} ({target}x)"
        axis.axhline(target, color=color, linestyle=style, linewidth=0.8, label=label)
    axis.set_ylim(0, max(tallest, TARGETS["change"]) * 1.3)
    axis.set_xticks(xs, names, fontsize=8, rotation=20, ha="right")
    axis.set_ylabel("time / host's go build")
    axis.set_title(f"{store} store: ratio to the host (lower is better)", fontsize=10)
    if legend:
        axis.legend(fontsize=7, loc="upper left", ncol=2)


def _noop_panel(
    axis: Any,
    store: str,
    names: list[str],
    seconds: dict[tuple[str, str, str], float],
    legend: bool,
) -> None:
    """STORE's nothing-changed runs in seconds, the host's last."""
    names = [n for n in names if n != HOST] + [HOST]
    values = [seconds.get((store, name, "no-op"), 0.0) for name in names]
    bars = axis.bar(range(len(values)), values, 0.6, color="tab:green")
    axis.bar_label(bars, fmt="%.2f", fontsize=7)
    label = f"target ({NOOP_TARGET_SECONDS:.0f} s)"
    axis.axhline(
        NOOP_TARGET_SECONDS, color="tab:orange", linestyle="--", linewidth=0.8, label=label
    )
    axis.set_ylim(0, max([*values, NOOP_TARGET_SECONDS]) * 1.25)
    axis.set_xticks(range(len(values)), names, fontsize=8, rotation=20, ha="right")
    axis.set_ylabel("seconds (median)")
    axis.set_title(f"{store} store: nothing changed, the fixed cost of a run", fontsize=10)
    if legend:
        axis.legend(fontsize=7, loc="upper left")
