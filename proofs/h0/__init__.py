"""Construction pieces shared by the theorems on the H0 head (single-head and smoothing): the head itself, its
matrices and derived closed form (head), the claim that H0's derived closed form is the stated one (closed_form),
the ball-arithmetic enclosure of a prefixed H0 head on a cell of S^m (enclosure), the default target (target),
the target/ε/context options and checks (inputs), the construction skeleton with its prefix at a precision
(construction), the head's terms at x (evaluator) and F.two-paths' two computations (two_paths). A theorem on
another head does not use this package.
"""
