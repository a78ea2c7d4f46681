"""The named choices of smoothing's options (quadrature rules, negative controls), with no heavy import: the
theorem's declaration reads them (``verifier list`` loads it) and rules.py / construction.py implement them."""

RULES = ("gauss", "partition")
TAMPER_MODES = ("few-nodes", "small-kappa")  # construction.E2Construction
