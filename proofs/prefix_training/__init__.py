"""O1, prefix versus training: the fewest parameters of an H0 prefix and of a one-hidden-layer tanh network whose
sup error against a target on S^m is certified ≤ ε (docs/prefix-training.md)."""
