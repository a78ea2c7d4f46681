"""The study's result from its task results: one row per target and ε with the four approximators' counts, the
log–log fits of parameters against 1/ε per target, the verdict; and its Markdown table and figures.

Each approximator's entry: ``found`` (a certified model of that size exists), ``size`` (n for the E1 family's grid,
N tokens for a prefix, W for a network), ``tokens`` (N, prefixes only), ``parameters`` (N·(m+2+d), or
W(m+2) + dW + d), ``decided`` (the size just below was tried and not found: for the E1 family exact under the
family's monotonicity; for optimised models only of this optimiser), the certificate file, its certified upper bound
and its sampled maximum (a lower estimate of the sup error). The verdict is PASS when every count is found and
certified, INCONCLUSIVE when some is not found (then the row says so, with every size tried).
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from verifier.sweep import loglog_fit

from .study import APPROXIMATORS, CONTEXT, GOAL, TARGETS, target_spec


def _entry(search: Mapping[str, Any] | None, tokens: bool) -> dict:
    """An approximator's entry from a task's search (None: the task did not finish)."""
    best = (search or {}).get("best")
    pick = lambda key: best[key] if best else None  # noqa: E731
    return {"found": best is not None, "size": pick("size"),
            "tokens": (best.get("N", best["size"]) if best else None) if tokens else None,
            "parameters": pick("parameters"), "decided": bool(search and search["decided"]),
            "certificate": pick("certificate"), "certified_upper": pick("certified_upper"),
            "sampled_max": pick("sampled_max"), "tried": (search or {}).get("tried", [])}


def assemble(options: Mapping[str, Any], results: Sequence[Mapping[str, Any]]) -> dict:
    """The study's result (module doc) from the task results."""
    by_key = {(r["target"], r["eps_exact"], r["kind"]): r for r in results}
    rows = []
    for spec in TARGETS:
        for eps_exact in dict.fromkeys(r["eps_exact"] for r in results if r["target"] == spec.id):
            e1, prefix, network = (by_key.get((spec.id, eps_exact, k)) for k in ("e1", "prefix", "network"))
            rows.append({
                "target": spec.id, "text": spec.text, "m": spec.m, "d": 1, "eps": _float(eps_exact), "eps_exact": eps_exact,
                "e1_construction": _entry(e1 and e1["construction"], tokens=True),
                "e1_family": _entry(e1["family"] if e1 else None, tokens=True),
                "prefix": _entry(prefix, tokens=True), "network": _entry(network, tokens=False),
            })
    rows.sort(key=lambda r: ([t.id for t in TARGETS].index(r["target"]), -r["eps"]))
    fits = {spec.id: {name: loglog_fit([r["eps"] for r in rows if r["target"] == spec.id and r[name]["found"]],
                                       [r[name]["parameters"] for r in rows if r["target"] == spec.id and r[name]["found"]])
                      for name in APPROXIMATORS}
            for spec in TARGETS if any(r["target"] == spec.id for r in rows)}
    missing = [f"{r['target']} ε = {r['eps_exact']}: {APPROXIMATORS[name]}" for r in rows for name in APPROXIMATORS
               if not r[name]["found"]]
    return {"verdict": "INCONCLUSIVE" if missing or not rows else "PASS", "not_found": missing, "rows": rows,
            "fits": fits, "seed": options["seed"], "cert_cells": options["cert_cells"], "goal_fraction": GOAL,
            "context": CONTEXT, "max_prefix": options["max_prefix"], "max_width": options["max_width"]}


def _float(exact: str) -> float:
    numerator, _, denominator = exact.partition("/")
    return int(numerator) / int(denominator or 1)


def _count(entry: Mapping[str, Any], unit: str, searched: bool = True) -> str:
    """'160 (N = 40)'; ', smaller sizes open' where a searched size's next smaller one was not tried."""
    if not entry["found"]:
        return "not found"
    size = f"{unit} = {entry['tokens'] if entry['tokens'] is not None else entry['size']}"
    return f"{entry['parameters']} ({size}{'' if entry['decided'] or not searched else ', smaller sizes open'})"


def markdown(result: Mapping[str, Any]) -> str:
    """The counts (parameters, with N or W) per target and ε, then the fitted slopes."""
    lines = ["| target | ε | E1 construction | smallest E1-family member | optimised prefix | optimised network |",
             "|---|---|---|---|---|---|"]
    for r in result["rows"]:
        lines.append(f"| `{target_spec(r['target']).text}` on S^{r['m']} | {r['eps_exact']} | {_count(r['e1_construction'], 'N', searched=False)} | "
                     f"{_count(r['e1_family'], 'N')} | {_count(r['prefix'], 'N')} | {_count(r['network'], 'W')} |")
    lines += ["", "Parameters against 1/ε, least-squares slope of log–log ± standard error (— below 2 points):", "",
              "| target | " + " | ".join(APPROXIMATORS.values()) + " |", "|---|" + "---|" * len(APPROXIMATORS)]
    for target_id, fits in result["fits"].items():
        spec = target_spec(target_id)
        lines.append(f"| `{spec.text}` on S^{spec.m} | " + " | ".join(_slope(fits[name]) for name in APPROXIMATORS) + " |")
    lines += ["", f"Verdict {result['verdict']}: every count above is the smallest size found whose model's sup error is "
                  "certified ≤ ε (its certificate is in certificates/); the optimised counts are upper bounds of the true "
                  "minima, not lower bounds." + (f" Not found: {'; '.join(result['not_found'])}." if result["not_found"] else "")]
    return "\n".join(lines)


def _slope(fit: Mapping[str, Any]) -> str:
    if fit["slope"] is None:
        return "—"
    return f"{fit['slope']:.2f}" + ("" if fit["stderr"] is None else f" ± {fit['stderr']:.2f}")


def figures(result: Mapping[str, Any]) -> list[dict]:
    """Per target, a log–log curve of parameters against 1/ε, one series per approximator found at every ε (an
    approximator missing at some ε is left out, and the caption says so)."""
    out = []
    for target_id, fits in result["fits"].items():
        rows = [r for r in result["rows"] if r["target"] == target_id]
        if len(rows) < 2:
            continue
        complete = [name for name in APPROXIMATORS if all(r[name]["found"] for r in rows)]
        if not complete:
            continue
        left_out = [APPROXIMATORS[name] for name in APPROXIMATORS if name not in complete]
        spec = target_spec(target_id)
        out.append({
            "id": f"params-{target_id}", "kind": "curve", "log": True,
            "title": f"parameters certified to reach ε: {spec.text} on S^{spec.m}",
            "x": {"label": "1/ε", "values": [1 / r["eps"] for r in rows]},
            "series": [{"label": f"{APPROXIMATORS[name]} (slope {_slope(fits[name])})",
                        "values": [r[name]["parameters"] for r in rows]} for name in complete],
            "y_max": 30 * max(r[name]["parameters"] for r in rows for name in complete),  # room for the legend
            "caption": "Each point is a model whose sup error is certified ≤ ε; optimised counts are upper bounds of the "
                       "true minima." + (f" Not shown (not found at every ε): {', '.join(left_out)}." if left_out else ""),
        })
    return out
