"""The named choices of seq2seq's options (shipped targets, negative controls), with no heavy import: the
theorem's declaration reads them (``verifier list`` loads it); ridge.SHIPPED and construction.py implement them."""

TARGETS = ("neighbour-products", "mean-sine", "running-mean")  # the keys of ridge.SHIPPED, in its order
TAMPER_MODES = ("drop-prefix", "small-gamma", "single-token-mixing")  # construction.Construction
