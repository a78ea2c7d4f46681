"""Tests for verifier.supnorm: sampled sup search (float64 scan → Nelder–Mead → mpmath at two precisions)."""
from __future__ import annotations

import json
import math

import mpmath
import numpy as np
import pytest

from verifier.domains import Sphere, to_sphere_mp
from verifier.precision import PrecisionPolicy
from verifier.supnorm import FLOAT64_AGREEMENT, SupResult, sup_search


# ---------------------------------------------------------------------------------------------
# Known smooth quantities, each as a float64 (rows) function and an mpmath (one point) function.
def _normalised_mp(x):
    xm = [mpmath.mpf(float(v)) for v in x]
    norm = mpmath.norm(xm)
    return [v / norm for v in xm]


class Recorder:
    """Wraps a pair (f64, mp) and records what sup_search did with them."""

    def __init__(self, f64, mp):
        self._f64, self._mp = f64, mp
        self.mp_dps: list[int] = []
        self.f64_rows = 0
        self.scanned = None  # the first batch: the scan

    def f64(self, X):
        self.f64_rows += len(X)
        self.scanned = X.copy() if self.scanned is None else self.scanned
        return self._f64(X)

    def mp(self, x):
        self.mp_dps.append(mpmath.mp.dps)
        return self._mp(x)


def linear_f64(X):
    """q(x) = 1 + x0: max 2 at e0."""
    return {"q": 1 + X[:, 0]}


def linear_mp(x):
    xm = _normalised_mp(x)
    return {"q": 1 + xm[0]}


def well_pair(c):
    """q(x) = −‖x − c‖²: max 0 at c."""
    c = np.asarray(c, float)

    def f64(X):
        return {"q": -np.sum((X - c) ** 2, axis=1)}

    def mp(x):
        xm = _normalised_mp(x)
        cm = [mpmath.mpf(float(v)) for v in c]
        return {"q": -mpmath.fsum((a - b) ** 2 for a, b in zip(xm, cm))}

    return f64, mp


def peak_pair(a, w):
    """q(x) = exp(−(angle(x) − a)²/w²) on S^1 (angle difference wrapped to (−π, π])."""
    ca, sa = math.cos(a), math.sin(a)

    def f64(X):
        d = np.arctan2(X[:, 1] * ca - X[:, 0] * sa, X[:, 0] * ca + X[:, 1] * sa)
        return {"q": np.exp(-((d / w) ** 2))}

    def mp(x):
        xm = _normalised_mp(x)
        d = mpmath.atan2(xm[1] * mpmath.cos(a) - xm[0] * mpmath.sin(a), xm[0] * mpmath.cos(a) + xm[1] * mpmath.sin(a))
        return {"q": mpmath.exp(-((d / w) ** 2))}

    return f64, mp


POLICY = PrecisionPolicy()  # dps 30, checked at 60
C2 = np.array([0.6, -0.8])
C3 = np.array([2.0, -1.0, 2.0]) / 3.0


@pytest.fixture(scope="module", params=[1, 2], ids=["S1", "S2"])
def linear_run(request):
    m = request.param
    rec = Recorder(linear_f64, linear_mp)
    dps_before = mpmath.mp.dps
    result = sup_search(rec.f64, rec.mp, ["q"], Sphere(m), POLICY, seed=3, scan_points=2000)
    return m, rec, result["q"], dps_before


# ---------------------------------------------------------------------------------------------
def test_linear_maximum_and_argmax(linear_run):
    m, _, r, _ = linear_run
    assert isinstance(r, SupResult)
    assert r.name == "q"
    assert abs(float(r.value) - 2.0) < 1e-9
    e0 = np.eye(m + 1)[0]
    assert len(r.argmax) == m + 1
    assert abs(np.linalg.norm(r.argmax) - 1) < 1e-12
    assert np.linalg.norm(np.array(r.argmax) - e0) < 1e-4


