"""The prefix of a construction on H0, shared by single-head and smoothing: the prefix points p_i and the
tokens (keys, biases, values) at an mpmath precision, built once per precision, and their float64 rounding.
"""
from __future__ import annotations

from functools import cached_property

import mpmath
import numpy as np

from verifier.attention import Prefix


class PrefixAtPrecision:
    """Mixin of a construction on H0 (a frozen dataclass with a field ``_mp_cache: dict``): it defines
    :meth:`build_prefix_mp`; this caches it per mpmath precision and rounds it once to float64."""

    _mp_cache: dict

    def build_prefix_mp(self) -> tuple[list, Prefix]:
        """(points p_i, prefix tokens) at the current mpmath precision."""
        raise NotImplementedError

    def at_precision(self) -> tuple[list, Prefix]:
        """(points, prefix) at the current mpmath precision, cached per precision."""
        dps = mpmath.mp.dps
        if dps not in self._mp_cache:
            self._mp_cache[dps] = self.build_prefix_mp()
        return self._mp_cache[dps]

    @cached_property
    def float64(self) -> tuple[np.ndarray, Prefix]:
        """(points, prefix) in float64, rounded from 20-digit values."""
        with mpmath.workdps(20):
            points, prefix = self.at_precision()
            as_array = lambda rows: np.array([[float(v) for v in row] for row in rows])  # noqa: E731
            return as_array(points), Prefix(as_array(prefix.keys), np.array([float(b) for b in prefix.biases]), as_array(prefix.values))

    @property
    def prefix_length(self) -> int:
        return len(self.float64[0])
