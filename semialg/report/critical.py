"""Text and JSON of critical-point results (``semialg critical``; ``CriticalResult.to_text`` /
``to_json``), and of the families of critical sets that ``semialg check`` shows too."""
from __future__ import annotations

from semialg.report import fmt_vector, header, headline, vertices_json
from semialg.rules import fmt_exact
from semialg.stratification.patterns import Describer, activation_pattern, simplify_conditions

MAX_ROWS = 40
WIDTH = 150
"""A set's line longer than this is broken (after a comma or semicolon) onto indented lines."""
KINDS = (("artificial", "artificial_critical", "artificial critical points (0 in conv D, 0 not in Clarke)"),
         ("spurious", "spurious", "spurious values (D(x) not inside the Clarke set)"),
         ("d_critical", "d_critical", "D-critical sets (0 in conv D)"),
         ("clarke_critical", "clarke_critical", "Clarke critical sets (0 in the Clarke set)"))


def sample_of_point(point) -> dict:
    out = {"sample": [fmt_exact(v) for v in point]}
    if not all(hasattr(v, "denominator") for v in point):
        out["sample_float"] = [float(v) for v in point]
    return out


def point_set_json(ps) -> dict:
    """One :class:`~semialg.checks.critical.PointSet` as JSON (docs/cli.md)."""
    names = list(ps.stratum.names)
    out = {"stratum": ps.stratum.id, "dim": ps.stratum.dim, "conditions": ps.stratum.condition_text()}
    out.update(sample_of_point(ps.sample))
    out["equations"] = [f"{e.to_str(names)} = 0" for e in ps.equations]
    out["whole_stratum"] = ps.whole_stratum
    if ps.condition:
        out["condition"] = ps.condition
    out["field"] = vertices_json(ps.field)
    out["clarke"] = vertices_json(ps.clarke)
    if ps.reason:
        out["reason"] = ps.reason
    return out


def sets_json(sets) -> dict:
    """The four families of sets (a :class:`CriticalResult` or the dict of ``analyze``) as JSON lists."""
    get = (lambda k: getattr(sets, k)) if not isinstance(sets, dict) else sets.get
    return {key: [point_set_json(ps) for ps in get(attr)] for attr, key, _ in KINDS}


def clarke_json(sc) -> list | None:
    """A stratum's Clarke vertices at its sample, as exact strings (None when there are none)."""
    return vertices_json(sc.vertices) if sc.vertices else None


def _vec(vx) -> str:
    if len(vx) == 1:
        return "(" + ", ".join(fmt_exact(v) for v in vx[0]) + ")"
    return "[" + "; ".join(", ".join(fmt_exact(v) for v in row) for row in vx) + "]"


def hull_text(vertices) -> str:
    """``conv{(0), (1)}``, or ``{(1)}`` for a single vertex."""
    inner = ", ".join(_vec(v) for v in vertices)
    return "{" + inner + "}" if len(vertices) == 1 else "conv{" + inner + "}"


def point_set_text(ps, describer=None) -> str:
    """One set: the stratum, its sample, ``D`` and the Clarke set there, how much of the stratum it is,
    then the stratum's conditions (or pattern) as ``describer`` writes them (default: simplified)."""
    where = describer.describe(ps.stratum) if describer is not None else ", ".join(simplify_conditions(
        ps.stratum.conditions, list(ps.stratum.names)))
    extra = f" where {ps.condition}" if ps.condition else ""
    whole = {True: "the whole stratum", False: "part of the stratum", None: "whole stratum undecided"}[ps.whole_stratum]
    sample = "(" + ", ".join(fmt_exact(v) for v in ps.sample) + ")"
    dim = "?" if ps.stratum.dim is None else ps.stratum.dim
    text = (f"  stratum {ps.stratum.id} (dim {dim}) at {sample}: D = {hull_text(ps.field)}, "
            f"Clarke = {hull_text(ps.clarke)}; {whole}{extra}; [{where}]")
    return text if len(text) <= WIDTH else "\n    ".join(_break(text, WIDTH))


def _break(text: str, width: int) -> list[str]:
    """A long line cut after ``", "`` or ``"; "`` (continuation lines are indented by the caller)."""
    out = []
    while len(text) > width:
        cut = max(text.rfind("; ", 0, width), text.rfind(", ", 0, width))
        if cut <= 0:
            break
        out.append(text[:cut + 1])
        text = text[cut + 2:]
    return out + [text]


