"""Text, sympy expressions and a Python builder -> :class:`~semialg.core.dag.Program`.

The grammar is Python's expression syntax (parsed with :mod:`ast`, so columns are
exact): ``+ - * /`` (division by a constant), ``**`` with a constant integer
exponent, comparisons and ``and/or/not`` inside ``where`` (or ``a if cond else b``),
calls of the primitives in :data:`semialg.core.primitives.REGISTRY`, and
comma-separated outputs. Numbers are exact: ``0.1`` is ``1/10``.

>>> parse("relu(x) - relu(-x)").to_text()
'relu(x) - relu(-x)'
>>> parse("max(x, 0.1*y), sort(x, y)").n_outputs
3
>>> parse("rleu(x)")
Traceback (most recent call last):
...
semialg.core.errors.ParseError: unknown function 'rleu' at column 1; did you mean 'relu'?
"""
from __future__ import annotations

import ast
import difflib
import re
from fractions import Fraction
from typing import Sequence

from semialg.core import primitives
from semialg.core.primitives.custom import check_custom_gradients
from semialg.core.dag import Node, Program, add, mul, neg, power, sub
from semialg.core.errors import InputError, ParseError, UnsupportedError

# Functions people try that are outside the piecewise-polynomial (semialgebraic) fragment.
NOT_SEMIALGEBRAIC = {
    "sin": "it is periodic (not semialgebraic)", "cos": "it is periodic (not semialgebraic)",
    "tan": "it is periodic (not semialgebraic)", "exp": "it is transcendental (not semialgebraic)",
    "log": "it is transcendental (not semialgebraic)", "log1p": "it is transcendental (not semialgebraic)",
    "tanh": "it is transcendental (not semialgebraic); hardtanh(a) is the piecewise-linear version",
    "sigmoid": "it is transcendental (not semialgebraic); hardtanh-based or clip-based versions are supported",
    "softplus": "it is transcendental (not semialgebraic); relu(a) is the piecewise-linear version",
    "gelu": "it is transcendental (not semialgebraic)", "silu": "it is transcendental (not semialgebraic)",
    "elu": "it uses exp (not semialgebraic)", "erf": "it is transcendental (not semialgebraic)",
    "softmax": "it is transcendental (not semialgebraic)", "atan": "it is transcendental (not semialgebraic)",
    "asin": "it is transcendental (not semialgebraic)", "acos": "it is transcendental (not semialgebraic)",
    "sinh": "it is transcendental (not semialgebraic)", "cosh": "it is transcendental (not semialgebraic)",
    "pow": "powers are written a**k, with k a constant (integer or rational, e.g. x**(3/2))", "mod": "it is not continuous and not supported",
    "ceil": "it is not a primitive; write -floor(-a)",
}
NAMED_CONSTANTS = {"pi": "pi is transcendental", "e": "e is transcendental (write the variable under another name if you meant one)",
                   "E": "E is transcendental", "nan": "nan is not a real number"}
RESERVED = {"inf", "oo"}


def _known_names() -> list[str]:
    return sorted(set(primitives.REGISTRY) - {"lt", "le", "gt", "ge", "eq", "ne", "and", "or", "not"}
                  | set(primitives.ALIASES))


def _suggest(name: str, candidates: Sequence[str]) -> str:
    lowered = {c.lower(): c for c in candidates}
    if name.lower() in lowered:   # ReLU -> relu
        return f"; did you mean '{lowered[name.lower()]}'?"
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


_CHARACTER_HINTS = {
    "\u2212": "'\u2212' is a unicode minus: write '-'", "\u2013": "'\u2013' is a dash: write '-'",
    "\u00d7": "'\u00d7' is a multiplication sign: write '*'", "\u22c5": "'\u22c5' is a dot: write '*'",
    "\u2264": "write '<=' for '\u2264'", "\u2265": "write '>=' for '\u2265'", "\u2260": "write '!=' for '\u2260'",
}
_TOKEN_HINTS = ((re.compile(r"&&"), "write 'and' for '&&'"), (re.compile(r"\|\|"), "write 'or' for '||'"),
                (re.compile(r"!(?!=)"), "write 'not' for '!'"))
