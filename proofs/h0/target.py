"""The default target of the theorems on H0: f(x) = sin(2·x0)/2 on S^m, with its exact constants.

|∇f| = |cos 2x0| ≤ 1 and |f| ≤ 1/2, so L = 1 (attained) and B = 1 bound it; B = 1/2 would be tight.
"""
import sympy

DEFAULT_TARGET = ("sin(2*x0)/2", sympy.Integer(1), sympy.Integer(1))  # (expression, Lipschitz constant L, bound B)