@pytest.mark.parametrize("m,c", [(1, C2), (2, C3)], ids=["S1", "S2"])
def test_well_maximum_and_argmax(m, c):
    f64, mp = well_pair(c)
    r = sup_search(f64, mp, ["q"], Sphere(m), POLICY, seed=0, scan_points=2000)["q"]
    assert -1e-9 <= float(r.value) <= 1e-12  # sup is 0, the quantity is ≤ 0 everywhere
    assert np.linalg.norm(np.array(r.argmax) - c) < 1e-4
    assert r.precision_agrees and r.float64_agrees


def test_mp_called_at_both_precisions(linear_run):
    _, rec, r, dps_before = linear_run
    assert set(rec.mp_dps) == {POLICY.dps, POLICY.verify_dps} == {30, 60}
    # every point is evaluated at the working precision and then at the check precision
    assert rec.mp_dps.count(30) == rec.mp_dps.count(60) >= 1
    assert mpmath.mp.dps == dps_before  # global precision restored


def test_result_fields_consistent(linear_run):
    _, rec, r, _ = linear_run
    assert r.dps == POLICY.dps and r.verify_dps == POLICY.verify_dps
    assert isinstance(r.value, mpmath.mpf) and isinstance(r.value_working, mpmath.mpf)
    assert r.precision_agrees is True and r.float64_agrees is True
    with mpmath.workdps(r.verify_dps):
        assert abs(r.value - r.value_working) <= POLICY.tolerance * max(1, abs(r.value))
        # the high-precision value is really computed at high precision: agrees with 1 + x0 to ~60 digits
        x = [mpmath.mpf(v) for v in r.argmax]
        exact = 1 + x[0] / mpmath.norm(x)
        assert abs(r.value - exact) < mpmath.mpf(10) ** -50
    assert abs(r.float64_value - float(r.value)) <= FLOAT64_AGREEMENT
    # points = scan rows + Nelder–Mead evaluations = every row quantities_f64 saw (one quantity)
    assert r.points == rec.f64_rows
    assert r.points > 2000


def test_float64_disagreement_detected():
    def bad_mp(x):
        return {"q": linear_mp(x)["q"] + mpmath.mpf("1e-3")}

    r = sup_search(linear_f64, bad_mp, ["q"], Sphere(1), POLICY, seed=0, scan_points=500)["q"]
    assert r.float64_agrees is False
    assert r.precision_agrees is True  # the mp path is consistent with itself
    assert abs(float(r.value) - 2.001) < 1e-9


