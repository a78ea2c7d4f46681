"""E2 on H0: the registered theorem object ``smoothing`` (its claims are in claims.py).

    |f_κ − f| ≤ L√(2(1 − A_m(κ))) ≤ ε_s   (V1, with V2 making it explicit in κ),
    ‖Q_f/Q_1 − f_κ‖ ≤ quadrature bound(κ, h) ≤ ε_q   (V3),   ‖H − Q_f/Q_1‖ ≤ leakage bound ≤ ε_l,
    ε_s + ε_q + ε_l = 2ε/5 + 11ε/20 + ε/20 = ε,   so   sup ‖H − f‖ ≤ ε.
"""
from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from verifier.budget import OPTIONS as BUDGET_OPTIONS, check_budget
from verifier.errors import InputError
from verifier.inputs import choice, integer, parse_number
from verifier.options import CERT_CELLS, DPS, EVIDENCE, MAX_PREFIX, POINTS, SEED, Option, read_options, tamper
from verifier.theorem import CERTIFIED_LABELS, CERTIFIED_UNITS, SUP_LABELS, SUP_UNITS, Outcome, Sizing, TheoremBase, nested

from proofs import paper
from proofs.h0.inputs import CONTEXT, TARGET, check_eps_range, stated_target
from proofs.single_head.theorem import AUTO, number_or_auto

from .choices import RULES, TAMPER_MODES

if TYPE_CHECKING:
    from verifier.claims import ClaimResult

    from .construction import E2Parameters

# The declaration below is all `verifier list` loads; each method imports the construction and the claims
# (claims.py: numpy, mpmath, sympy, scipy, python-flint) when it is called.

MAX_RULE_POINTS = 60_000
HYPOTHESIS_CELLS = 50_000  # the hypotheses' branch and bound runs before the construction: keep it cheap


def certifies_hypotheses(dim: int, evidence: str) -> bool:
    """Whether the hypotheses are certified (and the default target gets certified constants, ``auto``): wherever
    E2 itself is certified (certify.skip_reason: not under --evidence sampled, S^m with m ≤ AUTO_MAX_DIM under auto)."""
    from .certify import AUTO_MAX_DIM

    return evidence == "certified" or (evidence == "auto" and dim <= AUTO_MAX_DIM)


