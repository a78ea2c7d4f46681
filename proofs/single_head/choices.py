"""The named choices of single-head's options (negative controls), with no heavy import: the theorem's
declaration reads them (``verifier list`` loads it) and construction.py implements them."""

TAMPER_MODES = ("short-prefix", "small-lambda", "wrong-values")  # construction.E1Construction
