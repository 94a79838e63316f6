"""A multi grader's `calculate_output`, parsed and evaluated without `eval`.

Grammar (a tokenizer and a recursive-descent parser; anything else is a `formula_parse_error`):

    expr    := term (("+" | "-") term)*
    term    := unary (("*" | "/") unary)*
    unary   := ("+" | "-") unary | power
    power   := atom ("^" unary)?                 # right-associative; -2^2 = -(2^2)
    atom    := NUMBER | NAME | FUNC "(" expr ("," expr)* ")" | "(" expr ")"

FUNC is one of min max (one or more arguments) and abs floor ceil exp sqrt log (one argument; log is natural).
A NAME must be a key of the multi grader's `graders`; an unknown one is an `invalid_variable_error`. Only these
tokens exist, so `__import__("os")`, attribute access, `**`, strings and comparisons cannot even be written.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

PARSE_ERROR = "formula_parse_error"
VARIABLE_ERROR = "invalid_variable_error"
EVALUATION_ERROR = "other_error"

# name -> (function, minimum arguments, maximum arguments or None for "any number")
FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int | None]] = {
    "min": (lambda *xs: min(xs), 1, None), "max": (lambda *xs: max(xs), 1, None),
    "abs": (abs, 1, 1), "floor": (math.floor, 1, 1), "ceil": (math.ceil, 1, 1),
    "exp": (math.exp, 1, 1), "sqrt": (math.sqrt, 1, 1), "log": (math.log, 1, 1),
}
MAX_LENGTH = 4000
MAX_DEPTH = 100  # nesting bound, so a hostile formula is a parse error rather than a RecursionError

_TOKEN = re.compile(r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                    r"|(?P<op>[-+*/^(),]))")

Node = tuple  # ("num", float) | ("name", str) | ("neg", Node) | ("bin", op, Node, Node) | ("call", str, [Node])


class FormulaError(ValueError):
    """A formula that cannot be parsed or evaluated; `kind` is the service's error flag for it."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Formula:
    text: str
    tree: Node
    names: frozenset[str]

    def evaluate(self, values: Mapping[str, float]) -> float:
        """The formula's value given a value for each name; math errors and non-finite results raise."""
        try:
            result = float(_evaluate(self.tree, values))
        except (ZeroDivisionError, OverflowError, ValueError) as exc:
            if isinstance(exc, FormulaError):
                raise
            raise FormulaError(EVALUATION_ERROR, f"cannot evaluate {self.text!r}: {exc}") from exc
        if not math.isfinite(result):
            raise FormulaError(EVALUATION_ERROR, f"{self.text!r} evaluates to {result}")
        return result


def parse_formula(text: str, allowed_names: Iterable[str] | None = None) -> Formula:
    """Parse `text`; with `allowed_names`, a name outside them is an `invalid_variable_error`."""
    if not isinstance(text, str) or not text.strip():
        raise FormulaError(PARSE_ERROR, "calculate_output is empty")
    if len(text) > MAX_LENGTH:
        raise FormulaError(PARSE_ERROR, f"calculate_output is longer than {MAX_LENGTH} characters")
    parser = _Parser(_tokenize(text))
    tree = parser.expression(0)
    if parser.peek() is not None:
        raise FormulaError(PARSE_ERROR, f"unexpected {parser.peek()[1]!r} at position {parser.peek()[2]}")
    formula = Formula(text, tree, frozenset(parser.names))
    if allowed_names is not None:
        allowed = set(allowed_names)
        unknown = sorted(formula.names - allowed)
        if unknown:
            raise FormulaError(VARIABLE_ERROR, f"unknown name{'s' if len(unknown) > 1 else ''} "
                               f"{', '.join(unknown)} (graders has: {', '.join(sorted(allowed)) or 'nothing'})")
    return formula


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None:
            where = pos + len(text[pos:]) - len(text[pos:].lstrip())
            raise FormulaError(PARSE_ERROR, f"unexpected character {text[where]!r} at position {where}")
        kind = match.lastgroup or "op"
        tokens.append((kind, match.group(kind), match.start(kind)))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str, int]]):
        self.tokens = tokens
        self.pos = 0
        self.names: set[str] = set()

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            raise FormulaError(PARSE_ERROR, "the formula ends too early" + (f": expected {expected!r}"
                                                                             if expected else ""))
        if expected is not None and token[1] != expected:
            raise FormulaError(PARSE_ERROR, f"expected {expected!r} at position {token[2]}, got {token[1]!r}")
        self.pos += 1
        return token

    def at(self, *ops: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "op" and token[1] in ops

    @staticmethod
    def check_depth(depth: int) -> None:
        if depth > MAX_DEPTH:
            raise FormulaError(PARSE_ERROR, f"the formula nests deeper than {MAX_DEPTH} levels")

    def expression(self, depth: int) -> Node:
        self.check_depth(depth)
        node = self.term(depth)
        while self.at("+", "-"):
            node = ("bin", self.take()[1], node, self.term(depth))
        return node

    def term(self, depth: int) -> Node:
        node = self.unary(depth)
        while self.at("*", "/"):
            node = ("bin", self.take()[1], node, self.unary(depth))
        return node

    def unary(self, depth: int) -> Node:
        if self.at("+", "-"):
            self.check_depth(depth)
            sign = self.take()[1]
            operand = self.unary(depth + 1)
            return ("neg", operand) if sign == "-" else operand
        return self.power(depth)

    def power(self, depth: int) -> Node:
        base = self.atom(depth)
        if self.at("^"):
            self.check_depth(depth)
            self.take()
            return ("bin", "^", base, self.unary(depth + 1))
        return base

    def atom(self, depth: int) -> Node:
        kind, text, pos = self.take()
        if kind == "num":
            return ("num", float(text))
        if kind == "name":
            if self.at("("):
                return self.call(text, pos, depth)
            self.names.add(text)
            return ("name", text)
        if text == "(":
            node = self.expression(depth + 1)
            self.take(")")
            return node
        raise FormulaError(PARSE_ERROR, f"unexpected {text!r} at position {pos}")

    def call(self, name: str, pos: int, depth: int) -> Node:
        if name not in FUNCTIONS:
            raise FormulaError(PARSE_ERROR, f"function {name!r} at position {pos} is not allowed "
                                            f"(allowed: {', '.join(FUNCTIONS)})")
        self.take("(")
        args = [self.expression(depth + 1)]
        while self.at(","):
            self.take()
            args.append(self.expression(depth + 1))
        self.take(")")
        _, least, most = FUNCTIONS[name]
        if len(args) < least or (most is not None and len(args) > most):
            wanted = f"{least}" if most == least else f"at least {least}"
            raise FormulaError(PARSE_ERROR, f"{name}() takes {wanted} argument(s), got {len(args)}")
        return ("call", name, args)


def _evaluate(node: Node, values: Mapping[str, float]) -> float:
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "name":
        if node[1] not in values:
            raise FormulaError(VARIABLE_ERROR, f"no value for {node[1]!r}")
        return float(values[node[1]])
    if kind == "neg":
        return -_evaluate(node[1], values)
    if kind == "call":
        return float(FUNCTIONS[node[1]][0](*(_evaluate(arg, values) for arg in node[2])))
    left, right = _evaluate(node[2], values), _evaluate(node[3], values)
    op = node[1]
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        return left / right
    return math.pow(left, right)
