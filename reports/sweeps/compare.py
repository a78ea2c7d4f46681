"""Side by side: the E1 and E2 sweeps of reports/sweeps/ (made by make.sh), as one Markdown summary and one
log–log plot per sphere dimension.

Reads e1-m1.json, e2-m1.json, e1-m2.json, e2-m2.json (those present) and writes summary.md and
compare-m<m>.png/.svg: for each theorem the constructed prefix length N(ε) and the smallest one that
still achieves ε, against 1/ε, with the reference slopes of the fits. Run: python reports/sweeps/compare.py
"""
from __future__ import annotations

import json
import sys
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).parent
SWEEPS = {"e1": "single-head (E1)", "e2": "smoothing (E2)"}
COLUMNS = ("| theorem | ε | N constructed | λ or κ | bound | sup error | evidence | smallest N | its sup error | its evidence "
           "| full check there |")


def load(m: int) -> dict:
    """The sweeps on S^m that exist, by label; an incomplete sweep (Ctrl-C) is refused."""
    found = {}
    for key, label in SWEEPS.items():
        path = HERE / f"{key}-m{m}.json"
        if path.exists():
            sweep = json.loads(path.read_text())
            if not sweep["complete"]:
                sys.exit(f"{path} is an interrupted sweep (complete: false); rerun: sh reports/sweeps/make.sh {key}-m{m}")
            found[label] = sweep
    return found


def number(x) -> str:
    return "—" if x is None else (f"{x:.4g}" if isinstance(x, float) else str(x))


def full_check(row: dict) -> str:
    """The full check at the smallest N: its verdict over every claim and its evidence, e.g. 'FAIL (sampled)'."""
    full = row.get("minimal_full_check")
    return "—" if not full else f"{full['verdict']} ({full['evidence']})"


def table(sweeps: dict) -> list[str]:
    from verifier.sweep import describe_minimal

    lines = [COLUMNS, "|" + "---|" * 11]
    for label, sweep in sweeps.items():
        for r in sweep["rows"]:
            lines.append(f"| {label} | {Fraction(r['eps_exact'])} | {r['prefix_length']} | {number(r['temperature'])} | "
                         f"{r['bound']} | {number(r['sup_error'])} | {r['verdict']} ({r['evidence']}) | {describe_minimal(r)} | "
                         f"{number(r['minimal_sup_error'])} | {r['minimal_evidence'] or '—'} | {full_check(r)} |")
    lines += ["", "| theorem | curve | slope ± stderr | reference exponent |", "|---|---|---|---|"]
    for label, sweep in sweeps.items():
        for curve, fit in sweep["fits"].items():
            slope = "—" if fit["slope"] is None else f"{fit['slope']:.3f}" + (f" ± {fit['stderr']:.3f}" if fit["stderr"] is not None else "")
            lines.append(f"| {label} | {curve} | {slope} | {fit['reference_exponent']:g} ({fit['reference']}) |")
    return lines


def plot(m: int, sweeps: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9.0, 4.6))
    for i, (label, sweep) in enumerate(sweeps.items()):
        rows = sweep["rows"]
        x = [1 / r["eps"] for r in rows]
        ax.loglog(x, [r["prefix_length"] for r in rows], "o-", color=f"C{i}", label=f"{label}: constructed N(ε)")
        smallest = [(xi, r["minimal_prefix_length"]) for xi, r in zip(x, rows) if r["minimal_prefix_length"]]
        if smallest:
            ax.loglog(*zip(*smallest), "s--", color=f"C{i}", label=f"{label}: smallest N achieving ε")
    ax.set_xlabel("1/ε")
    ax.set_ylabel("prefix length N")
    ax.set_title(f"E1 and E2 on S^{m}: target sin(2x0)/2, each size decided by its sup claim")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    for suffix in (".png", ".svg"):
        fig.savefig(HERE / f"compare-m{m}{suffix}", dpi=120)
    plt.close(fig)


def main() -> None:
    lines = ["# Reference sweeps (made by `sh reports/sweeps/make.sh`, summarised by `python reports/sweeps/compare.py`)", "",
             "Each size tried is decided by the theorem's sup claim alone (E1.step5.sup, E2.sup), certified where the "
             "evidence says so; a sup error is then the certified upper bound that decided it (else the sampled sup). "
             "The smallest N proved is then checked in full: below the constructed N the proof's intermediate budgets "
             "(covering, near/far, the split) fail while the sup claim holds, so that check is usually FAIL. A row whose "
             "full-check column is '—' comes from a sweep made before that (each size decided by the whole check).", ""]
    for m in (1, 2):
        sweeps = load(m)
        if not sweeps:
            continue
        commands = [f"    {s['command']}" for s in sweeps.values() if s.get("command")]
        lines += [f"## m = {m}", "", *commands, "", *table(sweeps), "", f"![E1 and E2 on S^{m}](compare-m{m}.svg)", ""]
        plot(m, sweeps)
    (HERE / "summary.md").write_text("\n".join(lines))
    print(f"wrote {HERE / 'summary.md'} and the compare-m*.png/.svg plots")


if __name__ == "__main__":
    main()
