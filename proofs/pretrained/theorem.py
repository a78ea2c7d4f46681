"""R1: E1's construction inside a real pretrained attention head (docs/pretrained.md; P4 of docs/paper.md on real weights).

For head h of layer ℓ of a BERT encoder (default: the packaged all-MiniLM-L6-v2), a seeded frame E (orthonormal columns
⟂ 1), content tokens u(x) = LayerNorm(E x) for x ∈ S^m, and E1's p_i, N, λ for (m, ε, f, L, B): the stored prefix
(k_i, v_i; float32) with [A c]ᵀk_i ≈ √d_h(λp_i, b) and W_O v_i ≈ U f(p_i) makes

    sup_{x ∈ S^m} ‖o(x) − U f(x)‖ ≤ ε     (o: head h's output, the layer's output bias excluded),

proved by the claims R1.* (construction, instance, enclosure, evaluator, claims modules).
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from verifier.budget import OPTIONS as BUDGET_OPTIONS, Budget
from verifier.errors import InputError
from verifier.inputs import integer, parse_number, text
from verifier.options import CERT_CELLS, DPS, EVIDENCE, MAX_PREFIX, POINTS, SEED, Option, read_options, tamper
from verifier.theorem import CERTIFIED_LABELS, CERTIFIED_UNITS, SUP_LABELS, SUP_UNITS, Outcome, TheoremBase, nested

from proofs.h0.inputs import CONTEXT, TARGET, check_eps_range, stated_target

from .choices import TAMPER_MODES

if TYPE_CHECKING:
    from verifier.claims import ClaimResult

    from .instance import R1Parameters

# The declaration above is all `verifier list` loads; each method imports what it runs.

DEFAULT_INSTANCES = ((0, 0), (5, 11))  # (layer, head) of the report's certified checks, m = 1, ε = 0.1
MAX_CERTIFIED_DIM = 3


def number_or_auto(raw: Any, name: str):
    return "auto" if raw == "auto" else parse_number(raw, name)


class PretrainedHead(TheoremBase):
    """The registered theorem object for R1."""

    name = "pretrained-head"
    statement = ("R1: a real pretrained attention head (BERT layout; default all-MiniLM-L6-v2), prefixed with E1's N "
                 "stored float32 keys k_i ([A c]ᵀk_i = √d_h(λp_i, b), minimum norm) and values v_i (W_O v_i = U f(p_i)), "
                 "approximates U f on the frame's sphere: sup_{S^m} ‖o(x) − U f(x)‖ ≤ ε (output bias excluded)")
    realises = ("P4",)
    options = (
        Option("weights", "folder with model.safetensors and config.json of a BERT encoder (default: the packaged "
               "all-MiniLM-L6-v2)", text),
        Option("layer", "layer ℓ of the encoder (0-based)", integer(0), 0),
        Option("head", "head h of the layer (0-based)", integer(0), 0),
        Option("dim", "sphere dimension m (S^m ⊂ R^(m+1))", integer(1, 10), 1),
        Option("eps", "target accuracy ε > 0, read exactly (0.1 is 1/10)", parse_number, required=True),
        TARGET.with_help("expression in x0..xm (a tuple for d > 1); default sin(2*x0)/2 with certified L and B (auto) "
                         "where the instance can be certified (m ≤ 3), else with L = B = 1"),
        Option("lipschitz", "claimed Lipschitz constant L of the target, or auto (a certified bound)", number_or_auto),
        Option("bound", "claimed bound B ≥ sup ‖f‖, or auto (a certified bound)", number_or_auto),
        CONTEXT,
        DPS,
        SEED.with_help("seed of every random step (the frame E, the scan)"),
        POINTS.with_default(20_000),
        tamper(TAMPER_MODES),
        EVIDENCE.with_help("auto: certify where possible (m ≤ 3), else sample; certified: an error if the instance "
                           "cannot be certified; sampled: skip certification"),
        CERT_CELLS,
        MAX_PREFIX.with_default(5_000),
        *BUDGET_OPTIONS,
    )
    fact_labels = {
        "weights_sha256": "SHA-256 of model.safetensors", "layer": "layer ℓ", "head": "head h", "rank": "rank [A c]",
        "smallest_singular_value": "smallest singular value of [A c]", "prefix_length": "prefix length N",
        "lam": "λ", "offset": "offset b", "eta": "score error η (certified)", "content_score_bound": "content score bound S",
        "content_value_bound": "content value bound V_c", "frame_norm": "‖U‖ (certified bound)",
        "frame_defect": "‖UᵀU − I‖_F (certified bound)", "value_rounding": "max ‖W_O v_i − U f(p_i)‖ (certified)",
        "leak_bound": "leakage bound", "sup_error": "sup ‖o − U f‖",
        **nested("sup_error", {**SUP_LABELS, **CERTIFIED_LABELS}),
        "sup_error_bound": "sup ‖o − U f‖ ≤ (certified, else sampled)", "sup_error_evidence": "sup error evidence", "key_norm_ratio": "prefix key norm / model's median",
        "value_norm_ratio": "prefix value norm / model's median", "key_norm_max": "largest prefix key norm",
        "value_norm_max": "largest prefix value norm", "norm_reference": "model norms computed from",
        "error_float64": "error at x* (float64 layer)", "error_float32": "error at x* (float32 layer)",
        "error_bfloat16": "error at x* (bfloat16 layer)", "frame_seed": "frame E seed",
    }
    fact_units = {"prefix_length": "tokens", **nested("sup_error", {**SUP_UNITS, **CERTIFIED_UNITS})}

    def parameters(self, **raw: Any) -> R1Parameters:
        from verifier.certify import automatic_value
        from verifier.precision import PrecisionPolicy
        from verifier.targets import Target

        from proofs.single_head.construction import CERTIFIED_DEFAULT, E1Construction, E1Parameters

        from .instance import R1Parameters
        from .weights import load_model

        o = read_options(self.options, raw)
        model = load_model(o["weights"])  # InputError (exit 2) naming the fix: before any other work
        if o["layer"] >= model.num_layers:
            raise InputError(f"--layer {o['layer']} is out of range: the model has layers 0 … {model.num_layers - 1}")
        if o["head"] >= model.num_heads:
            raise InputError(f"--head {o['head']} is out of range: the model has heads 0 … {model.num_heads - 1}")
        if o["dim"] + 2 > model.head_dim:
            raise InputError(f"--dim {o['dim']}: the rank condition needs m + 2 ≤ d_h = {model.head_dim}; use a smaller --dim")
        certifiable = o["dim"] <= MAX_CERTIFIED_DIM and o["evidence"] != "sampled"
        if o["evidence"] == "certified" and o["dim"] > MAX_CERTIFIED_DIM:
            raise InputError(f"--evidence certified: m = {o['dim']} > {MAX_CERTIFIED_DIM} cannot be certified; use --evidence auto")
        if o["target"] is None and o["lipschitz"] is None and o["bound"] is None and certifiable:
            o = {**o, **CERTIFIED_DEFAULT}
        target, lipschitz, bound = stated_target(self.name, "0.1", o)
        policy, budget = PrecisionPolicy(dps=o["dps"]), Budget(o["cert_cells"], float(o["max_seconds"]))
        f = Target.parse(target, o["dim"], 1 if lipschitz == "auto" else lipschitz, 1 if bound == "auto" else bound)
        proved = {}
        for name, value in (("lipschitz", lipschitz), ("bound", bound)):
            if value == "auto":
                auto = automatic_value(f, name, policy, o["seed"], o["points"], budget)
                f, proved[f"H.{name}"] = replace(f, **{name: auto.value}), auto.proof
        check_eps_range("R1", o["eps"], f.lipschitz, factor=4)
        e1 = E1Construction(E1Parameters(o["dim"], o["eps"], f, o["context"], o["seed"], policy, o["points"], None))
        if e1.N > o["max_prefix"]:
            raise InputError(f"E1 needs N = {e1.N} prefix tokens here (over --max-prefix {o['max_prefix']}); use a "
                             "larger --eps or raise --max-prefix")
        if 8 * f.bound * e1.N <= o["eps"]:
            raise InputError("λ = (4/r²)·ln(8BN/ε) would be ≤ 0 (8BN ≤ ε): f is within ε of 0; pass the real --bound")
        return R1Parameters(o["dim"], o["eps"], f, o["context"], o["seed"], policy, o["points"], weights=o["weights"],
                            layer=o["layer"], head=o["head"], tamper=o["tamper"], evidence=o["evidence"], budget=budget,
                            proved=proved)

    def hypotheses(self, params: R1Parameters) -> list[ClaimResult]:
        from verifier.certify import certified_hypotheses

        return certified_hypotheses(params.target, params.policy, params.seed, params.points, params.budget,
                                    certify=params.certify and params.dim <= MAX_CERTIFIED_DIM, proved=params.proved)

    def check(self, params: R1Parameters) -> Outcome:
        from .check import run

        claims, facts = run(params)
        return Outcome(tuple(claims), facts)

    def default_instances(self):
        return [(f"pretrained-head-l{layer}-h{head}-m1-eps0.1", {"layer": layer, "head": head, "dim": 1, "eps": "0.1"})
                for layer, head in DEFAULT_INSTANCES]

    def quick_instances(self):
        return self.default_instances()[:1]


THEOREM = PretrainedHead()
