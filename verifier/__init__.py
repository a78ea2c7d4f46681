"""Symbolic and numerical verification of prefix-tuning universality theorems."""

__version__ = "0.1.0"
