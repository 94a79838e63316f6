"""The multi grader's calculate_output: parsing, precedence, functions, and every kind of error."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rftkit.graders import run_grader, sample_from_text
from rftkit.graders.formula import (
    EVALUATION_ERROR,
    MAX_DEPTH,
    PARSE_ERROR,
    VARIABLE_ERROR,
    FormulaError,
    parse_formula,
)
from rftkit.graders.presets import job_a_grader


def value(text: str, **names: float) -> float:
    return parse_formula(text, names).evaluate(names)


@pytest.mark.parametrize(("text", "expected"), [
    ("1 + 2 * 3", 7.0),
    ("(1 + 2) * 3", 9.0),
    ("8 - 3 - 2", 3.0),            # left-associative
    ("12 / 4 / 3", 1.0),
    ("10 / 4", 2.5),
    ("2 ^ 3 ^ 2", 512.0),          # right-associative power
    ("(2 ^ 3) ^ 2", 64.0),
    ("-2 ^ 2", -4.0),              # power binds tighter than unary minus
    ("2 ^ -1", 0.5),
    ("2 * 3 ^ 2", 18.0),
    ("--1", 1.0),
    ("+1 - -1", 2.0),
    ("1e-1 + .5 + 2.", 2.6),
    ("min(3, 1, 2)", 1.0),
    ("max(0.25)", 0.25),
    ("abs(-3) + floor(2.7) + ceil(2.1)", 8.0),
    ("exp(0) + sqrt(16)", 5.0),
    ("log(exp(2))", 2.0),
    ("max(0, min(1, 1.5 - 2 * 0.25))", 1.0),
])
def test_arithmetic(text, expected):
    assert value(text) == pytest.approx(expected)


def test_names_are_grader_keys():
    formula = parse_formula("0.9 * exact + 0.1 * fuzzy", ["exact", "fuzzy"])
    assert formula.names == {"exact", "fuzzy"}
    assert formula.evaluate({"exact": 1.0, "fuzzy": 0.5}) == pytest.approx(0.95)
    assert formula.evaluate({"exact": 0.0, "fuzzy": 10 / 22}) == pytest.approx(1 / 22)
    assert value("min(exact, 0.5) + max(fuzzy, 0)", exact=1.0, fuzzy=0.2) == pytest.approx(0.7)


@pytest.mark.parametrize(("text", "fragment"), [
    ("", "empty"),
    ("1 +", "ends too early"),
    ("(1 + 2", "expected ')'"),
    ("1 2", "unexpected '2'"),
    ("2 ** 3", "unexpected '*'"),
    ("exact.real", "unexpected character '.'"),
    ("__import__(os)", "function '__import__'"),
    ("__import__('os')", "unexpected character \"'\""),
    ("__import__", "unknown name"),
    ("exact[0]", "unexpected character '['"),
    ("lambda: 1", "unexpected character ':'"),
    ("1 if exact else 0", "unexpected 'if'"),
    ("exact == 1", "unexpected character '='"),
    ("exact < 1", "unexpected character '<'"),
    ("pow(2, 3)", "function 'pow' at position 0 is not allowed"),
    ("round(exact)", "function 'round'"),
    ("exec(exact)", "function 'exec'"),
    ("min()", "unexpected ')'"),
    ("abs(1, 2)", "abs() takes 1 argument(s), got 2"),
    ("'1'", "unexpected character"),
    ("exact; 1", "unexpected character ';'"),
    ("1 % 2", "unexpected character '%'"),
    (")", "unexpected ')'"),
])
def test_parse_errors(text, fragment):
    with pytest.raises(FormulaError) as info:
        parse_formula(text, ["exact"])
    assert fragment in str(info.value)
    assert info.value.kind == (VARIABLE_ERROR if fragment == "unknown name" else PARSE_ERROR)


def test_unknown_names_are_invalid_variable_errors():
    with pytest.raises(FormulaError) as info:
        parse_formula("0.9 * exactt + 0.1 * fuzzy", ["exact", "fuzzy"])
    assert info.value.kind == VARIABLE_ERROR
    assert "unknown name exactt (graders has: exact, fuzzy)" in str(info.value)
    with pytest.raises(FormulaError, match="no value for 'b'"):
        parse_formula("a + b").evaluate({"a": 1.0})


def test_hostile_nesting_and_length_are_parse_errors():
    deep = "(" * (MAX_DEPTH + 5) + "1" + ")" * (MAX_DEPTH + 5)
    for text in (deep, "-" * 5000 + "1", "2^" * 300 + "2", "1+" * 3000 + "1"):
        with pytest.raises(FormulaError) as info:
            parse_formula(text)
        assert info.value.kind == PARSE_ERROR
    assert value("(" * 50 + "1" + ")" * 50) == 1.0


def test_injection_attempts_never_run(tmp_path):
    marker = tmp_path / "pwned"
    for text in (f"__import__('os').system('touch {marker}')", f"exec(\"open('{marker}', 'w')\")",
                 "exact.__class__", "[c for c in ().__class__.__bases__]"):
        with pytest.raises(FormulaError):
            parse_formula(text, ["exact"])
    assert not marker.exists()


@pytest.mark.parametrize("text", ["1 / 0", "log(0)", "sqrt(-1)", "exp(1000)", "10 ^ 400", "(-8) ^ 0.5",
                                  "1e400 - 1"])
def test_math_errors_are_reported(text):
    with pytest.raises(FormulaError) as info:
        parse_formula(text).evaluate({})
    assert info.value.kind == EVALUATION_ERROR


numbers = st.integers(min_value=0, max_value=50)


def expressions(depth: int = 3) -> st.SearchStrategy[tuple[str, float]]:
    """(formula text, its value) built side by side, so the parser is checked against a known tree."""
    leaf = numbers.map(lambda n: (str(n), float(n)))
    if depth == 0:
        return leaf
    sub = expressions(depth - 1)
    combined = st.tuples(sub, st.sampled_from(["+", "-", "*"]), sub).map(
        lambda t: (f"({t[0][0]} {t[1]} {t[2][0]})",
                   {"+": t[0][1] + t[2][1], "-": t[0][1] - t[2][1], "*": t[0][1] * t[2][1]}[t[1]]))
    return st.one_of(leaf, combined, sub.map(lambda s: (f"-{s[0]}", -s[1])),
                     st.tuples(sub, sub).map(lambda t: (f"max({t[0][0]}, {t[1][0]})", max(t[0][1], t[1][1]))))


@given(expressions())
def test_parser_matches_the_expression_tree(case):
    text, expected = case
    assert math.isclose(value(text), expected, rel_tol=1e-9, abs_tol=1e-9)


def test_multi_formula_errors_surface_in_metadata():
    base = job_a_grader()
    item = {"reference_answer": "JKT-URB-009"}
    cases = {"0.9 * exact +": "formula_parse_error", "pow(exact, 2)": "formula_parse_error",
             "0.9 * exact + 0.1 * fuzz": "invalid_variable_error", "exact / (fuzzy - 1)": "other_error"}
    for formula, flag in cases.items():
        grader = {**base, "calculate_output": formula, "invalid_grade": 0.125}
        result = run_grader(grader, sample_from_text("JKT-URB-009"), item)
        assert result["reward"] == 0.125, formula
        assert result["metadata"]["errors"][flag] is True, formula
        assert result["metadata"]["error_messages"][0].startswith("calculate_output: "), formula
