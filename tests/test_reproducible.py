"""verifier.reproducible: an exp and a product with the same bits on every machine, and a sampled search that
gives the same result whichever BLAS kernel and CPU features numpy uses."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest

from verifier.reproducible import OVERFLOW, UNDERFLOW, exp, matmul, top_singular

ROOT = Path(__file__).resolve().parents[1]
EDGES = [0.0, -0.0, 1e-300, -1e-300, 0.5 * math.log(2), -0.5 * math.log(2), 1.0, -1.0, 700.0, -700.0, -708.5, -740.0,
         OVERFLOW, UNDERFLOW, math.nextafter(OVERFLOW, 0), math.nextafter(UNDERFLOW, 0)]


def ulp_error(f, xs) -> float:
    """max |f(x) − e^x| in units of the last place of e^x (the spacing of float64 at e^x; subnormals: 2^−1074)."""
    worst = 0.0
    for x, got in zip(xs, f(np.array(xs))):
        true = mpmath.exp(mpmath.mpf(float(x)))
        spacing = max(float(np.spacing(float(true))), 5e-324)
        worst = max(worst, float(abs(mpmath.mpf(float(got)) - true) / spacing))
    return worst


def sample() -> list[float]:
    rng = np.random.default_rng(0)
    return [*EDGES, *rng.uniform(UNDERFLOW, OVERFLOW, 3000), *rng.uniform(-3, 3, 1000), *rng.uniform(-745, -708, 300)]


def test_exp_is_within_one_unit_in_the_last_place():
    assert ulp_error(exp, sample()) <= 1.0


def test_the_accuracy_check_finds_a_truncated_series():  # negative control of the check above
    def truncated(x):  # e^x ≈ 1 + x + … + x⁵/120: wrong in the last places already for |x| ~ 0.1
        return 1 + x * (1 + x * (1 / 2 + x * (1 / 6 + x * (1 / 24 + x / 120))))

    assert ulp_error(truncated, [0.1, -0.2, 0.3]) > 100


def test_exp_at_the_ends_of_the_float64_range():
    beyond = [math.nextafter(OVERFLOW, np.inf), math.nextafter(UNDERFLOW, -np.inf)]
    x = np.array([np.inf, -np.inf, np.nan, *beyond, -1e4, 1e4])
    out = exp(x)
    assert out[0] == np.inf and out[1] == 0 and np.isnan(out[2]) and out[3] == np.inf and out[4] == 0
    assert out[5] == 0 and out[6] == np.inf
    assert exp(UNDERFLOW) == 0 < exp(UNDERFLOW + 1) < 1e-300 and 1e308 < exp(OVERFLOW) < np.inf  # (their ulps: EDGES)


def test_exp_of_a_scalar_has_the_bits_of_exp_of_an_array():
    xs = np.array(sample())
    scalars = np.array([exp(float(x)) for x in xs])
    assert isinstance(exp(0.25), float) and scalars.tobytes() == exp(xs).tobytes()
    assert exp(xs.reshape(-1, 2)).shape == (len(xs) // 2, 2) and exp(np.empty((0, 3))).shape == (0, 3)


def test_matmul_is_the_matrix_product():
    rng = np.random.default_rng(1)
    a, b, v = rng.standard_normal((7, 5)), rng.standard_normal((5, 3)), rng.standard_normal(5)
    assert np.allclose(matmul(a, b), a @ b, rtol=1e-14, atol=1e-14) and matmul(a, b).shape == (7, 3)
    assert np.allclose(matmul(a, v), a @ v, rtol=1e-14, atol=1e-14) and matmul(a, v).shape == (7,)


# ---------------------------------------------------------------------------------------------
# The same search under another BLAS kernel, one BLAS thread, and numpy without its AVX-512 code (the CPU a new
# user may have), in subprocesses: the settings are read when numpy is imported.
PROBE = """
import json, sys
import numpy as np
from verifier.attention import derive_closed_form
from verifier.domains import covering_radius
from proofs.h0.head import h0_head
from proofs.single_head.construction import E1Construction
from proofs.single_head.evaluator import E1Evaluator
from proofs.single_head.theorem import SingleHead

