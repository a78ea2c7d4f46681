"""E2 (`verifier check smoothing`): instances PASS with the error split, both negative controls FAIL."""
import json

import numpy as np
import pytest

from verifier import cli
from verifier.claims import Verdict
from verifier.errors import InputError
from verifier.run import run

FAST = {"points": 2000}


def claims_of(result):
    return {c.id: c for c in result.claims}


@pytest.fixture(scope="module")
def honest_m1():
    return run("smoothing", {"dim": 1, "eps": "0.2", **FAST})


def test_m1_passes_every_claim_with_the_split(honest_m1):
    result = honest_m1
    assert result.verdict is Verdict.PASS, [(c.id, c.verdict, c.detail) for c in result.claims]
    claims = claims_of(result)
    assert {"H0.closed-form", "F.two-paths", "E2.normaliser", "E2.V2.amos", "E2.kappa", "E2.V3.rule", "E2.budget.smoothing",
            "E2.V1.smoothing", "E2.budget.quadrature", "E2.V3.quadrature", "E2.budget.leakage", "E2.V3.leakage",
            "E2.budget", "E2.sup"} <= set(claims)
    split = result.facts["error_split"]
    assert set(split) == {"smoothing", "quadrature", "leakage"}
    assert all(0 <= part["certified_upper"] <= part["bound"] for part in split.values())
    # the parts bound the whole: the sampled sup ‖H − f‖ ≤ Σ certified uppers of the parts
    assert result.facts["sup_error"]["value"] <= sum(p["certified_upper"] for p in split.values())
    assert result.facts["sup_error"]["value"] <= claims["E2.sup"].value == result.facts["sup_error"]["certified_upper"]
    assert result.facts["rule"] == "gauss" and result.facts["prefix_length"] == result.facts["rule_size"]


def test_m1_sampled_split_bounds_the_whole():
    """Under --evidence sampled f_κ is sampled: each part's sampled sup is within its bound, and they bound the whole."""
    result = run("smoothing", {"dim": 1, "eps": "0.2", "evidence": "sampled", **FAST})
    split = result.facts["error_split"]
    assert result.verdict is Verdict.PASS and all(0 <= part["sup"] <= part["bound"] for part in split.values())
    assert result.facts["sup_error"]["value"] <= sum(p["sup"] for p in split.values()) * (1 + 1e-9)


def test_m1_second_eps_and_the_partition_rule():
    result = run("smoothing", {"dim": 1, "eps": "0.1", "rule": "partition", **FAST})
    assert result.verdict is Verdict.PASS, [(c.id, c.verdict, c.detail) for c in result.claims]
    assert result.facts["rule"] == "partition" and result.facts["prefix_length"] == 4 * result.facts["rule_size"]


@pytest.mark.parametrize("tamper, broken", [("few-nodes", "E2.budget.quadrature"), ("small-kappa", "E2.budget.smoothing")])
def test_negative_controls_fail_with_witness(tamper, broken):
    result = run("smoothing", {"dim": 1, "eps": "0.2", "tamper": tamper, "points": 500})  # the witness needs few points
    claims = claims_of(result)
    assert result.verdict is Verdict.FAIL
    assert claims[broken].verdict is Verdict.FAIL
    sup = claims["E2.sup"]
    assert sup.verdict is Verdict.FAIL and sup.value > sup.bound
    assert len(sup.witness) == 2 and np.isclose(np.linalg.norm(sup.witness), 1)
    assert claims["F.two-paths"].verdict is Verdict.PASS


def test_cli_json_shape(tmp_path, capsys):
    path = tmp_path / "e2.json"
    assert cli.main(["check", "smoothing", "--dim", "1", "--eps", "0.2", "--points", "1000", "--json", str(path)]) == 0
    data = json.loads(path.read_text())
    assert {"theorem", "verdict", "evidence", "parameters", "kappa", "rule", "prefix_length", "error_split", "sup_error",
            "claims", "environment", "wall_time_s", "command"} <= set(data)
    assert data["evidence"] == "certified" and data["parameters"]["size_source"] == "quadrature bound"
    assert data["parameters"]["lipschitz"] > 1  # --lipschitz auto: a certified bound just above the attained L = 1


@pytest.mark.parametrize("options, message", [
    ({"dim": 3, "eps": "0.2"}, "--dim must be ≤ 2"),
    ({"dim": 1, "eps": "2"}, "ε ∈ (0, L]"),
    ({"dim": 1, "eps": "0.2", "size": 2}, "--size ≥ 3"),
    ({"dim": 2, "eps": "0.2", "max_prefix": 1000}, "--max-prefix"),
])
def test_bad_input_is_refused_before_work(options, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)").replace("]", r"\]")):
        run("smoothing", options)


@pytest.mark.slow
@pytest.mark.parametrize("eps", ["0.4", "0.3"])
def test_m2_passes(eps):
    result = run("smoothing", {"dim": 2, "eps": eps})
    assert result.verdict is Verdict.PASS, [(c.id, c.verdict, c.detail) for c in result.claims]


