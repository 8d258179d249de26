"""Text and JSON for the families of critical sets (artificial, spurious, D-critical,
Clarke critical), shared by ``semialg critical`` and ``semialg check``."""
from __future__ import annotations

from semialg.checks.clarke import vertices_json
from semialg.checks.critical import CriticalResult
from semialg.rules import fmt_exact

MAX_ROWS = 40
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
    get = (lambda k: getattr(sets, k)) if isinstance(sets, CriticalResult) else sets.get
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


def point_set_text(ps) -> str:
    where = ", ".join(ps.stratum.condition_text())
    extra = f" where {ps.condition}" if ps.condition else ""
    whole = {True: "the whole stratum", False: "part of the stratum", None: "whole stratum undecided"}[ps.whole_stratum]
    sample = "(" + ", ".join(fmt_exact(v) for v in ps.sample) + ")"
    return (f"  stratum {ps.stratum.id} [{where}]{extra}: {whole}; at {sample}: "
            f"D = {hull_text(ps.field)}, Clarke = {hull_text(ps.clarke)}")


def sets_text(sets, include_critical: bool = True, outputs: int = 1) -> list[str]:
    """Text lines for the families of sets (artificial and spurious first). Critical points are
    defined for scalar functions only: with ``outputs > 1`` those families say so."""
    get = (lambda k: getattr(sets, k)) if isinstance(sets, CriticalResult) else sets.get
    lines = []
    for attr, _, title in KINDS if include_critical else KINDS[:2]:
        if outputs > 1 and attr != "spurious":
            lines.append(f"{title}: not defined for a vector output ({outputs} outputs)")
            continue
        found = get(attr)
        lines.append(f"{title}: {len(found) if found else 'none'}")
        lines += [point_set_text(ps) for ps in found[:MAX_ROWS]]
        if len(found) > MAX_ROWS:
            lines.append(f"  ... {len(found) - MAX_ROWS} more (--json lists all)")
    return lines
