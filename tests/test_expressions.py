"""The safe expression reader: the whitelisted grammar, exact numbers, refusals that name the piece,
size limits, and a property test that no generated text ever runs code."""
from __future__ import annotations

import os

import pytest
import sympy
from hypothesis import HealthCheck, given, settings, strategies as st

from verifier.errors import InputError
from verifier.expressions import FUNCTIONS, MAX_DEPTH, read_expression

X = sympy.symbols("x0:3", real=True)
VARIABLES = {str(s): s for s in X}
x0, x1, x2 = X


def read(text):
    return read_expression(text, VARIABLES, "--target")


@pytest.mark.parametrize("text, expected", [
    ("sin(2*x0)/2", (sympy.sin(2 * x0) / 2,)),
    ("x0 - x1 - 3", (x0 - x1 - 3,)),
    ("-x0**2 + +x1", (-x0**2 + x1,)),
    ("2**-1 * x0", (x0 / 2,)),
    ("(x0*x1, x2/2)", (x0 * x1, x2 / 2)),
    ("[x0, E, pi]", (x0, sympy.E, sympy.pi)),
    ("Max(0, 1 - 1e5*Abs(x0 - 0.3))", (sympy.Max(0, 1 - 100000 * sympy.Abs(x0 - sympy.Rational(3, 10))),)),
    ("Min(x0, x1, x2)", (sympy.Min(x0, x1, x2),)),
    ("atan(x0) + tanh(x1) + cosh(x2) + sinh(x0) + tan(x1) + cos(x2) + exp(x0) + log(2 + x1) + sqrt(2 + x2)",
     (sympy.atan(x0) + sympy.tanh(x1) + sympy.cosh(x2) + sympy.sinh(x0) + sympy.tan(x1) + sympy.cos(x2)
      + sympy.exp(x0) + sympy.log(2 + x1) + sympy.sqrt(2 + x2),)),
])
def test_grammar_builds_the_expression(text, expected):
    assert read(text) == expected


def test_every_table_function_is_accepted():
    for name in FUNCTIONS:
        assert read(f"{name}(x0 + 2)")[0].has(x0)


def test_numbers_are_read_exactly_from_their_text():
    assert read("0.049999999999999*x0") == (sympy.Rational(49999999999999, 10**15) * x0,)
    assert read("1e-300*x0") == (x0 / sympy.Integer(10) ** 300,)
    assert read("1e400 + x0") == (sympy.Integer(10) ** 400 + x0,)  # not float inf
    assert read("0.3")[0] == sympy.Rational(3, 10)


@pytest.mark.parametrize("text, piece", [
    ("__import__('os').system('touch pwned')", "__import__('os').system"),
    ("x0.real", "attribute access 'x0.real'"),
    ("(x0, x1)[0]", "subscript"),
    ("(lambda: 1)()", "calling"),
    ("lambda: 1", "lambda"),
    ("[y for y in (1, 2)]", "comprehension"),
    ("'abc'", "the literal"),
    ("sin(x0, x1)", "sin takes 1 argument"),
    ("log(x0, base=2)", "keyword arguments"),
    ("open('f')", "the function 'open'"),
    ("sign(x0)", "the function 'sign'"),
    ("Heaviside(x0 - 0.3)", "the function 'Heaviside'"),
    ("floor(10*x0)/100", "the function 'floor'"),
    ("Integral(x0*t, (t, 0, 1))", "the function 'Integral'"),
    ("I*x0", "the name 'I'"),
    ("Matrix([x0])", "the function 'Matrix'"),
    ("2j*x0", "the imaginary number"),
    ("x0 % 2", "the operator"),
    ("x0 < 1", "comparison"),
    ("x0 if x1 else x2", "conditional expression"),
    ("((x0, x1), x2)", "a nested tuple"),
    ("sin", "without arguments"),
    ("x0 / 0", "division by zero"),
    ("9**9**9", "the power"),
    ("x0**(10**7)", "the power"),
    ("Max(*[x0])", "star argument"),
    ("__builtins__", "the name '__builtins__'"),
])
def test_refusals_name_the_offending_piece(text, piece):
    with pytest.raises(InputError, match="--target") as info:
        read(text)
    assert piece in str(info.value)