@pytest.mark.slow
@pytest.mark.parametrize("tamper, broken, sup_fails", [("few-nodes", "E2.budget.quadrature", True),
                                                       ("small-kappa", "E2.budget.smoothing", False)])
def test_m2_negative_controls_fail(tamper, broken, sup_fails):
    """Each tamper FAILs the step it breaks, and the run. On S² at ε = 0.4 a too-small κ breaks the smoothing
    budget (1.17 > 0.16) while the head itself stays within ε (sup 0.35): the proof fails, not the conclusion."""
    result = run("smoothing", {"dim": 2, "eps": "0.4", "tamper": tamper})
    claims = claims_of(result)
    assert result.verdict is Verdict.FAIL and claims[broken].verdict is Verdict.FAIL
    assert (claims["E2.sup"].verdict is Verdict.FAIL) is sup_fails, claims["E2.sup"]


def test_a_scan_too_long_for_the_budget_is_refused_before_any_work(capsys):
    """--points 10^8 ran for minutes with no guard; its estimated 45 min is now refused at once (exit 2)."""
    from proofs.smoothing.cost import cost_estimate

    assert cli.main(["check", "smoothing", "--dim", "1", "--eps", "0.2", "--points", "100000000"]) == 2
    assert "--points" in capsys.readouterr().err
    assert cost_estimate(1, 168, 1, 100_000_000).total_seconds == pytest.approx(1e8 * 169 * 1.6e-7)
    assert cost_estimate(2, 89042, 1, 8000).total_seconds < 900  # the default scan of the largest reference instance fits


def test_a_raised_offset_spends_the_leakage_share_exactly():
    """Many content tokens raise β above 0; then the leakage bound equals ε_l = ε/20 (β was sized for ε/4
    once, which made the honest construction FAIL its own leakage budget)."""
    from proofs.smoothing import THEOREM, formulas as F
    from proofs.smoothing.claims import leakage_budget_claim
    from proofs.smoothing.construction import E2Construction

    c = E2Construction(THEOREM.parameters(dim=1, eps="1", context="3000"))
    assert c.beta > 0
    h, w_min = c.rule_constants()
    share = c.exact(F.SHARES[2])
    leak = c.exact(F.LEAK_BOUND.subs({F.kappa: c.kappa, F.h: h, F.w_min: w_min, F.beta: c.beta}))
    claim = leakage_budget_claim(c, leak, share)
    assert claim.verdict is Verdict.PASS and claim.value == pytest.approx(0.05, rel=1e-12) and claim.bound == 0.05


def test_two_paths_fail_when_a_path_is_broken(monkeypatch):
    """F.two-paths on E2's prefix (proofs.h0.two_paths through the one rule of verifier.claims.two_paths_claim, as
    E2's check calls it): the honest paths PASS; W_V negated in the matrix pass, a float64 matrix pass off by
    2·10⁻¹⁰, an mpmath one off by twice the tolerance (B = 1), or a part whose float64 and mpmath sups disagree FAIL."""
    from dataclasses import replace

    from proofs.h0 import two_paths as h0_two_paths
    from proofs.smoothing import theorem as e2
    from proofs.smoothing.construction import E2Construction, E2Evaluator
    from proofs.h0.head import h0_head
    from verifier.attention import Head, derive_closed_form
    from verifier.claims import Kind, two_paths_claim
    from verifier.domains import Sphere
    from verifier.supnorm import sup_search

    params = e2.THEOREM.parameters(dim=1, eps="0.2", points="200")
    head = h0_head(1, 1)
    evaluator = E2Evaluator(E2Construction(params), derive_closed_form(head, 1, 1))
    sups = sup_search(lambda X: evaluator.parts_f64(X, smoothed=False), lambda x: evaluator.parts_mp(x, smoothed=False),
                      ("error", "leakage"), Sphere(1), params.policy, 0, scan_points=200)

    def claim(matrix_head=head, parts=sups):
        paths = h0_two_paths.h0_paths(evaluator, matrix_head, parts["error"].argmax)
        return two_paths_claim(paths, parts, params.target.bound, params.policy)

    honest = claim()
    assert (honest.verdict, honest.kind, honest.bound) == (Verdict.PASS, Kind.FRAMEWORK, 1e-10) and honest.value < 1e-12
    assert "float64 at 512 points, mpmath at the argmax" in honest.statement
    negated = claim(Head(head.W_Q, head.W_K, -head.W_V))
    assert negated.verdict is Verdict.FAIL and negated.detail.startswith("FRAMEWORK ERROR") and negated.value > 1e-3
    disagreeing = claim(parts={**sups, "leakage": replace(sups["leakage"], float64_agrees=False)})
    assert disagreeing.verdict is Verdict.FAIL and disagreeing.detail.endswith("disagree for ['leakage']")
    numpy_pass, mp_pass = h0_two_paths.forward_matrix_numpy, h0_two_paths.forward_matrix_mp
    for name, shifted in (("forward_matrix_numpy", lambda *args: numpy_pass(*args) + 2e-10),
                          ("forward_matrix_mp", lambda *args: [v + 2 * params.policy.tolerance for v in mp_pass(*args)])):
        monkeypatch.setattr(h0_two_paths, name, shifted)
        assert claim().verdict is Verdict.FAIL, name
        monkeypatch.undo()


