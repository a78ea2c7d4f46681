"""E1 on H0: the instances PASS, every negative control FAILs, the formulas match the spec."""

import mpmath
import numpy as np
import pytest

from proofs.single_head import theorem as e1
from proofs.single_head import claims as e1_claims
from proofs.single_head import construction as e1_construction
from proofs.single_head import cost as e1_cost
from proofs.single_head import evaluator as e1_evaluator
from proofs.h0.closed_form import closed_form_claim
from proofs.h0.head import h0_closed_form, h0_head
from verifier.attention import Head, derive_closed_form
from verifier.claims import Evidence, Verdict
from verifier.domains import covering_radius
from verifier.errors import InputError
from verifier.report.document import without_timing
from verifier.run import HypothesisRefuted, run


def claims_of(result):
    return {c.id: c for c in result.claims}


_HONEST: dict = {}


STATED = {"target": "sin(2*x0)/2", "lipschitz": "1", "bound": "1"}  # the default target with its exact constants


def _honest_run(m: int, eps: str):
    """The default-target instance (m, ε), run once per session (the fixture below and the spec figures share it)."""
    if (m, eps) not in _HONEST:
        # m = 3 is certified by the slow acceptance runs (about 100 s of branch and bound); here it is sampled
        _HONEST[m, eps] = run("single-head", {"dim": m, "eps": eps, "evidence": "sampled" if m == 3 else "auto"})
    return _HONEST[m, eps]


# m = 2 and 3 (15–20 s each) are slow; in the default run the same checks run at m = 1, and m = 2 is certified by
# test_vector_target_and_several_content_tokens
@pytest.fixture(scope="module", params=[(1, "0.2"), (1, "0.05"), pytest.param((2, "0.3"), marks=pytest.mark.slow),
                                        pytest.param((3, "1"), marks=pytest.mark.slow)], ids=lambda p: f"m{p[0]}-eps{p[1]}")
def honest(request):
    return _honest_run(*request.param)


def test_e1_instances_pass_every_claim(honest):
    assert honest.verdict is Verdict.PASS, [(c.id, c.verdict, c.detail) for c in honest.claims]
    sup = claims_of(honest)["E1.step5.sup"]
    assert 0 < sup.value <= sup.bound
    assert honest.facts["prefix_length"] <= honest.facts["prefix_length_bound"]


def test_every_proof_step_is_checked(honest):
    ids = set(claims_of(honest))
    assert {"H.lipschitz", "H.bound", "H0.closed-form", "F.two-paths", "E1.size", "E1.step1.covering",
            "E1.step2.near", "E1.step3.far-bound", "E1.step3.far", "E1.step4.leak-bound", "E1.step4.leak",
            "E1.step5.sup", "P1.via-E1", "P2.via-E1"} <= ids


def test_spec_figures_for_m1_eps005():
    """docs/single-head.md: m=1, ε=0.05: N=228, λ≈6.7·10⁴, sup error ≈ 0.015 (3–5× below ε)."""
    result = _honest_run(1, "0.05")  # {"dim": 1, "eps": "0.05"}, evidence auto (the default)
    assert result.facts["prefix_length"] == 228 and result.facts["n"] == 57
    L, B = result.parameters["lipschitz"], result.parameters["bound"]  # certified (auto): 1.00001, 0.500001
    assert result.facts["lambda"] == pytest.approx(4 / (0.05 / (2 * L))**2 * np.log(8 * B * 228 / 0.05), rel=1e-12)
    assert 0.05 / 5 <= result.facts["sup_error"]["value"] <= 0.05 / 3


@pytest.mark.parametrize("tamper, broken_step", [
    ("short-prefix", "E1.step1.covering"),
    ("small-lambda", "E1.step3.far-bound"),
    ("wrong-values", "E1.step2.near"),
])
@pytest.mark.parametrize("m, eps", [(1, "0.2"), pytest.param(2, "0.3", marks=pytest.mark.slow)])  # m = 2: 5–30 s each
def test_tampered_constructions_fail_with_witness(tamper, broken_step, m, eps):
    # 5 000 cells: a small budget that still decides the default target's auto constants
    result = run("single-head", {"dim": m, "eps": eps, "tamper": tamper, "cert_cells": "5000"})
    claims = claims_of(result)
    assert result.verdict is Verdict.FAIL
    sup = claims["E1.step5.sup"]
    assert sup.verdict is Verdict.FAIL and sup.value > sup.bound
    assert len(sup.witness) == m + 1 and np.isclose(np.linalg.norm(sup.witness), 1)
    assert claims[broken_step].verdict is Verdict.FAIL
    assert claims["F.two-paths"].verdict is Verdict.PASS  # the framework itself is still consistent


def test_false_lipschitz_constant_is_refuted_before_the_construction():
    with pytest.raises(HypothesisRefuted) as info:
        # 1 000 cells: B = 1 is attained, so the branch and bound of H.bound would spend its whole budget
        run("single-head", {"dim": 1, "eps": "0.1", "target": "sin(30*x0)", "lipschitz": "3", "bound": "1", "cert_cells": "1000"})
    lip = {c.id: c for c in info.value.claims}["H.lipschitz"]
    assert lip.verdict is Verdict.FAIL and lip.value == pytest.approx(30, rel=1e-6)
    assert "pass --lipschitz ≥ 30" in str(info.value)


@pytest.mark.parametrize("options, fix", [
    ({"eps": "0"}, "> 0"),
    ({"eps": "-0.1"}, "> 0"),
    ({"eps": "nan"}, "finite"),
    ({"eps": "5"}, "smaller --eps"),
    ({}, "needs --eps"),
    ({"eps": "0.1", "dim": "0"}, "--dim"),
    ({"eps": "0.1", "target": "x0"}, "--lipschitz L and --bound B"),
    ({"eps": "0.1", "target": "x3", "lipschitz": "1", "bound": "1"}, "--dim"),
    ({"eps": "0.1", "tamper": "nope"}, "short-prefix"),
    ({"eps": "0.001", "dim": "2"}, "--max-prefix"),
    ({"eps": "0.1", "dps": "10"}, "--dps"),
])
def test_bad_input_names_the_fix(options, fix):
    with pytest.raises(InputError, match=fix.replace("(", r"\(").replace("+", r"\+")):
        e1.THEOREM.parameters(**options)


@pytest.mark.parametrize("target", ["1/x0", "log(x1)", "1/(x0*x1)"])
def test_target_not_finite_on_sphere_is_bad_input(target):
    with pytest.raises(InputError, match="not finite"):
        run("single-head", {"dim": 1, "eps": "0.1", "target": target, "lipschitz": "1", "bound": "1"})


def test_vector_target_and_several_content_tokens():
    # L = 1.2: the true constant 1 is attained on the sphere, and a tie cannot be certified (it stays sampled)
    # ε = 1 (N = 152) and 2 000 points: certified in a third of the time of ε = 0.5 (N = 602)
    result = run("single-head", {"dim": 2, "eps": "1", "target": "(x0*x1, x2/2)", "lipschitz": "1.2",
                                 "bound": "1", "context": "3", "points": "2000"})
    assert result.verdict is Verdict.PASS
    assert result.evidence is Evidence.CERTIFIED, [(c.id, c.evidence, c.detail) for c in result.claims]
    assert result.parameters["d"] == 2 and result.parameters["context"] == 3


def test_closed_form_claim_and_its_negative_control():
    head = h0_head(2, 1)
    assert closed_form_claim(derive_closed_form(head, 2, 1)).verdict is Verdict.PASS
    doubled = Head(head.W_Q, 2 * head.W_K, head.W_V)
    assert closed_form_claim(derive_closed_form(doubled, 2, 1)).verdict is Verdict.FAIL


def test_two_paths_claim_fails_when_the_matrix_head_differs():
    params = e1.THEOREM.parameters(dim=1, eps="0.2", **STATED)
    head = h0_head(1, 1)
    evaluator = e1_evaluator.E1Evaluator(e1_construction.E1Construction(params), derive_closed_form(head, 1, 1))
    from verifier.domains import Sphere
    from verifier.supnorm import sup_search
    sups = sup_search(evaluator.parts_f64, evaluator.parts_mp, e1_evaluator.PARTS, Sphere(1), params.policy, 0, scan_points=500)
    assert e1_claims.two_paths_claim(evaluator, head, sups, params).verdict is Verdict.PASS
    negated = Head(head.W_Q, head.W_K, -head.W_V)
    claim = e1_claims.two_paths_claim(evaluator, negated, sups, params)
    assert claim.verdict is Verdict.FAIL and "FRAMEWORK ERROR" in claim.detail


