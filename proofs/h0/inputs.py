"""The inputs every theorem on H0 reads the same way: the target f: S^m → R^d with its claimed constants
(L, B), the accuracy ε, the T content tokens; their options, checks, messages and JSON fields, once.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

from verifier.errors import InputError
from verifier.inputs import integer, text
from verifier.options import Option

if TYPE_CHECKING:  # light at import: theorems' declarations (verifier list) read TARGET and CONTEXT
    import sympy

    from verifier.precision import PrecisionPolicy
    from verifier.targets import Target

TARGET = Option("target", "expression in x0..xm (a tuple for d > 1); default sin(2*x0)/2 with L = B = 1", text)
CONTEXT = Option("context", "number T of content tokens (copies of x: the worst case for leakage)", integer(1), 1)


def stated_target(theorem: str, example: str, o: Mapping[str, Any]) -> tuple[str, Any, Any]:
    """(target, L, B) from the read options ``eps``, ``target``, ``lipschitz``, ``bound``: as given, or the default
    target with its exact constants; refuses a missing ε, a target without its hypotheses and hypotheses
    without a target (``example``: an ε to suggest)."""
    if o["eps"] is None:
        raise InputError(f"{theorem} needs --eps, the target accuracy ε > 0 (e.g. --eps {example})")
    target, lipschitz, bound = o["target"], o["lipschitz"], o["bound"]
    if target is None:
        if lipschitz is not None or bound is not None:
            raise InputError("--lipschitz/--bound describe a --target; give the target too")
        from .target import DEFAULT_TARGET

        return DEFAULT_TARGET
    if lipschitz is None or bound is None:
        raise InputError("a custom --target needs its hypotheses: --lipschitz L and --bound B "
                         "(‖f(x)−f(y)‖ ≤ L‖x−y‖ and ‖f(x)‖ ≤ B on the sphere)")
    return target, lipschitz, bound


def check_eps_range(statement: str, eps: sympy.Rational, lipschitz: sympy.Rational, factor: int = 1) -> None:
    """Refuse ε outside the stated range (0, factor·L]."""
    if eps > factor * lipschitz:
        coefficient = "" if factor == 1 else str(factor)
        raise InputError(f"{statement} is stated for ε ∈ (0, {coefficient}L] = (0, {factor * lipschitz}]; pass a smaller --eps")


@dataclass(frozen=True)
class H0Instance:
    """The fields every H0 theorem's validated parameters share: S^m, ε (exact), the target f with its claimed
    L and B, T content tokens, the seed, the precision policy and the float64 scan size. A theorem's parameters
    subclass it and add their own fields after these."""

    dim: int
    eps: sympy.Rational
    target: Target
    context: int
    seed: int
    policy: PrecisionPolicy
    points: int

    def to_json(self) -> dict:
        """The shared fields in this order; a subclass extends the dict with its own."""
        t = self.target
        return {
            "dim": self.dim, "eps": float(self.eps), "eps_exact": str(self.eps),
            "target": t.text, "d": t.d, "lipschitz": float(t.lipschitz), "bound": float(t.bound),
            "context": self.context, "seed": self.seed, **self.policy.to_json(), "points": self.points,
        }
