"""The comparison table (stdout) and the PNG chart (matplotlib, from the bench extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _load(result: dict[str, Any]) -> str:
    loads = result.get("loadavg") or []
    return "/".join(f"{load[0]:.1f}" for load in loads)


def print_table(results: dict[str, Any]) -> None:
    lab = results.get("lab")
    if lab:
        tools = lab["tools"]
        base1 = tools["paramiko_true"]["wall_s"]
        base2 = tools["paramiko_facts"]["wall_s"]
        print(f"\nlab: {lab['hosts']} hosts, forks {lab['forks']}, medians of {results['runs']}")
        print(
            f"{'tool':<22}{'wall s':>8}{'/(1)':>7}{'/(2)':>7}{'CPU ms/host':>13}"
            f"{'peak RSS MB':>13}  checks  load 1m"
        )
        for row in tools.values():
            if "error" in row:
                print(f"{row['label']:<22}  not measured: {row['error']}")
                continue
            print(
                f"{row['label']:<22}{row['wall_s']:>8.2f}{row['wall_s'] / base1:>7.2f}"
                f"{row['wall_s'] / base2:>7.2f}{row['cpu_ms_per_host']:>13.1f}"
                f"{row['peak_rss_mb']:>13.0f}  {row.get('checks', '-')!s:>6}  {_load(row)}"
            )
    fleet = results.get("fleet")
    if fleet:
        print(f"\nsimulated fleet (audit run), medians of {results['runs']}")
        print(
            f"{'hosts':>6}{'forks':>6}{'wall s':>8}{'CPU ms/host':>13}{'server ms/host':>16}"
            f"{'RSS MB':>8}{'fds':>6}{'threads':>8}{'left':>5}  statuses  load 1m"
        )
        for n, row in fleet.items():
            print(
                f"{n:>6}{row['forks']:>6}{row['wall_s']:>8.1f}{row['cpu_ms_per_host']:>13.1f}"
                f"{row['server_cpu_ms_per_host']:>16.1f}{row['peak_rss_mb']:>8.0f}"
                f"{row['peak_fds']:>6}{row['peak_threads']:>8}{row['left_behind']:>5}  "
                f"{row['statuses']}  {_load(row)}"
            )


def write_chart(results: dict[str, Any], path: Path) -> Path | None:
    """Bars: lab wall time per tool; fleet wall time and CPU per host per size."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench: matplotlib is not installed (pip install -e '.[bench]'): no chart")
        return None
    panels = [p for p in ("lab", "fleet") if results.get(p)]
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels) + (1 if "fleet" in panels else 0), figsize=(13, 4.5))
    axes = list(axes) if hasattr(axes, "__len__") else [axes]
    ax_iter = iter(axes)
    if "lab" in panels:
        ax = next(ax_iter)
        tools = {k: v for k, v in results["lab"]["tools"].items() if "error" not in v}
        ax.bar(
            [v["label"] for v in tools.values()],
            [v["wall_s"] for v in tools.values()],
            color=["#999", "#777", "#2a7", "#c63", "#c36"][: len(tools)],
        )
        ax.set_ylabel("wall time, s (median)")
        ax.set_title(f"lab: {results['lab']['hosts']} hosts, forks {results['lab']['forks']}")
        ax.tick_params(axis="x", rotation=25, labelsize=8)
    if "fleet" in panels:
        fleet = results["fleet"]
        sizes = list(fleet)
        ax = next(ax_iter)
        ax.bar(sizes, [fleet[n]["wall_s"] for n in sizes], color="#2a7")
        ax.axhline(60, color="#c33", linestyle="--", label="target: 1,000 hosts < 60 s")
        ax.set_xlabel("simulated hosts")
        ax.set_ylabel("wall time, s (median)")
        ax.set_title("simulated fleet: audit run")
        ax.legend(fontsize=8)
        ax = next(ax_iter)
        ax.bar(sizes, [fleet[n]["cpu_ms_per_host"] for n in sizes], color="#27a")
        ax.axhline(15, color="#c33", linestyle="--", label="target: <= 15 ms / host")
        ax.set_xlabel("simulated hosts")
        ax.set_ylabel("client CPU per host, ms")
        ax.set_title("client CPU per host")
        ax.legend(fontsize=8)
    fig.suptitle(
        f"hardaudit bench {results['date']} ({results['machine']['cpus']} CPUs, "
        f"load {results['machine']['loadavg_start'][0]:.1f} at start)",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
