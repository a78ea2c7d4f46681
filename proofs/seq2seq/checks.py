"""The claims of S1 on a built construction: derivations (exact), each token-wise head against E1-I
(exact bounds; the error and its parts sampled, and certified by certify.py's branch and bound), the end-to-end error over
sequences (sampled), and S1.sup through the composition bound (certified where every part is).

E1-I's error split for a token-wise head at the query (z, p), with normalised attention weights w:

    H − h_p(z) = near + far + other + leak,
    near  = Σ_{q = p, |z − a_i| ≤ r} w (v − h_p(z)),   far = Σ_{q = p, |z − a_i| > r} w (v − h_p(z)),
    other = Σ_{q ≠ p} w (v − h_p(z)),                    leak = Σ_c w_c (ν_c − h_p(z)),

with the prefix tokens of the window (the rest carry attention ≤ 10^−300, see prefix.py).
A head is scanned alone on its interval I at every position p: z on the grid, the midpoints between
grid points (where the nearest prefix token is farthest) and seeded uniform points; the other
positions' registers set to sign(z)·Z, the largest content score z·z_c allowed.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Optional

import mpmath
import numpy as np
import sympy
from flint import arb, ctx

from verifier.attention import forward_matrix_sympy
from verifier.ball import PRECISION_BITS, sympy_number, upper
from verifier.branch_bound import Bounded
from verifier.certify import combine
from verifier.claims import (ClaimResult, Evidence, Kind, TwoPaths, Verdict, claim_holds, claim_identity, claim_le, claim_le_certified,
                             claim_sup_le)
from verifier.claims import two_paths_claim as framework_two_paths
from verifier.precision import PrecisionPolicy, exact_to_mp
from verifier.reproducible import NUMPY

from . import certify
from . import formulas as F
from .certify import QUANTITIES
from .construction import Construction, HeadPlan
from .prefix import Z
from .ridge import sequence_symbols
from .search import sup_over_sequences
from .stream import Layer
from .tokenwise_form import derive_tokenwise
from .transformer import Transformer

MP_MATRIX_SCORES = 100_000  # F.two-paths runs the mpmath matrix pass (about 1 s per 25 000 scores) up to this many scores
RANDOM_QUERIES = 512


# --------------------------------------------------------------------------------------------- derivations
def closed_form_claim(transformer: Transformer) -> ClaimResult:
    """Every token-wise layer's scores and values, derived from its matrices, equal the stated ones:
    σ_prefix = z·s_read + s_one + s_pos_p, σ_content = z·z_c + 1 + [c = p], ν_prefix = s_slot, ν_content = t_slot;
    and no layer writes x, one, pos or slot (so ν_content = 0 throughout)."""
    residuals = []
    layers = {layer.name: layer for layer in transformer.layers}
    for name, cf in ((name, derive_tokenwise(transformer.stream, layers[name], p)) for name in transformer.closed_forms
                     for p in range(1, transformer.stream.n + 1)):
        s_read, s_one, s_pos, s_slot = cf.s[:4]
        z_c, t_slot = cf.t[0], cf.t[3]
        stated = [cf.prefix_score - (cf.z * s_read + s_one + s_pos), cf.content_score_same - (cf.z * z_c + 2),
                  cf.prefix_value - s_slot, cf.content_value - t_slot]
        if cf.content_score_other is not None:
            stated.append(cf.content_score_other - (cf.z * z_c + 1))
        residuals += [(name, r) for r in (sympy.expand(e) for e in stated) if r != 0]
    fixed = set(transformer.stream.fixed)
    writers = [layer.name for layer in transformer.layers if layer.write in fixed]
    holds = not residuals and not writers
    return claim_holds(
        "S1.tokenwise.closed-form",
        "each token-wise head, derived from (W_Q, W_K, W_V) with a generic prefix token and generic stream tokens, scores "
        "z·s_read + s_one + s_pos_p (prefix) and z·z_c + 1 + [c = p] (content) with values s_slot and t_slot; no layer writes "
        "x, one, pos or slot, so content values are 0",
        holds, Kind.THEOREM, f"sympy: expand(derived − stated) = 0 for {len(transformer.closed_forms)} token-wise layers, "
        f"each derived at every query position p = 1..{transformer.stream.n}",
        detail="" if holds else f"residuals {residuals[:4]}; layers writing fixed registers: {writers}",
    )


def gaussian_claim(transformer: Transformer) -> ClaimResult:
    """The prefix token (λa, −λa²/2 + β, γ) scores λz²/2 − λ(z − a)²/2 + β + γ in every derived token-wise head."""
    a, lam, beta, gamma = sympy.symbols("a lambda beta gamma", real=True)
    residuals = []
    for name, cf in transformer.closed_forms.items():
        s_read, s_one, s_pos = cf.s[:3]
        score = cf.prefix_score.subs({s_read: lam * a, s_one: -lam * a**2 / 2 + beta, s_pos: gamma})
        r = sympy.expand(score - (lam * cf.z**2 / 2 - lam * (cf.z - a) ** 2 / 2 + beta + gamma))
        if r != 0:
            residuals.append((name, r))
    return claim_holds(
        "S1.tokenwise.gaussian",
        "among prefix tokens the token-wise head's softmax is the Gaussian kernel e^{−λ(z−a_i)²/2} plus the selection γ[q = p]: "
        "the token (λa, −λa²/2 + β, γe_q) scores λz²/2 − λ(z − a)²/2 + β + γ[q = p], and λz²/2 is common to all prefix tokens",
        not residuals, Kind.PROOF_STEP, "sympy: expand(derived score − stated) = 0, generic λ, a, β, γ",
        detail="" if not residuals else f"residuals {residuals[:4]}",
    )


def mixing_claim(transformer: Transformer) -> ClaimResult:
    """Each mixing layer, by the sympy matrix pass over n generic stream tokens, writes Σ_c u_c into s at every position."""
    stream, failures = transformer.stream, []
    for layer in transformer.layers:
        if layer.kind != "mixing":
            continue
        tokens = [[sympy.Symbol(f"t{c}_{nm}", real=True) for nm in stream.names] for c in range(stream.n)]
        total = sum(t[stream.index(layer.read)] for t in tokens)
        for t in tokens:
            out = forward_matrix_sympy(layer.head, t, tokens)
            expected = sympy.zeros(stream.dim, 1)
            expected[stream.index(layer.write)] = total
            if any(sympy.simplify(e) != 0 for e in out - expected):
                failures.append(layer.name)
                break
    return claim_holds(
        "S1.mixing.derived",
        "each mixing head (zero query: uniform attention; W_V = n·e_s e_uᵀ) writes Σ_c u_c into s at every position",
        not failures, Kind.PROOF_STEP, "sympy: plain matrix forward pass over n generic stream tokens, simplify(out − expected) = 0",
        detail="" if not failures else f"layers not writing the sum: {failures}",
    )


def ideal_composition_claim(c: Construction) -> ClaimResult:
    """With every token-wise head replaced by its target (ε → 0) and the mixing layers derived by the sympy
    matrix pass, the output register equals g_j(x) = Σ_q Φ_{j,q}(Σ_p ψ_{p,q}(x_p)), identically in x."""
    x = sequence_symbols(c.n)
    ideal = {plan.name: (lambda z, p, plan=plan: plan.targets[p - 1].subs(Z, z)) for plan in c.plans}
    T = c.transformer.forward_sympy(x, ideal)
    y = c.transformer.stream.index("y")
    form_residuals = [sympy.simplify(a - b) for a, b in zip(c.form.composed(x), c.form.target)]
    residuals = [sympy.simplify(T[j][y] - c.form.target[j]) for j in range(c.n)]
    return claim_identity(
        "S1.ideal-composition",
        f"the exact (ε → 0) composition of the {c.transformer.depth} layers computes y_j = Σ_q Φ_(j,q)(Σ_p ψ_(p,q)(x_p)) = g_j(x) "
        f"({c.form.name}), identically in x_1..x_{c.n}",
        residuals + form_residuals, Kind.THEOREM, "sympy forward pass (token-wise heads replaced by their targets, mixing heads derived from the "
        "matrices); simplify(y_j − g_j) = 0 and simplify(ridge form − g_j) = 0",
    )


# --------------------------------------------------------------------------------------------- one head alone
class HeadEvaluator:
    """Error and parts of one token-wise layer at queries (z, p) with the worst-case content keys."""

    def __init__(self, transformer: Transformer, layer: Layer, plan: HeadPlan):
        self.transformer, self.layer, self.plan = transformer, layer, plan
        self.n = transformer.stream.n
        self.r = float(sympy.N(plan.exact(F.R), 20))

    def queries(self, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """(z, p) over the grid, the grid midpoints and random points of I, at every position p (0-based)."""
        lo, hi, K = float(self.plan.lo), float(self.plan.hi), self.plan.cells
        grid = lo + (hi - lo) * np.arange(K + 1) / K
        z = np.concatenate([grid, (grid[1:] + grid[:-1]) / 2, np.random.default_rng(seed).uniform(lo, hi, RANDOM_QUERIES)])
        return np.tile(z, self.n), np.repeat(np.arange(self.n), len(z))

    def content(self, z: np.ndarray, p: np.ndarray) -> np.ndarray:
        Zb = float(self.plan.key_bound)
        zc = np.where(z[:, None] >= 0, Zb, -Zb) * np.ones((1, self.n))
        zc[np.arange(len(z)), p] = z
        return zc

    def parts_f64(self, z: np.ndarray, p: np.ndarray) -> dict[str, np.ndarray]:
        h = self.plan.targets_numpy(z, p)
        if self.layer.prefix is None:  # attention on content tokens only, whose values are 0
            zero = np.zeros(len(z))
            return {"error": np.abs(h), "near": zero, "far": zero, "other": zero, "leak": np.abs(h)}
        att = self.transformer.tokenwise_attention_numpy(self.layer, z, p, self.content(z, p), np.zeros((len(z), self.n)))
        own = (np.arange(self.n)[None, None, :] == p[:, None, None])
        close = (np.abs(att.grid - z[:, None]) <= self.r)[..., None]
        dev = att.prefix_weights * (att.prefix_values - h[:, None, None])
        parts = {"near": (dev * (own & close)).sum((1, 2)), "far": (dev * (own & ~close)).sum((1, 2)),
                 "other": (dev * ~own).sum((1, 2)),
                 "leak": (att.content_weights * (att.content_values - h[:, None])).sum(1)}
        parts = {k: np.abs(v) for k, v in parts.items()} | {"error": np.abs(sum(parts.values()))}
        return parts

    def parts_mp(self, z: float, p: int) -> dict[str, mpmath.mpf]:
        zm = mpmath.mpf(z)
        h = mpmath.mpf(self.plan.targets_mp[p](zm))
        if self.layer.prefix is None:
            return {"error": abs(h), "near": mpmath.mpf(0), "far": mpmath.mpf(0), "other": mpmath.mpf(0), "leak": abs(h)}
        zc = [mpmath.mpf(float(v)) for v in self.content(np.array([z]), np.array([p]))[0]]
        zc[p] = zm
        prefix, content = self.transformer.tokenwise_attention_mp(self.layer, zm, p, zc, [mpmath.mpf(0)] * self.n)
        r = exact_to_mp(self.plan.exact(F.R))
        sums = {k: [] for k in F.PARTS}
        for w, v, a, q in prefix:
            key = "other" if q != p else ("near" if abs(zm - a) <= r else "far")
            sums[key].append(w * (v - h))
        sums["leak"] = [w * (v - h) for w, v in content]
        parts = {k: mpmath.fsum(v) for k, v in sums.items()}
        return {k: abs(v) for k, v in parts.items()} | {"error": abs(mpmath.fsum(parts.values()))}


def head_sups(c: Construction, policy: PrecisionPolicy, seed: int) -> dict[str, dict]:
    """For every token-wise head: the float64 sup of each quantity over its queries, re-evaluated in mpmath
    at both precisions at its argmax. {head: {quantity: (value_check, agrees, (z, p), float64_value)}}."""
    out = {}
    layers = {layer.name: layer for layer in c.transformer.layers}
    for plan in c.plans:
        ev = HeadEvaluator(c.transformer, layers[plan.name], plan)
        z, p = ev.queries(seed)
        scan = ev.parts_f64(z, p)
        found = {}
        for quantity in QUANTITIES:
            k = int(np.argmax(scan[quantity]))
            low, high = policy.at_both(lambda _dps, k=k: ev.parts_mp(float(z[k]), int(p[k]))[quantity])
            found[quantity] = (high, policy.agree(low, high), (float(z[k]), int(p[k]) + 1), float(scan[quantity][k]))
        out[plan.name] = found
    return out


def worst_head(c: Construction, results: list[ClaimResult], id: str, statement: str, method: str) -> ClaimResult:
    """One claim for every token-wise head from their claims (in the order of ``c.plans``): the worst head's (a
    failing one first, then an inconclusive one, else the largest value/bound), naming the heads it does not pass for;
    a PASS has the weakest evidence of all the heads."""
    bad = [plan.name for plan, r in zip(c.plans, results) if r.verdict is not Verdict.PASS]
    rank = (Verdict.PASS, Verdict.INCONCLUSIVE, Verdict.FAIL)
    idx = max(range(len(results)), key=lambda i: (rank.index(results[i].verdict),
                                                   (results[i].value or 0) / max(results[i].bound or 1e-300, 1e-300)))
    chosen = results[idx]
    evidence = Evidence.weakest(r.evidence for r in results) if chosen.verdict is Verdict.PASS else chosen.evidence
    return replace(chosen, id=id, statement=statement, evidence=evidence,
                   method=f"{method} for {len(results)} heads (shown: {c.plans[idx].name}); " + chosen.method.lstrip("; "),
                   detail="; ".join(filter(None, [chosen.detail, f"does not pass for {bad}" if bad else ""])))


SAMPLED_HEAD = ("sampled: each head alone on its interval at every position (grid, midpoints, {queries} uniform z; other "
                "registers ±Z), float64 scan, mpmath at the argmax at {dps} and {verify} digits; witness (z, p)")
STATEMENTS = {"error": "E1-I: every token-wise head has sup_{z∈I, p} |H(z, p) − h_p(z)| ≤ ε_h, whatever the other positions "
                       "hold in [−Z, Z]",
              "near": "step 2: near tokens (own position, |z − a_i| ≤ r) contribute ≤ L·r = ε_h/2",
              "far": "step 3: far tokens (own position, |z − a_i| > r) contribute ≤ 2B(K+1)e^{−λr²/4}",
              "other": "step 4: tokens of other positions contribute ≤ 2B(n−1)(K+1)e^{λδ²/2−γ}",
              "leak": "step 5: content tokens contribute ≤ nB·e^{Z²+2+λδ²/2−β−γ}"}


def claimed_bounds(c: Construction, plan: HeadPlan) -> tuple[sympy.Expr, ...]:
    """E1-I's bounds for QUANTITIES: ε_h and the part budgets, with γ as the transformer's head has it (0 under the
    small-gamma tamper)."""
    return certify.thresholds(plan, sympy.Integer(0) if c.tamper == "small-gamma" else None)


def head_sampled_claims(c: Construction, sups: dict, policy: PrecisionPolicy) -> dict[str, list[ClaimResult]]:
    """Per quantity (QUANTITIES) and token-wise head (``c.plans`` order), sampled: its sup at the scan's argmax ≤ its
    bound (:func:`claimed_bounds`); no "other" claims for n = 1."""
    method = SAMPLED_HEAD.format(queries=RANDOM_QUERIES, dps=policy.dps, verify=policy.verify_dps)
    out = {}
    for k, quantity in enumerate(QUANTITIES):
        if quantity == "other" and c.n == 1:
            continue
        out[quantity] = [claim_le(plan.name, f"{plan.name}: {quantity}", value, sympy.N(claimed_bounds(c, plan)[k], policy.verify_dps),
                                  policy.tolerance, Kind.THEOREM if quantity == "error" else Kind.PROOF_STEP, method,
                                  witness=(z, p), precision_agrees=agrees)
                         for plan in c.plans for value, agrees, (z, p), _ in [sups[plan.name][quantity]]]
    return out


def quantity_claim(c: Construction, quantity: str, sampled: list[ClaimResult], proofs: dict) -> ClaimResult:
    """E1I.<quantity>: every head's sampled claim combined with its branch and bound where one ran
    (``verifier.certify.combine``: a sampled FAIL stays FAIL, an undecided one is INCONCLUSIVE), the worst head shown;
    the reason a head was not certified is in its detail."""
    k = QUANTITIES.index(quantity)
    heads = []
    for plan, claim in zip(c.plans, sampled):
        proof = proofs.get(plan.name, "not certified")
        heads.append(combine(claim, proof, claimed_bounds(c, plan)[k], f"{quantity} of {plan.name} within its bound",
                             "raise --cert-cells (or use a larger --eps)", index=k) if isinstance(proof, Bounded)
                     else replace(claim, detail="; ".join(filter(None, [claim.detail, f"{plan.name}: {proof}"]))))
    certified = sum(isinstance(proofs.get(plan.name), Bounded) for plan in c.plans)
    return worst_head(c, heads, f"E1I.{quantity}", STATEMENTS[quantity],
                      f"branch and bound on 1-D cells (proofs/seq2seq/certify.py) for {certified} heads, else sampled")


def head_claims(c: Construction, sampled: dict[str, list[ClaimResult]], proofs: dict) -> list[ClaimResult]:
    """E1-I on every token-wise head: the covering and the part bounds from exact numbers (:func:`claim_le_certified`),
    then the error and its parts (:func:`quantity_claim` from the per-head claims of :func:`head_sampled_claims` and
    the branch and bounds ``proofs`` of certify.prove_heads); each claim reports the worst head."""
    gamma = sympy.Integer(0) if c.tamper == "small-gamma" else None
    claims = []
    covering = [claim_le_certified("", "", (plan.hi - plan.lo) / (2 * plan.cells), plan.exact(F.DELTA), Kind.PROOF_STEP, "")
                for plan in c.plans]
    claims.append(worst_head(c, covering, "E1I.step1.covering",
                             "step 1 (covering): for every token-wise head, every z ∈ I lies within (hi − lo)/(2K) ≤ δ of a grid point",
                             "half the grid step against δ = r/√2"))
    labels = {"far": ("step 3", "2B(K+1)e^{−λr²/4} ≤ ε_h/4"), "other": ("step 4", "2B(n−1)(K+1)e^{λδ²/2−γ} ≤ (n−1)/n·ε_h/8"),
              "leak": ("step 5", "nB·e^{Z²+2+λδ²/2−β−γ} ≤ ε_h/8")}
    for k, part in enumerate(F.PARTS[1:], start=1):
        step, text = labels[part]
        results = [claim_le_certified("", "", plan.budget(gamma)[k], plan.goals()[k], Kind.PROOF_STEP, "") for plan in c.plans]
        claims.append(worst_head(c, results, f"E1I.{step.replace(' ', '')}.{part}-bound",
                                 f"{step} (bound): for every token-wise head, {text}", "exact sympy numbers"))
    for quantity in QUANTITIES:
        if quantity in sampled:
            claims.append(quantity_claim(c, quantity, sampled[quantity], proofs))
        else:  # "other" for n = 1
            claims.append(claim_holds("E1I.other", STATEMENTS["other"] + " (n = 1: there are no other positions)", True,
                                      Kind.PROOF_STEP, "exact: every prefix token belongs to the only position", value=0.0,
                                      bound=0.0))
    return claims


# --------------------------------------------------------------------------------------------- end to end
class SequenceEvaluator:
    """max_j |y_j(x) − g_j(x)| through the windowed closed form (float64, mpmath)."""

    def __init__(self, c: Construction):
        self.c = c
        x = sequence_symbols(c.n)
        self._g = sympy.lambdify(x, list(c.form.target), NUMPY)
        self._g_mp = sympy.lambdify(x, list(c.form.target), "mpmath")
        self.y = c.transformer.stream.index("y")

    def target(self, X: np.ndarray) -> np.ndarray:
        return np.column_stack([np.broadcast_to(np.asarray(v, float), (len(X),)) for v in self._g(*X.T)])

    def error_f64(self, X: np.ndarray) -> np.ndarray:
        T, _ = self.c.transformer.forward_numpy(X)
        return np.max(np.abs(T[..., self.y] - self.target(X)), axis=1)

    def error_mp(self, x) -> mpmath.mpf:
        xm = [mpmath.mpf(float(v)) for v in x]
        T, _ = self.c.transformer.forward_mp(xm)
        return max(abs(T[j][self.y] - mpmath.mpf(g)) for j, g in enumerate(self._g_mp(*xm)))


def in_context_claims(c: Construction, X: np.ndarray, policy: PrecisionPolicy) -> tuple[ClaimResult, ClaimResult]:
    """Over every sequence the end-to-end search evaluated: each token-wise head's input stays in its
    interval I (the propagation argument), and its output is within ε_h of its target at that input
    (the worst re-evaluated in mpmath). Sampled; end_to_end upgrades them where S1.intervals.cover and E1I.error
    prove them."""
    _, increments = c.transformer.forward_numpy(X)
    T0 = c.transformer.stream.embed_numpy(X)
    registers = {"x": T0[..., 0]}
    excess, ratios = [], []
    for layer, inc in zip(c.transformer.layers, increments):
        if layer.kind == "tokenwise":
            plan = c.plan[layer.name]
            z = registers[layer.read]
            lo, hi = float(plan.lo), float(plan.hi)
            out = np.maximum(lo - z, z - hi).max(axis=1)
            i = int(np.argmax(out))
            excess.append((float(out[i]), layer.name, i))
            h = plan.targets_numpy(z, np.broadcast_to(np.arange(c.n), z.shape))
            err = np.abs(inc - h).max(axis=1)
            i = int(np.argmax(err))
            ratios.append((float(err[i]) / float(plan.accuracy), layer.name, i))
        registers[layer.write] = registers.get(layer.write, 0) + inc
    gap, name, i = max(excess)
    claims = [claim_holds(
        "S1.intervals", "every register a token-wise head reads stays in that head's interval I (so E1-I applies)",
        gap <= 0, Kind.PROOF_STEP, f"sampled: the {len(X)} sequences of the end-to-end search, float64",
        detail="" if gap <= 0 else f"{name} reads a value {gap:.3g} outside its interval",
        value=gap, bound=0.0, witness=tuple(float(v) for v in X[i]) if gap > 0 else None, evidence=Evidence.SAMPLED,
    )]
    _, name, i = max(ratios)
    plan, names = c.plan[name], [layer.name for layer in c.transformer.layers]

    def head_error(_dps):
        x = [mpmath.mpf(float(v)) for v in X[i]]
        _, incs = c.transformer.forward_mp(x)
        at = names.index(name)
        z = x if plan.read == "x" else [mpmath.fsum(inc[p] for layer, inc in zip(c.transformer.layers[:at], incs)
                                                    if layer.write == plan.read) for p in range(c.n)]
        return max(abs(incs[at][p] - plan.targets_mp[p](z[p])) for p in range(c.n))

    low, high = policy.at_both(head_error)
    return claims[0], claim_le(
        "S1.heads-in-context", f"inside the transformer every token-wise head is within its ε_h of its target (worst head: {name})",
        high, plan.accuracy, policy.tolerance, Kind.PROOF_STEP,
        f"sampled: the {len(X)} sequences of the end-to-end search (float64), the worst head and sequence in mpmath at "
        f"{policy.dps} and {policy.verify_dps} digits", witness=tuple(X[i]), precision_agrees=policy.agree(low, high),
    )


def two_paths_claim(c: Construction, sup, policy: PrecisionPolicy, seed: int) -> ClaimResult:
    """F.two-paths (verifier.claims): the windowed closed form (derived scores) against the plain matrix forward pass
    over every prefix token, float64 on 8 sequences (the sup's argmax and 7 seeded ones) and mpmath at the argmax
    (when the matrix pass has at most MP_MATRIX_SCORES scores), relative to the largest register; float64 against
    mpmath at the sup's argmax."""
    X = np.vstack([np.array(sup.argmax)[None, :], np.random.default_rng(seed + 5).random((7, c.n))])
    tr = c.transformer
    matrix = tr.forward_matrix_numpy(X)[0]
    scores = tr.total_prefix_length * c.n
    mp = {} if scores > MP_MATRIX_SCORES else dict(
        closed_mp=lambda x: [v for row in tr.forward_mp(x)[0] for v in row],
        matrix_mp=lambda x: [v for row in tr.forward_matrix_mp(x) for v in row], at=X[0])
    paths = TwoPaths(lambda P: tr.forward_numpy(P)[0], lambda _P: matrix, X, what="sequences",
                     mp_skipped=f"{scores} scores (every prefix token at every position) exceed {MP_MATRIX_SCORES}", **mp)
    return framework_two_paths(paths, {"error": sup}, float(np.max(np.abs(matrix))), policy)


def interval_cover_claim(c: Construction) -> ClaimResult:
    """Every register a token-wise head reads lies in its interval I, and every register it sees lies in [−Z, Z],
    given |u_q(c) − ψ_(c,q)(x_c)| ≤ ε_ψ,q (E1I.error) and the hypothesis Lip(ψ_(·,q)) ≤ L_ψ,q on [0,1]: the ψ head
    reads x ∈ [0,1] ⊆ I ∩ [−Z, Z]; the Φ head reads s_q = Σ_c u_q(c) ∈ [S⁻ − nε_ψ, S⁺ + nε_ψ] with
    S^∓ = Σ_{ψ ≠ 0} (ψ(½) ∓ L_ψ/2) recomputed exactly here (ridge.inner_range rounds with nsimplify), which must lie in
    I_q ⊆ D_q (where Lip(Φ_(·,q)) is claimed) ⊆ [−Z, Z]. Each inequality by :func:`claim_le_certified`."""
    rows = []
    for q in range(c.form.Q):
        psi, phi = c.plan[f"psi{q + 1}"], c.plan[f"phi{q + 1}"]
        half = sympy.Rational(1, 2)
        centres = [f.subs(Z, half) for f in psi.targets if f != 0]
        s_lo = sum((v - c.form.lip_inner[q] / 2 for v in centres), sympy.Integer(0)) - c.n * psi.accuracy
        s_hi = sum((v + c.form.lip_inner[q] / 2 for v in centres), sympy.Integer(0)) + c.n * psi.accuracy
        d_lo, d_hi = c.form.outer_domain(q)
        rows += [(f"{psi.name}: lo ≤ 0", psi.lo, 0), (f"{psi.name}: 1 ≤ hi", 1, psi.hi), (f"{psi.name}: 1 ≤ Z", 1, psi.key_bound),
                 (f"{phi.name}: lo ≤ S⁻ − nε_ψ", phi.lo, s_lo), (f"{phi.name}: S⁺ + nε_ψ ≤ hi", s_hi, phi.hi),
                 (f"{phi.name}: D_q's lo ≤ lo", d_lo, phi.lo), (f"{phi.name}: hi ≤ D_q's hi", phi.hi, d_hi),
                 (f"{phi.name}: −lo ≤ Z", -phi.lo, phi.key_bound), (f"{phi.name}: hi ≤ Z", phi.hi, phi.key_bound)]
    results = [(name, claim_le_certified("", "", sympy.sympify(a), sympy.sympify(b), Kind.PROOF_STEP, "")) for name, a, b in rows]
    failed = [name for name, r in results if r.verdict is not Verdict.PASS]
    return ClaimResult(
        "S1.intervals.cover", "every register a token-wise head reads lies in its interval I (ψ: x ∈ [0,1]; Φ: s_q within "
        "n·ε_ψ of the inner sum's range [S⁻, S⁺] from Lip(ψ_(·,q))), I_q lies in the domain D_q of Lip(Φ_(·,q)), and every "
        "register a head sees lies in [−Z, Z]", Verdict.combine(r.verdict for _, r in results), Kind.PROOF_STEP,
        f"exact sympy numbers: {len(rows)} inequalities between the plans' intervals and key bounds, the inner sums' "
        "ranges and D_q", detail=f"does not hold: {failed}" if failed else "",
        evidence=Evidence.weakest(r.evidence for _, r in results))


COMPOSITION_PARTS = ("E1I.error", "S1.tokenwise.closed-form", "S1.tokenwise.gaussian", "S1.mixing.derived",
                     "S1.ideal-composition", "S1.intervals.cover", "S1.split", "S1.propagated-bound")


def composed_upper(c: Construction, proofs: dict) -> Optional[float]:
    """Σ_q (u_Φ,q + L_Φ,q·n·u_ψ,q) with u the heads' certified sups, rounded up (None unless every head has one)."""
    if not all(isinstance(proofs.get(plan.name), Bounded) for plan in c.plans):
        return None
    with ctx.workprec(PRECISION_BITS):
        total = sum((arb(proofs[f"phi{q + 1}"].upper) + sympy_number(c.form.lip_outer[q]) * c.n * arb(proofs[f"psi{q + 1}"].upper)
                     for q in range(c.form.Q)), arb(0))
        return upper(total)


def composition_claim(c: Construction, earlier: list[ClaimResult], proofs: dict) -> ClaimResult:
    """S1.sup by composition (construction.py's propagation argument, docs/seq2seq.md): at every position j,
    |y_j − g_j(x)| ≤ Σ_q (|H_Φ,q(s_q, j) − Φ_(j,q)(s_q)| + L_Φ,q·|s_q − S_q(x)|) ≤ Σ_q (ε_Φ,q + L_Φ,q·n·ε_ψ,q) ≤ ε, from
    the parts COMPOSITION_PARTS; its verdict and evidence are the weakest of theirs. Its value is the bound with the
    heads' certified sups u in place of ε_h where every head has one (else the propagated bound)."""
    by_id = {claim.id: claim for claim in earlier}
    parts = [by_id[name] for name in COMPOSITION_PARTS]
    value = composed_upper(c, proofs)
    return ClaimResult(
        "S1.sup.composition",
        "S1 by composition: every token-wise head within its ε_h on its interval whatever the other positions hold in "
        "[−Z, Z] (E1I.error), the heads' scores and values as derived (S1.tokenwise.closed-form, S1.tokenwise.gaussian), "
        "the mixing heads exact (S1.mixing.derived), the layers composing to g (S1.ideal-composition), every head reading "
        "inside its interval (S1.intervals.cover) and Σ_q (ε_Φ,q + L_Φ,q·n·ε_ψ,q) ≤ ε (S1.split, S1.propagated-bound) give "
        "sup_x max_j |y_j − g_j| ≤ Σ_q (u_Φ,q + L_Φ,q·n·u_ψ,q) ≤ ε, u ≤ ε_h the heads' sups; given the hypotheses "
        "Lip(ψ_(·,q)) on [0,1] and Lip(Φ_(·,q)) on D_q (H.lipschitz.*)",
        Verdict.combine(p.verdict for p in parts), Kind.PROOF_STEP,
        "the propagation argument of proofs/seq2seq/construction.py (docs/seq2seq.md, S1 by composition) from "
        + ", ".join(f"{p.id} ({p.verdict.value}, {p.evidence.value})" for p in parts),
        evidence=Evidence.weakest(p.evidence for p in parts),
        value=value if value is not None else float(sympy.N(c.propagated_bound, 17)), bound=float(sympy.N(c.eps, 17)),
        detail="; ".join(f"{p.id} does not pass" for p in parts if p.verdict is not Verdict.PASS))


def proved_by(sampled: ClaimResult, basis: list[ClaimResult], value: Optional[float], bound: Optional[float]) -> ClaimResult:
    """A sampled claim that follows from the ``basis`` claims: PASS on their weakest evidence, with ``value`` and
    ``bound`` (proved numbers), when every basis claim passes on certified or exact evidence and sampling found no
    violation; else the sampled claim as it is (a sampled FAIL stays FAIL)."""
    evidence = Evidence.weakest(b.evidence for b in basis)
    if sampled.verdict is Verdict.FAIL or any(b.verdict is not Verdict.PASS for b in basis) or evidence is Evidence.SAMPLED:
        return sampled
    found = "" if sampled.value is None else f" (sampled value {sampled.value:.6g})"
    return replace(sampled, verdict=Verdict.PASS, evidence=evidence, value=value, bound=bound,
                   method=f"{evidence.value}: follows from {', '.join(b.id for b in basis)}; sampling found no "
                          f"violation{found}: {sampled.method}")


def end_to_end(c: Construction, policy: PrecisionPolicy, seed: int, points: int, earlier: list[ClaimResult],
               proofs: dict) -> tuple[list[ClaimResult], dict]:
    """The propagated bound, the interval cover, S1.sup.composition (from ``earlier`` claims and the heads' branch and
    bounds ``proofs``), S1.sup (sampled, proved by the composition where it is certified), and the in-context claims
    (sampled, proved by S1.intervals.cover and E1I.error where they are certified)."""
    evaluator = SequenceEvaluator(c)
    sup, X = sup_over_sequences(evaluator.error_f64, evaluator.error_mp, c.n, policy, seed, points)
    bound = c.propagated_bound
    parts = [
        claim_le_certified("S1.propagated-bound",
                           "the propagated bound Σ_q (ε_Φ,q + Lip(Φ_(·,q))·n·ε_ψ,q) ≤ ε (leakage and the other-position term "
                           "inside each head's ε_h; Lip(Φ) on I_q enlarged by n·ε_ψ)",
                           bound, c.eps, Kind.PROOF_STEP, "exact sympy numbers"),
        interval_cover_claim(c),
    ]
    composition = composition_claim(c, earlier + parts, proofs)
    sampled = claim_sup_le("S1.sup", f"S1: sup over x ∈ [0,1]^{c.n} of max_j |y_j(x) − g_j(x)| ≤ the propagated bound",
                           sup, sympy.N(bound, policy.verify_dps), policy.tolerance, Kind.THEOREM)
    by_id = {claim.id: claim for claim in earlier + parts}
    intervals, in_context = in_context_claims(c, X, policy)
    error = by_id["E1I.error"]
    claims = [*parts, composition, proved_by(sampled, [composition], composition.value, sampled.bound),
              proved_by(intervals, [by_id["S1.intervals.cover"], error], None, None),
              proved_by(in_context, [error, by_id["S1.intervals.cover"], by_id["S1.tokenwise.closed-form"]], error.value,
                        error.bound),
              two_paths_claim(c, sup, policy, seed)]
    facts = sup.to_json()
    if composition.verdict is Verdict.PASS and composition.evidence is not Evidence.SAMPLED:
        facts |= {"certified_upper": composition.value,
                  "cells": sum(p.cells for p in proofs.values() if isinstance(p, Bounded))}
    else:
        facts["not_certified"] = composition.detail or f"S1.sup.composition rests on {composition.evidence.value} evidence"
    return claims, {"sup_error": facts}


def paper_claim(c: Construction) -> ClaimResult:
    """P3 through S1: depth 3Q with Q ≤ 2n + 1 (Kolmogorov–Arnold's count) is ≤ 6n + 3, linear in n."""
    n, Q, depth = c.n, c.form.Q, c.transformer.depth
    return claim_holds(
        "P3.via-S1", f"P3: the prefixed transformer has depth 3Q = {depth} ≤ 3(2n+1) = {6 * n + 3} (linear in n; Q = {Q} for "
        f"{c.form.name} at n = {n}); only prefixes are tuned, every head's weights are fixed",
        depth == 3 * Q and Q <= 2 * n + 1, Kind.PAPER, "exact integers: depth counted on the built transformer",
        value=float(depth), bound=float(6 * n + 3),
    )


def structure_claim(claims: list[ClaimResult]) -> ClaimResult:
    """P4 through E1-I: the one fixed token-wise head realises every target h_p(z) of this instance to its ε_h
    by its prefix alone; decided by the E1-I budget identity and the per-head error claim (no stronger evidence)."""
    by_id = {c.id: c for c in claims}
    basis = [by_id["E1I.budget-identity"], by_id["E1I.error"]]
    verdict = Verdict.combine(c.verdict for c in basis)
    return ClaimResult(
        "P4.via-E1I", "P4: one head of the fixed token-wise structure (query (z, 1, e_p), W_V reading the slot) is a token-wise "
        "approximator under prefix-tuning: every ψ_(p,q) and Φ_(j,q) here is met to its ε_h by a prefix alone",
        verdict, Kind.PAPER, "from E1I.budget-identity and E1I.error", evidence=Evidence.weakest(c.evidence for c in basis),
    )
