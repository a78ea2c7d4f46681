"""The named choices of the options, with no heavy import: the theorem's declaration reads them (``verifier list``
loads it) and construction.py implements them."""

DEFAULT_TARGET = ("sin(4*z)", "4", "1")  # h, its Lipschitz constant L and its bound B
TAMPER_MODES = ("small-lambda",)  # the negative control: λ = 1 instead of λ(N) (construction.Construction.lam)
