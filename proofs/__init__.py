"""Theorem modules: one per theorem, each registered in the ``verifier.theorems`` entry-point group."""
