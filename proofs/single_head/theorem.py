"""E1: the explicit single-head Jackson bound on the H0 head (docs/h0.md, docs/single-head.md; P1 and P2 of docs/paper.md).

Given m ≥ 1, f: S^m → R^d with ‖f‖ ≤ B and Lipschitz constant L, T content tokens of value norm
≤ V_c (V_c = 0 for H0) and ε ∈ (0, 4L]:

    r = ε/(2L),  δ = r/√2,  n = ⌈√m/δ⌉,  N = (n+1)^(m+1) − (n−1)^(m+1),
    p_i = the normalised points of {−1, −1+2/n, …, 1}^(m+1) on the cube's surface,
    λ = (4/r²)·ln(8BN/ε),   β = max(0, 2 + ln(4T(B+V_c)/ε) − λ(1 − δ²/2)),
    prefix token i = (λ p_i, β, f(p_i)).

Claim: sup_{x∈S^m} ‖H(x) − f(x)‖ ≤ ε and N ≤ 2(m+1)(n+1)^m. The error splits exactly as
H(x) − f(x) = near(x) + far(x) + leak(x) with, for softmax weights w_i (prefix) and c_t (content),

    near(x) = Σ_{‖x−p_i‖≤r} w_i (v_i − f(x)),  far(x) = Σ_{‖x−p_i‖>r} w_i (v_i − f(x)),
    leak(x) = Σ_t c_t (ν_t − f(x)),

and the proof bounds them by L·r = ε/2, 2BN·e^{−λr²/4} = ε/4 and T(B+V_c)e²·e^{−λ(1−δ²/2)−β} ≤ ε/4.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Optional

from verifier.budget import OPTIONS as BUDGET_OPTIONS, Budget, check_budget
from verifier.errors import InputError
from verifier.inputs import choice, integer, parse_number, show
from verifier.options import CERT_CELLS, DPS, EVIDENCE, MAX_PREFIX, POINTS, SEED, Option, read_options, tamper
from verifier.theorem import CERTIFIED_LABELS, CERTIFIED_UNITS, SUP_LABELS, SUP_UNITS, Outcome, Sizing, TheoremBase, nested

from proofs import paper
from proofs.h0.inputs import CONTEXT, TARGET, check_eps_range, stated_target

from .choices import TAMPER_MODES

if TYPE_CHECKING:
    import sympy

    from verifier.claims import ClaimResult

    from .construction import E1Parameters

# The declaration above is all `verifier list` loads; each method imports the construction, evaluator and
# certification it runs (numpy, mpmath, sympy, scipy, python-flint) when it is called.

AUTO = "auto"
SUP_CLAIM = "E1.step5.sup"  # the theorem's claim, the one the sweep decides
HYPOTHESIS_CELLS = 50_000  # the hypotheses' branch and bound runs before the construction: keep it cheap


def number_or_auto(raw: Any, name: str):
    """An exact positive number, or ``auto`` (the theorem computes a certified value)."""
    return AUTO if raw == AUTO else parse_number(raw, name)


def certifies_hypotheses(dim: int, evidence: str) -> bool:
    """Whether the hypotheses are certified (and the default target gets certified constants, ``auto``): on
    S^m with m ≤ MAX_CERTIFIED_DIM and --evidence not sampled; elsewhere they stay sampled (the default target
    with its exact L = B = 1)."""
    from .certify import MAX_CERTIFIED_DIM

    return dim <= MAX_CERTIFIED_DIM and evidence != "sampled"


def built(params: E1Parameters) -> tuple:
    """What check and decide both start from: the H0 head, its derived closed form, the construction, its evaluator,
    the sampled covering radius and the sampled sups of ‖H − f‖ and its parts."""
    from verifier.attention import derive_closed_form
    from verifier.domains import covering_radius

    from proofs.h0.head import h0_head

    from .construction import E1Construction
    from .evaluator import E1Evaluator

    head = h0_head(params.dim, params.target.d)
    cf = derive_closed_form(head, params.dim, params.target.d)
    c = E1Construction(params)
    evaluator = E1Evaluator(c, cf)
    rho = covering_radius(c.float64[0], seed=params.seed)
    return head, cf, c, evaluator, rho, evaluator.sups(rho)


def sup_claim(params: E1Parameters, sups: dict) -> ClaimResult:
    """E1.step5.sup, sampled: sup_{S^m} ‖H(x) − f(x)‖ ≤ ε (the claim the sweep decides)."""
    from verifier.claims import Kind, claim_sup_le

    return claim_sup_le(SUP_CLAIM, f"step 5 / E1: sup over S^{params.dim} of ‖H(x) − f(x)‖ ≤ ε", sups["error"],
                        params.eps, params.policy.tolerance, Kind.THEOREM)


def why_not_certified(params: E1Parameters) -> Optional[str]:
    """None if this instance is certified, else why not (--evidence sampled, or ``certify.why_not_certifiable``)."""
    from .certify import why_not_certifiable

    return why_not_certifiable(params) if params.certify else "certification skipped (--evidence sampled)"


def facts(c, sup_error: dict) -> dict:
    """The instance's facts: its sizes, λ, β, r, δ and the record ``sup_error``."""
    return {"prefix_length": c.prefix_length, "prefix_length_bound": c.N_bound, "n": c.n, "lambda": float(c.lam),
            "beta": float(c.beta), "r": float(c.r), "delta": float(c.delta), "sup_error": sup_error}


