"""The safe expression reader: user text → checked syntax tree → sympy expression, with no eval.

Every string that becomes math (targets, configuration files, sequence targets) goes through
:func:`read_expression`. The text is parsed by Python's ``ast`` (which only builds a tree; nothing
runs), every node is checked against a whitelist, and the sympy expression is built from the tree
node by node. The grammar:

    expression := sum | "(" expression "," … ")" | "[" expression "," … "]"    (top level only)
    sum        := term (("+" | "-") term)*        term := factor (("*" | "/") factor)*
    factor     := ("+" | "-") factor | atom ["**" factor]
    atom       := number | variable | "pi" | "E" | function "(" sum ["," sum]* ")" | "(" sum ")"
    number     := decimal or scientific literal, read exactly (0.3 is 3/10, 1e-300 is 10^−300)
    function   := sin cos tan exp log sqrt Abs Min Max sinh cosh tanh atan

Anything else (attributes, subscripts, lambdas, comprehensions, strings, keyword arguments, names
outside the table, imaginary literals) is an InputError that names the offending piece, and so is a
piece whose value is a number that is infinite (``log(0)``) or not real (``(-8)**(1/3)``, sympy's
principal root 1 + √3·i; ``log(-1)`` = iπ). Sizes are bounded before sympy sees them: the text length,
the number of nodes, the nesting depth, and the size of a number raised to a numeric power (so
``9**9**9`` is refused instead of computed); after it, no number may have more than MAX_NUMBER_DIGITS
digits (Python will not print a longer int, so it could be neither shown nor compiled).
"""
from __future__ import annotations

import ast
import math
import sys
from contextlib import contextmanager
from typing import Callable, Mapping

import sympy

from .errors import InputError
from .inputs import MAX_NUMBER_DIGITS, clip, read_rational

FUNCTIONS: Mapping[str, tuple[Callable[..., sympy.Expr], int | None]] = {
    # name: (sympy constructor, number of arguments; None = one or more)
    "sin": (sympy.sin, 1), "cos": (sympy.cos, 1), "tan": (sympy.tan, 1),
    "exp": (sympy.exp, 1), "log": (sympy.log, 1), "sqrt": (sympy.sqrt, 1),
    "Abs": (sympy.Abs, 1), "Min": (sympy.Min, None), "Max": (sympy.Max, None),
    "sinh": (sympy.sinh, 1), "cosh": (sympy.cosh, 1), "tanh": (sympy.tanh, 1), "atan": (sympy.atan, 1),
}
CONSTANTS: Mapping[str, sympy.Expr] = {"pi": sympy.pi, "E": sympy.E}
MAX_LENGTH = 100_000  # characters of one expression text
MAX_NODES = 50_000  # syntax-tree nodes (the run's cost estimate refuses large targets long before this)
MAX_DEPTH = 60  # nesting depth of the syntax tree; a chain a + b + … or a * b * … counts as one level
MAX_POWER_DIGITS = MAX_NUMBER_DIGITS  # a numeric power b**e is built only if |e|·|log10 |b|| stays below this

_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
_NAMES = {  # what a refused node is, in the user's words
    ast.Attribute: "attribute access", ast.Subscript: "subscript", ast.Lambda: "lambda",
    ast.ListComp: "comprehension", ast.SetComp: "comprehension", ast.DictComp: "comprehension",
    ast.GeneratorExp: "comprehension", ast.Compare: "comparison", ast.BoolOp: "boolean operator",
    ast.IfExp: "conditional expression", ast.Dict: "dictionary", ast.Set: "set", ast.Starred: "star argument",
    ast.JoinedStr: "string", ast.NamedExpr: "assignment", ast.Await: "await", ast.Yield: "yield",
    ast.YieldFrom: "yield", ast.Slice: "slice",
}


def read_expression(text: str, variables: Mapping[str, sympy.Symbol], option: str = "--target") -> tuple[sympy.Expr, ...]:
    """The components of the expression written in ``text``: one for a scalar, d for a top-level
    tuple or list. ``variables`` maps the allowed names (e.g. x0..xm) to their symbols; ``option``
    names the source in messages. Raises InputError naming the offending piece and the fix."""
    if not isinstance(text, str):
        raise InputError(f"{option} must be text; got {clip(text)}")
    if len(text) > MAX_LENGTH:
        raise InputError(f"{option} is {len(text)} characters long (more than {MAX_LENGTH}); give a shorter expression")
    try:
        with deep_recursion():  # a chain of k terms parses k levels deep
            tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        reason = exc.msg if isinstance(exc, SyntaxError) else type(exc).__name__
        raise InputError(f"cannot parse {option} {clip(text)}: {reason}; write an expression such as 'sin(2*x0)/2' "
                         f"in {_names(variables)}") from None
    _check_size(tree.body, text, option)
    reader = _Reader(text, variables, option)
    body = tree.body
    if isinstance(body, (ast.Tuple, ast.List)):
        if not body.elts:
            raise InputError(f"{option} is an empty tuple; give at least one component")
        components = tuple(reader.scalar(e) for e in body.elts)
    else:
        components = (reader.scalar(body),)
    _check_numbers(components, option)
    return components