x = np.random.default_rng(2).uniform(-30, 3, (64, 64))
libraries = {"np.exp": np.exp(x).tobytes().hex(), "BLAS @": (x @ x).tobytes().hex()}
params = SingleHead().parameters(dim=1, eps="0.3", evidence="sampled", points=1000)
c = E1Construction(params)
sups = E1Evaluator(c, derive_closed_form(h0_head(1, 1), 1, 1)).sups(covering_radius(c.float64[0], seed=0))
print(json.dumps({"libraries": libraries, "sups": {k: v.to_json() for k, v in sups.items()}}))
"""


def other_machine() -> dict:
    """Environment variables that make numpy compute like another x86-64 CPU: OpenBLAS's Sandy Bridge kernels on one
    thread, and numpy's dispatch without the AVX-512 features this CPU has (none on a CPU without them)."""
    from numpy._core._multiarray_umath import __cpu_features__

    avx512 = [f for f in ("X86_V4", "AVX512F", "AVX512_SKX", "AVX512_CLX", "AVX512_CNL", "AVX512_ICL", "AVX512_SPR")
              if __cpu_features__.get(f)]
    env = {"OPENBLAS_CORETYPE": "SandyBridge", "OPENBLAS_NUM_THREADS": "1"}
    return {**env, "NPY_DISABLE_CPU_FEATURES": " ".join(avx512)} if avx512 else env


def probe(extra: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENBLAS_", "NPY_", "OMP_"))}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env={**env, **extra}, capture_output=True, text=True,
                          check=False, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_a_sampled_search_is_the_same_under_another_blas_kernel_and_cpu_features():
    """The sup search of a small E1 instance (scan, Nelder–Mead, mpmath at the argmax) under this machine's settings
    and under :func:`other_machine`'s gives the same JSON: values, argmax bits and point counts (timing is not in
    it). Before verifier.reproducible the point counts and the argmax differed (softmax by np.exp, products by BLAS,
    the tangent basis by LAPACK's QR). The control: the libraries themselves do give other bits there (else this
    machine cannot show the difference: skipped)."""
    here, there = probe({}), probe(other_machine())
    if here["libraries"] == there["libraries"]:
        pytest.skip("np.exp and BLAS give the same bits under both settings on this machine: nothing to compare")
    assert here["sups"] == there["sups"]


def test_top_singular_is_the_largest_singular_value_and_its_vector():
    """Random 3 × 4 matrices (σ₂/σ₁ up to 0.95: σ₁ to 10⁻⁷, never above it) and rank-1 ones (exact, the same line
    as LAPACK's vector)."""
    rng = np.random.default_rng(4)
    a, rank1 = rng.standard_normal((40, 3, 4)), rng.standard_normal((10, 1, 4)).repeat(3, axis=1)
    s, v = top_singular(a)
    s_ref = np.linalg.svd(a)[1][:, 0]
    assert np.allclose(s, s_ref, rtol=1e-7) and np.all(s <= s_ref * (1 + 1e-14))
    s, v = top_singular(rank1)
    _, s_ref, vt_ref = np.linalg.svd(rank1)
    assert np.allclose(s, s_ref[:, 0], rtol=1e-13)
    assert np.allclose(np.abs(np.einsum("pi,pi->p", v, vt_ref[:, 0])), 1, atol=1e-12)
    assert np.allclose(np.linalg.norm(v, axis=1), 1) and top_singular(np.zeros((2, 1, 3)))[0].tolist() == [0, 0]


def test_a_few_power_steps_are_not_enough_where_two_singular_values_are_close():  # negative control of the above
    a = np.diag([1.0, 0.999, 0.5])[None] + 0.3  # σ₂/σ₁ near 1: slow convergence
    s_ref = np.linalg.svd(a)[1][0, 0]
    assert not np.isclose(top_singular(a, steps=1)[0][0], s_ref, rtol=1e-12)
    assert np.isclose(top_singular(a)[0][0], s_ref, rtol=1e-12)