def set_strata(sets) -> list:
    """The strata of every set listed (a :class:`CriticalResult` or the dict of ``analyze``), once each."""
    get = (lambda k: getattr(sets, k, ())) if not isinstance(sets, dict) else (lambda k: sets.get(k) or ())
    seen: dict[int, object] = {}
    for attr, _, _ in KINDS:
        for ps in get(attr)[:MAX_ROWS]:
            seen.setdefault(id(ps.stratum), ps.stratum)
    return list(seen.values())


def sets_text(sets, include_critical: bool = True, outputs: int = 1, describer=None) -> list[str]:
    """Text lines for the families of sets (artificial and spurious first). Critical points are
    defined for scalar functions only: with ``outputs > 1`` those families say so. ``describer``
    (a :class:`~semialg.stratification.patterns.Describer`) writes each stratum's conditions."""
    get = (lambda k: getattr(sets, k)) if not isinstance(sets, dict) else sets.get
    lines = []
    for attr, _, title in KINDS if include_critical else KINDS[:2]:
        if outputs > 1 and attr != "spurious":
            lines.append(f"{title}: not defined for a vector output ({outputs} outputs)")
            continue
        found = get(attr)
        lines.append(f"{title}: {len(found) if found else 'none'}")
        lines += [point_set_text(ps, describer) for ps in found[:MAX_ROWS]]
        if len(found) > MAX_ROWS:
            lines.append(f"  ... {len(found) - MAX_ROWS} more (--json lists all)")
    return lines


def critical_json(result) -> dict:
    """A critical result as the JSON object of docs/cli.md."""
    out = header("critical", result.function, list(result.program.inputs))
    out.update({"rule": result.rule.name, "verdict": result.verdict, "reason": result.reason})
    original = getattr(result.domain, "to_original", None)
    if result.domain is not None:
        from semialg.frontends.restrict import domain_to_json
        out["domain"] = domain_to_json(result.domain)
    strata = []
    names = list(result.program.inputs)
    for sc in result.clarke:
        s = sc.stratum
        entry = {"id": s.id, "dim": s.dim, "conditions": s.condition_text()}
        entry.update(sample_of_point(s.sample))
        if original is not None:
            entry["original"] = [fmt_exact(v) for v in original(s.sample)]
        entry["piece"] = [p.to_str(names) for p in s.piece]
        entry["clarke"] = clarke_json(sc)
        entry["pattern"] = activation_pattern(result.stratification, s) if result.stratification is not None else ""
        entry["simplified"] = simplify_conditions(s.conditions, names)
        strata.append(entry)
    out["strata"] = strata
    out.update(sets_json(result))
    if original is not None:
        for attr, key, _ in KINDS:
            for ps, entry in zip(getattr(result, attr), out[key]):
                entry["original"] = [fmt_exact(v) for v in original(ps.sample)]
    out["unknown"] = list(result.unknowns)
    out["witness"] = None
    if result.jump is not None:
        j = result.jump
        out["witness"] = {"kind": "jump", "stratum": j.stratum, "neighbour": j.neighbour,
                          "point": fmt_vector(j.point), "value": fmt_vector(j.value),
                          "limit": fmt_vector(j.limit)}
    out["timings"] = {k: round(v, 6) for k, v in result.timings.items()}
    return out


def critical_text(result, conditions: str = "auto") -> str:
    """A critical result as the text ``semialg critical`` prints; ``conditions`` says how the strata
    are described (``auto``, ``full``, ``simplified``, ``pattern``:
    :class:`~semialg.stratification.patterns.Describer`; a pattern's legend is printed once)."""
    lines = [f"{headline(result.function, 120)}   rule: {result.rule.name}   variables: {', '.join(result.program.inputs)}",
             f"verdict: {result.verdict.upper().replace('_', ' ')}", f"  {result.reason}"]
    if result.domain is not None:
        from semialg.frontends.restrict import describe_domain
        lines.append(f"  {describe_domain(result.domain)}")
    if result.verdict != "not_lipschitz":
        lines.append("")
        describer = Describer(result.stratification, conditions, set_strata(result))
        lines += describer.legend()
        lines += sets_text(result, outputs=result.program.n_outputs, describer=describer)
    if result.unknowns:
        lines += ["", "undecided:"] + [f"  {u}" for u in result.unknowns[:MAX_ROWS]]
    lines += ["", "time: " + ", ".join(f"{k} {v:.3f} s" for k, v in result.timings.items())]
    return "\n".join(lines)
