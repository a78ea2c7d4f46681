"""The registered object: the options (declared once), parameters → hypotheses → check, the report's hooks.

Theorem (interval-head.md). Let h: [0, 1] → R with |h| ≤ B and |h(z) − h(z')| ≤ L|z − z'|, and ε > 0. With

    r = ε/(2L),  K = ⌈√2·L/ε⌉,  a_i = i/K (i = 0..K, N = K + 1 tokens),  λ = (4/r²)·ln(4BN/ε),
    prefix token i = (λa_i, −λa_i²/2, h(a_i)),

the head H(z) = Σ_i softmax_i(λa_i z − λa_i²/2)·h(a_i) satisfies sup_{[0,1]} |H − h| ≤ ε whenever 4BN ≥ ε.

``verifier list`` loads every registered theorem, so this module is the declaration only (no numpy, sympy,
scipy): each method imports the construction and checks it runs.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from verifier.budget import OPTIONS as BUDGET_OPTIONS, check_budget
from verifier.errors import InputError
from verifier.inputs import integer, parse_number, show, text
from verifier.options import DPS, POINTS, Option, read_options, tamper
from verifier.theorem import Outcome, Sizing, TheoremBase

from .choices import DEFAULT_TARGET, TAMPER_MODES

if TYPE_CHECKING:
    from verifier.claims import ClaimResult

    from .construction import Parameters


class IntervalHead(TheoremBase):
    name = "interval-head"
    statement = ("IH (worked example): on [0, 1], N = ⌈√2·L/ε⌉ + 1 prefix tokens (λa_i, −λa_i²/2, h(a_i)) on the grid "
                 "a_i = i/K with λ = (16L²/ε²)·ln(4BN/ε) give a one-dimensional head with sup |H − h| ≤ ε for every "
                 "L-Lipschitz h with |h| ≤ B")
    realises = ()  # an example: it verifies none of the paper's claims
    fact_labels = {"K": "grid cells K", "prefix_length": "prefix tokens N = K + 1", "lambda": "temperature λ",
                   "r": "near radius r = ε/(2L)", "delta": "covering radius δ = 1/(2K)"}

    options = (
        Option("eps", "target accuracy ε > 0, read exactly (0.1 is 1/10)", parse_number, "0.1"),
        Option("target", "expression in z on [0, 1]; default sin(4*z) with L = 4, B = 1", text),
        Option("lipschitz", "claimed Lipschitz constant L of the target", parse_number),
        Option("bound", "claimed bound B ≥ sup |h|", parse_number),
        DPS,
        POINTS.with_help("float64 grid points on [0, 1] of the sup search and of the hypotheses").with_default(20_001),
        tamper(TAMPER_MODES),
        *BUDGET_OPTIONS,
        Option("grid", "grid cells K overriding ⌈√2·L/ε⌉, with N and λ re-derived (the family `verifier sweep` bisects)",
               integer(1)),
    )
    sizing = Sizing(option="grid", fact="K", claim="IH.sup", exponent=lambda m: 1, exponent_label="1 (IH: N ≈ √2·L/ε)",
                    temperature="lambda", construction_exponent=lambda m: 1)

    def parameters(self, **raw: Any) -> Parameters:
        from verifier.precision import PrecisionPolicy

        from .construction import Construction, Parameters, Target
        from .cost import cost_estimate

        o = read_options(self.options, raw)
        if o["target"] is None:
            if o["lipschitz"] is not None or o["bound"] is not None:
                raise InputError("--lipschitz/--bound describe a --target; give the target too")
            target = Target.parse(*DEFAULT_TARGET)
        elif o["lipschitz"] is None or o["bound"] is None:
            raise InputError("a custom --target needs its hypotheses: --lipschitz L and --bound B "
                             "(|h(z) − h(z')| ≤ L|z − z'| and |h(z)| ≤ B on [0, 1])")
        else:
            target = Target.parse(o["target"], o["lipschitz"], o["bound"])
        params = Parameters(o["eps"], target, PrecisionPolicy(dps=o["dps"]), o["points"], o["tamper"], o["grid"])
        c = Construction(params)
        if 4 * target.bound * c.N < params.eps:
            raise InputError(f"λ = (4/r²)·ln(4BN/ε) would be negative: 4BN = {show(4 * target.bound * c.N)} < ε = "
                             f"{show(params.eps)}. Then |h| ≤ B < ε/4 and the claim is trivial; pass the real --bound")
        check_budget(cost_estimate(params.points, c.N, params.policy.dps), float(o["max_seconds"]),
                     float(o["max_memory"]), "use a larger --eps or fewer --points")
        return params

    def hypotheses(self, params: Parameters) -> list[ClaimResult]:
        from .claims import hypotheses

        return hypotheses(params)

    def check(self, params: Parameters) -> Outcome:
        from .claims import instance_claims
        from .construction import Construction
        from .evaluator import Evaluator

        c = Construction(params)
        evaluator = Evaluator(c)
        sups = evaluator.sups()
        facts = {"K": c.K, "prefix_length": c.N, "lambda": float(c.lam), "r": float(c.r), "delta": float(c.delta),
                 "sup_error": sups["error"].to_json()}
        return Outcome(tuple(instance_claims(c, evaluator, sups)), facts)

    def default_instances(self):
        return [("interval-head-sin-eps0.1", {}),
                ("interval-head-sin-eps0.02", {"eps": "0.02"}),
                ("interval-head-tanh-eps0.05", {"target": "tanh(8*(z - 1/2))/2", "lipschitz": "4", "bound": "1/2",
                                                "eps": "0.05"})]

    def report_formulas(self):
        from .formulas import report_formulas

        return report_formulas()

    def report_figures(self, params: Parameters) -> list[dict]:
        from .figures import report_figures

        return report_figures(params)


THEOREM = IntervalHead()