@contextmanager
def deep_recursion(limit: int = 4 * MAX_LENGTH):
    """Raise Python's recursion limit to at least ``limit`` for the block: parsing, and compiling
    (lambdify) an expression with a chain of k terms recurses k levels deep."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def _names(variables: Mapping[str, sympy.Symbol]) -> str:
    return ", ".join(variables) or "no variables"


def _family(node: ast.AST) -> type | None:
    """The chain a node belongs to: sums (+, −) and products (*, /) are read as flat chains."""
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, (ast.Add, ast.Sub)):
            return ast.Add
        if isinstance(node.op, (ast.Mult, ast.Div)):
            return ast.Mult
    return None


def _check_size(node: ast.AST, text: str, option: str) -> None:
    """Refuse trees with more than MAX_NODES nodes or deeper than MAX_DEPTH, without recursion; the
    left operand of a chain link (a + b + c parses as (a + b) + c) stays at its parent's depth."""
    count, stack = 0, [(node, 1)]
    while stack:
        current, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise InputError(f"{option} is nested more than {MAX_DEPTH} levels deep; simplify the expression")
        family = _family(current)
        for child in ast.iter_child_nodes(current):
            same_chain = family is not None and child is current.left and _family(child) is family
            stack.append((child, depth if same_chain else depth + 1))
    if count > MAX_NODES:
        raise InputError(f"{option} has {count} syntax nodes (more than {MAX_NODES}): {clip(text)}; give a smaller expression")


def _check_numbers(components: tuple[sympy.Expr, ...], option: str) -> None:
    """Refuse a number beyond 10^MAX_NUMBER_DIGITS (e.g. 1e1000*1e1000*1e1000*x0, or its reciprocal): Python will not print
    an int of more than 4300 digits, so it could be neither shown nor compiled."""
    limit = 10**MAX_NUMBER_DIGITS
    for c in components:
        for r in c.atoms(sympy.Rational):
            if abs(r.p) > limit or r.q > limit:
                raise InputError(f"{option}: a number in it has a numerator or denominator beyond 10^{MAX_NUMBER_DIGITS}; "
                                 "give numbers of sensible size (between 1e-1000 and 1e1000)")


