"""S1: sequence-to-sequence maps by a prefixed transformer of depth 3Q, linear in n (docs/seq2seq.md; P3 and P4 of docs/paper.md).

Target: g: [0,1]^n → R^n in ridge form g_j(x) = Σ_{q=1}^{Q} Φ_{j,q}(Σ_{p=1}^{n} ψ_{p,q}(x_p)) with claimed
Lip(ψ_{·,q}) on [0,1] and Lip(Φ_{·,q}) on D_q = [S_min − ρ, S_max + ρ] (ridge.py). The transformer has fixed
heads (stream.py) and only prefixes (prefix.py) are tuned; per term: token-wise ψ → mixing → token-wise Φ,
so depth = 3Q (construction.py; its passes: transformer.py).

**E1-I (the interval version of E1; a token-wise head).** Given I = [lo, hi] of length ℓ, n positions,
h_1..h_n: I → R Lipschitz with constant L and |h_p| ≤ B on I, a bound Z ≥ |register| at every position,
and ε_h > 0:

    r = ε_h/(2L),  δ = r/√2,  K = ⌈ℓ/(2δ)⌉,  a_i = lo + iℓ/K (i = 0..K),  N = n(K+1),
    λ = (4/r²)·ln(8B(K+1)/ε_h),   γ = λδ²/2 + ln(16Bn(K+1)/ε_h),
    β = max(0, Z² + 2 + λδ²/2 − γ + ln(8nB/ε_h)),
    prefix token (i, q): read = λa_i, one = −λa_i²/2 + β, pos_q = γ, slot = h_q(a_i).

Claim: |H(z, p) − h_p(z)| ≤ ε_h for every z ∈ I and p, whatever the other positions hold within [−Z, Z].
Proof. The derived score of token (i, q) at (z, p) is λz²/2 − λ(z−a_i)²/2 + β + γ[q = p]; a content
token scores z·z_c + 1 + [c = p] ≤ Z² + 2 and has value 0. Let a* be a grid point nearest z. Split
H − h_p(z) = near + far + other + leak (checks.py) and compare every weight with that of (a*, p):
  1. covering: |z − a*| ≤ ℓ/(2K) ≤ δ;
  2. near (q = p, |z − a_i| ≤ r): a convex part of |h_p(a_i) − h_p(z)| ≤ L·r = ε_h/2;
  3. far (q = p, |z − a_i| > r): weight ratio ≤ e^{−λ(r² − δ²)/2} = e^{−λr²/4}, |v − h| ≤ 2B, K+1 tokens:
     ≤ 2B(K+1)e^{−λr²/4} = ε_h/4;
  4. other positions (q ≠ p): ratio ≤ e^{λδ²/2 − γ}, (n−1)(K+1) tokens: ≤ 2B(n−1)(K+1)e^{λδ²/2−γ} = (n−1)/n·ε_h/8;
  5. leak: content mass ≤ n·e^{Z²+2}/e^{−λδ²/2+β+γ} (the prefix score of (a*, p) is ≥ −λδ²/2 + β + γ as
     λz²/2 ≥ 0), times |0 − h| ≤ B: ≤ nB·e^{Z²+2+λδ²/2−β−γ} ≤ ε_h/8.
  Sum ≤ ε_h/2 + ε_h/4 + ε_h/8 + ε_h/8 = ε_h (formulas.budget_identity_claim).
Compared with E1 (docs/single-head.md), the head needs a fourth part, step 4: the γ term must outweigh the
(n−1)(K+1) tokens of the other positions, which costs γ = ln(8B(K+1)/ε_h) + ln(16Bn(K+1)/ε_h).

**S1 (with the budget split of formulas.py).** ε_q = ε/Q, ε_Φ,q = ε_q/2, ε_ψ,q = min(ρ, ε_q/(2L_Φ,q))/n; the ψ
head of term q is E1-I on [0,1] (Z = 1) with ε_ψ,q, the Φ head E1-I on I_q = [S_min − nε_ψ, S_max + nε_ψ] ⊆ D_q
(Z = max |I_q|) with ε_Φ,q. Then sup_x max_j |y_j − g_j| ≤ Σ_q (ε_Φ,q + L_Φ,q·n·ε_ψ,q) ≤ ε.
The statement of S1 (docs/seq2seq.md) says "≤ Σ_q (ε_Φ + Lip(Φ_{·,q})·n·ε_ψ) + leakage terms"; here the leakage and the
other-position terms are inside each ε_h, and Lip(Φ_{·,q}) must hold on the interval enlarged by nε_ψ,q (the
mixed register is off by up to nε_ψ), not only on the range of the exact inner sum.

**Certified** (``--evidence auto|certified``): each token-wise head's sup error and its four parts on its whole
interval, for any registers of the other positions in [−Z, Z], by branch and bound on 1-D cells in ball arithmetic
(certify.py); S1.sup then follows by the propagation bound above from certified and exact parts
(checks.composition_claim: E1I.error, the derived heads, the exact mixing, the ideal composition, the interval cover
and the propagated bound).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from verifier.budget import OPTIONS as BUDGET_OPTIONS, check_budget
from verifier.errors import InputError
from verifier.inputs import choice, integer, parse_number, text
from verifier.options import CERT_CELLS, DPS, EVIDENCE, MAX_PREFIX, POINTS, SEED, Option, read_options, tamper
from verifier.theorem import CERTIFIED_LABELS, CERTIFIED_UNITS, SUP_LABELS, SUP_UNITS, Outcome, TheoremBase, nested

from .choices import TAMPER_MODES, TARGETS

if TYPE_CHECKING:
    import sympy

    from verifier.budget import Budget
    from verifier.claims import ClaimResult
    from verifier.precision import PrecisionPolicy

    from .ridge import RidgeForm

# The declaration below is all `verifier list` loads; each method imports the construction, the checks
# (numpy, mpmath, sympy, scipy) and the ridge forms when it is called.


@dataclass(frozen=True)
class S1Parameters:
    form: RidgeForm
    eps: sympy.Rational
    seed: int
    policy: PrecisionPolicy
    points: int
    tamper: Optional[str]
    evidence: str  # --evidence: auto and certified certify every token-wise head by branch and bound (certify.py)
    budget: Budget  # per token-wise head

    def to_json(self) -> dict:
        return {"n": self.form.n, "eps": float(self.eps), "eps_exact": str(self.eps), "target": self.form.name,
                "Q": self.form.Q, "seed": self.seed, **self.policy.to_json(),
                "points": self.points, "tamper": self.tamper, "evidence_mode": self.evidence, "cert_cells": self.budget.cells,
                "max_seconds": self.budget.max_seconds}


class Seq2Seq(TheoremBase):
    name = "seq2seq"
    statement = ("S1: a ridge-form map g: [0,1]^n → R^n with Q terms is approximated to ε by prefixing a transformer of "
                 "depth 3Q (token-wise ψ, mixing, token-wise Φ per term), each token-wise head built by E1-I")
    realises = ("P3", "P4")
    fact_labels = {"depth": "depth", "heads": "heads", "tokenwise_heads": "token-wise heads", "mixing_heads": "mixing heads",
                   "Q": "ridge terms Q", "total_prefix_length": "total prefix length", "propagated_bound": "propagated bound",
                   "propagated_bound_exact": "propagated bound (exact)",
                   "sup_error": "sup ‖T − g‖", **nested("sup_error", {**SUP_LABELS, **CERTIFIED_LABELS}),
                   "layers": "layers", **nested("layers", {
                       "name": "layer", "kind": "kind", "interval": "input interval", "accuracy": "accuracy ε_q",
                       "lipschitz": "Lipschitz L", "bound": "bound B", "key_bound": "key bound", "cells": "grid cells",
                       "prefix_length": "prefix length N", "lambda": "λ", "gamma": "γ", "beta": "β",
                       "certified_sup": "certified sup |H − h|", "bb_cells": "branch-and-bound cells",
                       "not_certified": "not certified because"})}
    fact_units = {"total_prefix_length": "tokens", **nested("sup_error", {**SUP_UNITS, **CERTIFIED_UNITS}),
                  "layers.prefix_length": "tokens", "layers.bb_cells": "cells"}

    options = (
        Option("n", "sequence length n", integer(1, 12), required=True),
        Option("eps", "target accuracy ε > 0, read exactly (0.1 is 1/10)", parse_number, required=True),
        Option("target", "a shipped ridge-form target: " + " | ".join(TARGETS) + " (or type one with --psi/--phi)",
               choice(*TARGETS)),
        Option("psi", "a typed ridge form's inner functions: Q terms separated by ';', each a tuple of n expressions "
               "in t, e.g. '(t, t); (t, -t)'", text),
        Option("phi", "its outer functions: Q tuples of n expressions in t separated by ';', e.g. '(t**2/4, 0); (-t**2/4, 0)'",
               text),
        Option("lip_psi", "claimed Lipschitz constants of ψ_(·,q) on [0,1], one per term, separated by ','", text),
        Option("lip_phi", "claimed Lipschitz constants of Φ_(·,q) on [S_min − 1/10, S_max + 1/10], one per term", text),
        DPS,
        SEED,
        POINTS.with_help("uniform sequences in the float64 scan of [0,1]^n").with_default(2000),
        EVIDENCE.with_help("auto: certify every token-wise head's sup error and its parts by branch and bound on 1-D cells in "
                           "ball arithmetic, and S1.sup through the composition bound, when that takes up to about half a "
                           "minute (the default instances: a few seconds; n = 6 takes longer), else sample; "
                           "certified: certify at any size and require every claim the verdict rests on to be certified "
                           "or exact; sampled: no certification"),
        CERT_CELLS.with_help("budget of each token-wise head's certified branch and bound: cells evaluated (it decides the "
                             "verdict, the same on every machine; --max-seconds only guards against runaway work)")
                  .with_default(50_000),
        tamper(TAMPER_MODES),
        MAX_PREFIX.with_help("refuse constructions with more prefix tokens in total").with_default(2_000_000),
        *BUDGET_OPTIONS,
    )

    def parameters(self, **raw: Any) -> S1Parameters:
        from verifier.budget import Budget
        from verifier.precision import PrecisionPolicy

        from .construction import Construction
        from .cost import cost_estimate
        from .ridge import SHIPPED, typed_form

        o = read_options(self.options, raw)
        typed = [o[k] for k in ("psi", "phi", "lip_psi", "lip_phi")]
        if o["n"] is None or o["eps"] is None:
            raise InputError("seq2seq needs --n N and --eps E (e.g. --n 4 --eps 0.1 --target running-mean)")
        if o["target"] is not None:
            if any(v is not None for v in typed):
                raise InputError("give either --target NAME or a typed form (--psi, --phi, --lip-psi, --lip-phi), not both")
            form = SHIPPED[o["target"]](o["n"])
        elif all(v is not None for v in typed):
            form = typed_form(o["n"], *typed)
        else:
            raise InputError(f"seq2seq needs --target NAME ({', '.join(TARGETS)}) or all of --psi, --phi, --lip-psi, --lip-phi")
        form.require_finite()
        params = S1Parameters(form, o["eps"], o["seed"], PrecisionPolicy(dps=o["dps"]), o["points"], o["tamper"],
                              o["evidence"], Budget(o["cert_cells"], float(o["max_seconds"])))
        total = Construction(form, params.eps).total_prefix_length
        if total > o["max_prefix"]:
            raise InputError(f"the construction needs {total} prefix tokens for n = {form.n}, ε = {params.eps} (over "
                             f"--max-prefix {o['max_prefix']}); use a larger --eps or raise --max-prefix")
        check_budget(cost_estimate(form.n, 3 * form.Q, params.points), float(o["max_seconds"]), float(o["max_memory"]),
                     "use fewer --points or a smaller --n")
        return params

    def hypotheses(self, params: S1Parameters) -> list[ClaimResult]:
        from .ridge import check_hypotheses

        return check_hypotheses(params.form, params.policy)

    def check(self, params: S1Parameters) -> Outcome:
        import sympy

        from verifier.claims import Kind, claim_holds

        from . import certify, checks, formulas
        from .checks import paper_claim, structure_claim
        from .construction import Construction

        c = Construction(params.form, params.eps, params.tamper)
        tr = c.transformer
        heads = len(tr.layers)
        tokenwise = sum(layer.kind == "tokenwise" for layer in tr.layers)
        sizes_ok = (tr.total_prefix_length == c.total_prefix_length
                    and all(layer.prefix is None or len(layer.prefix) == c.plan[layer.name].prefix_length for layer in tr.layers))
        claims = [
            claim_holds("S1.depth", f"depth = 3Q = {3 * c.form.Q}: one head per layer, {tokenwise} token-wise and "
                        f"{heads - tokenwise} mixing heads", tr.depth == 3 * c.form.Q and tokenwise == 2 * c.form.Q,
                        Kind.THEOREM, "exact integers counted on the built transformer", value=float(tr.depth),
                        bound=float(3 * c.form.Q)),
            claim_holds("S1.size", "every token-wise head has N = n(K+1) prefix tokens; the total is their sum",
                        sizes_ok, Kind.PROOF_STEP, f"exact integers: total {tr.total_prefix_length}",
                        value=float(tr.total_prefix_length), bound=float(c.total_prefix_length)),
            checks.closed_form_claim(tr),
            checks.gaussian_claim(tr),
            checks.mixing_claim(tr),
            checks.ideal_composition_claim(c),
            formulas.budget_identity_claim(),
            formulas.split_claim(),
        ]
        sups = checks.head_sups(c, params.policy, params.seed)
        sampled = checks.head_sampled_claims(c, sups, params.policy)
        proofs = certify.prove_heads(c, sampled, params.evidence, params.budget)
        claims += checks.head_claims(c, sampled, proofs)
        claims.append(structure_claim(claims))
        end_claims, facts = checks.end_to_end(c, params.policy, params.seed, params.points, claims, proofs)
        claims += end_claims + [paper_claim(c)]
        facts = {
            "depth": tr.depth, "heads": heads, "tokenwise_heads": tokenwise, "mixing_heads": heads - tokenwise, "Q": c.form.Q,
            "total_prefix_length": tr.total_prefix_length, "propagated_bound": float(sympy.N(c.propagated_bound, 17)),
            "propagated_bound_exact": str(c.propagated_bound), **facts,
            "layers": [c.plan[layer.name].to_json() | certify.proof_facts(proofs[layer.name]) if layer.name in c.plan
                       else {"name": layer.name, "kind": "mixing"} for layer in tr.layers],
        }
        return Outcome(tuple(claims), facts)

    def default_instances(self):
        return [(f"seq2seq-{t}-n2-eps0.1", {"n": 2, "eps": "0.1", "target": t}) for t in TARGETS]


THEOREM = Seq2Seq()