def test_a_coordinate_outside_the_sphere_names_dim():
    with pytest.raises(InputError, match="uses x7, but the variables here are x0, x1, x2; .* larger --dim"):
        read("x7")


@pytest.mark.parametrize("text", ["sin(", "x0 +* 2", "(x0,", "x0)", "", "\x00"])
def test_syntax_errors(text):
    with pytest.raises(InputError, match="cannot parse --target"):
        read(text)


def test_size_limits_and_long_chains():
    terms = read("+".join(f"sin({k}*x0)" for k in range(1, 3001)))[0]
    assert len(terms.args) == 3000  # a 3000-term chain is one flat Add, read without recursion limits
    with pytest.raises(InputError, match=f"nested more than {MAX_DEPTH} levels"):
        read("sin(" * 70 + "x0" + ")" * 70)
    with pytest.raises(InputError, match="characters long"):
        read("x0+" * 40_000 + "x0")
    long_bad = "x0 + " * 5000 + "bad"
    with pytest.raises(InputError) as info:
        read(long_bad)
    assert len(str(info.value)) < 400  # long inputs are cut in messages


# --- property test: generated text only ever gives an expression or an InputError, and never runs code
SENTINEL_ENV = "VERIFIER_READER_SENTINEL"
ATOMS = ["x0", "x1", "1", "0.5", "pi", "E", "__import__", "os", "system", "eval", "exec", "open", "globals",
         "__class__", "__subclasses__", "__builtins__", "getattr", "print", "sentinel"]


def _trees():
    atom = st.sampled_from(ATOMS)

    def grow(children):
        return st.one_of(
            st.tuples(children, st.sampled_from(["+", "-", "*", "/", "**", "%", "@", "<", " and ", " or "]), children)
            .map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
            st.tuples(children, st.sampled_from(["__class__", "__dict__", "real", "system", "__globals__"]))
            .map(lambda t: f"{t[0]}.{t[1]}"),
            st.tuples(st.sampled_from(["sin", "exp", "__import__", "eval", "exec", "getattr", "open", "print"]),
                      st.lists(children, max_size=3)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
            children.map(lambda c: f"(lambda: {c})()"),
            children.map(lambda c: f"[{c} for _ in (1,)]"),
            children.map(lambda c: f"{c}[0]"),
            children.map(lambda c: f"-{c}"),
        )

    return st.recursive(atom, grow, max_leaves=12)


TARGETED = [
    "__import__('os').system('touch {path}')",
    "open('{path}', 'w').write('x')",
    "__import__('os').environ.__setitem__('" + SENTINEL_ENV + "', '1')",
    "exec(\"open('{path}','w')\")",
    "eval(\"__import__('os').system('touch {path}')\")",
    "().__class__.__base__.__subclasses__()",
]


def _only_expression_or_input_error(text: str) -> None:
    try:
        components = read(text)
    except InputError:
        return
    assert all(isinstance(c, sympy.Expr) for c in components)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60), _trees()))
def test_generated_text_never_runs(tmp_path, text):
    path = tmp_path / "sentinel"
    _only_expression_or_input_error(text.replace("sentinel", str(path)))
    assert not path.exists() and SENTINEL_ENV not in os.environ


@pytest.mark.parametrize("template", TARGETED)
def test_known_injections_never_run(tmp_path, template):
    path = tmp_path / "pwned"
    with pytest.raises(InputError):
        read(template.format(path=path))
    assert not path.exists() and SENTINEL_ENV not in os.environ


# --------------------------------------------------------------------------- gaps found by mutation testing
FUNCTION_LIST = "sin, cos, tan, exp, log, sqrt, Abs, Min, Max, sinh, cosh, tanh, atan"
WRITE = f"write numbers, the variables, + - * / ** and the functions {FUNCTION_LIST}"


