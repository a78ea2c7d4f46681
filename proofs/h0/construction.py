"""The skeleton of a construction on H0, shared by single-head and smoothing: its validated parameters, and the
prefix points p_i and tokens (keys, biases, values) at an mpmath precision, built once per precision, and
their float64 rounding.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import mpmath
import numpy as np

from verifier.attention import Prefix


@dataclass(frozen=True)
class H0Construction:
    """A construction on H0 for ``params`` (with ``dim``, the sphere's m); a theorem's construction subclasses it
    and defines :meth:`build_prefix_mp`, which this caches per mpmath precision and rounds once to float64."""

    params: Any
    _mp_cache: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def m(self) -> int:
        return self.params.dim

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