# ---------------------------------------------------------------------------------------------
class Smoothing(TheoremBase):
    """The registered theorem object for E2 (the von Mises–Fisher smoothing route) on H0."""

    name = "smoothing"
    statement = ("E2: smoothing f with the von Mises–Fisher kernel (κ from ε by V1 and V2) and replacing the convolution "
                 "by a partition quadrature rule, the prefix (κp_i, ln w_i + β, f(p_i)) gives sup_{S^m} ‖H − f‖ ≤ ε "
                 "for L-Lipschitz f")
    realises = ("P1",)
    sizing = Sizing(option="size", fact="rule_size", claim="E2.sup", exponent=lambda m: Fraction(m, 2),
                    exponent_label="m/2 (smooth-target rate)", temperature="kappa",
                    paper_exponent=paper.p2_exponent, paper_exponent_label=paper.P2_LABEL)
    fact_labels = {"kappa": "κ", "rule": "quadrature rule", "rule_size": "rule size", "prefix_length": "prefix length N",
                   "prefix_length_bound": "bound on N (a rule's N is exact)", "cell_radius": "cell radius h", "beta": "β",
                   "error_split": "error parts",
                   **{f"error_split.{part}": label for part, label in
                      (("smoothing", "smoothing f_κ − f"), ("quadrature", "quadrature"), ("leakage", "leakage"))},
                   **{f"error_split.{part}.{key}": label for part in ("smoothing", "quadrature", "leakage")
                      for key, label in (("sup", "sampled sup"), ("bound", "bound"), ("certified_upper", "certified upper bound"))},
                   "sup_error": "sup ‖H − f‖", **nested("sup_error", {**SUP_LABELS, **CERTIFIED_LABELS})}
    fact_units = {"rule_size": "points", "prefix_length": "tokens", "prefix_length_bound": "tokens",
                  **nested("sup_error", {**SUP_UNITS, **CERTIFIED_UNITS})}

    options = (
        Option("dim", "sphere dimension m (1 or 2)", integer(1, 2, "the rules are implemented on S^1 and S^2"), 1),
        Option("eps", "target accuracy ε ∈ (0, L], read exactly", parse_number, required=True),
        TARGET.with_help("expression in x0..xm (a tuple for d > 1); default sin(2*x0)/2 with certified L and B (auto) "
                         "where the instance is certified, else with L = B = 1"),
        Option("lipschitz", "claimed Lipschitz constant L of the target (chordal metric), or auto (a certified bound)",
               number_or_auto),
        Option("bound", "claimed bound B ≥ sup ‖f‖, or auto (a certified bound)", number_or_auto),
        Option("rule", "quadrature rule: gauss (S^1: equispaced; S^2: Gauss–Legendre × equispaced) | partition (cube faces)",
               choice(*RULES), "gauss"),
        Option("size", "the rule's size (S^1 gauss: points; S^2 gauss: nodes in cos θ; partition: cells per cube edge); "
               "default: the smallest the quadrature bound allows", integer(1, 1 << 16)),
        CONTEXT,
        DPS.with_help("working decimal digits for verdicts (checked at 2·dps; f_κ by quadrature costs most at 2·dps)")
           .with_default(20),
        SEED,
        POINTS.with_default(8_000),
        EVIDENCE.with_help("auto: certify the hypotheses, the sup error E2.sup and its split by one branch and bound in ball "
                           "arithmetic on S^1 and S^2; certified: the same, and require every claim the verdict rests on to "
                           "be certified or exact (else INCONCLUSIVE); sampled: no certification"),
        CERT_CELLS,
        tamper(TAMPER_MODES),
        MAX_PREFIX.with_help("refuse rules with more points").with_default(MAX_RULE_POINTS),
        *BUDGET_OPTIONS,
    )

    def parameters(self, **raw: Any) -> E2Parameters:
        from verifier.budget import Budget
        from verifier.certify import automatic_value
        from verifier.precision import PrecisionPolicy
        from verifier.targets import Target

        from proofs.single_head.construction import CERTIFIED_DEFAULT

        from .certify import why_not_certifiable
        from .construction import E2Parameters, smallest_rule_size
        from .cost import cost_estimate
        from .rules import minimal_size, rule_prefix_length

        o = read_options(self.options, raw)
        if o["target"] is None and o["lipschitz"] is None and o["bound"] is None and certifies_hypotheses(o["dim"], o["evidence"]):
            o = {**o, **CERTIFIED_DEFAULT}  # the default target with L and B bounded in arb, as single-head does
        dim, eps = o["dim"], o["eps"]
        target, lipschitz, bound = stated_target(self.name, "0.2", o)
        policy, budget = PrecisionPolicy(dps=o["dps"]), Budget(o["cert_cells"], float(o["max_seconds"]))
        f = Target.parse(target, dim, 1 if lipschitz == AUTO else lipschitz, 1 if bound == AUTO else bound)
        if o["evidence"] == "certified" and (reason := why_not_certifiable(f)):
            raise InputError(f"--evidence certified: {reason}; use --evidence auto")

        def sized(f: Target, proved: dict) -> E2Parameters:
            """The parameters for target f, with the rule size and N derived and checked against the budgets."""
            check_eps_range("E2", eps, f.lipschitz)
            params = E2Parameters(dim, eps, f, o["context"], o["seed"], policy, o["points"], o["rule"], o["size"] or 0,
                                  "given" if o["size"] else "quadrature bound", o["tamper"], o["evidence"], budget, proved)
            if o["tamper"] == "few-nodes" or not o["size"]:
                source = "few-nodes tamper" if o["tamper"] == "few-nodes" else "quadrature bound"
                params = replace(params, size=smallest_rule_size(params), size_source=source)
            if params.size < minimal_size(o["rule"], dim):
                raise InputError(f"the {o['rule']} rule on S^{dim} needs --size ≥ {minimal_size(o['rule'], dim)}")
            N = rule_prefix_length(o["rule"], dim, params.size)
            if N > o["max_prefix"]:
                raise InputError(f"the {o['rule']} rule needs {N} points for m = {dim}, ε = {eps} (over --max-prefix "
                                 f"{o['max_prefix']}); use a larger --eps or raise --max-prefix")
            check_budget(cost_estimate(dim, N, o["context"], o["points"]), float(o["max_seconds"]),
                         float(o["max_memory"]), "use fewer --points or a larger --eps")
            return params

        params = sized(f, {})  # with the stated constants (1 for auto): refused here before any sampling below
        proved = {}
        for name, value in (("lipschitz", lipschitz), ("bound", bound)):
            if value == AUTO:
                auto = automatic_value(f, name, policy, o["seed"], o["points"], budget)
                f, proved[f"H.{name}"] = replace(f, **{name: auto.value}), auto.proof
        if proved:
            params = sized(f, proved)
        return params

    def hypotheses(self, params: E2Parameters) -> list[ClaimResult]:
        from verifier.certify import certified_hypotheses

        budget = replace(params.budget, cells=min(params.budget.cells, HYPOTHESIS_CELLS))
        return certified_hypotheses(params.target, params.policy, params.seed, params.points, budget,
                                    certify=certifies_hypotheses(params.dim, params.evidence), proved=params.proved)

    def check(self, params: E2Parameters) -> Outcome:
        import sympy

        from verifier.attention import derive_closed_form
        from verifier.claims import Kind, Verdict, claim_sup_le

        from proofs.h0.closed_form import closed_form_claim
        from proofs.h0.head import h0_head

        from . import formulas as F
        from . import certify
        from .claims import amos_claim, amos_instance_claim, normaliser_agreement_claim, normaliser_claim, rule_claim, split_claims, two_paths_claim
        from .construction import E2Construction, E2Evaluator

        m, tol, policy = params.dim, params.policy.tolerance, params.policy
        head = h0_head(m, params.target.d)
        cf = derive_closed_form(head, m, params.target.d)
        c = E2Construction(params)
        evaluator = E2Evaluator(c, cf)
        sups = evaluator.head_sups()
        sup = claim_sup_le("E2.sup", f"E2: sup over S^{m} of ‖H(x) − f(x)‖ ≤ ε", sups["error"], params.eps, tol, Kind.THEOREM)
        bounds = certify.Bounds.of(c)
        reason = certify.skip_reason(params) or (
            "the sampled witness already refutes the sup claim" if sup.verdict is Verdict.FAIL else None)
        proof = None if reason else certify.certify(c, bounds, params.budget)
        if proof is None or not proof.decides_split:  # f_κ is sampled only where the balls leave a split claim open
            sups = {**sups, **evaluator.smoothed_sups()}
        split, error_split = split_claims(c, sups, bounds)
        claims = [
            closed_form_claim(cf),
            two_paths_claim(evaluator, head, sups, params),
            normaliser_agreement_claim(c, policy),
            normaliser_claim(c, policy),
            amos_instance_claim(c, amos_claim(policy)),
            F.kappa_claim(),
            rule_claim(c, policy),
            *split,
            sup,
        ]
        if proof is not None:
            claims = certify.upgraded(claims, proof, params.eps)
            for part, value in proof.part_uppers().items():
                error_split[part]["certified_upper"] = value
        h, w_min = c.rule_constants()
        facts = {
            "kappa": float(sympy.N(c.kappa, 17)),
            "rule": c.rule.name,
            "rule_size": c.size,
            "prefix_length": c.prefix_length,
            "prefix_length_bound": c.prefix_length,
            "cell_radius": float(h),
            "beta": float(sympy.N(c.beta, 17)),
            "error_split": error_split,
            "sup_error": {**sups["error"].to_json(), **(proof.sup_facts() if proof else {"not_certified": reason})},
        }
        return Outcome(tuple(claims), facts)

    def decide(self, params: E2Parameters) -> Outcome:
        """E2.sup alone, for the sweep's candidate sizes (decide.py: no f_κ, no split)."""
        from .decide import decide

        return decide(params)

    def default_instances(self):
        # m = 2, ε = 0.3 (N = 39 762) is certified in about a minute (42 s of CPU, 74 s under load 4; mostly the sampled
        # search and the mpmath cross-checks): the report embeds the m = 1 ones
        return [(f"smoothing-m1-eps{e}", {"dim": 1, "eps": e}) for e in ("0.2", "0.1")]


THEOREM = Smoothing()