def test_error_splits_exactly_into_near_far_leak():
    params = e1.THEOREM.parameters(dim=2, eps="0.5", tamper="small-lambda", **STATED)  # every part non-zero
    evaluator = e1_evaluator.E1Evaluator(e1_construction.E1Construction(params), h0_closed_form(2, 1))
    from verifier.domains import Sphere
    X = Sphere(2).uniform(50, 3)
    parts = evaluator.parts_f64(X)
    assert np.all(parts["error"] <= parts["near"] + parts["far"] + parts["leak"] + 1e-12)
    with mpmath.workdps(30):
        at = evaluator.parts_mp(X[0])
    for name in e1_evaluator.CONTINUOUS_PARTS:
        assert float(at[name]) == pytest.approx(parts[name][0], rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("m", [1, 2, 3])
def test_regular_simplex(m):
    with mpmath.workdps(30):
        V = e1_construction.regular_simplex_mp(m)
        assert len(V) == m + 2
        for i, a in enumerate(V):
            assert abs(mpmath.fdot(a, a) - 1) < mpmath.mpf(10) ** -25
            for b in V[i + 1:]:
                assert abs(mpmath.fdot(a, b) + mpmath.mpf(1) / (m + 1)) < mpmath.mpf(10) ** -25


def test_covering_for_m3_uses_the_proof_bound_and_fails_for_a_short_prefix():
    honest = e1_construction.E1Construction(e1.THEOREM.parameters(dim=3, eps="1", **STATED))
    claim = e1_claims.covering_claim(honest, covering_radius(honest.float64[0], seed=0))
    assert claim.verdict is Verdict.PASS and "applies" in claim.method
    short = e1_construction.E1Construction(e1.THEOREM.parameters(dim=3, eps="1", tamper="short-prefix", **STATED))
    assert e1_claims.covering_claim(short, covering_radius(short.float64[0], seed=0)).verdict is Verdict.FAIL


def test_same_inputs_same_verdicts_and_numbers():
    options = {"dim": 1, "eps": "0.2", "seed": 5, "cert_cells": "5000"}  # certified steps 1–5 need 112 cells
    a = run("single-head", options)
    b = run("single-head", dict(options))
    assert a.claims == b.claims  # a claim's seconds (timing) take no part in equality
    assert [without_timing(c.to_json()) for c in a.claims] == [without_timing(c.to_json()) for c in b.claims]


@pytest.mark.slow
@pytest.mark.parametrize("m, eps", [(2, "0.2"), (3, "0.5")])
def test_finer_instances_pass(m, eps):
    """Longer studies (about 10–30 s each): python -m pytest -m slow."""
    result = run("single-head", {"dim": m, "eps": eps})
    assert result.verdict is Verdict.PASS, [(c.id, c.verdict, c.detail) for c in result.claims]


def test_awkward_rational_constants_are_decided_without_expanding_powers():
    """L = 71417807/20000000 at ε = 0.1 made the leak bound e²·(8BN/ε)^(−λ-exponent) a rational power with a
    numerator of millions, which sympy expanded without end; the budget bounds are now compared in log form."""
    result = run("single-head", {"dim": 1, "eps": "0.1", "target": "sin(2*x0)/2", "lipschitz": "71417807/20000000",
                                 "bound": "1", "evidence": "sampled"})
    claims = claims_of(result)
    assert result.verdict is Verdict.PASS
    assert claims["E1.step3.far-bound"].evidence is Evidence.EXACT  # 2BN·e^{−λr²/4} = ε/4, by rationals
    assert claims["E1.step4.leak-bound"].evidence is Evidence.CERTIFIED and "below the float64 range" in claims["E1.step4.leak-bound"].detail


# ============================================================================ fast unit tests
# Added for mutation testing: each builds its own instance (no shared fixture, so that mutmut maps every
# test to the code it reaches) and runs in under 2 s; [tool.mutmut] selects them with `-k fast_`.
import sympy  # noqa: E402

from proofs.single_head import formulas as F  # noqa: E402
import re  # noqa: E402
from dataclasses import replace  # noqa: E402
from verifier.attention import Prefix, embedding_numpy, forward_matrix_numpy  # noqa: E402
from verifier.budget import Budget  # noqa: E402
from verifier.certify import Automatic  # noqa: E402
from verifier.claims import Kind  # noqa: E402
from verifier.domains import CoveringRadius, Sphere, farthest_point_candidates  # noqa: E402

QUICK = {"dim": 1, "eps": "0.2", "points": "100", "evidence": "sampled"}  # N = 60, a sampled check in < 1 s


def test_fast_construction_constants_for_m1_eps02():
    """r = ε/(2L) = 1/10, δ = r/√2, n = ⌈√m/δ⌉ = 15, N = 16² − 14² = 60 ≤ 2·2·16 = 64, λ = 400·ln(8·60/ε),
    β = max(0, 2 + ln 20 − λ(1 − δ²/2)) = 0; under small-lambda λ = 1 and β = 2 + ln 20 − 399/400 > 0."""
    c = e1_construction.E1Construction(e1.THEOREM.parameters(dim=1, eps="0.2", **STATED))
    assert c.m == 1 and c.r == sympy.Rational(1, 10) and c.delta == sympy.sqrt(2) / 20
    assert (c.n, c.N, c.N_bound, c.prefix_length, c.grid.n) == (15, 60, 64, 60, 15)
    assert sympy.simplify(c.lam - 400 * sympy.log(2400)) == 0 and c.beta == 0 and c.value_sign == 1
    coarse = e1_construction.E1Construction(e1.THEOREM.parameters(dim=1, eps="0.2", grid="20", **STATED))  # n given: N, λ re-derived
    assert (coarse.n, coarse.N, coarse.prefix_length) == (20, 80, 80)
    assert sympy.simplify(coarse.lam - 400 * sympy.log(3200)) == 0
    small = e1_construction.E1Construction(e1.THEOREM.parameters(dim=1, eps="0.2", tamper="small-lambda", **STATED))
    assert small.lam == 1 and sympy.simplify(small.beta - (sympy.Rational(401, 400) + sympy.log(20))) == 0
    short = e1_construction.E1Construction(e1.THEOREM.parameters(dim=1, eps="0.2", tamper="short-prefix", **STATED))
    assert short.prefix_length == 3 and short.N == 60  # the simplex replaces the grid; N is the theorem's


def test_fast_prefix_tokens_at_precision():
    """Token i = (λ p_i, β, f(p_i)) at the working precision (cached per precision), −f(p_i) under
    wrong-values, and the float64 copy rounded from it."""
    c = e1_construction.E1Construction(e1.THEOREM.parameters(dim=1, eps="0.2", **STATED))
    wrong = e1_construction.E1Construction(e1.THEOREM.parameters(dim=1, eps="0.2", tamper="wrong-values", **STATED))
    with mpmath.workdps(40):
        points, prefix = c.at_precision()
        assert c.at_precision()[1] is prefix
        lam = mpmath.mpf(400) * mpmath.log(2400)
        grid = c.grid.sphere_points_mp()
        for p, q, k, b, v, w in zip(points, grid, prefix.keys, prefix.biases, prefix.values, wrong.at_precision()[1].values):
            assert max(abs(a - e) for a, e in zip(p, q)) < mpmath.mpf(10) ** -38
            assert max(abs(ki - lam * pi) for ki, pi in zip(k, p)) < mpmath.mpf(10) ** -34
            assert b == 0 and abs(v[0] - mpmath.sin(2 * p[0]) / 2) < mpmath.mpf(10) ** -38 and w[0] == -v[0]
    X, fprefix = c.float64
    assert X.shape == (60, 2) and fprefix.tokens().shape == (60, 4)
    assert np.allclose(X, [[float(a) for a in p] for p in points], rtol=0, atol=1e-16)
    assert np.allclose(fprefix.keys, float(lam) * X, rtol=1e-15) and np.all(fprefix.biases == 0)


def test_fast_parameters_recorded_and_substituted():
    p = e1.THEOREM.parameters(dim=1, eps="0.2", target="sin(2*x0)/2", lipschitz="1", bound="1")
    assert p.certify and not e1.THEOREM.parameters(**QUICK).certify
    assert p.substitutions == {F.eps: sympy.Rational(1, 5), F.L: 1, F.B: 1, F.T: 1, F.V_c: 0, F.m: 1}
    assert p.exact(F.R) == sympy.Rational(1, 10)
    assert p.to_json() == {
        "dim": 1, "eps": 0.2, "eps_exact": "1/5", "target": "sin(2*x0)/2", "d": 1, "lipschitz": 1.0, "bound": 1.0,
        "context": 1, "seed": 0, "dps": 30, "verify_dps": 60, "points": 20000, "tamper": None, "grid": None,
        "evidence_mode": "auto", "cert_cells": 400000, "max_seconds": 900.0, "tight": False,
    }
    assert p.proved == {}


def test_fast_default_target_has_certified_constants():
    """With no --target the default sin(2*x0)/2 gets certified L and B (auto), kept as the hypotheses' proofs."""
    p = e1.THEOREM.parameters(dim=1, eps="0.2")
    assert (p.target.text, p.target.lipschitz, p.target.bound) == ("sin(2*x0)/2", sympy.Rational(100001, 100000),
                                                                   sympy.Rational(500001, 1000000))
    assert sorted(p.proved) == ["H.bound", "H.lipschitz"] and all(b.decided for b in p.proved.values())
    assert e1.number_or_auto("auto", "--bound") == "auto"
    assert e1.number_or_auto("0.25", "--bound") == sympy.Rational(1, 4)
    with pytest.raises(InputError, match="--bound"):
        e1.number_or_auto("x", "--bound")


def test_fast_bad_input_messages_name_the_numbers():
    with pytest.raises(InputError, match=r"ε ∈ \(0, 4L\] = \(0, 4\]"):
        e1.THEOREM.parameters(dim=1, eps="5", **STATED)
    with pytest.raises(InputError, match="needs N = 1178 prefix tokens for m = 2, ε = 3/10, L = 1 .*--max-prefix 1000"):
        e1.THEOREM.parameters(dim=2, eps="0.3", max_prefix="1000", **STATED)
    with pytest.raises(InputError, match="--lipschitz/--bound describe a --target"):
        e1.THEOREM.parameters(dim=1, eps="0.2", bound="1")
    with pytest.raises(InputError, match="8BN > ε"):
        e1.THEOREM.parameters(dim=1, eps="0.2", target="x0/10000", lipschitz="1", bound="1/10000")


def test_fast_parts_agree_between_float64_and_mpmath_and_the_truncated_sum_is_exact():
    """At points away from the near/far threshold, the four norms agree in float64 and mpmath; the
    mpmath sum over the tokens near x equals the sum over all N tokens to the working precision."""
    head = h0_head(1, 1)
    for tamper in (None, "small-lambda"):
        params = e1.THEOREM.parameters(dim=1, eps="0.2", tamper=tamper, **STATED)
        evaluator = e1_evaluator.E1Evaluator(e1_construction.E1Construction(params), derive_closed_form(head, 1, 1))
        X = np.array([[np.cos(t), np.sin(t)] for t in (0.3, 1.7, 4.0)])
        assert np.array_equal(evaluator.content_f64(X), X[:, None, :])
        f64 = evaluator.parts_f64(X)
        with mpmath.workdps(30):
            for i, x in enumerate(X):
                near = evaluator.near_tokens(x)
                assert (len(near) < 60) == (tamper is None)  # a large λ: only the tokens near x matter
                assert int(np.argmax(evaluator.c.float64[0] @ x)) in near
                cut, full = evaluator.parts_mp(x), evaluator.parts_mp(x, truncate=False)
                for name in e1_evaluator.PARTS:
                    assert abs(cut[name] - full[name]) < mpmath.mpf(10) ** -27
                    assert float(full[name]) == pytest.approx(f64[name][i], rel=1e-9, abs=1e-13)
                assert cut["error"] <= cut["near"] + cut["far"] + cut["leak"] + mpmath.mpf(10) ** -28


def test_fast_check_passes_and_each_tamper_fails_its_step():
    honest = e1.THEOREM.check(e1.THEOREM.parameters(**QUICK))
    claims = claims_of(honest)
    assert all(c.verdict is Verdict.PASS for c in honest.claims), [(c.id, c.detail) for c in honest.claims]
    assert list(claims) == ["H0.closed-form", "F.two-paths", "E1.size", "E1.step1.covering", "E1.step2.near",
                            "E1.step3.far-bound", "E1.step3.far", "E1.step4.leak-bound", "E1.step4.leak",
                            "E1.step5.sup", "P1.via-E1", "P2.via-E1"]
    facts = honest.facts
    assert (facts["prefix_length"], facts["prefix_length_bound"], facts["n"], facts["beta"]) == (60, 64, 15, 0.0)
    assert facts["lambda"] == pytest.approx(400 * np.log(2400), rel=1e-15)
    assert facts["r"] == 0.1 and facts["delta"] == pytest.approx(0.1 / np.sqrt(2), rel=1e-15)
    assert facts["sup_error"]["not_certified"] == "certification skipped (--evidence sampled)"
    assert 0 < claims["E1.step5.sup"].value <= 0.2 and claims["E1.step2.near"].bound == pytest.approx(0.1)
    assert claims["E1.step3.far"].bound == claims["E1.step4.leak"].bound == pytest.approx(0.05)
    for tamper, broken in (("small-lambda", "E1.step3.far-bound"), ("short-prefix", "E1.step1.covering"),
                           ("wrong-values", "E1.step2.near")):
        result = claims_of(e1.THEOREM.check(e1.THEOREM.parameters(**QUICK, tamper=tamper)))
        assert result[broken].verdict is Verdict.FAIL and result["E1.step5.sup"].verdict is Verdict.FAIL, tamper
        assert result["H0.closed-form"].verdict is Verdict.PASS and result["F.two-paths"].verdict is Verdict.PASS


def test_fast_covering_claim_on_s1_and_s2_is_exact():
    for dim, eps, method in ((1, "0.2", "exact-gaps"), (2, "0.5", "spherical-voronoi")):
        c = e1_construction.E1Construction(e1.THEOREM.parameters(dim=dim, eps=eps, **STATED))
        claim = e1_claims.covering_claim(c, covering_radius(c.float64[0]))
        assert claim.verdict is Verdict.PASS and claim.method.startswith(method) and claim.bound == float(c.delta)
    short = e1_construction.E1Construction(e1.THEOREM.parameters(dim=1, eps="0.2", tamper="short-prefix", **STATED))
    claim = e1_claims.covering_claim(short, covering_radius(short.float64[0]))
    assert claim.verdict is Verdict.FAIL and claim.value == pytest.approx(2 * np.sin(np.pi / 6), rel=1e-9)


def test_fast_cost_estimate_scales_as_its_model():
    """seconds: scan ∝ (points + 4608)·(N + T)·(m + 1 + d); mpmath ∝ (N + T)·(m + 1 + d)·(1 + (dps/140)²);
    memory of the mpmath prefix ∝ (N + T)·(m + 1 + d)·(80 + dps)."""
    p = e1.THEOREM.parameters(dim=1, eps="0.2", **STATED)
    base = e1_cost.cost_estimate(p, 60)
    more = e1_cost.cost_estimate(e1.THEOREM.parameters(dim=1, eps="0.2", points="40000", dps="140", context="62", **STATED), 60)
    scan, mp, mem = "the float64 scan (--points, --context)", "the mpmath evaluations (--dps, --context)", "the prefix in mpmath (--dps)"
    assert more.seconds[scan] / base.seconds[scan] == pytest.approx(2 * (40000 + 4608) / (20000 + 4608), rel=1e-12)
    assert more.seconds[mp] / base.seconds[mp] == pytest.approx(2 * 2 / (1 + (30 / 140) ** 2), rel=1e-12)
    assert more.bytes[mem] / base.bytes[mem] == pytest.approx(2 * 220 / 110, rel=1e-12)
    assert base.seconds[scan] == pytest.approx(24608 * 61 * 3 * 1.5e-9, rel=1e-12)


def test_fast_instances_formulas_and_figures():
    names = [n for n, _ in e1.THEOREM.default_instances()]
    assert names == ["single-head-m1-eps0.2", "single-head-m1-eps0.05", "single-head-m2-eps0.5", "single-head-m2-eps0.3"]
    assert all(o["lipschitz"] == o["bound"] == "auto" for _, o in e1.THEOREM.default_instances())
    assert all(set(o) == {"dim", "eps", "target", "lipschitz", "bound"} for _, o in e1.THEOREM.default_instances())
    assert [(n, o["points"], o["dim"], o["eps"]) for n, o in e1.THEOREM.quick_instances()] == [("single-head-m1-eps0.2", "5000", 1, "0.2"),
                                                                           ("single-head-m2-eps0.5", "5000", 2, "0.5")]
    formulas = dict(e1.THEOREM.report_formulas())
    assert len(formulas) == 14 and formulas["radius"] == sympy.Eq(sympy.Symbol("r"), F.R)
    [curve] = e1.THEOREM.report_figures(e1.THEOREM.parameters(**QUICK))
    assert curve["id"] == "error-s1" and len(curve["x"]["values"]) == 4097 and len(curve["markers"]["x"]) == 60
    assert curve["band"] == {"low": -0.2, "high": 0.2, "label": "±ε"} and max(map(abs, curve["series"][0]["values"])) < 0.2
    [surface] = e1.THEOREM.report_figures(e1.THEOREM.parameters(dim=2, eps="0.5", points="100", **STATED))
    assert surface["id"] == "error-s2" and np.array(surface["z"]).shape == (121, 241) and np.max(surface["z"]) < 0.5
    assert e1.THEOREM.report_figures(e1.THEOREM.parameters(dim=3, eps="1", points="100", **STATED)) == []


def test_fast_claim_statements_kinds_and_methods():
    """What the report shows for each claim: the statement, the kind and how it was decided."""
    from verifier.claims import Kind
    params = e1.THEOREM.parameters(**QUICK)
    claims = claims_of(e1.THEOREM.check(params))
    sampled = "sampled: float64 scan + Nelder-Mead refinement on the sphere"
    expected = {
        "H0.closed-form": ("H(x) = Σ_i e^{⟨x,k_i⟩+b_i} v_i / (Σ_i e^{⟨x,k_i⟩+b_i} + Σ_c e^{⟨x,u_c⟩+1}), derived from (W_Q, "
                           "W_K, W_V) with a generic prefix token (k, b, v) and content token (u, 1, 0)", Kind.THEOREM,
                           "sympy: expand(derived − stated) = 0 for every score and value"),
        "E1.size": ("the prefix has N = (n+1)^(m+1) − (n−1)^(m+1) tokens and N ≤ 2(m+1)(n+1)^m", Kind.PROOF_STEP,
                    "exact integers: n = 15, prefix tokens = 60, N = 60, 2(m+1)(n+1)^m = 64"),
        "E1.step1.covering": ("step 1 (covering): every x ∈ S^1 has a prefix point within δ = r/√2", Kind.PROOF_STEP,
                              "exact-gaps (float64 geometry; margin must exceed 1e-9)"),
        "E1.step2.near": ("step 2: near points (‖x−p_i‖ ≤ r) contribute at most L·r = ε/2", Kind.PROOF_STEP, sampled),
        "E1.step3.far-bound": ("step 3 (bound): 2BN·e^{−λr²/4} ≤ ε/4", Kind.PROOF_STEP,
                               "exact sympy numbers with the construction's N, λ; equality proved with rational arithmetic"),
        "E1.step3.far": ("step 3: far points (‖x−p_i‖ > r) contribute at most ε/4", Kind.PROOF_STEP, sampled),
        "E1.step4.leak-bound": ("step 4 (bound): T(B+V_c)e²·e^{−λ(1−δ²/2)−β} ≤ ε/4", Kind.PROOF_STEP,
                                "exact sympy numbers with the construction's λ, β; sign of ln(value) − ln(bound) by arb balls"),
        "E1.step4.leak": ("step 4: content-token leakage is at most ε/4", Kind.PROOF_STEP, sampled),
        "E1.step5.sup": ("step 5 / E1: sup over S^1 of ‖H(x) − f(x)‖ ≤ ε", Kind.THEOREM,
                         sampled + " + compass search in mpmath at 30 digits"),
    }
    for id, (statement, kind, method) in expected.items():
        assert (claims[id].statement, claims[id].kind) == (statement, kind), id
        assert claims[id].method.startswith(method), (id, claims[id].method)
    assert claims["F.two-paths"].kind is Kind.FRAMEWORK and claims["F.two-paths"].bound == 1e-10
    assert (claims["E1.size"].value, claims["E1.size"].bound) == (60.0, 64.0)
    for id in ("E1.step3.far-bound", "E1.step4.leak-bound"):  # e^{log value} ≤ e^{log(ε/4)}
        assert claims[id].bound == pytest.approx(0.05, rel=1e-15)
    assert claims["E1.step3.far-bound"].value == pytest.approx(0.05, rel=1e-15)  # the budget is spent exactly
    # the same seed scans the same points: the same argmax and value
    again = claims_of(e1.THEOREM.check(params))["E1.step5.sup"]
    assert again.value == claims["E1.step5.sup"].value and np.array_equal(again.witness, claims["E1.step5.sup"].witness)


def test_fast_hypotheses_are_sampled_with_the_instance_points():
    claims = {c.id: c for c in e1.THEOREM.hypotheses(e1.THEOREM.parameters(**QUICK))}
    assert set(claims) == {"H.lipschitz", "H.bound"}
    assert all(c.verdict is Verdict.PASS and c.evidence is Evidence.SAMPLED for c in claims.values())
    assert claims["H.lipschitz"].value == pytest.approx(1, abs=1e-3) and claims["H.bound"].value == pytest.approx(0.5, abs=1e-5)
    assert "100 points" in claims["H.lipschitz"].method and "30 and 60 digits" in claims["H.bound"].method


def test_fast_report_formulas_and_figure_texts():
    formulas = dict(e1.THEOREM.report_formulas())
    assert list(formulas) == [
        "prefix score (derived)", "content score (derived)", "prefix value (derived)", "content value (derived)",
        "H(x) with one prefix token (k, b, v) and one content token u (derived)", "radius", "covering radius",
        "grid cells per edge", "prefix length", "bound on the prefix length", "temperature", "offset",
        "error budget: near + far + leak", "P2's exponent"]
    cf = h0_closed_form(1, 1)
    x0, x1, k0, k1, b, u0, u1, v0 = (*cf.x, *cf.k, cf.b, *cf.u, *cf.v)
    assert formulas["prefix score (derived)"] == sympy.Eq(sympy.Symbol("sigma_prefix"), k0 * x0 + k1 * x1 + b)
    assert formulas["content score (derived)"] == sympy.Eq(sympy.Symbol("sigma_content"), u0 * x0 + u1 * x1 + 1)
    assert formulas["prefix value (derived)"] == sympy.Eq(sympy.Symbol("nu_prefix"), v0)
    assert formulas["content value (derived)"] == sympy.Eq(sympy.Symbol("nu_content"), 0)
    H = formulas["H(x) with one prefix token (k, b, v) and one content token u (derived)"]
    assert H.lhs == sympy.Symbol("H") and H.rhs == cf.output(1, 1)[0]
    for label, symbol, formula in (("radius", "r", F.R), ("covering radius", "delta", F.DELTA), ("grid cells per edge", F.n, F.CELLS),
                                   ("prefix length", F.N, F.PREFIX_LENGTH), ("temperature", F.lam, F.TEMPERATURE),
                                   ("offset", F.beta, F.OFFSET), ("P2's exponent", "e_P2", F.P2_EXPONENT)):
        assert formulas[label] == sympy.Eq(sympy.Symbol(symbol) if isinstance(symbol, str) else symbol, formula), label
    assert formulas["bound on the prefix length"] == sympy.Le(F.PREFIX_LENGTH, F.PREFIX_LENGTH_BOUND)
    assert sympy.simplify(formulas["error budget: near + far + leak"].rhs - sum(F.BUDGET)) == 0

    params = e1.THEOREM.parameters(**QUICK)
    [curve] = e1.THEOREM.report_figures(params)
    assert (curve["kind"], curve["title"], curve["caption"]) == (
        "curve", "H − f on S¹ (ε = 0.2, N = 60)", "float64 closed form at 4097 angles; the band is ±ε; dots: the prefix points p_i")
    assert (curve["x"]["label"], [s["label"] for s in curve["series"]], curve["markers"]["label"]) == (
        "θ (x = (cos θ, sin θ))", ["H − f"], "prefix points")
    theta = np.array(curve["x"]["values"])
    assert theta[0] == -np.pi and theta[-1] == np.pi and np.allclose(np.diff(theta), 2 * np.pi / 4096)
    points = e1_construction.E1Construction(params).float64[0]
    assert np.allclose(curve["markers"]["x"], np.arctan2(points[:, 1], points[:, 0]))
    # a marker is H − f at its prefix point, where the weight concentrates on that point's token: ≈ 0
    assert max(map(abs, curve["markers"]["y"])) < 1e-4 < max(map(abs, curve["series"][0]["values"]))
    [surface] = e1.THEOREM.report_figures(e1.THEOREM.parameters(dim=2, eps="0.5", points="100", **STATED))
    assert (surface["kind"], surface["title"], surface["z_label"]) == ("map", "‖H − f‖ on S² (ε = 0.5, N = 386)", "‖H − f‖")
    assert surface["caption"] == (f"equirectangular, float64 closed form on a 241 × 121 grid; max {np.max(surface['z']):.4g} "
                                  "against ε = 0.5; dots: the prefix points p_i")
    assert (surface["x"]["label"], surface["y"]["label"], surface["markers"]["label"]) == ("longitude φ", "latitude", "prefix points")
    assert surface["x"]["values"][0] == -np.pi and surface["y"]["values"][-1] == np.pi / 2
    lat = np.array(surface["markers"]["y"])
    assert len(lat) == 386 and np.all(np.abs(lat) <= np.pi / 2) and lat.max() == pytest.approx(np.pi / 2)


def test_fast_covering_claim_when_only_sampling_is_possible():
    """m ≥ 3: a sampled covering estimate is a lower bound, so a PASS needs the E1 grid's proof bound √m/n ≤ δ;
    a prefix that is not the grid gets at most INCONCLUSIVE however small the sampled estimate."""
    from verifier.claims import Kind
    from verifier.domains import CoveringRadius
    honest = e1_construction.E1Construction(e1.THEOREM.parameters(dim=3, eps="1", **STATED))
    claim = e1_claims.covering_claim(honest, covering_radius(honest.float64[0], seed=0))
    assert (claim.id, claim.verdict, claim.kind) == ("E1.step1.covering", Verdict.PASS, Kind.PROOF_STEP)
    assert claim.statement == "step 1 (covering): every x ∈ S^3 has a prefix point within δ = r/√2"
    assert claim.method.startswith("sampled lower estimate (200000 points) + the proof bound √m/n = 0.34641 (applies)")
    assert claim.witness is not None and len(claim.witness) == 4
    coarse = e1_construction.E1Construction(e1.THEOREM.parameters(dim=3, eps="1", grid="4", **STATED))  # √3/4 > δ: the proof bound fails
    tiny = CoveringRadius(0.01, np.array([1.0, 0, 0, 0]), "sampled", 1000)
    for construction, method in ((coarse, "(applies)"), (e1_construction.E1Construction(e1.THEOREM.parameters(dim=3, eps="1", tamper="short-prefix", **STATED)),
                                                         "(does not apply: not the E1 grid)")):
        claim = e1_claims.covering_claim(construction, tiny)
        assert claim.verdict is Verdict.INCONCLUSIVE and claim.detail == "sampling cannot prove a covering radius"
        assert claim.method.startswith("sampled lower estimate (1000 points)") and method in claim.method
        assert claim.id == "E1.step1.covering" and claim.kind is Kind.PROOF_STEP and claim.witness is not None
    exact = e1_construction.E1Construction(e1.THEOREM.parameters(dim=1, eps="0.2", **STATED))
    claim = e1_claims.covering_claim(exact, covering_radius(exact.float64[0]))
    assert claim.witness is not None and len(claim.witness) == 2


def test_fast_closed_form_claim_details_and_the_budget_formula():
    head = h0_head(1, 1)
    honest = closed_form_claim(derive_closed_form(head, 1, 1))
    assert honest.detail == ""
    broken = closed_form_claim(derive_closed_form(Head(head.W_Q, 2 * head.W_K, head.W_V), 1, 1))
    assert broken.verdict is Verdict.FAIL and broken.detail.startswith("non-zero residuals: [")
    budget = dict(e1.THEOREM.report_formulas())["error budget: near + far + leak"]
    assert budget.lhs == sympy.Symbol("budget") and budget.rhs.args == F.BUDGET  # unevaluated: near, far, leak in order


def test_truncated_float64_scan_equals_the_dense_one(monkeypatch):
    """The float64 scan over each row group's near tokens equals the scan over all N tokens to
    float64 rounding; a cut that drops tokens that matter (digits −3) is visibly different."""
    from verifier.domains import Sphere
    params = e1.THEOREM.parameters(dim=2, eps="0.5", **STATED)
    c = e1_construction.E1Construction(params)
    cf = h0_closed_form(2, 1)
    X = Sphere(2).scan_points(2000, 3)
    dense = e1_evaluator.E1Evaluator(c, cf, truncate=False).parts_f64(X)
    truncated = e1_evaluator.E1Evaluator(c, cf).parts_f64(X)
    assert all(np.max(np.abs(dense[k] - truncated[k])) <= 1e-14 for k in e1_evaluator.PARTS)
    monkeypatch.setattr(e1_evaluator, "FLOAT64_DIGITS", -3)
    coarse = e1_evaluator.E1Evaluator(c, cf).parts_f64(X)
    assert all(np.array_equal(dense[k], e1_evaluator.E1Evaluator(c, cf, truncate=False).parts_f64(X)[k]) for k in e1_evaluator.PARTS)  # no cut
    assert max(np.max(np.abs(dense[k] - coarse[k])) for k in e1_evaluator.PARTS) > 1e-6


def _evaluator(**options):
    """An E1 evaluator on H0 for the instance ``options`` (the parameters' defaults otherwise)."""
    params = e1.THEOREM.parameters(**{**STATED, **options})
    return e1_evaluator.E1Evaluator(e1_construction.E1Construction(params), h0_closed_form(params.dim, params.target.d))


def test_fast_cost_estimate_term_by_term():
    """Every term of the cost model for a vector target (d = 2, 4 nodes) on S² with N = 386, T = 3, 1 000 points and
    50 digits, worked out by hand from the model in cost.py's comment (MP_EVALUATIONS = 400, MP_TOKEN = 4.2·10⁻⁶ s,
    SCAN_CELL = 1.5·10⁻⁹ s, TARGET_NODE_F64 = 10⁻⁸ s, TARGET_NODE_MP = 6·10⁻⁶ s, 100 B per point coordinate,
    64 B per chunk cell, SCAN_CELLS = 4·10⁶): 5 608 scan points, 389 tokens, width m + 1 + d = 5."""
    options = dict(dim=2, eps="0.5", points="1000", context="3", dps="50", target="(x0, x1*x2)", lipschitz="2",
                   bound="1", seed="3")
    estimate = e1_cost.cost_estimate(e1.THEOREM.parameters(**options), 386)
    assert estimate.seconds == pytest.approx({
        "the float64 scan (--points, --context)": 0.01636134,  # 5 608 · 389 · 5 · 1.5e-9
        "the mpmath evaluations (--dps, --context)": 722.1396 / 196,  # 400 · 389 · 5 · 4.2e-6 · (1 + 25/196)
        "evaluating the target (--target)": 0.02835232,  # 4 · (5 608 · 1e-8 + (772 + 400) · 6e-6)
    }, rel=1e-12)
    assert list(estimate.seconds)[0] == "the float64 scan (--points, --context)"  # the order the message lists
    assert estimate.bytes == {"the scan points (--points)": 1_682_400,  # 5 608 · 100 · 3
                              "the scan chunks": 1_280_000_000,  # 4e6 · 64 · 5
                              "the prefix in mpmath (--dps)": 1_011_400}  # 389 · 5 · 4 · (80 + 50)
    # A refusal names the largest term by its label, and the label names the options that shrink it: raising an
    # option a label names raises that term; --dps moves exactly the terms that name it; --seed moves none.
    terms = {**estimate.seconds, **estimate.bytes}
    for option, larger in (("points", "3000"), ("context", "6"), ("dps", "100"), ("target", "(x0, x1*x2 + x0*x1)"),
                           ("seed", "4")):
        moved = e1_cost.cost_estimate(e1.THEOREM.parameters(**{**options, option: larger}), 386)
        after = {**moved.seconds, **moved.bytes}
        flag = "--" + option
        assert all(after[label] > terms[label] for label in terms if flag in label), option
        if option == "dps":
            assert {label for label in terms if after[label] != terms[label]} == {label for label in terms if flag in label}
        if option == "seed":
            assert after == terms


def test_fast_sup_search_gets_the_scan_of_the_construction(monkeypatch):
    """The sup search scans --points with the seed, its extra points are the covering witness followed by the
    farthest-point candidates (none known on S³), only ‖H − f‖ is polished, a chunk holds
    SCAN_CELLS // (N + T) rows, and a certified instance refines only ‖H − f‖ (its parts rest on their
    certified bounds), a sampled one every part."""
    calls = []
    monkeypatch.setattr(e1_evaluator, "sup_search", lambda *args, **kw: calls.append((args, kw)) or "searched")
    for dim, eps, N in ((1, "0.2", 60), (3, "1", 1040)):
        evaluator = _evaluator(dim=dim, eps=eps, points="150", context="2", seed="3", dps="40")
        rho = covering_radius(evaluator.c.float64[0], seed=3)
        assert evaluator.c.prefix_length == N and evaluator.sups(rho) == "searched"
        (f64, mp, names, sphere, policy, seed), kw = calls.pop()
        assert (f64, mp, names, sphere, policy, seed) == (evaluator.parts_f64, evaluator.parts_mp, e1_evaluator.PARTS, Sphere(dim),
                                                         evaluator.c.params.policy, 3)
        assert set(kw) == {"scan_points", "extra_points", "polish", "chunk_rows", "refined"}
        assert (kw["scan_points"], kw["polish"], kw["chunk_rows"]) == (150, ("error",), 4_000_000 // (N + 2))
        assert kw["refined"] == ("error",)
        farthest = farthest_point_candidates(evaluator.c.float64[0])
        expected = [rho.witness] + ([] if farthest is None else list(farthest[0]))
        assert (farthest is None) == (dim == 3) and np.array_equal(kw["extra_points"], np.array(expected))
    sampled = _evaluator(dim=1, eps="0.2", points="150", evidence="sampled")
    sampled.sups(covering_radius(sampled.c.float64[0], seed=0))
    assert calls.pop()[1]["refined"] is None


def test_fast_near_tokens_keep_every_token_that_matters_and_few_others():
    """near_tokens(x, digits) (digits = dps + 6 by default) keeps the prefix tokens whose softmax weight matters to
    that many digits: the dropped ones weigh, all together and times the value scale V + B + 1, less than 10^−digits
    relative to the heaviest token, and each kept one more than 10^−(digits+4); more digits keep a superset (one digit
    more, a larger set at most points here); the nearest token is always kept, and with λ = 1 every token. The weights e^{⟨k_i, x⟩ + b_i − max} are computed here
    from the prefix tokens at 50 digits, not from the cut's formula; many points have a dropped token within five
    decades of the limit, so a cut moved by a decade either way is seen."""
    evaluator = _evaluator(dim=2, eps="0.5")
    values = evaluator.c.float64[1].values
    V = float(np.max(np.abs(values)))
    assert V <= evaluator._value_bound <= V * (1 + 1e-6)  # a bound of max|ν|, and a close one
    assert evaluator._lam_f64 == pytest.approx(float(sympy.N(evaluator.c.lam, 30)), rel=2e-16)
    scale = V + 1 + 1  # V + B + 1 with B = 1
    near_the_limit = one_digit_fewer = 0
    with mpmath.workdps(50):
        _, prefix = evaluator.c.at_precision()
        for x in Sphere(2).scan_points(100, 5):
            xm = [mpmath.mpf(float(v)) for v in x]
            score = [mpmath.fdot(k, xm) + b for k, b in zip(prefix.keys, prefix.biases)]
            top = max(score)
            weight = [mpmath.exp(s - top) for s in score]
            kept = {}
            for dps, digits in ((30, None), (50, None), (30, 20)):
                with mpmath.workdps(dps):
                    got = evaluator.near_tokens(x, digits)
                d = dps + 6 if digits is None else digits
                dropped = [weight[i] for i in range(len(weight)) if i not in set(got)]
                assert got == sorted(got) and score.index(top) in got, (x, dps, digits)
                assert mpmath.fsum(dropped) * scale < mpmath.mpf(10) ** -d, (x, dps, digits)
                assert min(weight[i] for i in got) > mpmath.mpf(10) ** -(d + 4), (x, dps, digits)
                near_the_limit += bool(dropped) and max(dropped) > mpmath.mpf(10) ** -(d + 5)
                kept[dps, digits] = set(got)
            assert kept[30, 20] <= kept[30, None] <= kept[50, None]
            for dps in (30, 50):  # the default is dps + 6 digits
                with mpmath.workdps(dps):
                    assert kept[dps, None] == set(evaluator.near_tokens(x, dps + 6))
                    one_digit_fewer += kept[dps, None] != set(evaluator.near_tokens(x, dps + 5))
            assert len(kept[50, None]) < 386 / 4  # a large λ: the cut drops most tokens
    assert near_the_limit > 100 and one_digit_fewer > 50, (near_the_limit, one_digit_fewer)
    small = _evaluator(dim=2, eps="0.5", tamper="small-lambda")
    assert small.near_tokens(np.array([0.0, 0.0, 1.0])) == list(range(386))


def test_fast_hypotheses_get_the_capped_budget(monkeypatch):
    """The hypotheses run with the instance's cell budget capped at HYPOTHESIS_CELLS = 50 000 (and its runaway guard),
    its precision, seed and points, certify unless --evidence sampled, and get the proofs of the auto constants."""
    calls = []
    monkeypatch.setattr("verifier.certify.certified_hypotheses", lambda *args, **kw: calls.append((args, kw)) or ["claims"])
    stated = {"target": "sin(2*x0)/2", "lipschitz": "1", "bound": "1"}
    for options, budget, certify in (({}, Budget(50_000, 900), True), ({"cert_cells": "10", "max_seconds": "5"}, Budget(10, 5), True),
                                     ({"cert_cells": "60000", "evidence": "sampled", "seed": "4", "points": "700"},
                                      Budget(50_000, 900), False)):
        params = e1.THEOREM.parameters(dim=1, eps="0.2", **stated, **options)
        assert e1.THEOREM.hypotheses(params) == ["claims"]
        args, kw = calls.pop()
        assert args == (params.target, params.policy, params.seed, params.points, budget)
        assert kw == {"certify": certify, "proved": {}}
    params = e1.THEOREM.parameters(dim=1, eps="0.2")
    e1.THEOREM.hypotheses(params)
    assert calls.pop()[1]["proved"] is params.proved and sorted(params.proved) == ["H.bound", "H.lipschitz"]


@pytest.mark.parametrize("tamper", [None, "short-prefix"])  # the grid is centrally symmetric, the 4-point simplex is not
def test_fast_truncation_tail_bounds_the_dropped_tokens(tamper):
    """truncation_tail bounds the D dropped tokens' weight relative to the best kept one, times the scale
    V + ‖f(x)‖ + 1, by D times three times the heaviest of them: here the weights come from the tokens' scores
    ⟨k_i, x⟩ + b_i at 30 digits (not from the chord distances the code uses), and the tail lies between 3·D·w_max·scale
    (never below: its 10⁻⁹ guard on the chord errs upwards) and 10⁻⁵ above it; it stays below 10^−(dps+5) for the
    cut of near_tokens."""
    evaluator = _evaluator(dim=2, eps="0.5", context="2", tamper=tamper)
    seen = 0
    with mpmath.workdps(30):
        points, prefix = evaluator.c.at_precision()
        V = max(abs(v) for value in prefix.values for v in value)
        for x in Sphere(2).scan_points(30, 9):
            xm = [mpmath.mpf(float(v)) for v in x]
            kept = evaluator.near_tokens(x)
            dropped = [i for i in range(len(points)) if i not in kept]
            if not dropped:
                continue
            seen += 1
            sub = Prefix([prefix.keys[i] for i in kept], [prefix.biases[i] for i in kept], [prefix.values[i] for i in kept])
            fx = evaluator.target.mp(xm)
            tail = evaluator.truncation_tail(xm, sub, fx)
            score = [mpmath.fdot(k, xm) + b for k, b in zip(prefix.keys, prefix.biases)]
            best = max(score[i] for i in kept)
            weights = [mpmath.exp(score[i] - best) for i in dropped]
            scale = V + mpmath.norm(fx) + 1
            worst = 3 * len(dropped) * max(weights) * scale
            assert mpmath.fsum(weights) * scale <= worst <= tail <= worst * (1 + mpmath.mpf(10) ** -5), (x, tail / worst)
            assert tail < mpmath.mpf(10) ** -35
    assert seen >= 20


def test_fast_parts_mp_stops_on_a_wrong_cut(monkeypatch):
    """parts_mp stops when the tail exceeds 10^−(dps+3) (exactly that value passes) and says how large it was;
    truncate=False sums over every token and needs no cut."""
    evaluator = _evaluator(dim=2, eps="0.5", context="2")
    x = np.array([0.6, 0.0, 0.8])
    with mpmath.workdps(30):
        limit = mpmath.mpf(10) ** -33
        monkeypatch.setattr(e1_evaluator.E1Evaluator, "truncation_tail", lambda self, *args: limit)
        evaluator.parts_mp(x)  # exactly 10^−(dps+3): accepted
        monkeypatch.setattr(e1_evaluator.E1Evaluator, "truncation_tail", lambda self, *args: limit * (1 + mpmath.mpf(10) ** -20))
        with pytest.raises(AssertionError, match=r"^truncation of the mpmath sum too coarse: tail 1\.0e-33$"):
            evaluator.parts_mp(x)
        monkeypatch.setattr(e1_evaluator.E1Evaluator, "truncation_tail", lambda self, *args: limit * mpmath.mpf("1.23456"))
        with pytest.raises(AssertionError, match=r"^truncation of the mpmath sum too coarse: tail 1\.23e-33$"):
            evaluator.parts_mp(x)
        monkeypatch.undo()
        points = evaluator.c.float64[0]
        monkeypatch.setattr(e1_evaluator.E1Evaluator, "near_tokens", lambda self, x, digits=None: [int(np.argmax(points @ x))])
        with pytest.raises(AssertionError, match="truncation of the mpmath sum too coarse"):
            evaluator.parts_mp(x)  # only the nearest token kept: its neighbours weigh far more than 10^−33
        full = evaluator.parts_mp(x, truncate=False)  # no cut consulted
        assert e1_evaluator.E1Evaluator(evaluator.c, evaluator.cf, truncate=False).parts_mp(x) == full
        monkeypatch.undo()
        assert abs(full["error"] - evaluator.parts_mp(x)["error"]) < mpmath.mpf(10) ** -28


def test_fast_two_paths_claim_scale_numbers_and_failure_detail(monkeypatch):
    """The agreement bounds are 10⁻¹⁰·max(1, B) (float64, at 512 scan points of seed + 7) and the precision's
    tolerance·max(1, B) (mpmath, at the argmax); the claim records the larger gap relative to max(1, B) against
    10⁻¹⁰; only the continuous parts (‖H − f‖ and the leak) must agree between float64 and mpmath, near/far may
    not at the threshold. The rule is verifier.claims.two_paths_claim's, the paths proofs.h0.two_paths'."""
    from proofs.h0 import two_paths as h0_two_paths

    for target, L, B, scale in (("sin(2*x0)/4", "1/2", "1/2", 1.0), ("3*sin(x0)", "3", "3", 3.0)):
        evaluator = _evaluator(dim=1, eps="0.2", points="100", target=target, lipschitz=L, bound=B, evidence="sampled", seed="2")
        params, head = evaluator.c.params, h0_head(1, 1)
        sups = evaluator.sups(covering_radius(evaluator.c.float64[0]))
        claim = e1_claims.two_paths_claim(evaluator, head, sups, params)
        assert (claim.id, claim.verdict, claim.kind, claim.evidence, claim.detail) == (
            "F.two-paths", Verdict.PASS, Kind.FRAMEWORK, Evidence.SAMPLED, "")
        assert claim.statement == ("the derived closed form and the plain matrix forward pass agree (float64 at 512 points, "
                                   "mpmath at the argmax); float64 and mpmath agree at every sup argmax")
        X = Sphere(1).scan_points(512, 9)
        prefix = evaluator.c.float64[1]
        numpy_gap = np.max(np.abs(evaluator.cf.output_numpy(X, prefix, evaluator.content_f64(X)) - forward_matrix_numpy(
            head, embedding_numpy(X, 1), prefix.tokens(), embedding_numpy(evaluator.content_f64(X), 1))))
        assert claim.bound == 1e-10 and claim.value == numpy_gap / scale < 1e-11  # the mpmath gap at the argmax is 0 here
        assert e1_claims.two_paths_claim(evaluator, head, sups, params).value == claim.value  # the same points every time
        assert claim.method == f"sampled: max gap float64 {numpy_gap:.3g} ≤ 1e-10·{scale:g}; mpmath gap 0.0"
        assert e1_claims.two_paths_claim(evaluator, head, {**sups, "near": replace(sups["near"], float64_agrees=False),
                                                    "far": replace(sups["far"], float64_agrees=False)}, params).verdict is Verdict.PASS
        for name in ("leak", "error"):
            broken = e1_claims.two_paths_claim(evaluator, head, {**sups, name: replace(sups[name], float64_agrees=False)}, params)
            assert broken.verdict is Verdict.FAIL
            assert broken.detail.startswith("FRAMEWORK ERROR: closed form vs matrix pass differ by ")
            assert broken.detail.endswith(f" (mpmath); float64 vs mpmath disagree for {[name]}")
        broken = e1_claims.two_paths_claim(evaluator, Head(head.W_Q, head.W_K, 2 * head.W_V), sups, params)
        shown = re.fullmatch(r"FRAMEWORK ERROR: closed form vs matrix pass differ by (\S+) \(float64\) / (\S+) \(mpmath\); "
                             r"float64 vs mpmath disagree for none", broken.detail)
        assert broken.verdict is Verdict.FAIL and shown and broken.value > 1e-3
        float64_gap, mp_gap = shown.groups()
        assert float64_gap == f"{float(float64_gap):.3g}" and len(mp_gap.split("e")[0].replace(".", "").lstrip("0")) == 5
        assert broken.method.endswith(f"mpmath gap {mpmath.nstr(mpmath.mpf(mp_gap), 3)}") and broken.value * scale >= float(mp_gap) * 0.9999
        # a float64 gap of 2·10⁻¹⁰ (or an mpmath gap of twice the tolerance) passes when B = 3 and fails when B = 1/2
        numpy_pass, mp_pass = h0_two_paths.forward_matrix_numpy, h0_two_paths.forward_matrix_mp
        for name, shifted in (("forward_matrix_numpy", lambda *args: numpy_pass(*args) + 2e-10),
                              ("forward_matrix_mp", lambda *args: [v + 2 * params.policy.tolerance for v in mp_pass(*args)])):
            monkeypatch.setattr(h0_two_paths, name, shifted)
            assert e1_claims.two_paths_claim(evaluator, head, sups, params).verdict is (Verdict.PASS if scale == 3 else Verdict.FAIL), name
            monkeypatch.undo()


def test_fast_parameters_at_their_boundaries_with_the_full_messages():
    """ε = 4L is allowed; N = --max-prefix is allowed, one more is refused; 8BN = ε is refused; each refusal says why
    and what to change, before any construction (N from the ceiling of √m/δ only when √m/δ < 10⁷)."""
    assert e1_construction.E1Construction(e1.THEOREM.parameters(dim=1, eps="4", **STATED)).N == 4  # r = 2, n = 1: N = 2² − 0²
    assert e1.THEOREM.parameters(dim=1, eps="8", target="2*x0", lipschitz="2", bound="2").eps == 8  # ε = 4L with L = 2
    tight = e1.THEOREM.parameters(dim=1, eps="0.2", tight="on", **STATED)
    assert tight.tight and tight.to_json()["tight"] is True and not e1.THEOREM.parameters(dim=1, eps="0.2", tight="off", **STATED).tight
    assert e1_construction.E1Construction(e1.THEOREM.parameters(dim=1, eps="0.2", max_prefix="60", **STATED)).N == 60
    refusals = [
        ({"dim": 1, "eps": "0.2", "max_prefix": "59", **STATED}, "E1 needs N = 60 prefix tokens for m = 1, ε = 1/5, L = 1 (over the "
         "budget --max-prefix 59); use a larger --eps or raise --max-prefix"),
        ({"dim": 1, "eps": "1e-7", **STATED}, "E1 needs N ≈ 1.13e+08 prefix tokens for m = 1, ε = 1/10000000, L = 1 (over the budget "
         "--max-prefix 20000); use a larger --eps or raise --max-prefix"),
        ({"dim": 1, "eps": "0.2", "target": "x0/2400", "lipschitz": "1", "bound": "1/2400"},
         "λ = (4/r²)·ln(8BN/ε) would be ≤ 0 because 8BN = 1/5 ≤ ε = 1/5: E1's construction needs 8BN > ε. Here "
         "‖f‖ ≤ B < ε/(8N), so f is within ε of 0 everywhere and the claim is trivial; if B is the true bound nothing "
         "needs checking, otherwise pass the real --bound"),
        ({"dim": 1, "eps": "4.01", **STATED}, "E1 is stated for ε ∈ (0, 4L] = (0, 4]; pass a smaller --eps"),
        ({"dim": 1}, "single-head needs --eps, the target accuracy ε > 0 (e.g. --eps 0.1)"),
        ({"dim": 1, "eps": "0.2", "lipschitz": "2"}, "--lipschitz/--bound describe a --target; give the target too"),
        ({"dim": 1, "eps": "0.2", "target": "x0", "bound": "1"}, "a custom --target needs its hypotheses: --lipschitz L and "
         "--bound B (‖f(x)−f(y)‖ ≤ L‖x−y‖ and ‖f(x)‖ ≤ B on the sphere)"),
        ({"dim": 4, "eps": "2", "evidence": "certified"}, "--evidence certified: cannot certify: m = 4 > 3 (face cells are "
         "implemented up to S^3); use --evidence auto"),
        ({"dim": 1, "eps": "0.2", "tamper": "short-prefix", "evidence": "certified"}, "--evidence certified: cannot certify: "
         "the short-prefix negative control has no exact ball form; use --evidence auto"),
    ]
    for options, message in refusals:
        with pytest.raises(InputError) as info:
            e1.THEOREM.parameters(**options)
        assert str(info.value) == message, options
    assert e1.THEOREM.parameters(dim=1, eps="0.2", target="x0/2399", lipschitz="1", bound="1/2399").target.bound == sympy.Rational(1, 2399)
    for option, limit, what in (("max_seconds", "1", "take about"), ("max_memory", "0.01", "GiB of memory")):
        with pytest.raises(InputError) as info:
            e1.THEOREM.parameters(dim=1, eps="0.2", points="10000000", **{option: limit}, **STATED)
        assert what in str(info.value) and ("use a larger --eps, fewer --points, a smaller --context or --dps, or a shorter "
                                            "--target, or raise --" + option.replace("_", "-")) in str(info.value)


def test_fast_automatic_constants_come_from_the_certified_back_end(monkeypatch):
    """--lipschitz auto / --bound auto: each is computed by automatic_value with the instance's precision, seed, points
    and budget, L first; the ε ≤ 4L test then uses the computed L; a given constant is kept."""
    calls = []

    def automatic(target, name, policy, seed, points, budget):
        calls.append((target.text, target.lipschitz, name, policy.dps, seed, points, budget))
        return Automatic({"lipschitz": sympy.Rational(3, 2), "bound": sympy.Rational(1, 2)}[name], name)

    monkeypatch.setattr("verifier.certify.automatic_value", automatic)
    p = e1.THEOREM.parameters(dim=1, eps="0.2", lipschitz="auto", bound="auto", target="sin(3*x0)/2", dps="40", seed="5",
                              points="300", cert_cells="7", max_seconds="9")
    assert (p.target.lipschitz, p.target.bound, p.target.text) == (sympy.Rational(3, 2), sympy.Rational(1, 2), "sin(3*x0)/2")
    assert calls == [("sin(3*x0)/2", 1, "lipschitz", 40, 5, 300, Budget(7, 9)),
                     ("sin(3*x0)/2", sympy.Rational(3, 2), "bound", 40, 5, 300, Budget(7, 9))]
    assert p.proved == {"H.lipschitz": "lipschitz", "H.bound": "bound"}  # the proofs handed to the hypotheses
    calls.clear()
    p = e1.THEOREM.parameters(dim=1, eps="0.2", target="x0", lipschitz="2", bound="auto")
    assert (p.target.lipschitz, p.target.bound) == (2, sympy.Rational(1, 2)) and [c[2] for c in calls] == ["bound"]
    with pytest.raises(InputError, match=r"ε ∈ \(0, 4L\] = \(0, 6\]"):
        e1.THEOREM.parameters(dim=1, eps="7", target="x0", lipschitz="auto", bound="1")


def test_fast_check_certifies_on_s1_and_says_why_not_otherwise():
    """--evidence auto on S¹ upgrades steps 1–5 to certified and records the certified upper bound beside the
    sampled lower one; the short-prefix control cannot be certified and its facts say why."""
    claims = lambda outcome: {c.id: c for c in outcome.claims}  # noqa: E731
    honest = e1.THEOREM.check(e1.THEOREM.parameters(dim=1, eps="0.2", points="100", **STATED))
    by_id = claims(honest)
    assert all(c.verdict is Verdict.PASS for c in honest.claims)
    for id in ("E1.step1.covering", "E1.step2.near", "E1.step3.far", "E1.step4.leak", "E1.step5.sup"):
        assert by_id[id].evidence is Evidence.CERTIFIED, id
    sup = honest.facts["sup_error"]
    assert "not_certified" not in sup and "interval" not in sup and sup["decided"] and sup["cells"] > 0
    assert 0 < sup["lower"] == sup["value"] <= sup["certified_upper"] == by_id["E1.step5.sup"].value <= 0.2
    short = e1.THEOREM.check(e1.THEOREM.parameters(dim=1, eps="0.2", points="100", tamper="short-prefix", **STATED))
    assert short.facts["sup_error"]["not_certified"] == "cannot certify: the short-prefix negative control has no exact ball form"
    assert all(claims(short)[id].evidence is Evidence.SAMPLED for id in ("E1.step2.near", "E1.step3.far", "E1.step5.sup"))
    assert claims(short)["E1.step1.covering"].verdict is Verdict.FAIL
    assert claims(short)["E1.size"].verdict is Verdict.FAIL  # 3 tokens, not N = 60 (although N ≤ 2(m+1)(n+1)^m)
    starved = e1.THEOREM.check(e1.THEOREM.parameters(dim=1, eps="0.2", points="100", cert_cells="3", **STATED))
    sup = claims(starved)["E1.step5.sup"]  # 3 cells do not decide it; the worst cell's centre is evaluated, not a FAIL
    assert (sup.verdict, sup.evidence, starved.facts["sup_error"]["decided"]) == (Verdict.INCONCLUSIVE, Evidence.SAMPLED, False)
    assert sup.detail.startswith("sup ‖error‖ ≤ ε is neither refuted nor proved: certified ≤ ")


def test_fast_near_or_far_is_decided_in_mpmath_only_within_1e9_of_the_threshold(monkeypatch):
    """‖x − p‖ ≤ r ⇔ ⟨x, p⟩ ≥ 1 − r²/2: float64 decides where |⟨x, p⟩ − (1 − r²/2)| > 10⁻⁹, mpmath (one fdot per
    token) within that band, where float64 cannot tell 10⁻¹² inside from 10⁻¹² outside."""
    evaluator = _evaluator(dim=1, eps="0.2")
    calls = []
    fdot = mpmath.fdot
    monkeypatch.setattr(mpmath, "fdot", lambda *args: calls.append(1) or fdot(*args))
    with mpmath.workdps(30):
        points, _ = evaluator.c.at_precision()
        p = points[0]
        angle = mpmath.atan2(p[1], p[0])
        index = [0, 1, 30]
        for offset, inside in ((mpmath.mpf("1e-12"), True), (mpmath.mpf("-1e-12"), False), (mpmath.mpf("2e-9"), True),
                               (mpmath.mpf("-2e-9"), False)):
            t = angle + mpmath.acos(mpmath.mpf("0.995") + offset)  # ⟨x, p_0⟩ = 1 − r²/2 + offset
            xm = [mpmath.cos(t), mpmath.sin(t)]
            calls.clear()
            near = evaluator._near_mp(xm, [points[i] for i in index], index)
            assert near == [inside, False, False], offset  # x is 0.1 rad from p_0; p_1 (other side of p_0) 0.17, p_30 3 rad away
            assert len(calls) == (1 if abs(offset) < 1e-9 else 0), offset


def test_fast_figures_label_each_component_and_place_the_markers():
    """A vector target on S¹ gets one series per component, (H − f)_j; the S² map spans latitudes −π/2 … π/2 and
    longitudes −π … π, and its markers are the prefix points' (longitude, latitude)."""
    [curve] = e1.THEOREM.report_figures(e1.THEOREM.parameters(dim=1, eps="0.4", target="(x0/2, x1/2)", lipschitz="1",
                                                              bound="1", points="100"))
    assert [s["label"] for s in curve["series"]] == ["(H − f)_0", "(H − f)_1"]
    assert all(max(map(abs, s["values"])) < 0.4 for s in curve["series"])
    params = e1.THEOREM.parameters(dim=2, eps="0.5", points="100", **STATED)
    [surface] = e1.THEOREM.report_figures(params)
    points = e1_construction.E1Construction(params).float64[0]
    assert np.allclose(surface["y"]["values"], np.linspace(-np.pi / 2, np.pi / 2, 121), rtol=0, atol=1e-15)
    assert np.allclose(surface["x"]["values"], np.linspace(-np.pi, np.pi, 241), rtol=0, atol=1e-15)
    assert np.allclose(surface["markers"]["x"], np.arctan2(points[:, 1], points[:, 0]), rtol=0, atol=1e-15)
    assert np.allclose(surface["markers"]["y"], np.arcsin(points[:, 2]), rtol=0, atol=1e-15)


def test_fast_check_passes_its_seed_to_the_covering_estimate(monkeypatch):
    """The covering radius is estimated with the instance's seed (m ≥ 3 samples it)."""
    seeds = []
    from verifier.domains import covering_radius as covering

    monkeypatch.setattr("verifier.domains.covering_radius", lambda points, seed: seeds.append(seed) or covering(points, seed=seed))
    e1.THEOREM.check(e1.THEOREM.parameters(**{**QUICK, "seed": "3"}))
    assert seeds == [3]


def test_fast_covering_proof_bound_may_equal_delta():
    """√m/n ≤ δ is not strict: on S⁸ with ε = 4L, δ = √2 and n = ⌈√8/√2⌉ = 2, so √m/n = δ exactly and the sampled
    estimate (here a stand-in, 0.5) PASSes with the proof bound."""
    c = e1_construction.E1Construction(e1.THEOREM.parameters(dim=8, eps="4", **STATED))
    assert c.n == 2 and c.delta == sympy.sqrt(2) and sympy.sqrt(8) / c.n == c.delta
    claim = e1_claims.covering_claim(c, CoveringRadius(0.5, np.eye(9)[0], "sampled", 1000))
    assert claim.verdict is Verdict.PASS and "√m/n = 1.41421 (applies)" in claim.method


def test_fast_values_and_threshold_are_computed_per_precision():
    """ν_prefix and the threshold 1 − r²/2 are cached per precision, each to its full digits: here r = ε/(2L) = 1/30,
    so r²/2 = 1/1800 has no finite decimal expansion, and near/far is decided right 10^−(dps−5) from the threshold
    at 30, then 60, then again 30 digits. The content tokens are T copies of x."""
    evaluator = _evaluator(dim=1, eps="0.2", target="sin(3*x0)", lipschitz="3", bound="1", context="3")
    for dps in (30, 60, 30):
        with mpmath.workdps(dps):
            points, _ = evaluator.c.at_precision()
            values = evaluator._prefix_values_mp()
            assert max(abs(v[0] - mpmath.sin(3 * p[0])) for v, p in zip(values, points)) < mpmath.mpf(10) ** -(dps - 2)
            angle = mpmath.atan2(points[0][1], points[0][0])
            for offset, inside in ((mpmath.mpf(10) ** -(dps - 5), True), (-mpmath.mpf(10) ** -(dps - 5), False)):
                t = angle + mpmath.acos(1 - mpmath.mpf(1) / 1800 + offset)
                assert evaluator._near_mp([mpmath.cos(t), mpmath.sin(t)], [points[0]], [0]) == [inside], (dps, offset)
    X = np.array([[1.0, 0.0], [0.6, 0.8]])
    assert evaluator.content_f64(X).shape == (2, 3, 2) and all(np.array_equal(evaluator.content_f64(X)[:, t], X) for t in range(3))


def test_fast_float64_near_and_far_split_at_the_radius():
    """The float64 split near/far (⟨x, p⟩ ≥ 1 − r²/2) is the mpmath one at every point no token sits within 10⁻⁶ of
    the threshold, here on 60 points of S¹ around which the tokens lie at every distance."""
    evaluator = _evaluator(dim=1, eps="0.2")
    theta = np.linspace(0, 2 * np.pi, 60, endpoint=False) + 0.01
    X = np.column_stack([np.cos(theta), np.sin(theta)])
    f64 = evaluator.parts_f64(X)
    inner = X @ evaluator.c.float64[0].T
    clear = np.min(np.abs(inner - (1 - 0.1**2 / 2)), axis=1) > 1e-6
    band = np.any((inner > 1 - 0.1**2 / 2 - 0.002) & (inner < 1 - 0.1**2 / 2), axis=1)  # a token just outside r
    assert clear.sum() > 50 and (band & clear).sum() > 10
    with mpmath.workdps(30):
        for i in np.nonzero(clear)[0]:
            mp = evaluator.parts_mp(X[i])
            for name in ("near", "far"):
                assert float(mp[name]) == pytest.approx(f64[name][i], rel=1e-9, abs=1e-13), (i, name)