def test_precision_dependence_detected():
    def drifting_mp(x):
        # 1e-10 at 30 digits, 1e-20 at 60 digits: a difference far above tol = 1e-25
        return {"q": linear_mp(x)["q"] + mpmath.mpf(10) ** (-(mpmath.mp.dps // 3))}

    r = sup_search(linear_f64, drifting_mp, ["q"], Sphere(1), POLICY, seed=0, scan_points=500)["q"]
    assert r.precision_agrees is False
    assert r.float64_agrees is True  # 1e-20 is invisible in float64
    with mpmath.workdps(60):
        assert abs((r.value_working - r.value) - mpmath.mpf("1e-10")) < mpmath.mpf("1e-15")


def test_narrow_peak_captured_by_refinement():
    a, w, n = 1.0, 0.05, 20
    f64, mp = peak_pair(a, w)
    sphere = Sphere(1)
    best_scan = float(np.max(f64(sphere.scan_points(n, 0))["q"]))
    assert best_scan < 1e-3  # the scan alone misses the peak
    r = sup_search(f64, mp, ["q"], sphere, POLICY, seed=0, scan_points=n)["q"]
    assert float(r.value) > 1 - 1e-9
    assert float(r.value) > best_scan
    assert abs(math.atan2(r.argmax[1], r.argmax[0]) - a) < 1e-4


def test_extra_points_are_scanned():
    a, w, n = 2.0, 1e-4, 200
    f64, mp = peak_pair(a, w)
    sphere = Sphere(1)
    without = sup_search(f64, mp, ["q"], sphere, POLICY, seed=0, scan_points=n)["q"]
    assert float(without.value) < 1e-3  # unreachable from the scan
    extra = np.array([[math.cos(a + 2e-5), math.sin(a + 2e-5)]])
    rec = Recorder(f64, mp)
    with_extra = sup_search(rec.f64, rec.mp, ["q"], sphere, POLICY, seed=0, scan_points=n, extra_points=extra)["q"]
    assert float(with_extra.value) > 1 - 1e-9
    assert abs(math.atan2(with_extra.argmax[1], with_extra.argmax[0]) - a) < 1e-6
    assert with_extra.points == rec.f64_rows  # the extra point is counted among the scanned rows
    assert with_extra.points > n + 1


def test_several_quantities_each_get_their_own_sup():
    c = C3

    def f64(X):
        return {"lin": 1 + X[:, 0], "well": -np.sum((X - c) ** 2, axis=1)}

    def mp(x):
        xm = _normalised_mp(x)
        cm = [mpmath.mpf(float(v)) for v in c]
        return {"lin": 1 + xm[0], "well": -mpmath.fsum((a - b) ** 2 for a, b in zip(xm, cm))}

    res = sup_search(f64, mp, ["lin", "well"], Sphere(2), POLICY, seed=1, scan_points=1000, chunk_rows=97)
    assert set(res) == {"lin", "well"}
    assert res["lin"].name == "lin" and res["well"].name == "well"
    assert abs(float(res["lin"].value) - 2) < 1e-9
    assert abs(float(res["well"].value)) < 1e-9
    assert np.linalg.norm(np.array(res["lin"].argmax) - [1, 0, 0]) < 1e-4
    assert np.linalg.norm(np.array(res["well"].argmax) - c) < 1e-4


def test_chunking_does_not_change_result():
    f64, mp = well_pair(C3)
    a = sup_search(f64, mp, ["q"], Sphere(2), POLICY, seed=5, scan_points=1000, chunk_rows=2048)["q"]
    b = sup_search(f64, mp, ["q"], Sphere(2), POLICY, seed=5, scan_points=1000, chunk_rows=33)["q"]
    assert a == b


def test_custom_policy_recorded():
    policy = PrecisionPolicy(dps=20, check_dps=45)
    rec = Recorder(linear_f64, linear_mp)
    r = sup_search(rec.f64, rec.mp, ["q"], Sphere(1), policy, seed=0, scan_points=300)["q"]
    assert (r.dps, r.verify_dps) == (20, 45)
    assert set(rec.mp_dps) == {20, 45}
    assert r.to_json()["dps"] == 20 and r.to_json()["verify_dps"] == 45


def test_to_json(linear_run):
    _, _, r, _ = linear_run
    j = r.to_json()
    assert set(j) == {"value", "value_decimal", "argmax", "method", "points", "dps", "verify_dps",
                      "float64_value", "precision_agrees", "float64_agrees"}
    assert isinstance(j["value"], float) and j["value"] == float(r.value)
    assert j["argmax"] == list(r.argmax) and isinstance(j["argmax"], list)
    assert j["points"] == r.points and j["dps"] == r.dps and j["verify_dps"] == r.verify_dps
    assert "sampled" in j["method"]
    assert mpmath.mpf(j["value_decimal"]) == pytest.approx(2.0, abs=1e-9)
    assert json.loads(json.dumps(j)) == j


def test_deterministic_for_a_seed():
    f64, mp = well_pair(C3)
    runs = [sup_search(f64, mp, ["q"], Sphere(2), POLICY, seed=11, scan_points=1500)["q"] for _ in range(2)]
    assert runs[0] == runs[1]
    assert runs[0].to_json() == runs[1].to_json()


def test_seed_changes_the_random_scan_points():
    rec_a, rec_b = Recorder(*well_pair(C3)), Recorder(*well_pair(C3))
    a = sup_search(rec_a.f64, rec_a.mp, ["q"], Sphere(2), POLICY, seed=1, scan_points=400)["q"]
    b = sup_search(rec_b.f64, rec_b.mp, ["q"], Sphere(2), POLICY, seed=2, scan_points=400)["q"]
    # different seeds scan different points (the refinement may still end at the same float point), yet both
    # find the maximum
    assert rec_a.scanned.shape == rec_b.scanned.shape and not np.array_equal(rec_a.scanned, rec_b.scanned)
    assert abs(float(a.value)) < 1e-9 and abs(float(b.value)) < 1e-9


def test_polish_mp_reaches_the_maximum_at_high_precision():
    """q(x) = 1 + x0 on S^1 has max 2 at e0; from a float point 1e-7 away the compass search gets
    within 1e-25 (a smooth max: value error ~ step², step stops at 10^−15)."""
    from verifier.supnorm import polish_mp
    policy = PrecisionPolicy(dps=30)
    start = np.array([np.cos(1e-7), np.sin(1e-7)])
    with mpmath.workdps(30):
        unpolished = 1 + to_sphere_mp(start)[0]
        point, evaluations = polish_mp(lambda y: 1 + to_sphere_mp(y)[0], start, Sphere(1), policy)
        polished = 1 + to_sphere_mp(point)[0]
        assert 2 - unpolished > mpmath.mpf(10) ** -16  # the float start is not at the max
        assert 0 <= 2 - polished < mpmath.mpf(10) ** -25
    assert 0 < evaluations < 200


def test_polish_is_recorded_in_the_method():
    names = ("q",)
    f64 = lambda X: {"q": 1 + X[:, 0]}  # noqa: E731
    fmp = lambda x: {"q": 1 + to_sphere_mp(x)[0]}  # noqa: E731
    plain = sup_search(f64, fmp, names, Sphere(2), PrecisionPolicy(), 0, scan_points=500)["q"]
    polished = sup_search(f64, fmp, names, Sphere(2), PrecisionPolicy(), 0, scan_points=500, polish=names)["q"]
    assert "compass search in mpmath" in polished.method and "compass" not in plain.method
    assert polished.value >= plain.value and abs(polished.value - 2) < mpmath.mpf(10) ** -25


# --------------------------------------------------------------------------- gaps found by mutation testing
# (direct calls: mutmut maps a module-scoped fixture's work to the first test that uses it only)


def two_bumps_pair(a, w):
    """q(θ) = e^{−θ²} + 2·e^{−(θ−a)²/w²} on S^1: a broad bump of height 1 at 0, a narrow one of 2 at a."""
    def f64(X):
        t = np.arctan2(X[:, 1], X[:, 0])
        return {"q": np.exp(-t**2) + 2 * np.exp(-(((t - a) / w) ** 2))}

    def mp(x):
        xm = _normalised_mp(x)
        t = mpmath.atan2(xm[1], xm[0])
        return {"q": mpmath.exp(-t**2) + 2 * mpmath.exp(-(((t - a) / w) ** 2))}

    return f64, mp


def test_refined_points_are_ranked_by_their_refined_value():
    """The narrow bump's best scan point ranks 6th in the scan (flank value 0.6 < 1), but after
    refinement it is the best: with verify = 1 it must be the one evaluated in mpmath."""
    f64, mp = two_bumps_pair(2.2, 0.285)
    r = sup_search(f64, mp, ["q"], Sphere(1), POLICY, seed=0, scan_points=20, verify=1)["q"]
    assert 2 < float(r.value) < 2.01  # the narrow bump, where the broad one adds about e^{−a²} ≈ 0.008
    assert abs(math.atan2(r.argmax[1], r.argmax[0]) - 2.2) < 1e-2


@pytest.mark.filterwarnings("error::scipy.optimize.OptimizeWarning")  # every Nelder–Mead option is one scipy knows
def test_initial_simplex_has_the_scan_spacing_and_extra_points_are_rows():
    """Nelder–Mead starts from a simplex of edge step = (4π/P)^(1/m), the spacing of P scan points:
    the first evaluations after the scan are x0 and retract(x0, step·e_j)."""
    rec = Recorder(linear_f64, linear_mp)
    extra = [[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]  # a list of two rows
    r = sup_search(rec.f64, rec.mp, ["q"], Sphere(2), POLICY, seed=0, scan_points=400, extra_points=extra)["q"]
    assert r.points == rec.f64_rows and abs(float(r.value) - 2) < 1e-9

    seen = []
    sup_search(lambda X: seen.append(X.copy()) or linear_f64(X), linear_mp, ["q"], Sphere(2), POLICY, seed=0,
               scan_points=400, extra_points=extra)
    assert len(seen[0]) == 402  # the scan and both extra rows
    x0, first, second = seen[1][0], seen[2][0], seen[3][0]
    step = (4 * np.pi / 402) ** (1 / 2)
    for y in (first, second):
        assert np.linalg.norm(y - x0) == pytest.approx(2 * np.sin(np.arctan(step) / 2), rel=1e-9)


def test_float64_agreement_is_relative_to_max_one_and_the_value():
    """|q_float64 − q_mp| ≤ 1e-8·max(1, |q|): 1.5e-8 apart at q ≈ 2·10³ agrees, at q ≈ 1 it does not."""
    def offset(scale, delta):
        f64 = lambda X: {"q": scale * (1 + X[:, 0])}  # noqa: E731
        mp = lambda x: {"q": scale * linear_mp(x)["q"] + delta}  # noqa: E731
        return sup_search(f64, mp, ["q"], Sphere(1), POLICY, seed=0, scan_points=200)["q"]

    big, small = offset(1000, 1.5e-8), offset(0.5, 1.5e-8)
    assert big.float64_agrees is True and big.float64_value == pytest.approx(2000, abs=1e-6)
    assert small.float64_agrees is False and small.float64_value == pytest.approx(1, abs=1e-9)
    assert small.to_json()["value_decimal"] == mpmath.nstr(small.value_working, POLICY.dps)
    assert len(small.to_json()["value_decimal"]) > 20  # all the working digits, not nstr's default 6


def test_method_names_every_stage():
    f64 = lambda X: {"q": 1 + X[:, 0]}  # noqa: E731
    fmp = lambda x: {"q": 1 + to_sphere_mp(x)[0]}  # noqa: E731
    rec = Recorder(f64, fmp)
    plain = sup_search(f64, fmp, ("q",), Sphere(2), POLICY, 0, scan_points=300)["q"]
    polished = sup_search(rec.f64, rec.mp, ("q",), Sphere(2), POLICY, 0, scan_points=300, polish=("q",))["q"]
    stages = "sampled: float64 scan + Nelder-Mead refinement on the sphere"
    assert plain.method == stages + ", mpmath at the argmax"
    assert polished.method == stages + f" + compass search in mpmath at {POLICY.dps} digits"
    # every evaluation is counted: the polish's mpmath evaluations (working precision only) too
    polish_evaluations = rec.mp_dps.count(POLICY.dps) - rec.mp_dps.count(POLICY.verify_dps)
    assert polish_evaluations > 0 and polished.points == rec.f64_rows + polish_evaluations


def counting(quantity):
    calls = []

    def q(y):
        calls.append([mpmath.mpf(c) for c in y])
        return quantity(y)

    return q, calls


def test_polish_mp_on_a_plateau_stops_after_halving_to_the_resolution():
    """A constant q: no move ever improves (a tie is not a move), so the step halves from 1e-7 until it
    is below 10^(−dps/2) = 1e-15 (27 halvings), each after trying ±step along the m = 2 directions."""
    from verifier.supnorm import polish_mp
    q, calls = counting(lambda y: mpmath.mpf(1))
    start = Sphere(2).uniform(1, 0)[0]
    point, evaluations = polish_mp(q, start, Sphere(2), PrecisionPolicy(dps=30))
    assert evaluations == len(calls) == 1 + 2 * 2 * 27
    with mpmath.workdps(30):
        assert max(abs(a - b) for a, b in zip(point, to_sphere_mp(start))) < mpmath.mpf(10) ** -28


def test_polish_mp_steps_are_tangent_moves_of_the_step_size_and_travel_far():
    """The trials are retract(x0, ±s·e_j): at distance ≈ s = 1e-7 from the start. From 1e-6 away
    (ten steps) the search still reaches the maximum of q = 1 + x0 on S^2."""
    from verifier.supnorm import polish_mp
    q, calls = counting(lambda y: 1 + y[0])
    start = np.array([np.cos(1e-6), np.sin(1e-6), 0.0])
    point, evaluations = polish_mp(q, start, Sphere(2), PrecisionPolicy(dps=30))
    with mpmath.workdps(30):
        x0 = calls[0]
        for trial in calls[1:3]:
            distance = mpmath.norm([a - b for a, b in zip(trial, x0)])
            assert abs(distance - mpmath.mpf("1e-7")) < mpmath.mpf("1e-13")
        assert 0 <= 2 - (1 + point[0]) < mpmath.mpf(10) ** -25
    assert evaluations == len(calls)


def test_seconds_is_the_wall_time_of_the_search_shared_by_its_quantities():
    import time
    f64, mp = well_pair(C3)
    both = lambda X: {"a": f64(X)["q"], "b": 1 + X[:, 0]}  # noqa: E731
    both_mp = lambda x: {"a": mp(x)["q"], "b": 1 + _normalised_mp(x)[0]}  # noqa: E731
    began = time.perf_counter()
    res = sup_search(both, both_mp, ["a", "b"], Sphere(2), POLICY, seed=0, scan_points=300)
    wall = time.perf_counter() - began
    assert 0 < res["a"].seconds == res["b"].seconds <= wall


def test_polish_mp_follows_a_ridge_off_the_axes():
    """q = −(10⁴(y0 − y1)² + (y0 + y1 − 2·10⁻⁵)²) on S² has max 0 at y0 = y1 = 10⁻⁵, on a narrow ridge
    along the diagonal of the tangent axes at the start e2: axis moves alone zigzag across it (an
    axis step s costs ~10⁴s² and gains ~4·10⁻⁵s), the pattern moves follow it, within the cap."""
    from verifier.supnorm import POLISH_EVALUATIONS, polish_mp
    policy = PrecisionPolicy(dps=30)

    def q(y):
        y = to_sphere_mp(y)
        return -(10**4 * (y[0] - y[1]) ** 2 + (y[0] + y[1] - mpmath.mpf("2e-5")) ** 2)

    with mpmath.workdps(30):
        point, evaluations = polish_mp(q, np.array([0.0, 0.0, 1.0]), Sphere(2), policy)
        assert q([0, 0, 1]) < -mpmath.mpf(10) ** -10
        assert -q(point) < mpmath.mpf(10) ** -20
    assert evaluations < POLISH_EVALUATIONS


def test_quantities_left_out_of_refined_keep_their_best_scan_point():
    """refined=("a",): q_a is refined by Nelder–Mead past its best scan value, q_b (the same function) is not: its
    argmax is a scan point and its value that point's; without ``refined`` both are refined (the control)."""
    def f64(X):
        return {"a": 1 + X[:, 0], "b": 1 + X[:, 0]}

    def mp(x):
        xm = _normalised_mp(x)
        return {"a": 1 + xm[0], "b": 1 + xm[0]}

    policy, sphere = PrecisionPolicy(dps=30), Sphere(2)
    scan = sphere.scan_points(200, 0)
    best_scan = float(np.max(1 + scan[:, 0]))
    only_a = sup_search(f64, mp, ("a", "b"), sphere, policy, seed=0, scan_points=200, refined=("a",))
    both = sup_search(f64, mp, ("a", "b"), sphere, policy, seed=0, scan_points=200)
    assert float(only_a["a"].value) > best_scan + 1e-6 and float(both["b"].value) > best_scan + 1e-6
    assert float(only_a["b"].value) == pytest.approx(best_scan, abs=1e-15)
    assert any(np.allclose(only_a["b"].argmax, row, atol=0) for row in scan)
    assert only_a["b"].method.startswith("sampled: float64 scan,") and "Nelder-Mead" in only_a["a"].method