@pytest.mark.parametrize("text, message", [
    ("~x0", "--target: the operator in '~x0' is not allowed; use + - * / ** only"),
    ("x0 % 2", "--target: the operator in 'x0 % 2' is not allowed; use + - * / ** only"),
    ("x0 / (1 - 1)", "--target: division by zero in 'x0 / (1 - 1)' is not allowed; give a finite expression"),
    ("0**-1", "--target: division by zero in '0**-1' is not allowed; give a finite expression"),
    ("((x0, x1), x2)", "--target: a nested tuple or list '(x0, x1)' is not allowed; a vector target is one tuple of "
                       "expressions at the top level"),
    ("'abc'", "--target: the literal \"'abc'\" is not allowed; give real numbers only"),
    ("2j*x0", "--target: the imaginary number '2j' is not allowed; give real numbers only"),
    ("sin", "--target: the function name without arguments 'sin' is not allowed; call it, e.g. sin(x0)"),
    ("xi", f"--target: the name 'xi' is not allowed; use the variables x0, x1, x2, pi, E or the functions {FUNCTION_LIST}"),
    ("a1", f"--target: the name 'a1' is not allowed; use the variables x0, x1, x2, pi, E or the functions {FUNCTION_LIST}"),
    ("(lambda: 1)()", f"--target: calling 'lambda: 1' is not allowed; call one of {FUNCTION_LIST} by name"),
    ("open('f')", f"--target: the function 'open' is not allowed; the allowed functions are {FUNCTION_LIST}"),
    ("log(x0, base=2)", "--target: keyword arguments in 'log(x0, base=2)' is not allowed; pass arguments by position"),
    ("Max(*[x0])", "--target: a star argument in 'Max(*[x0])' is not allowed; pass arguments one by one"),
    ("Min()", "--target: the call 'Min()' is not allowed; Min takes one or more arguments"),
    ("sin(x0, x1)", "--target: the call 'sin(x0, x1)' is not allowed; sin takes 1 argument"),
    ("x0 if x1 else x2", f"--target: conditional expression 'x0 if x1 else x2' is not allowed; {WRITE}"),
    ("100**6000", "--target: the power '100**6000' is not allowed; its value has more than 1400 digits"),
    ("x0**1000001", "--target: the power 'x0**1000001' is not allowed; use an exponent of at most 10^6 in size"),
    ("sin(", "cannot parse --target 'sin(': '(' was never closed; write an expression such as 'sin(2*x0)/2' in x0, x1, x2"),
    ("-" * 99000 + "x0", "cannot parse --target '" + "-" * 59 + "…' (99002 characters): MemoryError; write an expression "
                         "such as 'sin(2*x0)/2' in x0, x1, x2"),
    ("()", "--target is an empty tuple; give at least one component"),
    ("(x0 +\n  0.3 *\n x1.real)", f"--target: attribute access 'x1.real' is not allowed; {WRITE}"),  # offsets on line 3
])
def test_refusal_messages_in_full(text, message):
    with pytest.raises(InputError) as info:
        read(text)
    assert str(info.value) == message


def test_messages_without_variables_without_text_and_with_the_default_option():
    with pytest.raises(InputError) as info:
        read_expression("x0", {})
    assert str(info.value) == "--target uses x0, but the variables here are no variables; rewrite the expression or pass a larger --dim"
    with pytest.raises(InputError) as info:
        read_expression(3, VARIABLES)
    assert str(info.value) == "--target must be text; got 3"
    with pytest.raises(InputError, match="^--target: attribute access"):
        read_expression("x0.real", VARIABLES)  # option defaults to --target
    with pytest.raises(InputError, match="^--config target: the name 'y'"):
        read_expression("y", VARIABLES, "--config target")
    long_piece = "(" + "+".join(["x0"] * 30) + ").real"
    with pytest.raises(InputError) as info:
        read(long_piece)
    assert f"attribute access {repr(long_piece)[:40]}…' ({len(long_piece)} characters) is not allowed" in str(info.value)


def test_numbers_on_later_lines_are_read_from_their_own_text():
    assert read("(x0 +\n  0.3 *\n x1)") == (x0 + sympy.Rational(3, 10) * x1,)
    with pytest.raises(InputError, match="^--target number: the exponent of '1e99999999'"):
        read("x0 + 1e99999999")


