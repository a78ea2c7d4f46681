"""proofs/pretrained/enclosure.py: every certified constant contains the true value (checked against independent
mpmath / float64 evaluations of the real head), and the certified sup contains the sampled one; each with a weakened
version that the same check catches."""
import mpmath
import numpy as np
import pytest
import sympy
from flint import arb

from pretrained_helpers import instance
from proofs.pretrained import enclosure as Z
from proofs.pretrained.evaluator import R1Evaluator
from proofs.pretrained.testing import write_random_bert
from verifier.budget import Budget
from verifier.domains import Sphere


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_random_bert(tmp_path_factory.mktemp("bert"), hidden=64, heads=4)


@pytest.fixture(scope="module")
def honest(folder):
    return instance(folder)


def test_content_bounds_contain_the_sampled_maxima(honest):
    X = Sphere(1).scan_points(4000, 3)
    evaluator = R1Evaluator(honest)
    q, k, v = evaluator.projections_f64(X)
    scores = np.einsum("ij,ij->i", q, k) / np.sqrt(honest.head.head_dim)
    values = np.linalg.norm(v @ np.asarray(honest.head.W_O, np.float64).T, axis=1)
    assert scores.max() <= float(honest.content.score.upper()) and values.max() <= float(honest.content.value.upper())
    assert scores.max() > float(honest.content.score.upper()) / 10  # the bound is not vacuous


def _true_eta(i, index: int, x) -> mpmath.mpf:
    """η_i(x) = s_i(x) − λ⟨p_i, x⟩ − b in mpmath at 50 digits through LayerNorm(E x) (no affine form, no arb)."""
    with mpmath.workdps(50):
        h, B = i.head, i.frame.B  # the exact frame E = B·diag(n^(−1/2))
        E = [[mpmath.mpf(int(B[r, j])) / mpmath.sqrt(n) for j, n in enumerate(i.frame.norms2)] for r in range(B.nrows())]
        xm = [mpmath.mpf(float(t)) for t in x]
        norm = mpmath.sqrt(mpmath.fsum(t * t for t in xm))
        xm = [t / norm for t in xm]
        r = [mpmath.fsum(e * t for e, t in zip(row, xm)) for row in E]
        mean = mpmath.fsum(r) / len(r)
        var = mpmath.fsum((t - mean) ** 2 for t in r) / len(r)
        u = [mpmath.mpf(float(g)) * (t - mean) / mpmath.sqrt(var + mpmath.mpf(h.ln_eps)) + mpmath.mpf(float(b))
             for g, t, b in zip(h.ln_gamma, r, h.ln_beta)]
        q = [mpmath.fsum(mpmath.mpf(float(w)) * t for w, t in zip(row, u)) + mpmath.mpf(float(b)) for row, b in zip(h.W_Q, h.b_Q)]
        score = mpmath.fsum(a * mpmath.mpf(float(k)) for a, k in zip(q, i.prefix.keys[index])) / mpmath.sqrt(h.head_dim)
        lam = mpmath.mpf(str(sympy.N(i.e1.lam, 60)))
        p = i.e1.grid.sphere_points_mp()[index]
        return score - lam * mpmath.fsum(a * b for a, b in zip(p, xm)) - mpmath.mpf(i.offset)


def _worst_points(i, index: int) -> list:
    """±(κ_i − λp_i)/‖…‖: where |⟨κ_i − λp_i, x⟩| attains its Cauchy–Schwarz bound."""
    direction = i.prefix.keys[index].astype(np.float64) @ i.query.A_f64 / np.sqrt(i.head.head_dim) - float(i.lam.mid()) * i.points[index]
    d = direction / np.linalg.norm(direction)
    return [d, -d]


def test_score_errors_contain_the_true_perturbation(honest):
    """|η_i(x)| ≤ η_i at the points where it is largest; η_i/4 is exceeded there (the check can fail)."""
    exceeded_by_quarter = False
    for index in range(0, honest.e1.N, 7):
        bound = float(honest.eta[index].upper())
        for x in _worst_points(honest, index):
            true = abs(_true_eta(honest, index, x))
            assert true <= bound
            exceeded_by_quarter |= true > bound / 4
    assert exceeded_by_quarter


@pytest.fixture(scope="module")
def sampled(honest):
    return R1Evaluator(honest).sups()


def test_certified_sup_contains_the_sampled_sup(honest, sampled):
    bounded = honest.certify_sup()
    assert bounded.decided
    for index, name in enumerate(Z.NAMES):
        assert float(sampled[name].value) <= bounded.uppers[index] * (1 + 1e-12)


def test_a_weakened_certificate_is_caught(honest, sampled):
    """Negative control: dropping most of ‖U‖ (0.3 instead of ≥ 1) gives an 'upper bound' below the sampled sup."""
    weak = Z.Certificate(arb(0.3), honest.certificate.omega, honest.certificate.leak)
    balls = Z.prefix_balls(honest.e1_balls.points, honest.e1_balls.values, honest.lam, honest.offset, honest.eta,
                           honest.e1_balls.near_cos)
    bounded = Z.certify_sup(balls, weak, honest.params.target, 1, honest.e1.n, float(honest.params.eps), Budget(2000))
    assert bounded.uppers[0] < float(sampled["error"].value)


def test_frame_norm_and_defect(honest):
    U = np.asarray(honest.head.W_O, np.float64) @ honest.prefix.M
    assert np.linalg.norm(U, 2) <= float(honest.unorm.upper()) < 1 + 1e-9
    assert float(Z.orthonormality_defect(honest.head.W_O, honest.prefix.M).upper()) < 1e-12
    assert float(Z.orthonormality_defect(honest.head.W_O, 2 * honest.prefix.M).upper()) > 1  # negative control


def test_value_rounding_bound_contains_the_float64_gap(honest):
    U = np.asarray(honest.head.W_O, np.float64) @ honest.prefix.M
    gaps = honest.prefix.values.astype(np.float64) @ np.asarray(honest.head.W_O, np.float64).T - \
        honest.params.target.numpy(honest.points) @ U.T
    assert np.linalg.norm(gaps, axis=1).max() <= float(honest.certificate.omega.upper())


def test_wide_score_errors_still_contain_the_sampled_sup(folder):
    """Soundness where the biases b ± η_i are wide (bfloat16 keys, η ≈ 10²): the bound still exceeds the sampled sup,
    which itself exceeds ε there."""
    i = instance(folder, tamper="bfloat16-keys", eps="0.05")
    sampled = float(R1Evaluator(i).sups()["error"].value)
    balls = Z.prefix_balls(i.e1_balls.points, i.e1_balls.values, i.lam, i.offset, i.eta, i.e1_balls.near_cos)
    bounded = Z.certify_sup(balls, i.certificate, i.params.target, 1, i.e1.n, 0.05, Budget(3000))
    assert sampled > 0.05 and bounded.uppers[0] >= sampled
