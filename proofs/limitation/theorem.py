"""L1: the registered theorem object ``limitation`` and its parameters; the identity and its checks (sympy on
general symbols, mpmath on random heads) are in identity.py (docs/limitation.md; P0 of docs/paper.md).

Negative control ``--tamper rescaled-content``: a "prefix" that also multiplies the content scores
by 2 (which no prefix can do) must FAIL every check.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from verifier.inputs import integer
from verifier.options import DPS, SEED, Option, read_options, tamper
from verifier.theorem import Outcome, TheoremBase

if TYPE_CHECKING:
    from verifier.claims import ClaimResult
    from verifier.precision import PrecisionPolicy

TAMPER_MODES = ("rescaled-content",)
RESCALE = 2  # the tamper's factor on the content scores


@dataclass(frozen=True)
class LimitationParameters:
    """A validated instance: the symbolic sizes, the random sample and the precision."""

    tokens: int  # n content tokens (symbolic check)
    prefix_length: int  # N prefix tokens (symbolic check)
    token_dim: int  # D (W_Q and W_K are D × D, W_V is d × D in the symbolic check)
    value_dim: int  # d
    instances: int  # random heads in the numeric check
    seed: int
    policy: PrecisionPolicy
    tamper: Optional[str]

    @property
    def content_scale(self) -> int:
        """The factor on the content scores when a prefix is present: 1, or RESCALE under the tamper."""
        return RESCALE if self.tamper == "rescaled-content" else 1

    def to_json(self) -> dict:
        return {
            "tokens": self.tokens, "prefix_length": self.prefix_length, "token_dim": self.token_dim,
            "value_dim": self.value_dim, "instances": self.instances, "seed": self.seed,
            "dps": self.policy.dps, "verify_dps": self.policy.verify_dps, "tamper": self.tamper,
        }


# ---------------------------------------------------------------------------------------------
class Limitation(TheoremBase):
    """The registered theorem object for L1."""

    name = "limitation"
    statement = ("L1: for any head, prefix and content, H(x_j) = (1−α_j)·H_content(x_j) + α_j·H_prefix(x_j): "
                 "a prefix keeps the attention proportions among content tokens and only biases the output")
    realises = ("P0",)
    fact_labels = {"content_scale": "content score factor (2 under the tamper)"}

    options = (
        Option("tokens", "content tokens n of the symbolic check", integer(1, 4), 2),
        Option("prefix_length", "prefix tokens N of the symbolic check", integer(1, 4), 2),
        Option("token_dim", "token dimension D of the symbolic check (W_Q, W_K are D × D)", integer(1, 3), 2),
        Option("value_dim", "value dimension d of the symbolic check (W_V is d × D)", integer(1, 3), 1),
        Option("instances", "random heads in the numeric check", integer(1, 10_000), 20),
        DPS,
        SEED.with_help("seed of the random heads"),
        tamper(TAMPER_MODES),
    )

    def parameters(self, **raw: Any) -> LimitationParameters:
        from verifier.precision import PrecisionPolicy

        o = read_options(self.options, raw)
        return LimitationParameters(o["tokens"], o["prefix_length"], o["token_dim"], o["value_dim"], o["instances"],
                                    o["seed"], PrecisionPolicy(dps=o["dps"]), o["tamper"])

    def hypotheses(self, params: LimitationParameters) -> list[ClaimResult]:
        return []  # L1 has no hypotheses: it holds for every head and every token

    def check(self, params: LimitationParameters) -> Outcome:
        from .identity import numeric_claim, symbolic_claims

        claims = [*symbolic_claims(params), numeric_claim(params)]
        return Outcome(tuple(claims), {"content_scale": params.content_scale})

    def default_instances(self):
        return [("limitation-n2-N2-D2", {}), ("limitation-n3-N2-D2-d2", {"tokens": 3, "value_dim": 2})]


THEOREM = Limitation()
