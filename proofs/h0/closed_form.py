"""H0.closed-form: the closed form derived from H0's matrices is the one the theorems on H0 state."""
from __future__ import annotations

import sympy

from verifier.attention import ClosedForm
from verifier.claims import ClaimResult, Kind, claim_identity


def closed_form_claim(closed_form: ClosedForm) -> ClaimResult:
    """H0: the closed form derived from the matrices equals the stated one:
    σ_prefix = ⟨x,k⟩ + b, ν_prefix = v, σ_content = ⟨x,u⟩ + 1, ν_content = 0."""
    cf = closed_form
    stated = [
        cf.prefix_score - (sum(a * b for a, b in zip(cf.x, cf.k)) + cf.b),
        *(cf.prefix_value - sympy.Matrix(cf.v)),
        cf.content_score - (sum(a * b for a, b in zip(cf.x, cf.u)) + 1),
        *cf.content_value,
    ]
    return claim_identity(
        "H0.closed-form",
        "H(x) = Σ_i e^{⟨x,k_i⟩+b_i} v_i / (Σ_i e^{⟨x,k_i⟩+b_i} + Σ_c e^{⟨x,u_c⟩+1}), derived from (W_Q, W_K, W_V) "
        "with a generic prefix token (k, b, v) and content token (u, 1, 0)",
        [sympy.expand(e) for e in stated], Kind.THEOREM, "sympy: expand(derived − stated) = 0 for every score and value",
    )
