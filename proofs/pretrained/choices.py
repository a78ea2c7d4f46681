"""The named choices of pretrained-head's options (negative controls), with no heavy import: the theorem's
declaration reads them (``verifier list`` loads it) and construction.py / instance.py implement them."""

TAMPER_MODES = ("other-head", "bfloat16-keys", "frame-not-centred")
