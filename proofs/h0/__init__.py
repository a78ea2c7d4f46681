"""Construction pieces shared by the theorems on the H0 head (single-head and smoothing): the claim that
H0's derived closed form is the stated one, and the ball-arithmetic enclosure of a prefixed H0 head on a
cell of S^m. A theorem on another head does not use this package.
"""
