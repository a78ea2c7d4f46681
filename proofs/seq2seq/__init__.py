"""S1 (sequence-to-sequence)."""