class _Reader:
    """Builds sympy from a checked tree, node by node."""

    def __init__(self, text: str, variables: Mapping[str, sympy.Symbol], option: str):
        self.variables, self.option = dict(variables), option
        self.source = text.strip().encode()  # ast offsets count UTF-8 bytes of the parsed text
        self.line_starts = [0]
        for line in self.source.splitlines(keepends=True):
            self.line_starts.append(self.line_starts[-1] + len(line))

    def segment(self, node: ast.AST) -> str:
        """The source text of ``node`` (ast.get_source_segment re-splits the text on every call)."""
        start = self.line_starts[node.lineno - 1] + node.col_offset
        end = self.line_starts[node.end_lineno - 1] + node.end_col_offset
        return self.source[start:end].decode()

    def piece(self, node: ast.AST) -> str:
        return clip(self.segment(node), 40)

    def refuse(self, node: ast.AST, what: str, fix: str) -> InputError:
        return InputError(f"{self.option}: {what} {self.piece(node)} is not allowed; {fix}")

    def scalar(self, node: ast.AST) -> sympy.Expr:
        if isinstance(node, ast.Expression):
            return self.scalar(node.body)
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return -self.scalar(node.operand)
            if isinstance(node.op, ast.UAdd):
                return self.scalar(node.operand)
            raise self.refuse(node, "the operator in", "use + - * / ** only")
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, (ast.Tuple, ast.List)):
            raise self.refuse(node, "a nested tuple or list", "a vector target is one tuple of expressions at the top level")
        what = _NAMES.get(type(node), f"the construct ({type(node).__name__})")
        raise self.refuse(node, what, "write numbers, the variables, + - * / ** and the functions "
                          f"{', '.join(FUNCTIONS)}")

    def number(self, node: ast.Constant) -> sympy.Expr:
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            kind = "the imaginary number" if isinstance(node.value, complex) else "the literal"
            raise self.refuse(node, kind, "give real numbers only")
        # The literal's own text, read exactly: 0.3 is 3/10, 1e400 is 10^400 (not float inf).
        return read_rational(self.segment(node), f"{self.option} number")

    def name(self, node: ast.Name) -> sympy.Expr:
        if node.id in self.variables:
            return self.variables[node.id]
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        if node.id in FUNCTIONS:
            raise self.refuse(node, "the function name without arguments", f"call it, e.g. {node.id}(x0)")
        if node.id.startswith("x") and node.id[1:].isdigit():
            raise InputError(f"{self.option} uses {node.id}, but the variables here are {_names(self.variables)}; "
                             "rewrite the expression or pass a larger --dim")
        raise self.refuse(node, "the name", f"use the variables {_names(self.variables)}, pi, E or the functions "
                          f"{', '.join(FUNCTIONS)}")

    def binary(self, node: ast.BinOp) -> sympy.Expr:
        if not isinstance(node.op, _OPERATORS):
            raise self.refuse(node, "the operator in", "use + - * / ** only")
        family = _family(node)
        if family is None:  # **
            return self.power(node, self.scalar(node.left), self.scalar(node.right))
        links = []  # the chain's links right to left, walked down the left spine without recursion
        while _family(node) is family:
            links.append(node)
            node = node.left
        operands = [self.scalar(node)]
        for link in reversed(links):
            right = self.scalar(link.right)
            if isinstance(link.op, ast.Div) and right == 0:
                raise self.refuse(link, "division by zero in", "give a finite expression")
            operands.append(-right if isinstance(link.op, ast.Sub) else 1 / right if isinstance(link.op, ast.Div) else right)
        return sympy.Add(*operands) if family is ast.Add else sympy.Mul(*operands)

    def power(self, node: ast.BinOp, base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
        """b**e; a numeric b**e only when its size is bounded (|e|·|log10|b|| ≤ MAX_POWER_DIGITS)."""
        if exponent.is_number and base.is_number:
            if base == 0 and exponent.is_negative:
                raise self.refuse(node, "division by zero in", "give a finite expression")
            size = abs(float(sympy.N(exponent, 15))) * abs(math.log10(abs(float(sympy.N(base, 15))) or 1))
            if not math.isfinite(size) or size > MAX_POWER_DIGITS:
                raise self.refuse(node, "the power", f"its value has more than {MAX_POWER_DIGITS} digits")
        elif exponent.is_number and abs(float(sympy.N(exponent, 15))) > 10 ** 6:
            raise self.refuse(node, "the power", "use an exponent of at most 10^6 in size")
        return self.real(node, base**exponent)

    def real(self, node: ast.AST, value: sympy.Expr) -> sympy.Expr:
        """``value`` unless it is a number that is infinite (log(0)) or not real: (-8)**(1/3) is sympy's principal
        cube root 1 + √3·i, log(-1) is iπ."""
        if not value.is_number:
            return value
        if value.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
            raise self.refuse(node, "the infinite or undefined value", "give a finite expression")
        if value.is_extended_real is False:
            raise self.refuse(node, "the non-real number", "every piece must be real: a negative number to a fractional "
                              "power or the log or sqrt of a negative number is complex (for the real cube root of −8 "
                              "write -(8**(1/3)))")
        return value

    def call(self, node: ast.Call) -> sympy.Expr:
        if not isinstance(node.func, ast.Name):
            raise self.refuse(node.func, "calling", f"call one of {', '.join(FUNCTIONS)} by name")
        if node.func.id not in FUNCTIONS:
            raise self.refuse(node.func, "the function", f"the allowed functions are {', '.join(FUNCTIONS)}")
        if node.keywords:
            raise self.refuse(node, "keyword arguments in", "pass arguments by position")
        constructor, arity = FUNCTIONS[node.func.id]
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise self.refuse(node, "a star argument in", "pass arguments one by one")
        count = len(node.args)
        if (arity is None and count < 1) or (arity is not None and count != arity):
            wanted = "one or more arguments" if arity is None else f"{arity} argument"
            raise self.refuse(node, "the call", f"{node.func.id} takes {wanted}")
        return self.real(node, constructor(*(self.scalar(a) for a in node.args)))