def test_power_size_limits_at_their_boundaries():
    assert read("x0**1000000") == (x0**1000000,)  # |e| ≤ 10^6 for a symbolic base
    assert read("x0**-1000000") == (x0**-1000000,)
    assert read("2**4650")[0] == sympy.Integer(2) ** 4650  # 1400 digits
    assert read("0**100000") == (0,)  # a zero base has no digits to bound
    assert read("10**1400") == (sympy.Integer(10) ** 1400,)  # |e|·log10|b| = 1400 exactly is allowed
    with pytest.raises(InputError, match="more than 1400 digits"):
        read("100**701")  # 1402 digits: |e|·log10|b|, not |e|/log10|b|


@pytest.mark.parametrize("text", ["1e1000*1e1000*x0", "x0/1e1000/1e1000", "10**1000*10**1000*x0", "10**5000*x0"])
def test_no_number_is_too_long_to_print(text):
    """Python refuses to print an int of more than 4300 digits, so such a number could be neither shown in a message
    nor compiled by lambdify (it was exit 4): refused when read, however it was built."""
    with pytest.raises(InputError, match="1400"):
        read(text)


@pytest.mark.parametrize("text, piece", [
    ("(-8)**(1/3)*x0", "'(-8)**(1/3)'"), ("(-8)**0.3333*x0", "'(-8)**0.3333'"), ("x0 + log(-1)", "'log(-1)'"),
    ("x0 + sqrt(-2)", "'sqrt(-2)'"), ("sin(x0) + (-2)**(1/2)", "'(-2)**(1/2)'"),
])
def test_a_non_real_number_is_refused_naming_it(text, piece):
    """(-8)**(1/3) is sympy's principal cube root 1 + √3·i: such a target takes complex values (it was exit 4)."""
    with pytest.raises(InputError) as info:
        read(text)
    assert f"the non-real number {piece} is not allowed" in str(info.value) and "-(8**(1/3))" in str(info.value)
    assert read("-(8**(1/3))*x0") == (-2 * x0,)  # the real cube root, as the message says
    assert read("(-8)**2*x0") == (64 * x0,)  # an integer power of a negative number is real


@pytest.mark.parametrize("text", ["x0 + log(0)", "0*log(0)", "x0*exp(log(0))"])
def test_an_infinite_number_is_refused_naming_it(text):
    with pytest.raises(InputError, match="the infinite or undefined value 'log\\(0\\)' is not allowed; give a finite"):
        read(text)


def test_length_depth_and_node_limits_at_their_boundaries():
    import ast
    from verifier.expressions import MAX_LENGTH, MAX_NODES, deep_recursion
    assert read("1" + " " * (MAX_LENGTH - 1)) == (1,)
    with pytest.raises(InputError, match=f"^--target is {MAX_LENGTH + 1} characters long \\(more than {MAX_LENGTH}\\)"):
        read("1" + " " * MAX_LENGTH)
    # sin(…(x0)…) k deep has depth k + 2 (the Name and its Load context): 58 is the deepest allowed
    assert read("sin(" * (MAX_DEPTH - 2) + "x0" + ")" * (MAX_DEPTH - 2))[0].has(x0)
    with pytest.raises(InputError, match=f"nested more than {MAX_DEPTH} levels"):
        read("sin(" * (MAX_DEPTH - 1) + "x0" + ")" * (MAX_DEPTH - 1))
    # a chain of k names has 4k − 2 nodes (Name, Load, BinOp, Add): 12 500 fit, 12 501 do not
    assert read("+".join(["x0"] * 12500)) == (12500 * x0,)
    assert read("-" + "+".join(["x0"] * 12500)) == (12498 * x0,)  # exactly MAX_NODES = 50 000 (UnaryOp, USub)
    text = "+".join(["x0"] * 12501)
    with deep_recursion():
        nodes = sum(1 for _ in ast.walk(ast.parse(text, mode="eval").body))
    assert nodes == 50002 > MAX_NODES
    with pytest.raises(InputError) as info:
        read(text)
    assert str(info.value).startswith(f"--target has {nodes} syntax nodes (more than {MAX_NODES}): 'x0+x0+")
