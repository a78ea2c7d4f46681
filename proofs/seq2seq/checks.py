"""The claims of S1 on a built construction: derivations (exact), each token-wise head against E1-I
(exact bounds, sampled parts), and the end-to-end error over sequences (sampled).

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

import mpmath
import numpy as np
import sympy

from verifier.attention import forward_matrix_sympy
from verifier.claims import (ClaimResult, Evidence, Kind, TwoPaths, Verdict, claim_holds, claim_identity, claim_le, claim_le_certified,
                             claim_sup_le)
from verifier.claims import two_paths_claim as framework_two_paths
from verifier.precision import PrecisionPolicy, exact_to_mp

from . import formulas as F
from .construction import Construction, HeadPlan
from .prefix import Z
from .ridge import sequence_symbols
from .search import sup_over_sequences
from .stream import Layer
from .tokenwise_form import derive_tokenwise
from .transformer import Transformer

QUANTITIES = ("error", *F.PARTS)
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
    failing one first, else the largest value/bound), naming the heads it fails for."""
    bad = [plan.name for plan, r in zip(c.plans, results) if r.verdict is not Verdict.PASS]
    idx = max(range(len(results)), key=lambda i: (results[i].verdict is not Verdict.PASS,
                                                   (results[i].value or 0) / max(results[i].bound or 1e-300, 1e-300)))
    chosen = results[idx]
    return replace(chosen, id=id, statement=statement,
                   method=f"{method} for {len(results)} heads (shown: {c.plans[idx].name}); " + chosen.method.lstrip("; "),
                   detail="; ".join(filter(None, [chosen.detail, f"fails for {bad}" if bad else ""])))


def head_claims(c: Construction, sups: dict, policy: PrecisionPolicy) -> list[ClaimResult]:
    """E1-I on every token-wise head: the covering and the part bounds from exact numbers (:func:`claim_le_certified`), then the sampled parts
    and the sampled error against them; each claim reports the worst head."""
    tol = policy.tolerance
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
    names = {"near": "step 2: near tokens (own position, |z − a_i| ≤ r) contribute ≤ L·r = ε_h/2",
             "far": "step 3: far tokens (own position, |z − a_i| > r) contribute ≤ 2B(K+1)e^{−λr²/4}",
             "other": "step 4: tokens of other positions contribute ≤ 2B(n−1)(K+1)e^{λδ²/2−γ}",
             "leak": "step 5: content tokens contribute ≤ nB·e^{Z²+2+λδ²/2−β−γ}",
             "error": "E1-I: every token-wise head has sup_{z∈I, p} |H(z, p) − h_p(z)| ≤ ε_h"}
    for quantity in QUANTITIES:
        if quantity == "other" and c.n == 1:
            claims.append(claim_holds("E1I.other", names["other"] + " (n = 1: there are no other positions)", True,
                                      Kind.PROOF_STEP, "exact: every prefix token belongs to the only position", value=0.0,
                                      bound=0.0))
            continue

        def bound_of(plan):
            if quantity == "error":
                return plan.accuracy
            return plan.budget(gamma)[F.PARTS.index(quantity)]
        rows = [(plan, sups[plan.name][quantity], bound_of(plan)) for plan in c.plans]
        plan, (value, agrees, (z, p), _), bound = max(rows, key=lambda r: float(r[1][0]) / float(sympy.N(r[2], 20)) if r[2] != 0 else 0)
        claims.append(claim_le(
            f"E1I.{quantity}", names[quantity] + f" (worst head: {plan.name})", value, sympy.N(bound, policy.verify_dps), tol,
            Kind.PROOF_STEP if quantity != "error" else Kind.THEOREM,
            f"sampled: each head alone on its interval at every position (grid, midpoints, {RANDOM_QUERIES} uniform z; other "
            f"registers ±Z), float64 scan, mpmath at the argmax at {policy.dps} and {policy.verify_dps} digits; witness (z, p)",
            witness=(z, p), precision_agrees=all(sups[pl.name][quantity][1] for pl in c.plans),
        ))
    return claims


# --------------------------------------------------------------------------------------------- end to end
class SequenceEvaluator:
    """max_j |y_j(x) − g_j(x)| through the windowed closed form (float64, mpmath)."""

    def __init__(self, c: Construction):
        self.c = c
        x = sequence_symbols(c.n)
        self._g = sympy.lambdify(x, list(c.form.target), "numpy")
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


def in_context_claims(c: Construction, X: np.ndarray, policy: PrecisionPolicy) -> list[ClaimResult]:
    """Over every sequence the end-to-end search evaluated: each token-wise head's input stays in its
    interval I (the propagation argument), and its output is within ε_h of its target at that input
    (the worst re-evaluated in mpmath)."""
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
    claims.append(claim_le(
        "S1.heads-in-context", f"inside the transformer every token-wise head is within its ε_h of its target (worst head: {name})",
        high, plan.accuracy, policy.tolerance, Kind.PROOF_STEP,
        f"sampled: the {len(X)} sequences of the end-to-end search (float64), the worst head and sequence in mpmath at "
        f"{policy.dps} and {policy.verify_dps} digits", witness=tuple(X[i]), precision_agrees=policy.agree(low, high),
    ))
    return claims


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


def end_to_end(c: Construction, policy: PrecisionPolicy, seed: int, points: int) -> tuple[list[ClaimResult], dict]:
    evaluator = SequenceEvaluator(c)
    sup, X = sup_over_sequences(evaluator.error_f64, evaluator.error_mp, c.n, policy, seed, points)
    bound = c.propagated_bound
    claims = [
        claim_le_certified("S1.propagated-bound",
                           "the propagated bound Σ_q (ε_Φ,q + Lip(Φ_(·,q))·n·ε_ψ,q) ≤ ε (leakage and the other-position term "
                           "inside each head's ε_h; Lip(Φ) on I_q enlarged by n·ε_ψ)",
                           bound, c.eps, Kind.PROOF_STEP, "exact sympy numbers"),
        claim_sup_le("S1.sup", f"S1: sup over x ∈ [0,1]^{c.n} of max_j |y_j(x) − g_j(x)| ≤ the propagated bound",
                     sup, sympy.N(bound, policy.verify_dps), policy.tolerance, Kind.THEOREM),
        *in_context_claims(c, X, policy),
        two_paths_claim(c, sup, policy, seed),
    ]
    return claims, {"sup_error": sup.to_json()}


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
