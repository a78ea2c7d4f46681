"""The token-wise head's closed form: its per-token scores and values at a query of position p, derived in
sympy from (W_Q, W_K, W_V) with one generic prefix token and generic stream tokens (not typed by hand).

The transformer's windowed passes evaluate a token-wise head through them; S1's checks compare them with the
stated σ_prefix = z·s_read + s_one + s_pos_p, σ_content = z·z_c + 1 + [c = p], ν_prefix = s_slot,
ν_content = t_slot at every position p.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import sympy

from verifier.reproducible import NUMPY

from .stream import Layer, Stream


@dataclass(frozen=True)
class TokenwiseClosedForm:
    """Scores and values of a token-wise head at a query of position p, derived from its matrices:

        σ_prefix(z; s_read, s_one, s_pos_p),   σ_content(z; z_c, [c = p]),   ν_prefix(s_slot),   ν_content(t_slot).
    """

    z: sympy.Symbol
    s: tuple[sympy.Symbol, ...]  # generic prefix token (D symbols)
    t: tuple[sympy.Symbol, ...]  # generic content token (D symbols)
    prefix_score: sympy.Expr  # at a query of the derivation's position p
    content_score_same: sympy.Expr  # content token at the query's own position
    content_score_other: sympy.Expr  # content token at another position (n ≥ 2; else None)
    prefix_value: sympy.Expr  # the written register's increment per unit attention
    content_value: sympy.Expr

    @cached_property
    def numeric(self) -> dict:
        """The derived expressions as functions of the registers they depend on, for numpy and mpmath."""
        s_read, s_one, s_pos, s_slot = self.s[0], self.s[1], self.s[2], self.s[3]
        zc, t_slot = self.t[0], self.t[3]
        other = self.content_score_other if self.content_score_other is not None else self.content_score_same
        out = {}
        for name, modules in (("numpy", NUMPY), ("mpmath", "mpmath")):
            out[name] = (
                sympy.lambdify((self.z, s_read, s_one, s_pos), self.prefix_score, modules=modules),
                sympy.lambdify((self.z, zc), self.content_score_same, modules=modules),
                sympy.lambdify((self.z, zc), other, modules=modules),
                sympy.lambdify((s_slot,), self.prefix_value, modules=modules),
                sympy.lambdify((t_slot,), self.content_value, modules=modules),
            )
        return out


def derive_tokenwise(stream: Stream, layer: Layer, position: int = 1) -> TokenwiseClosedForm:
    """Derive the per-token scores and values of a token-wise layer from (W_Q, W_K, W_V) in sympy.

    Query: a generic stream token at ``position`` (one = 1, pos = e_position, every other register a
    symbol); prefix token: D symbols; content token: a generic stream token at the same position or at
    another one. The symbols are ordered (read, one, pos_position, slot, the rest) so that the derived
    expressions are functions of (z, s_read, s_one, s_pos) etc. (The passes use the form derived at
    position 1; proofs check that every position gives the same.)"""
    pos = f"pos_{position}"
    order = [layer.read, "one", pos, "slot"] + [nm for nm in stream.names if nm not in (layer.read, "one", pos, "slot")]
    def generic(prefix: str) -> list:
        symbols = {nm: sympy.Symbol(f"{prefix}_{nm}", real=True) for nm in order}
        return [symbols[nm] for nm in stream.names], tuple(symbols[nm] for nm in order)

    def stream_token(prefix: str, position: int) -> tuple[list, tuple]:
        vec, syms = generic(prefix)
        vec = [1 if nm == "one" else (int(nm == f"pos_{position}") if nm.startswith("pos_") else v)
               for nm, v in zip(stream.names, vec)]
        return vec, syms

    head = layer.head
    query, qsyms = stream_token("q", position)
    s_vec, s_syms = generic("s")
    q = head.W_Q * sympy.Matrix(query)
    def score(token):
        return sympy.expand((q.T * head.W_K * sympy.Matrix(token))[0, 0])
    same, t_syms = stream_token("t", position)
    other = stream_token("t", position % stream.n + 1)[0] if stream.n >= 2 else None
    w = stream.index(layer.write)
    return TokenwiseClosedForm(
        z=qsyms[0], s=s_syms, t=t_syms,
        prefix_score=score(s_vec),
        content_score_same=score(same),
        content_score_other=score(other) if other is not None else None,
        prefix_value=sympy.expand((head.W_V * sympy.Matrix(s_vec))[w, 0]),
        content_value=sympy.expand((head.W_V * sympy.Matrix(same))[w, 0]),
    )
