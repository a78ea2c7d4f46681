"""S1: the shipped targets PASS, every negative control FAILs with a witness sequence, bad input names the fix."""
import json

import numpy as np
import pytest
import sympy
from hypothesis import given, settings, strategies as st

from proofs import seq2seq as s1
from proofs.seq2seq import checks, formulas as F
from proofs.seq2seq.construction import Construction, HeadPlan
from proofs.seq2seq.ridge import SHIPPED, sequence_symbols
from verifier import cli
from verifier.claims import Verdict
from verifier.errors import InputError
from verifier.run import HypothesisRefuted, run

TARGETS = tuple(SHIPPED)
E1I_STEPS = {"E1I.step1.covering", "E1I.step3.far-bound", "E1I.step4.other-bound", "E1I.step5.leak-bound", "E1I.error",
             "E1I.near", "E1I.far", "E1I.other", "E1I.leak", "E1I.budget-identity"}


def claims_of(result):
    return {c.id: c for c in result.claims}


def check_pass(target, n):
    result = run("seq2seq", {"n": n, "eps": "0.1", "target": target})
    assert result.verdict is Verdict.PASS, [(c.id, c.verdict, c.detail) for c in result.claims if c.verdict is not Verdict.PASS]
    claims = claims_of(result)
    assert E1I_STEPS | {"S1.depth", "S1.ideal-composition", "S1.sup", "S1.propagated-bound", "F.two-paths",
                        "S1.heads-in-context", "S1.intervals", "P3.via-S1", "P4.via-E1I"} <= set(claims)
    sup = claims["S1.sup"]
    assert 0 < sup.value <= sup.bound <= 0.1
    assert result.facts["depth"] == 3 * result.facts["Q"] == result.facts["heads"]
    return result


@pytest.mark.parametrize("n", [2, pytest.param(4, marks=pytest.mark.slow)])  # n = 4: 4–7 s each; the same check at n = 2
@pytest.mark.parametrize("target", TARGETS)
def test_shipped_targets_pass(target, n):
    check_pass(target, n)


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS)
def test_shipped_targets_pass_at_n6(target):
    check_pass(target, 6)


@pytest.mark.parametrize("n", range(1, 7))
def test_each_target_needs_the_documented_Q(n):
    assert SHIPPED["neighbour-products"](n).Q == (2 * n if n >= 3 else 2)
    assert SHIPPED["mean-sine"](n).Q == n + 1
    assert SHIPPED["running-mean"](n).Q == n


@pytest.mark.parametrize("target", TARGETS)
def test_ridge_forms_equal_their_targets(target):
    for n in range(1, 7):
        form = SHIPPED[target](n)
        assert all(sympy.simplify(a - b) == 0 for a, b in zip(form.composed(sequence_symbols(n)), form.target))


@pytest.mark.parametrize("tamper, broken", [
    ("drop-prefix", {"E1I.error", "S1.heads-in-context", "P4.via-E1I"}),
    ("small-gamma", {"E1I.step4.other-bound", "E1I.error"}),
    ("single-token-mixing", {"S1.mixing.derived", "S1.ideal-composition", "S1.intervals"}),
])
@pytest.mark.parametrize("target", TARGETS)
def test_negative_controls_fail_with_a_witness_sequence(target, tamper, broken):
    result = run("seq2seq", {"n": 2, "eps": "0.1", "target": target, "tamper": tamper})
    claims = claims_of(result)
    assert result.verdict is Verdict.FAIL
    sup = claims["S1.sup"]
    assert sup.verdict is Verdict.FAIL and sup.value > sup.bound
    assert len(sup.witness) == 2 and all(0 <= v <= 1 for v in sup.witness)
    assert {c for c in broken if claims[c].verdict is Verdict.FAIL} == broken
    assert claims["F.two-paths"].verdict is Verdict.PASS  # the framework itself stays consistent


def test_witness_reproduces_the_failure():
    result = run("seq2seq", {"n": 2, "eps": "0.1", "target": "running-mean", "tamper": "small-gamma"})
    sup = claims_of(result)["S1.sup"]
    c = Construction(SHIPPED["running-mean"](2), sympy.Rational(1, 10), "small-gamma")
    assert checks.SequenceEvaluator(c).error_f64(np.array([sup.witness]))[0] == pytest.approx(sup.value, rel=1e-9)


