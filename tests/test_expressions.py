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
