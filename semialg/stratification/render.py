"""The text and JSON of a stratification (``semialg strata``; ``Stratification.to_text`` / ``to_json``).

Exact numbers as text (``"1/2"``, ``"root(4*t**2 - 5, 1)"``), a float beside an algebraic
sample, polynomials in the program's own variable names.
"""
from __future__ import annotations

from semialg.rules import fmt_exact
from semialg.smt import AlgebraicNumber
from semialg.stratification.cells import SIGN_TEXT


def sample_text(value) -> str:
    """An exact coordinate: ``"1/2"`` or ``"root(t**2 - 2, 1)"``."""
    return str(value) if isinstance(value, AlgebraicNumber) else fmt_exact(value)


class _Texts:
    """Text of conditions and pieces, each polynomial formatted once (strata share them)."""

    def __init__(self, names):
        self.names = list(names)
        self.memo: dict = {}

    def poly(self, p) -> str:
        text = self.memo.get(id(p))
        if text is None:
            text = self.memo[id(p)] = p.to_str(self.names)
            self.memo[id(p), "keep"] = p          # keep p alive so its id is not reused
        return text

    def conditions(self, s) -> list[str]:
        return [f"{self.poly(p)} {SIGN_TEXT[t]} 0" for p, t in s.conditions] or ["true"]


def strata_json(strat) -> list[dict]:
    """The strata as the JSON objects of docs/cli.md (exact strings; floats beside algebraic samples),
    with ``pattern`` (:func:`~semialg.stratification.patterns.activation_pattern`) and ``simplified``
    (:func:`~semialg.stratification.patterns.simplify_conditions`)."""
    from semialg.stratification.patterns import activation_pattern, simplify
    texts = _Texts(strat.program.inputs)
    out = []
    for s in strat.strata:
        entry = {"id": s.id, "dim": s.dim, "conditions": texts.conditions(s),
                 "sample": [sample_text(v) for v in s.sample],
                 "piece": [texts.poly(p) for p in s.piece],
                 "above": list(strat.above[s.id])}
        if not s.rational:
            entry["sample_float"] = [float(v) for v in s.sample]
        if s.dim is None:
            entry["reason"] = s.reason
        entry["pattern"] = activation_pattern(strat, s)
        entry["simplified"] = simplify(s.conditions, strat.n).text(texts.names)
        out.append(entry)
    return out


def headline(text: str, limit: int = 120) -> str:
    """A program's text for a first line: whole, or cut with its length said.

    >>> headline("relu(x)"), headline("x + " * 100 + "y", 20)
    ('relu(x)', 'x + x + x + x + x + ... (401 characters)')
    """
    return text if len(text) <= limit else text[:limit].rstrip() + f" ... ({len(text)} characters)"


CELL = 60
"""Table cells longer than this do not widen their column."""


def strata_text(strat, conditions: str = "auto") -> str:
    """The table ``semialg strata`` prints: id, dim, sample, piece, the conditions, neighbours above
    (``conditions``: ``full``, ``simplified``, ``pattern`` with its legend above the
    table, or ``auto``: simplified when short, else the pattern;
    :class:`~semialg.stratification.patterns.Describer`)."""
    from semialg.stratification.patterns import Describer
    program = strat.program
    describer = Describer(strat, conditions, strat.strata, joiner=" and ")
    rows = [("id", "dim", "sample", "piece", describer.header, "above")]
    texts = _Texts(program.inputs)
    for s in strat.strata:
        rows.append((str(s.id), "?" if s.dim is None else str(s.dim),
                     "(" + ", ".join(sample_text(v) for v in s.sample) + ")" if len(s.sample) != 1
                     else sample_text(s.sample[0]),
                     ", ".join(texts.poly(p) for p in s.piece), describer.describe(s),
                     ", ".join(map(str, strat.above[s.id]))))
    # a cell longer than CELL does not widen its column (it pushes the rest of its own row)
    widths = [max((len(r[k]) for r in rows if len(r[k]) <= CELL), default=0) for k in range(len(rows[0]))]
    right = {0, 1}
    lines = [f"{headline(program.to_text())}   variables: {', '.join(program.inputs)}   "
             f"{len(strat.strata)} strata (method: {strat.stats.get('method')})"]
    lines += describer.legend()
    for r in rows:
        cells = [c.rjust(w) if k in right else c.ljust(w) for k, (c, w) in enumerate(zip(r, widths))]
        lines.append("  ".join(cells).rstrip())
    if not strat.complete:
        lines.append("incomplete: " + "; ".join(strat.reasons))
    return "\n".join(lines)


def html(doc: dict) -> str:
    """A result's JSON object (``to_json()``) as a small HTML block for notebooks: the verdict,
    its reason, the witness and a table of the strata (exact numbers as text).

    >>> "<table" in html({"command": "check", "function": "relu(x)", "verdict": "conservative", "reason": "r",
    ...                   "strata": [{"id": 0, "dim": 1, "conditions": ["x < 0"], "sample": ["-1"]}]})
    True
    """
    import html as _html

    def esc(value) -> str:
        if isinstance(value, (list, tuple)):
            return "(" + ", ".join(esc(v) for v in value) + ")"
        return _html.escape(str(value))

    verdict = str(doc.get("verdict", ""))
    colour = {"conservative": "#2e7d32", "computed": "#2e7d32", "invertible": "#2e7d32",
              "no_artificial_critical_points": "#2e7d32", "unknown": "#9e6a00"}.get(verdict, "#c62828")
    parts = [f"<div><b>{esc(doc.get('command', ''))}</b> <code>{esc(doc.get('function', ''))}</code>",
             f" &nbsp;<span style='color:{colour};font-weight:bold'>{esc(verdict.upper().replace('_', ' '))}</span>",
             f"<br><small>{esc(doc.get('reason', ''))}</small>"]
    witness = doc.get("witness")
    if witness:
        parts.append("<br>witness: " + ", ".join(f"{esc(k)} = {esc(v)}" for k, v in witness.items()
                                                  if k != "numeric"))
    strata = doc.get("strata") or []
    if strata:
        keys = [k for k in ("id", "dim", "conditions", "sample", "piece", "field", "clarke", "above", "status")
                if any(k in s for s in strata)]
        parts.append("<table><tr>" + "".join(f"<th>{k}</th>" for k in keys) + "</tr>")
        for s in strata[:200]:
            parts.append("<tr>" + "".join(f"<td>{esc(s.get(k, ''))}</td>" for k in keys) + "</tr>")
        parts.append("</table>")
        if len(strata) > 200:
            parts.append(f"<small>... {len(strata) - 200} more strata</small>")
    parts.append("</div>")
    return "".join(parts)