def test_formula_claims_and_their_negative_controls():
    assert F.budget_identity_claim().verdict is Verdict.PASS
    assert F.budget_identity_claim(temperature=F.TEMPERATURE / 2).verdict is Verdict.FAIL
    assert F.budget_identity_claim(selection=F.SELECTION - 1).verdict is Verdict.FAIL
    assert F.split_claim().verdict is Verdict.PASS


def test_propagated_bound_is_exactly_eps_when_every_branch_is_the_budget():
    c = Construction(SHIPPED["neighbour-products"](4), sympy.Rational(1, 10))
    assert c.propagated_bound == sympy.Rational(1, 10)
    # Each Φ head's interval is the inner range widened by n·ε_ψ, inside the domain of the claimed Lip(Φ).
    for q in range(c.form.Q):
        plan, (lo, hi) = c.plan[f"phi{q + 1}"], c.form.inner_range(q)
        inner, _ = c.accuracies(q)
        assert (plan.lo, plan.hi) == (lo - 4 * inner, hi + 4 * inner)
        assert c.form.outer_domain(q)[0] <= plan.lo and plan.hi <= c.form.outer_domain(q)[1]


def test_head_parts_sum_to_the_error_and_mpmath_agrees():
    c = Construction(SHIPPED["mean-sine"](2), sympy.Rational(1, 10), "small-gamma")  # every part non-zero
    layer = c.transformer.layers[0]
    ev = checks.HeadEvaluator(c.transformer, layer, c.plan[layer.name])
    z, p = ev.queries(0)
    parts = ev.parts_f64(z[::37], p[::37])
    assert np.all(parts["error"] <= parts["near"] + parts["far"] + parts["other"] + parts["leak"] + 1e-15)
    import mpmath
    with mpmath.workdps(30):
        at = ev.parts_mp(float(z[5]), int(p[5]))
    full = ev.parts_f64(z[5:6], p[5:6])
    for name in checks.QUANTITIES:
        assert float(at[name]) == pytest.approx(full[name][0], rel=1e-8, abs=1e-14)


def test_closed_form_claim_fails_for_a_different_head():
    c = Construction(SHIPPED["running-mean"](2), sympy.Rational(1, 10))
    assert checks.closed_form_claim(c.transformer).verdict is Verdict.PASS
    layer = c.transformer.layers[0]
    from dataclasses import replace
    from verifier.attention import Head
    doubled = replace(layer, head=Head(layer.head.W_Q, 2 * layer.head.W_K, layer.head.W_V))
    broken = replace(c.transformer, layers=(doubled, *c.transformer.layers[1:]))
    assert checks.closed_form_claim(broken).verdict is Verdict.FAIL
    assert checks.gaussian_claim(broken).verdict is Verdict.FAIL
    # A head that reads the position of token 2 with another weight: right at position 1, wrong at position 2.
    W_K = layer.head.W_K.copy()
    W_K[:, c.transformer.stream.index("pos_2")] *= 3
    uneven = replace(layer, head=Head(layer.head.W_Q, W_K, layer.head.W_V))
    claim = checks.closed_form_claim(replace(c.transformer, layers=(uneven, *c.transformer.layers[1:])))
    assert claim.verdict is Verdict.FAIL and "psi1" in claim.detail


TYPED = {"psi": "(t, t); (t, -t)", "phi": "(t**2/4, t**2/4); (-t**2/4, -t**2/4)", "lip_psi": "1, 1", "lip_phi": "21/20, 11/20"}


def test_typed_ridge_form_passes():
    result = run("seq2seq", {"n": 2, "eps": "0.1", **TYPED})
    assert result.verdict is Verdict.PASS and result.parameters["target"] == "typed"


