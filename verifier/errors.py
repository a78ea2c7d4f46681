"""The two ways a run can stop early: the user's input is wrong, or the framework is."""


class InputError(ValueError):
    """Bad input, detected before any expensive work; the message names the fix (CLI exit 2)."""


class FrameworkError(RuntimeError):
    """Two independent computations that must agree did not: a bug in the verifier, not a verdict."""