class SingleHead(TheoremBase):
    """The registered theorem object for E1 on H0."""

    name = "single-head"
    statement = ("E1: prefixing the H0 head with N = (n+1)^(m+1) − (n−1)^(m+1) tokens (λp_i, β, f(p_i)) "
                 "gives sup_{S^m} ‖H − f‖ ≤ ε for L-Lipschitz f, with N ≤ 2(m+1)(n+1)^m = O((√m L/ε)^m)")
    realises = ("P1", "P2")

    options = (
        Option("dim", "sphere dimension m (S^m ⊂ R^(m+1))", integer(1, 10), 1),
        Option("eps", "target accuracy ε > 0, read exactly (0.05 is 1/20)", parse_number, required=True),
        TARGET.with_help("expression in x0..xm (a tuple for d > 1); default sin(2*x0)/2 with certified L and B (auto) "
                         "where the instance can be certified (m ≤ 3), else with L = B = 1"),
        Option("lipschitz", "claimed Lipschitz constant L of the target (chordal metric), or auto (a certified bound)",
               number_or_auto),
        Option("bound", "claimed bound B ≥ sup ‖f‖, or auto (a certified bound)", number_or_auto),
        CONTEXT,
        DPS,
        SEED,
        POINTS.with_default(20_000),
        tamper(TAMPER_MODES),
        EVIDENCE.with_help("auto: certify where possible (m = 1, 2, 3 within the budget), else sample; certified: "
                           "an error if the instance cannot be certified; sampled: skip certification"),
        CERT_CELLS,
        Option("tight", "on: keep splitting until the certified upper bound of the sup error is within 5% of the "
               "sampled lower bound", choice("on", "off"), "off"),
        MAX_PREFIX.with_help("refuse constructions with more prefix tokens (m = 3, N = 8080 takes about 80 s)")
                  .with_default(20_000),
        *BUDGET_OPTIONS,
        Option("grid", "grid size n overriding ⌈√m/δ⌉, with N, λ, β re-derived (the family `verifier sweep` bisects)",
               integer(1)),
    )
    sizing = Sizing(option="grid", fact="n", claim=SUP_CLAIM, exponent=lambda m: m, exponent_label="m (E1)",
                    temperature="lambda", paper_exponent=paper.p2_exponent, paper_exponent_label=paper.P2_LABEL)
    fact_labels = {"prefix_length": "prefix length N", "prefix_length_bound": "bound 2(m+1)(n+1)^m", "n": "grid cells n",
                   "lambda": "λ", "beta": "β", "r": "r = ε/(2L)", "delta": "δ = r/√2",
                   "sup_error": "sup ‖H − f‖", **nested("sup_error", {**SUP_LABELS, **CERTIFIED_LABELS}),
                   **nested("sup_error", {
                       "worst_cell": "worst cell", "parts_not_certified": "parts not certified because", "worst_cell.face_axis": "cube face axis",
                       "worst_cell.face_sign": "cube face sign", "worst_cell.lo": "face coordinates from",
                       "worst_cell.hi": "face coordinates to", "worst_cell.centre": "centre on S^m",
                       "parts_certified_upper": "certified upper bounds of the parts",
                       "parts_certified_upper.error": "‖H − f‖", "parts_certified_upper.near": "near points",
                       "parts_certified_upper.far": "far points", "parts_certified_upper.leak": "content-token leakage"})}
    fact_units = {"prefix_length": "tokens", "prefix_length_bound": "tokens",
                  **nested("sup_error", {**SUP_UNITS, **CERTIFIED_UNITS})}

    def parameters(self, **raw: Any) -> E1Parameters:
        from verifier.certify import automatic_value
        from verifier.precision import PrecisionPolicy
        from verifier.targets import Target

        from . import certify as e1_certify, formulas as F
        from .construction import CERTIFIED_DEFAULT, E1Construction, E1Parameters
        from .cost import cost_estimate

        o = read_options(self.options, raw)
        if o["target"] is None and o["lipschitz"] is None and o["bound"] is None and certifies_hypotheses(o["dim"], o["evidence"]):
            o = {**o, **CERTIFIED_DEFAULT}  # the first command a user types is certified: L and B bounded in arb
        dim, eps = o["dim"], o["eps"]
        target, lipschitz, bound = stated_target(self.name, "0.1", o)
        policy, budget = PrecisionPolicy(dps=o["dps"]), Budget(o["cert_cells"], float(o["max_seconds"]))
        f = Target.parse(target, dim, 1 if lipschitz == AUTO else lipschitz, 1 if bound == AUTO else bound)
        params = E1Parameters(dim, eps, f, o["context"], o["seed"], policy, o["points"], o["tamper"],
                              o["grid"], o["evidence"], budget, o["tight"] == "on")

        def fits(N: int) -> None:
            check_budget(cost_estimate(params, N), float(o["max_seconds"]), float(o["max_memory"]),
                         "use a larger --eps, fewer --points, a smaller --context or --dps, or a shorter --target")

        uncertifiable = params.evidence == "certified" and e1_certify.why_not_certifiable(params)
        if uncertifiable:
            raise InputError(f"--evidence certified: {uncertifiable}; use --evidence auto")
        fits(0)  # the cost grows with N: without a single prefix token it bounds the sampling of the auto constants below
        proved = {}
        for name, value in (("lipschitz", lipschitz), ("bound", bound)):
            if value == AUTO:
                auto = automatic_value(f, name, policy, o["seed"], o["points"], budget)
                f, proved[f"H.{name}"] = replace(f, **{name: auto.value}), auto.proof
        check_eps_range("E1", eps, f.lipschitz, factor=4)
        params = replace(params, target=f, proved=proved)
        limit = o["max_prefix"]
        cells = float(params.exact(F.CELLS.args[0]))  # √m/δ, before the exact ceiling
        N = E1Construction(params).N if cells < 1e7 else None
        if N is None or N > limit:
            size = f"N = {N}" if N is not None else f"N ≈ {float(F.PREFIX_LENGTH_BOUND.subs({F.n: cells, F.m: dim})):.3g}"
            raise InputError(f"E1 needs {size} prefix tokens for m = {dim}, ε = {show(eps)}, L = {show(f.lipschitz)} "
                             f"(over the budget --max-prefix {limit}); use a larger --eps or raise --max-prefix")
        if 8 * f.bound * N <= eps:
            raise InputError(
                f"λ = (4/r²)·ln(8BN/ε) would be ≤ 0 because 8BN = {show(8 * f.bound * N)} ≤ ε = {show(eps)}: E1's "
                "construction needs 8BN > ε. Here ‖f‖ ≤ B < ε/(8N), so f is within ε of 0 everywhere and the claim is "
                "trivial; if B is the true bound nothing needs checking, otherwise pass the real --bound")
        fits(N)
        return params

    def hypotheses(self, params: E1Parameters) -> list[ClaimResult]:
        from verifier.certify import certified_hypotheses

        budget = replace(params.budget, cells=min(params.budget.cells, HYPOTHESIS_CELLS))
        return certified_hypotheses(params.target, params.policy, params.seed, params.points, budget,
                                    certify=certifies_hypotheses(params.dim, params.evidence), proved=params.proved)

    def check(self, params: E1Parameters) -> Outcome:
        from verifier.claims import Kind, Verdict, claim_exp_le, claim_holds, claim_sup_le
        from verifier.exact_sign import log_form

        from proofs.h0.closed_form import closed_form_claim

        from . import certify as e1_certify, formulas as F
        from .claims import covering_claim, two_paths_claim
        from .decide import certified_sup

        m, tol = params.dim, params.policy.tolerance
        head, cf, c, evaluator, rho, sups = built(params)
        values = {F.lam: c.lam, F.beta: c.beta, F.N: c.prefix_length}
        near_b = c.exact(F.BUDGET[0])
        log_far_b, log_leak_b = (c.exact(log_form(e).subs(values)) for e in F.BUDGET[1:])  # powers never formed
        log_goal = c.exact(log_form(F.eps / 4))
        claims = [
            closed_form_claim(cf),
            two_paths_claim(evaluator, head, sups, params),
            claim_holds(
                "E1.size", "the prefix has N = (n+1)^(m+1) − (n−1)^(m+1) tokens and N ≤ 2(m+1)(n+1)^m",
                c.prefix_length == c.N and c.N <= c.N_bound, Kind.PROOF_STEP,
                f"exact integers: n = {c.n}, prefix tokens = {c.prefix_length}, N = {c.N}, "
                f"2(m+1)(n+1)^m = {c.N_bound}",
                value=float(c.prefix_length), bound=float(c.N_bound),
            ),
            covering_claim(c, rho),
            claim_sup_le("E1.step2.near", "step 2: near points (‖x−p_i‖ ≤ r) contribute at most L·r = ε/2",
                         sups["near"], near_b, tol, Kind.PROOF_STEP),
            claim_exp_le("E1.step3.far-bound", "step 3 (bound): 2BN·e^{−λr²/4} ≤ ε/4", log_far_b, log_goal,
                         Kind.PROOF_STEP, "exact sympy numbers with the construction's N, λ"),
            claim_sup_le("E1.step3.far", "step 3: far points (‖x−p_i‖ > r) contribute at most ε/4",
                         sups["far"], params.eps / 4, tol, Kind.PROOF_STEP),
            claim_exp_le("E1.step4.leak-bound", "step 4 (bound): T(B+V_c)e²·e^{−λ(1−δ²/2)−β} ≤ ε/4", log_leak_b, log_goal,
                         Kind.PROOF_STEP, "exact sympy numbers with the construction's λ, β"),
            claim_sup_le("E1.step4.leak", "step 4: content-token leakage is at most ε/4", sups["leak"], params.eps / 4, tol,
                         Kind.PROOF_STEP),
            sup_claim(params, sups),
            F.budget_identity_claim(),
            F.rate_claim(m, params.target.lipschitz),
        ]
        sup_error = sups["error"].to_json()
        reason = why_not_certified(params)
        refuted = [claim.id for claim in claims if claim.kind is not Kind.FRAMEWORK and claim.verdict is Verdict.FAIL]
        if reason is None and refuted:  # FAIL whatever the balls say: the branch and bound decides E1.step5.sup alone
            k = [claim.id for claim in claims].index(SUP_CLAIM)
            claims[k], certified = certified_sup(claims[k], c, params, evaluator)
            sup_error.update(certified, parts_not_certified=f"{', '.join(refuted)} refuted by sampling: the verdict is "
                                                            "FAIL, and the branch and bound decides E1.step5.sup alone")
        elif reason is None:
            claims, certified = e1_certify.certified_claims(claims, c, params, evaluator, sups)
            sup_error.update(certified)
        else:
            sup_error["not_certified"] = reason
        return Outcome(tuple(claims), facts(c, sup_error))

    def decide(self, params: E1Parameters) -> Outcome:
        """E1.step5.sup alone, for the sweep's candidate sizes: the exact closed form the head is evaluated through,
        the sampled sup and, where the instance can be certified, a branch and bound of ‖H − f‖ alone
        (``decide.certified_sup``), not of the near/far/leak parts, whose budgets fail below the constructed size."""
        from proofs.h0.closed_form import closed_form_claim

        from .decide import certified_sup

        _, cf, c, evaluator, _, sups = built(params)
        claim, sup_error = sup_claim(params, sups), sups["error"].to_json()
        reason = why_not_certified(params)
        if reason is None:
            claim, certified = certified_sup(claim, c, params, evaluator)
            sup_error.update(certified)
        else:
            sup_error["not_certified"] = reason
        return Outcome((closed_form_claim(cf), claim), facts(c, sup_error))

    def default_instances(self):
        """The default target with certified constants (``auto``): the claimed L = 1 is tight, and a tight
        constant can be sampled but not certified, so the report instances let the back-end bound L and B."""
        from .construction import CERTIFIED_DEFAULT

        return [(f"single-head-m{m}-eps{e}", {"dim": m, "eps": e, **CERTIFIED_DEFAULT}) for m, e in
                ((1, "0.2"), (1, "0.05"), (2, "0.5"), (2, "0.3"))]

    # --- for `verifier report` (optional methods; see verifier/report/plots.py for the figure data) ---
    def quick_instances(self):
        """The reduced suite of ``verifier report --quick``: one instance on S¹ and one on S²."""
        from .construction import CERTIFIED_DEFAULT

        return [(f"single-head-m{m}-eps{e}", {"dim": m, "eps": e, "points": "5000", **CERTIFIED_DEFAULT})
                for m, e in ((1, "0.2"), (2, "0.5"))]

    def report_formulas(self) -> list[tuple[str, sympy.Basic]]:
        """The closed forms a report shows (figures.report_formulas)."""
        from . import figures

        return figures.report_formulas()

    def report_figures(self, params: E1Parameters) -> list[dict]:
        """Figure data of one instance (figures.report_figures)."""
        from . import figures

        return figures.report_figures(params)


THEOREM = SingleHead()