@pytest.mark.parametrize("options, fix", [
    ({"n": "0", "eps": "0.1", "target": "running-mean"}, "--n must be ≥ 1"),
    ({"n": "2", "eps": "0.1", "target": "nope"}, "unknown --target 'nope'; choose one of"),
    ({"n": "2", "eps": "0", "target": "running-mean"}, "--eps must be > 0"),
    ({"eps": "0.1", "target": "running-mean"}, "needs --n N"),
    ({"n": "2", "eps": "0.1"}, "needs --target NAME"),
    ({"n": "2", "eps": "0.1", "target": "running-mean", **TYPED}, "not both"),
    ({"n": "2", "eps": "0.1", **{**TYPED, "phi": "(t**2/4, t**2/4, 0); (-t**2/4, -t**2/4)"}}, "output length 3 differs from n = 2"),
    ({"n": "2", "eps": "0.1", **{**TYPED, "psi": "(t, t)"}}, "--psi has 1 terms but --phi has 2"),
    ({"n": "2", "eps": "0.1", **{**TYPED, "lip_phi": "1"}}, "--lip-phi has 1 constants for Q = 2"),
    ({"n": "2", "eps": "0.1", **{**TYPED, "psi": "(t, __import__('os')); (t, t)"}}, "not allowed"),
    ({"n": "6", "eps": "0.001", "target": "neighbour-products"}, "--max-prefix"),
    ({"n": "2", "eps": "0.1", **{**TYPED, "psi": "(log(t), t); (t, -t)"}}, "log(t) is not finite at t = 0"),
    ({"n": "2", "eps": "0.1", **{**TYPED, "psi": "(1/(t - 1/2), t); (t, -t)"}}, "is not finite at t = 0.5"),
])
def test_bad_input_names_the_fix(options, fix):
    with pytest.raises(InputError, match=fix.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")):
        s1.THEOREM.parameters(**options)


@pytest.mark.parametrize("override, claim", [({"lip_phi": "1/2, 11/20"}, "H.lipschitz.outer.q1"),
                                             ({"psi": "(t, sin(40*t)); (t, -t)"}, "H.lipschitz.inner.q1")])
def test_refuted_lipschitz_constant_is_bad_input_before_the_construction(override, claim):
    with pytest.raises(HypothesisRefuted) as info:
        run("seq2seq", {"n": 2, "eps": "0.1", **{**TYPED, **override}})
    refuted = {c.id: c for c in info.value.claims}[claim]
    assert refuted.verdict is Verdict.FAIL and "claim a Lipschitz constant ≥" in str(info.value)


def test_cli_json_shape_and_exit_codes(tmp_path, capsys):
    path = tmp_path / "r.json"
    assert cli.main(["check", "seq2seq", "--n", "2", "--eps", "0.1", "--target", "running-mean", "--json", str(path)]) == 0
    data = json.loads(path.read_text())
    assert {"theorem", "verdict", "evidence", "parameters", "claims", "environment", "wall_time_s", "command", "sup_error",
            "depth", "heads", "total_prefix_length", "propagated_bound"} <= set(data)
    assert data["depth"] == 6 and data["heads"] == 6 and data["propagated_bound"] == pytest.approx(0.1)
    assert {"value", "argmax", "method", "points", "dps"} <= set(data["sup_error"])
    assert cli.main(["check", "seq2seq", "--n", "2", "--eps", "0.1", "--target", "running-mean", "--tamper", "drop-prefix"]) == 1
    out = capsys.readouterr().out
    assert "witness x = [" in out and "VERDICT: FAIL" in out
    assert cli.main(["check", "seq2seq", "--n", "0", "--eps", "0.1", "--target", "running-mean"]) == 2
    assert "--n must be ≥ 1" in capsys.readouterr().err


@settings(max_examples=8, deadline=None, derandomize=True)
@given(st.integers(1, 3), st.fractions(-2, 1), st.fractions(1, 3), st.fractions(1, 50), st.fractions(-2, 2),
       st.fractions(1, 6), st.fractions(-1, 1))
def test_e1i_holds_for_random_heads(n, lo, length, eps_h, a, b, c):
    """E1-I on a random interval with random targets h_p(z) = a·sin(b(p+1)z) + c·z: the sampled error of the
    head alone (worst-case content keys) stays below ε_h, with every part below its bound."""
    from hypothesis import assume
    from proofs.seq2seq.prefix import Z
    from proofs.seq2seq.stream import Layer, Stream, tokenwise_head
    from proofs.seq2seq.transformer import Transformer
    lo, hi, eps_h = sympy.Rational(lo), sympy.Rational(lo + length), sympy.Rational(eps_h)
    a, b, c = sympy.Rational(a), sympy.Rational(b), sympy.Rational(c)
    targets = tuple(a * sympy.sin(b * (p + 1) * Z) + c * Z for p in range(n))
    lipschitz = abs(a * b) * n + abs(c)  # |h_p'| ≤ |a|·b(p+1) + |c|
    plan = HeadPlan("h", "x", "y", targets, lo, hi, lipschitz, eps_h, sympy.Max(abs(lo), abs(hi)))
    assume(plan.prefix_length <= 20_000)
    stream = Stream(n, ("y",))
    layer = Layer("h", "tokenwise", "x", "y", tokenwise_head(stream, "x", "y"), plan.prefix())
    ev = checks.HeadEvaluator(Transformer(stream, (layer,)), layer, plan)
    parts = ev.parts_f64(*ev.queries(0))
    assert parts["error"].max() <= float(eps_h)
    for k, part in enumerate(F.PARTS):
        assert parts[part].max() <= float(sympy.N(plan.budget()[k], 20)) * (1 + 1e-9) + 1e-15


def test_a_run_too_large_for_the_budget_is_refused_before_any_work(capsys):
    """--points 10^8 at n = 12 once ran 67 s into 19 GB of memory and crashed (exit 4); now it is exit 2 at once."""
    status = cli.main(["check", "seq2seq", "--n", "12", "--eps", "0.2", "--points", "100000000", "--target",
                       "neighbour-products"])
    assert status == 2
    err = capsys.readouterr().err
    assert "GiB of memory" in err and "--points" in err and "--max-memory" in err


def test_cost_estimate_grows_with_points_n_and_depth_and_passes_the_defaults():
    from proofs.seq2seq.cost import cost_estimate

    small, large = cost_estimate(4, 24, 2000), cost_estimate(4, 24, 102_000)
    assert large.total_seconds - small.total_seconds == pytest.approx(100_000 * 4 * 24 * 3.0e-6)
    assert cost_estimate(8, 48, 2000).total_bytes > small.total_bytes
    # every default instance fits the default budget (no false refusal)
    for _, options in s1.THEOREM.default_instances():
        s1.THEOREM.parameters(**options)


def test_two_paths_fail_when_a_path_is_broken(monkeypatch):
    """F.two-paths of S1 (the windowed closed form against the plain matrix pass over every prefix token, through the
    one rule of verifier.claims.two_paths_claim): honest PASS with the mpmath pass at the argmax; a float64 matrix
    pass off by 10⁻⁹·(the largest register), an mpmath one off by twice the tolerance, or float64 and mpmath
    disagreeing at the sup's argmax FAIL; past MP_MATRIX_SCORES the statement says the mpmath pass was not run."""
    from dataclasses import replace

    from proofs.seq2seq.search import sup_over_sequences
    from proofs.seq2seq.transformer import Transformer
    from verifier.precision import PrecisionPolicy

    c = Construction(SHIPPED["running-mean"](2), sympy.Rational(1, 10))
    policy = PrecisionPolicy(dps=30)
    evaluator = checks.SequenceEvaluator(c)
    sup, _ = sup_over_sequences(evaluator.error_f64, evaluator.error_mp, c.n, policy, 0, 200, rounds=2)
    honest = checks.two_paths_claim(c, sup, policy, 0)
    assert (honest.verdict, honest.bound) == (Verdict.PASS, 1e-10) and honest.value < 1e-13
    assert "float64 at 8 sequences, mpmath at the argmax" in honest.statement
    assert checks.two_paths_claim(c, replace(sup, float64_agrees=False), policy, 0).verdict is Verdict.FAIL
    scale = max(1.0, float(np.max(np.abs(c.transformer.forward_matrix_numpy(np.array([sup.argmax]))[0]))))
    numpy_pass, mp_pass = Transformer.forward_matrix_numpy, Transformer.forward_matrix_mp
    for name, shifted in (("forward_matrix_numpy", lambda self, X: (numpy_pass(self, X)[0] + 1e-9 * scale, None)),
                          ("forward_matrix_mp", lambda self, x: [[v + 2 * policy.tolerance * scale for v in row]
                                                                 for row in mp_pass(self, x)])):
        monkeypatch.setattr(Transformer, name, shifted)
        broken = checks.two_paths_claim(c, sup, policy, 0)
        assert broken.verdict is Verdict.FAIL and broken.detail.startswith("FRAMEWORK ERROR"), name
        monkeypatch.undo()
    monkeypatch.setattr(checks, "MP_MATRIX_SCORES", 10)
    skipped = checks.two_paths_claim(c, sup, policy, 0)
    assert skipped.verdict is Verdict.PASS and "no mpmath pass" in skipped.statement and "not run" in skipped.method


JUMPING_PHI = {"n": 1, "eps": "0.5", "psi": "(2*t)", "lip_psi": "2", "phi": "(atan(tan(t)))", "lip_phi": "1"}


def test_a_jumping_outer_function_gets_no_exact_lipschitz_constant():
    """atan(tan(t)) jumps by π at t = π/2 ∈ D = [−1/10, 21/10]; sympy simplifies its derivative to 1, which made the old
    claim H.lipschitz.outer.q1 PASS on 'exact' evidence. It is refuted now (by the sampled difference quotient)."""
    from proofs.seq2seq.ridge import check_hypotheses, exact_lipschitz, typed_form, undefined_piece
    from verifier.precision import PrecisionPolicy

    t = sympy.Symbol("t", real=True)
    jumping = sympy.atan(sympy.tan(t))
    assert sympy.diff(jumping, t) == 1  # the simplification the claim must not trust
    a, b = undefined_piece(jumping, sympy.Rational(-1, 10), sympy.Rational(21, 10))
    assert a <= float(sympy.pi / 2) <= b and b - a < 1e-9
    assert exact_lipschitz([jumping], sympy.Rational(-1, 10), sympy.Rational(21, 10)) == (None, (a, b))
    with pytest.raises(HypothesisRefuted) as info:
        run("seq2seq", JUMPING_PHI)
    refuted = {c.id: c for c in info.value.claims}["H.lipschitz.outer.q1"]
    assert refuted.verdict is Verdict.FAIL and refuted.evidence.value == "sampled" and refuted.value > 100
    # a claimed constant above every sampled quotient is not refuted, and not proved either: INCONCLUSIVE
    form = typed_form(1, "(2*t)", "(atan(tan(t)))", "2", "1000000")
    claim = {c.id: c for c in check_hypotheses(form, PrecisionPolicy())}["H.lipschitz.outer.q1"]
    assert claim.verdict is Verdict.INCONCLUSIVE and "no finite enclosure" in claim.detail


def test_a_continuous_outer_function_keeps_its_exact_lipschitz_constant():
    """Negative control: on [−1/10, 11/10] (ψ = t) atan(tan(t)) = t is continuous, and a smooth φ passes with the
    constant sympy finds, equality proved symbolically."""
    from proofs.seq2seq.ridge import exact_lipschitz, undefined_piece

    t = sympy.Symbol("t", real=True)
    assert undefined_piece(sympy.atan(sympy.tan(t)), sympy.Rational(-1, 10), sympy.Rational(11, 10)) is None
    assert exact_lipschitz([sympy.atan(sympy.tan(t))], sympy.Rational(-1, 10), sympy.Rational(11, 10)) == (1, None)
    assert undefined_piece(1 / t, sympy.Rational(-1, 10), sympy.Rational(11, 10)) is not None
    form = s1.THEOREM.parameters(**{**JUMPING_PHI, "psi": "(t)", "lip_psi": "1", "phi": "(sin(t)/2)", "lip_phi": "1/2"}).form
    from proofs.seq2seq.ridge import check_hypotheses
    from verifier.precision import PrecisionPolicy

    claims = {c.id: c for c in check_hypotheses(form, PrecisionPolicy())}
    assert claims["H.lipschitz.outer.q1"].verdict is Verdict.PASS and claims["H.lipschitz.outer.q1"].evidence.value == "exact"
    assert claims["H.lipschitz.inner.q1"].verdict is Verdict.PASS


def test_bounds_from_exact_numbers_are_certified_or_proved_equal():
    """The claims that compare exact numbers (the E1-I part bounds, the covering, the propagated bound, the Lipschitz
    constants sympy finds) are 'exact' only when sympy proves value = bound, else 'certified' (arb balls), never a float."""
    import re

    result = run("seq2seq", {"n": 2, "eps": "0.1", "target": "mean-sine"})
    named = [c for c in result.claims if re.fullmatch(r"E1I\.step\d\.\w+|S1\.propagated-bound|H\.lipschitz\..*", c.id)]
    assert len(named) >= 8
    for claim in named:
        proved_equal = "equality proved symbolically" in claim.method
        assert claim.evidence.value == ("exact" if proved_equal else "certified"), (claim.id, claim.method)
    assert any(c.evidence.value == "certified" for c in named)  # mean-sine: Lip(sin(2πs)/4) = π/2 < 8/5 by balls
