"""proofs/pretrained/instance.py: an R1 instance takes E1's N and λ, solves its prefix for the right head and keeps the
offset b ≥ 0 of its rule."""
import numpy as np
import pytest

from pretrained_helpers import instance
from proofs.pretrained.testing import write_random_bert


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_random_bert(tmp_path_factory.mktemp("bert"), hidden=64, heads=4)


def test_e1_pieces(folder):
    i = instance(folder)
    assert i.e1.N == len(i.points) == len(i.prefix.keys) == len(i.eta)
    assert np.allclose(np.linalg.norm(i.points, axis=1), 1)
    assert i.offset >= 0 and i.prefix.keys.dtype == np.float32 and i.prefix.values.dtype == np.float32


def test_prefix_is_solved_for_the_head_or_the_tampered_one(folder):
    assert instance(folder).prefix.solved_for == 2
    other = instance(folder, tamper="other-head")
    assert other.prefix.solved_for == 3 and other.head.head == 2
    assert not np.allclose(other.prefix.keys, instance(folder).prefix.keys)


def test_offset_rises_with_the_context(folder):
    """b = max(0, S + 1 + ln(4T(V_c + ‖U‖B)/ε) − λ(1 − δ²/2)): at ε = 2 (λ ≈ 11) and T = 10⁹ it is > 0, and the leakage
    bound is then ε/4·e^{η − 1} ≤ ε/4."""
    small, large = instance(folder, eps="2", context=1), instance(folder, eps="2", context=10**9)
    assert large.offset > small.offset == 0
    assert 0.5 * np.exp(-1) <= float(large.certificate.leak.upper()) <= 2 / 4