# --------------------------------------------------------------------------- labels and the framework's own checks
def _construction(**options):
    from proofs.smoothing import THEOREM
    from proofs.smoothing.construction import E2Construction

    return E2Construction(THEOREM.parameters(**options))


def test_large_kappa_normaliser_passes():
    """At κ = 55555 (m = 1, ε = 0.015) the old check computed C_m(κ) at the check precision from κ rounded to it, which
    is off by κ·10⁻⁴⁰ relative, outside the arb ball's tolerance 10⁻³⁷: E2.normaliser FAILed with value 1, bound 1.
    Now E2.normaliser (the integral) and F.normaliser (mpmath against arb at enough digits) both PASS; on S² at
    κ = 20833 (the κ of ε = 0.03, whose rule is too large to build here) and κ = 10⁶ likewise."""
    from types import SimpleNamespace

    import sympy

    from proofs.smoothing import formulas as F
    from proofs.smoothing.claims import normaliser_agreement_claim, normaliser_claim
    from verifier.precision import exact_to_mp

    c = _construction(dim=1, eps="0.015")
    kappas = [(1, c.kappa), (2, sympy.simplify(F.KAPPA.subs({F.eps: sympy.Rational(3, 100), F.L: 1, F.m: 2}))),
              (2, sympy.Rational(10**6) + sympy.Rational(1, 3))]
    for m, kappa in kappas:
        assert float(kappa) > 2 * 10**4
        instance = SimpleNamespace(m=m, kappa=kappa, kappa_mp=lambda kappa=kappa: exact_to_mp(kappa))
        assert normaliser_claim(instance, c.params.policy).verdict is Verdict.PASS
        agreement = normaliser_agreement_claim(instance, c.params.policy)
        assert agreement.verdict is Verdict.PASS and agreement.kind.value == "framework"


def test_a_disagreement_between_two_computations_is_a_framework_claim(monkeypatch, capsys):
    """Negative control: mpmath's C_m(κ) off by 10⁻³⁰ (relative) is a FAIL of the framework claim F.normaliser, whose
    detail starts FRAMEWORK ERROR (the CLI exits 4), while the proof step E2.normaliser still PASSes."""
    from proofs.smoothing import kernel
    from proofs.smoothing.claims import normaliser_agreement_claim, normaliser_claim

    c = _construction(dim=1, eps="0.2")
    assert normaliser_agreement_claim(c, c.params.policy).verdict is Verdict.PASS
    honest = kernel.normaliser_mp
    monkeypatch.setattr(kernel, "normaliser_mp", lambda m, k: honest(m, k) * (1 + kernel.mpmath.mpf(10) ** -30))
    broken = normaliser_agreement_claim(c, c.params.policy)
    assert broken.verdict is Verdict.FAIL and broken.kind.value == "framework" and broken.detail.startswith("FRAMEWORK ERROR")
    assert normaliser_claim(c, c.params.policy).verdict is Verdict.PASS
    assert cli.main(["check", "smoothing", "--dim", "1", "--eps", "0.2", "--points", "500"]) == 4
    captured = capsys.readouterr()
    assert "F.normaliser" in captured.err and "FRAMEWORK ERROR" in captured.out + captured.err


def test_budget_claims_are_certified_not_exact():
    """E2.budget.smoothing (Bessel functions) and E2.budget.leakage (β = 0) were decided by a 50-digit float and labelled
    exact; now arb balls decide them (certified). Negative control: κ = 1 (the small-kappa tamper) FAILs, certified."""
    from proofs.smoothing import formulas as F
    from proofs.smoothing.claims import leakage_budget_claim, smoothing_budget_claim

    for tamper, verdict in (("", Verdict.PASS), ("small-kappa", Verdict.FAIL)):
        c = _construction(dim=1, eps="0.2", **({"tamper": tamper} if tamper else {}))
        claim = smoothing_budget_claim(c, c.exact(F.SHARES[0]))
        assert (claim.verdict, claim.evidence.value) == (verdict, "certified")
    c = _construction(dim=1, eps="0.2")
    h, w_min = c.rule_constants()
    assert c.beta == 0
    leak = c.exact(F.LEAK_BOUND.subs({F.kappa: c.kappa, F.h: h, F.w_min: w_min, F.beta: c.beta}))
    claim = leakage_budget_claim(c, leak, c.exact(F.SHARES[2]))
    assert (claim.verdict, claim.evidence.value) == (Verdict.PASS, "certified")
