"""The fitting protocol: determinism, improvement on the starts, modest sizes reaching ε = 0.1 on S¹ (sampled), the
check set, bad input."""
import json

import numpy as np
import pytest

from proofs.prefix_training import fit as FT
from proofs.prefix_training import starts as S
from verifier.errors import InputError
from verifier.targets import Target

TARGET = Target.parse("sin(2*x0)/2", 1, 1, 1)


def check_error(model, target=TARGET, seed=0):
    X = FT.check_points(target.m, seed)
    R = model(X) - target.numpy(X)
    return float(np.max(np.sqrt(np.sum(R * R, axis=1))))


def test_same_inputs_give_the_same_model_bit_for_bit():
    runs = [json.dumps(FT.fit_network(TARGET, 3, 1e-9, 4).to_json()) for _ in range(2)]
    assert runs[0] == runs[1]
    assert json.dumps(FT.fit_network(TARGET, 3, 1e-9, 5).to_json()) != runs[0]


def test_prefix_fit_improves_on_every_start_and_reports_its_own_check_error():
    N = 4
    fit = FT.fit_prefix(TARGET, N, 1e-9, 0)  # an unreachable goal: every start through every stage
    starts = [S.e1_start(TARGET, N, 1), S.e2_start(TARGET, N, 1)] + [S.random_prefix(TARGET, N, 0, i, 1)
                                                                       for i in range(1, FT.RANDOM_PREFIXES + 1)]
    assert fit.sampled_error == check_error(fit.model)
    assert fit.sampled_error < 0.1 * min(check_error(s) for s in starts)
    assert fit.evaluations > len(starts) * len(FT.STAGES) and fit.seed == 0 and fit.model.N == N


def test_network_fit_improves_on_every_start():
    W = 3
    fit = FT.fit_network(TARGET, W, 1e-9, 0)
    X = FT.fit_points(1, 0)
    starts = ([S.lstsq_network(TARGET, X, TARGET.numpy(X), W, 0, i) for i in (1, 2, 3)]
              + [S.random_network(TARGET, W, 0, 4)])
    assert fit.sampled_error == check_error(fit.model)
    assert fit.sampled_error < 0.5 * min(check_error(s) for s in starts)


def test_modest_sizes_reach_a_tenth_sampled_and_stop_at_the_goal():
    """sin(2x0)/2 on S¹ to ε = 0.1 with goal 0.08: a prefix of 4 tokens (16 parameters) and a network of 3 units
    (13 parameters) reach it; the fit stops there (fewer evaluations than a full run)."""
    prefix, network = FT.fit_prefix(TARGET, 4, 0.08, 0), FT.fit_network(TARGET, 3, 0.08, 0)
    assert prefix.sampled_error <= 0.08 and network.sampled_error <= 0.08
    assert prefix.model.parameter_count == 16 and network.model.parameter_count == 13
    assert network.evaluations < FT.fit_network(TARGET, 3, 1e-9, 0).evaluations


def test_a_goal_out_of_reach_is_reported_not_met():
    """Negative control: one token cannot follow sin(6x0)/6 to 10⁻³; the fit says so (its sampled error is above)."""
    fit = FT.fit_prefix(Target.parse("sin(6*x0)/6", 1, 1, 1), 1, 1e-3, 0)
    assert fit.sampled_error > 0.1


def test_check_set_is_denser_and_contains_the_fit_set():
    fit1, check1 = FT.fit_points(1, 0), FT.check_points(1, 0)
    assert len(check1) == FT.CHECK_FACTOR * len(fit1) and np.array_equal(check1[::FT.CHECK_FACTOR], fit1)
    fit2, check2 = FT.fit_points(2, 3), FT.check_points(2, 3)
    assert len(check2) > 10 * len(fit2)
    np.testing.assert_allclose(np.linalg.norm(check2, axis=1), 1)


def test_fits_on_higher_spheres_run():
    """S²: a network of 2 units to 0.3; S³ (no E2 start there: its rules are for S¹ and S²): a prefix of 8 tokens."""
    fit = FT.fit_network(Target.parse("x0*x1", 2, 1, 1), 2, 0.3, 0)
    assert fit.sampled_error <= 0.3 and fit.model.m == 2
    fit = FT.fit_prefix(Target.parse("x0*x1 + x3", 3, 2, 2), 8, 0.3, 0)
    assert fit.sampled_error <= 0.3 and fit.model.m == 3 and fit.start != "e2"


@pytest.mark.parametrize("call, message", [
    (lambda: FT.fit_prefix(TARGET, 0, 0.1, 0), "1 ≤ N"),
    (lambda: FT.fit_network(TARGET, 0, 0.1, 0), "1 ≤ W"),
    (lambda: FT.fit_prefix(TARGET, 4, 0.0, 0), "goal > 0"),
    (lambda: FT.fit_network(TARGET, 4, float("nan"), 0), "goal > 0"),
    (lambda: FT.fit_prefix(TARGET, 4, 0.1, -1), "seed"),
    (lambda: FT.fit_prefix(TARGET, 4, 0.1, 0, context=0), "T ≥ 1"),
    (lambda: FT.fit_prefix("sin(x0)", 4, 0.1, 0), "Target.parse"),
    (lambda: FT.fit_network(TARGET, 10**6, 0.1, 0), "1 ≤ W ≤"),
])
def test_bad_input_is_refused(call, message):
    with pytest.raises(InputError, match=message):
        call()


def test_same_model_under_another_blas_kernel_and_cpu_features():
    """A prefix and a network fit in a subprocess under this machine's settings and under another x86-64 CPU's
    (tests/test_reproducible.other_machine: OpenBLAS's Sandy Bridge kernels, numpy without AVX-512) give the same JSON.
    With scipy's L-BFGS-B as the optimiser they did not (the fit module's docstring)."""
    import os
    import subprocess
    import sys

    from test_reproducible import ROOT, other_machine

    code = ("import json; from verifier.targets import Target; from proofs.prefix_training import fit as FT; "
            "f = Target.parse('sin(6*x0)/6', 1, 1, 1); "
            "print(json.dumps([FT.fit_prefix(f, 3, 1e-9, 0).to_json(), FT.fit_network(f, 3, 1e-9, 0).to_json()]))")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENBLAS_", "NPY_", "OMP_"))}
    runs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env={**env, **extra}, stdout=subprocess.PIPE,
                             text=True) for extra in ({}, other_machine())]  # both at once: half the wall time
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0]
    assert outputs[0] == outputs[1] and json.loads(outputs[0])[0]["model"]["N"] == 3