_IMPLICIT_PRODUCT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)([A-Za-z_(])")


def _syntax_hint(text: str, col: int) -> str:
    """A suggestion for the usual ways a formula from elsewhere fails to parse here."""
    for ch, hint in _CHARACTER_HINTS.items():
        if ch in text:
            return "; " + hint
    for token, hint in _TOKEN_HINTS:
        if token.search(text):
            return "; " + hint
    m = _IMPLICIT_PRODUCT.search(text)
    if m and not m.group(0).lower().startswith(("0x", "0b", "0o")) and "e" not in m.group(0)[len(m.group(1)):][:1]:
        return f"; write {m.group(1)}*{m.group(2)} for {m.group(1)}{m.group(2)} (products need '*')"
    return ""


_FRAMEWORK_CALLS = {"relu": "relu(x)", "maximum": "max(a, b)", "minimum": "min(a, b)", "max": "max(a, b)",
                    "min": "min(a, b)", "abs": "abs(x)", "absolute": "abs(x)", "clip": "clip(x, lo, hi)",
                    "clamp": "clip(x, lo, hi)", "where": "where(cond, a, b)", "sign": "sign(x)",
                    "heaviside": "step(x)", "floor": "floor(x)", "round": "round(x)", "hardtanh": "hardtanh(x)",
                    "relu6": "relu6(x)", "leaky_relu": "leaky_relu(x, 1/100)", "sort": "sort(a, b, ...)"}


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


class _Parser:
    """Translates a Python ``ast`` into canonical DAG nodes, with column-exact errors."""

    def __init__(self, text: str, variables: Sequence[str] | None):
        self.text = text
        self.variables = list(variables) if variables is not None else None
        self.seen_vars: set[str] = set()

    # errors ---------------------------------------------------------------
    def fail(self, message: str, node: ast.AST | None, cls=ParseError):
        col = getattr(node, "col_offset", None)
        column = None if col is None else col + 1
        where = f" at column {column}" if column is not None else ""
        raise cls(message.replace("{where}", where), column=column, text=self.text)

    # entry ----------------------------------------------------------------
    def parse(self) -> Program:
        if not self.text or not self.text.strip():
            raise ParseError("empty expression: give a function such as 'relu(x) - relu(-x)'", text=self.text)
        if "^" in self.text:
            col = self.text.index("^") + 1
            raise ParseError(f"'^' at column {col} is not a power here; write x**2 for powers", column=col, text=self.text)
        try:
            tree = ast.parse(self.text.strip(), mode="eval")
        except SyntaxError as exc:
            col = exc.offset or 1
            lead = len(self.text) - len(self.text.lstrip())
            col += lead
            hint = _syntax_hint(self.text, col) or "; expected an expression such as 'max(x, 0) + abs(y)'"
            raise ParseError(f"syntax error at column {col}: {exc.msg}{hint}", column=col, text=self.text) from None
        # columns are relative to the stripped text: shift back
        self.shift = len(self.text) - len(self.text.lstrip())
        body = tree.body
        items = body.elts if isinstance(body, ast.Tuple) else [body]
        outputs: list[Node] = []
        for item in items:
            if isinstance(item, ast.Call) and isinstance(item.func, ast.Name) and primitives.ALIASES.get(item.func.id, item.func.id) == "sort":
                args = [self.numeric(a) for a in item.args]
                self.check_arity("sort", args, item)
                outputs.extend(Node.make("sort", args, k) for k in range(len(args)))
            else:
                outputs.append(self.numeric(item))
        if self.variables is not None:
            extra = sorted(self.seen_vars - set(self.variables))
            if extra:
                raise InputError(f"variable '{extra[0]}' appears in the expression but not in the variables "
                                 f"{', '.join(self.variables)}; add it to --vars")
            inputs = tuple(self.variables)
        else:
            inputs = tuple(sorted(self.seen_vars))
        program = Program(inputs, tuple(outputs))
        check_custom_gradients(program)
        return program

    def fail_at(self, message, node, cls=ParseError):
        if node is not None and hasattr(node, "col_offset"):
            node = _Shifted(node.col_offset + self.shift)
        self.fail(message, node, cls)

    # numeric expressions ---------------------------------------------------
    def numeric(self, node: ast.AST) -> Node:
        result = self.expr(node)
        if result.op in primitives.REGISTRY and primitives.REGISTRY[result.op].predicate:
            self.fail_at("a condition{where} is used as a number; conditions go inside where(cond, a, b)", node)
        return result

    def condition(self, node: ast.AST) -> Node:
        result = self.expr(node)
        if not (result.op in primitives.REGISTRY and primitives.REGISTRY[result.op].predicate):
            self.fail_at("expected a condition{where} (a comparison such as x > 0, combined with and/or/not)", node)
        return result

    def expr(self, node: ast.AST) -> Node:
        method = getattr(self, "on_" + type(node).__name__, None)
        if method is None:
            self.fail_at(f"'{_source(self.text, node, self.shift)}'{{where}} is not part of the expression language "
                         f"(numbers, variables, + - * / **, comparisons, and/or/not, primitive calls)", node)
        return method(node)

    def on_Constant(self, node: ast.Constant) -> Node:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail_at(f"constant {value!r}{{where}} is not a real number", node)
        text = _source(self.text, node, self.shift)
        try:
            return Node.const(Fraction(text.replace("_", "")))
        except (ValueError, ZeroDivisionError):
            self.fail_at(f"constant {text}{{where}} is not a finite real number", node)

    def on_Name(self, node: ast.Name) -> Node:
        name = node.id
        if name in NAMED_CONSTANTS:
            self.fail_at(f"'{name}'{{where}} is not supported, because {NAMED_CONSTANTS[name]}", node, UnsupportedError)
        if name in RESERVED:
            self.fail_at(f"'{name}'{{where}} is only allowed as a bound of clip/clamp, e.g. clip(x, 0, inf)", node)
        if name in primitives.REGISTRY or name in primitives.ALIASES or name in NOT_SEMIALGEBRAIC:
            self.fail_at(f"'{name}'{{where}} is a function; call it, e.g. {name}(x)", node)
        if self.variables is not None and name not in self.variables:
            self.fail_at(f"unknown variable '{name}'{{where}}; the variables are {', '.join(self.variables)}"
                         + _suggest(name, self.variables), node)
        self.seen_vars.add(name)
        return Node.var(name)

    def on_UnaryOp(self, node: ast.UnaryOp) -> Node:
        if isinstance(node.op, ast.USub):
            return neg(self.numeric(node.operand))
        if isinstance(node.op, ast.UAdd):
            return self.numeric(node.operand)
        if isinstance(node.op, ast.Not):
            return Node.make("not", (self.condition(node.operand),))
        self.fail_at("operator '~'{where} is not supported; use not for conditions", node)

    def on_BinOp(self, node: ast.BinOp) -> Node:
        op = node.op
        if isinstance(op, ast.Pow):
            base = self.numeric(node.left)
            exponent = self.numeric(node.right)
            if not exponent.is_const:
                self.fail_at("a power with a non-constant exponent{where} is not supported, because it is not a polynomial; "
                             "write a**k with a constant integer k", node.right, UnsupportedError)
            k = exponent.param
            if k.denominator != 1:
                if base.is_const:
                    self.fail_at(f"the power **{k}{{where}} of a constant is not supported; write the number", node.right,
                                 UnsupportedError)
                # a rational power: the real root, lifted exactly (theory §1); a negative one divides
                root = Node.make("rpow", (base,), Fraction(abs(k)))
                return Node.make("inv", (root,)) if k < 0 else root
            if k < 0:
                if base.is_const and base.param != 0:
                    return Node.const(base.param ** int(k))
                if base.is_const:
                    self.fail_at("zero to a negative power{where} is undefined", node.right)
                return Node.make("inv", (power(base, int(-k)),))
            return power(base, int(k))
        if isinstance(op, (ast.BitOr, ast.BitAnd)):
            word = "or" if isinstance(op, ast.BitOr) else "and"
            symbol = "|" if word == "or" else "&"
            self.fail_at(f"operator '{symbol}'{{where}} is not supported in text; combine conditions with '{word}', "
                         f"e.g. where(x > 0 {word} y > 0, x, 0)", node, UnsupportedError)
        left, right = self.numeric(node.left), self.numeric(node.right)
        if isinstance(op, ast.Add):
            return add(left, right)
        if isinstance(op, ast.Sub):
            return sub(left, right)
        if isinstance(op, ast.Mult):
            return mul(left, right)
        if isinstance(op, ast.Div):
            if not right.is_const:   # a quotient: a reciprocal, lifted exactly (undefined where right = 0)
                return mul(left, Node.make("inv", (right,)))
            if right.param == 0:
                self.fail_at("division by zero{where}", node.right)
            return mul(left, Node.const(1 / right.param))
        names = {ast.Mod: "%", ast.FloorDiv: "//", ast.BitAnd: "&", ast.BitOr: "|", ast.MatMult: "@",
                 ast.LShift: "<<", ast.RShift: ">>"}
        symbol = names.get(type(op), type(op).__name__)
        hint = {"&": "; use 'and' for conditions", "|": "; use 'or' for conditions"}.get(symbol, "")
        self.fail_at(f"operator '{symbol}'{{where}} is not supported{hint}", node, UnsupportedError)

    def on_BoolOp(self, node: ast.BoolOp) -> Node:
        args = [self.condition(v) for v in node.values]
        return Node.make("and" if isinstance(node.op, ast.And) else "or", args)

    def on_Compare(self, node: ast.Compare) -> Node:
        ops = {ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge", ast.Eq: "eq", ast.NotEq: "ne"}
        parts = []
        left = self.numeric(node.left)
        for op, comp in zip(node.ops, node.comparators):
            if type(op) not in ops:
                self.fail_at("only the comparisons < <= > >= == != are supported{where}", comp)
            right = self.numeric(comp)
            parts.append(Node.make(ops[type(op)], (left, right)))
            left = right
        return parts[0] if len(parts) == 1 else Node.make("and", parts)

    def on_IfExp(self, node: ast.IfExp) -> Node:
        return Node.make("where", (self.condition(node.test), self.numeric(node.body), self.numeric(node.orelse)))

    def on_Subscript(self, node: ast.Subscript) -> Node:
        call = node.value
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and primitives.ALIASES.get(call.func.id, call.func.id) == "sort"):
            self.fail_at("indexing{where} is only supported on sort(...), e.g. sort(x, y)[0]", node)
        index = self.numeric(node.slice)
        args = [self.numeric(a) for a in call.args]
        self.check_arity("sort", args, call)
        if not index.is_const or index.param.denominator != 1 or not 0 <= index.param < len(args):
            self.fail_at(f"sort index{{where}} must be an integer from 0 to {len(args) - 1}", node.slice)
        return Node.make("sort", args, int(index.param))

    def on_Call(self, node: ast.Call) -> Node:
        if not isinstance(node.func, ast.Name):
            if isinstance(node.func, ast.Constant):
                self.fail_at(f"a number{{where}} is followed by '(': write {node.func.value!r}*(...) "
                             "(products need '*')", node)
            dotted = _dotted(node.func)
            leaf = dotted.rsplit(".", 1)[-1]
            if leaf in _FRAMEWORK_CALLS:
                self.fail_at(f"'{dotted}'{{where}} is a framework's spelling; semialg writes {_FRAMEWORK_CALLS[leaf]} "
                             "(the rule, e.g. --rule pytorch, says which framework's derivative to check)", node)
            self.fail_at("only plain function names can be called{where}, e.g. relu(x)", node)
        name = node.func.id
        if name in NOT_SEMIALGEBRAIC:
            self.fail_at(f"'{name}'{{where}} is not supported, because {NOT_SEMIALGEBRAIC[name]}", node, UnsupportedError)
        if name in ("norm1", "norminf"):   # the L1 and L-infinity norms: piecewise linear already
            if node.keywords or not node.args:
                self.fail_at(f"{name}(a, b, ...){{where}} takes one or more arguments, e.g. {name}(x, y)", node)
            absolute = [Node.make("abs", (self.numeric(a),)) for a in node.args]
            if name == "norm1":
                return absolute[0] if len(absolute) == 1 else add(*absolute)
            # the frameworks' inf-norm is a max reduction with initial value 0 (JAX splits one more tie at 0)
            inner = absolute[0] if len(absolute) == 1 else Node.make("max", absolute)
            return Node.make("max", (inner, Node.const(0)))
        if name == "rpow":
            self.fail_at("rpow{where} is internal; write a rational power as a**(p/q), e.g. x**(3/2)", node)
        canonical = primitives.ALIASES.get(name, name)
        if canonical not in primitives.REGISTRY or canonical in ("lt", "le", "gt", "ge", "eq", "ne", "and", "or", "not"):
            self.fail_at(f"unknown function '{name}'{{where}}" + (_suggest(name, _known_names()) or
                         "; known functions: " + ", ".join(_known_names())), node)
        if canonical == "sort":
            self.fail_at("sort(...){where} returns a vector: use it as a whole output, or index it, e.g. sort(x, y)[0]", node)
        if canonical == "where":
            return self.call_where(node)
        if canonical in ("clip", "clamp"):
            return self.call_clip(canonical, node)
        if canonical == "custom":
            return self.call_custom(node)
        if node.keywords:
            self.fail_at(f"{name}(){{where}} takes no keyword arguments", node.keywords[0].value)
        if canonical == "leaky_relu":
            if not 1 <= len(node.args) <= 2:
                self.fail_at(f"leaky_relu{{where}} takes 1 or 2 arguments (a, slope), got {len(node.args)}", node)
            a = self.numeric(node.args[0])
            slope = None
            if len(node.args) == 2:
                s = self.numeric(node.args[1])
                if not s.is_const:
                    self.fail_at("the slope of leaky_relu{where} must be a constant", node.args[1])
                slope = s.param
            return Node.make("leaky_relu", (a,), slope)
        args = [self.numeric(a) for a in node.args]
        self.check_arity(canonical, args, node)
        return Node.make(canonical, args)

    def call_custom(self, node: ast.Call) -> Node:
        """``custom(a, grad=(g1, ..., gn))``: a with a hand-written gradient (one component per variable)."""
        usage = "write custom(a, grad=(g1, ..., gn)) with one gradient component per variable"
        grads = [k for k in node.keywords if k.arg == "grad"]
        others = [k for k in node.keywords if k.arg != "grad"]
        if others:
            self.fail_at(f"custom(){{where}} takes only the keyword grad=; {usage}", others[0].value)
        if len(node.args) != 1 or len(grads) != 1:
            self.fail_at(f"custom{{where}} takes one expression and grad=(...); {usage}", node)
        value = grads[0].value
        items = value.elts if isinstance(value, (ast.Tuple, ast.List)) else [value]
        return Node.make("custom", (self.numeric(node.args[0]), *[self.numeric(g) for g in items]))

    def check_arity(self, name: str, args: list, node: ast.AST):
        lo, hi = primitives.REGISTRY[name].arity
        if len(args) < lo or (hi is not None and len(args) > hi):
            want = f"{lo}" if lo == hi else f"at least {lo}" if hi is None else f"{lo} to {hi}"
            self.fail_at(f"{name}{{where}} takes {want} argument{'s' if want != '1' else ''}, got {len(args)}", node)

    def call_where(self, node: ast.Call) -> Node:
        if len(node.args) != 3 or node.keywords:
            self.fail_at(f"where{{where}} takes 3 arguments (cond, a, b), got {len(node.args)}", node)
        return Node.make("where", (self.condition(node.args[0]), self.numeric(node.args[1]), self.numeric(node.args[2])))

    def bound(self, node: ast.AST, sign: int) -> Node | None:
        """A clip bound: a numeric node, or None for an infinite/absent bound of the right sign."""
        if isinstance(node, ast.Constant) and node.value is None:
            return None
        text = _source(self.text, node, self.shift).replace(" ", "")
        if text in ("inf", "+inf", "oo", "float('inf')"):
            if sign > 0:
                return None
            self.fail_at("the lower bound of clip{where} cannot be +inf", node)
        if text in ("-inf", "-oo", "-float('inf')"):
            if sign < 0:
                return None
            self.fail_at("the upper bound of clip{where} cannot be -inf", node)
        return self.numeric(node)

    def call_clip(self, name: str, node: ast.Call) -> Node:
        pos = list(node.args)
        kw = {k.arg: k.value for k in node.keywords}
        unknown = set(kw) - {"min", "max", "lo", "hi", "a_min", "a_max"}
        if unknown:
            self.fail_at(f"{name}(){{where}} has no keyword '{sorted(unknown)[0]}'; use lo=/hi= (or min=/max=)", node)
        if not pos or len(pos) > 3:
            self.fail_at(f"{name}{{where}} takes (a, lo, hi), got {len(pos)} positional arguments", node)
        lo_node = pos[1] if len(pos) > 1 else kw.get("lo", kw.get("min", kw.get("a_min")))
        hi_node = pos[2] if len(pos) > 2 else kw.get("hi", kw.get("max", kw.get("a_max")))
        a = self.numeric(pos[0])
        lo = self.bound(lo_node, -1) if lo_node is not None else None
        hi = self.bound(hi_node, +1) if hi_node is not None else None
        if lo is None and hi is None:
            self.fail_at(f"{name}{{where}} needs at least one finite bound", node)
        if lo is not None and hi is not None and lo.is_const and hi.is_const and lo.param > hi.param:
            self.fail_at(f"{name}{{where}} has lower bound {lo.param} above upper bound {hi.param}", node)
        if hi is None:
            return Node.make(name, (a, lo), "lo")
        if lo is None:
            return Node.make(name, (a, hi), "hi")
        return Node.make(name, (a, lo, hi))


class _Shifted:
    def __init__(self, col_offset):
        self.col_offset = col_offset


def _source(text: str, node: ast.AST, shift: int = 0) -> str:
    segment = ast.get_source_segment(text.strip(), node)
    return segment if segment is not None else "?"


def variable_names(value, where: str = "the variables") -> list[str]:
    """Names from ``"x,y"``, ``"x y"`` or a sequence, each a valid identifier, none repeated.

    >>> variable_names("x, y")
    ['x', 'y']
    >>> variable_names("x,x", "--y")
    Traceback (most recent call last):
    ...
    semialg.core.errors.InputError: 'x' is listed twice in --y
    """
    names = [v for v in value.replace(",", " ").split() if v] if isinstance(value, str) else [str(v) for v in value]
    for v in names:
        if not v.isidentifier():
            raise InputError(f"'{v}' in {where} is not a valid variable name; use names such as x, y, u1")
    repeated = sorted({v for v in names if names.count(v) > 1})
    if repeated:
        raise InputError(f"'{repeated[0]}' is listed twice in {where}")
    return names


def parse(text: str, variables: Sequence[str] | str | None = None) -> Program:
    """Parse ``text`` into a :class:`Program`.

    ``variables``: the input order (a list or a comma/space separated string);
    default the free variables in alphabetical order. Raises :class:`ParseError`
    (with ``column``) or :class:`UnsupportedError` on bad input.

    >>> p = parse("where(x > 0, x, 0)", "x")
    >>> p.inputs, p.to_text()
    (('x',), 'where(x > 0, x, 0)')
    """
    if variables is not None:
        variables = variable_names(variables)
    if not isinstance(text, str):
        raise InputError(f"expected the expression as text, got {type(text).__name__}")
    try:
        return _Parser(text, variables).parse()
    except RecursionError:  # ast.parse and the translation recurse on very long chains (x+1+1+...)
        raise ParseError("the expression is nested too deeply for the text parser; build deep programs "
                         "with the Python API (semialg.frontends.builder)", text=text) from None


def parse_point(text: str, variables: Sequence[str]) -> tuple[Fraction, ...]:
    """``"x=1/2,y=0"`` -> exact coordinates in the order of ``variables``.

    >>> parse_point("y=0, x=1/2", ["x", "y"])
    (Fraction(1, 2), Fraction(0, 1))
    """
    values: dict[str, Fraction] = {}
    for part in [p for p in text.replace(";", ",").split(",") if p.strip()]:
        if "=" not in part:
            raise InputError(f"'{part.strip()}' in the point is not of the form name=value (e.g. x=1/2,y=0)")
        name, value = (s.strip() for s in part.split("=", 1))
        if name in values:
            raise InputError(f"'{name}' is given twice in the point")
        if name not in variables:
            raise InputError(f"'{name}' in the point is not a variable; the variables are {', '.join(variables)}"
                             + _suggest(name, list(variables)))
        try:
            values[name] = Fraction(value.replace(" ", ""))
        except (ValueError, ZeroDivisionError):
            raise InputError(f"value '{value}' for {name} is not an exact rational such as 1/2, -3 or 0.25") from None
    missing = [v for v in variables if v not in values]
    if missing:
        raise InputError(f"the point gives no value for {', '.join(missing)}; write e.g. {','.join(f'{v}=0' for v in variables)}")
    return tuple(values[v] for v in variables)
