"""The oracle's judgements of semialg's JSON answers (semialg itself is never imported).

Each ``judge_*`` function takes a generated :class:`~.generate.Program`, semialg's parsed JSON
answer and a ``random.Random``; it returns a list of disagreements, each a dict with a
``kind`` (a short stable name), a ``detail`` text, and the exact point involved. An
``unknown`` verdict is never a disagreement.
"""
from __future__ import annotations

import random
from fractions import Fraction as F

from . import expr as E
from . import probes as P


def rational_point(strings):
    """A JSON point (exact strings) -> tuple of Fractions, or None for an algebraic sample."""
    try:
        return tuple(F(s) for s in strings)
    except (ValueError, TypeError, ZeroDivisionError):
        return None


def _fmt_point(names, p):
    return ",".join(f"{v}={c}" for v, c in zip(names, p))


def _disagree(kind, detail, names=None, point=None, **extra):
    d = {"kind": kind, "detail": detail}
    if point is not None:
        d["point"] = _fmt_point(names, point)
    d.update(extra)
    return d


def kink_points(prog, rng, per_set=3):
    """Random exact points on the program's parametrised kink sets."""
    out = []
    for s in prog.sets:
        for _ in range(per_set):
            out.append(s.point([P.rand_rational(rng) for _ in range(s.n_params)]))
    return out


def stratum_points(prog, strata, rng, per_set=4):
    """(stratum, [exact points]) for every stratum: its sample and kink-set points meeting
    its conditions (parsed and evaluated by the oracle)."""
    out = []
    for s in strata:
        try:
            cond = E.parse_conditions(s["conditions"])
        except E.OracleParseError:
            continue
        sample = rational_point(s.get("sample") or [])
        extra = [sample] if sample is not None else []
        pts = P.points_of(cond, prog.names, prog.sets if s.get("dim") != len(prog.names) else [], rng,
                          per_set=per_set, extra=extra)
        out.append((s, cond, pts))
    return out


# --------------------------------------------------------------------------- 1. Lipschitz claims
def no_jumps(prog, strata, rng, claim):
    """Where semialg claims Lipschitz (``claim`` names the command), probe for jumps at the
    strata samples, at points of every stratum and at random points of the kink sets."""
    found = []
    points = kink_points(prog, rng)
    for s, cond, pts in stratum_points(prog, strata, rng, per_set=2):
        points += pts[:4]
    for p in points:
        j = P.find_jump(prog.node, prog.names, p, rng, k=6)
        if j:
            found.append(_disagree("missed_jump", f"{claim} but f jumps at this point: f = {j['value']}, "
                                   f"f(p + {float(j['radius']):g}*d) = {float(j['near']):.6g} for d = "
                                   f"{tuple(str(c) for c in j['direction'])}", prog.names, p))
            break
    return found


def confirm_jump(prog, witness, rng):
    """semialg says not_lipschitz: the oracle must see the jump near the reported point."""
    p = rational_point(witness.get("point") or [])
    if p is None:
        return []
    out = []
    value = rational_point(witness.get("value") or [])
    f0 = E.value(prog.node, prog.names, p)
    if value is not None and value[0] != f0:
        out.append(_disagree("wrong_jump_value", f"the witness says f = {value[0]} but f = {f0}", prog.names, p))
    if P.find_jump(prog.node, prog.names, p, rng, k=96) is None:
        out.append(_disagree("unconfirmed_jump", "not_lipschitz, but no jump is seen near the witness point "
                             f"(limit claimed {witness.get('limit')}, value {f0})", prog.names, p))
    return out


# --------------------------------------------------------------------------- 2. chain rule
def chain_rule(prog, rng, field_fn, pattern_nodes, n_t=4, label="pytorch backprop"):
    """Along random lines/parabolas and curves inside the kink sets, at random rational t,
    d/dt f(gamma(t)) must equal <v, gamma'(t)> wherever the point is not a kink along the
    curve (see :func:`probes.chain_rule_check`)."""
    curves = P.random_curves(rng, prog.names)
    for s in prog.sets:
        base = [P.rand_rational(rng) for _ in range(s.n_params)]
        direction = list(P.rand_direction(rng, s.n_params))
        curves.append((f"in {{{s.label} = 0}}", s.curve(base, direction)))
    for name, curve in curves:
        for _ in range(n_t):
            t = P.rand_rational(rng, -1, 1)
            r = P.chain_rule_check(prog.node, prog.names, curve, t, field_fn, pattern_nodes)
            if r[0] == "mismatch":
                p = curve(t)
                tangent = tuple(str(c) for c in P.add(curve(t + F(1, 10 ** 8)), curve(t - F(1, 10 ** 8)), -1))
                return [_disagree("chain_rule_fails", f"conservative, but along the {name} curve d/dt f = "
                                  f"{float(r[1]):.9g} while <v, gamma'> = {float(r[2]):.9g} ({label}; "
                                  f"2e-8*gamma' ~ {tangent})", prog.names, p)]
    return []


def judge_check(prog, doc, rng, field_nodes=None):
    """``check`` (pytorch rule, or a hand-written field ``field_nodes``)."""
    verdict = doc.get("verdict")
    strata = doc.get("strata") or []
    if verdict == "conservative":
        out = no_jumps(prog, strata, rng, "check says conservative")
        if field_nodes is None:
            field_fn = lambda p: E.grad(prog.node, prog.names, p)  # noqa: E731
            pattern_nodes = [prog.node]
        else:
            field_fn = lambda p: tuple(E.value(n, prog.names, p) for n in field_nodes)  # noqa: E731
            pattern_nodes = [prog.node, *field_nodes]
        out += chain_rule(prog, rng, field_fn, pattern_nodes,
                          label="the field as written" if field_nodes else "pytorch backprop")
        return out
    if verdict == "not_lipschitz":
        return confirm_jump(prog, doc.get("witness") or {}, rng)
    if verdict == "not_conservative" and field_nodes is None:
        # backprop with Clarke-consistent primitives is always conservative (THEORY.md section 4)
        return [_disagree("false_refutation", "the PyTorch preset is a selection of a conservative field for a "
                          "Lipschitz program, yet check says not_conservative",
                          prog.names, rational_point((doc.get("witness") or {}).get("point") or []) or None)]
    if verdict == "not_conservative":
        return confirm_refutation(prog, doc.get("witness") or {}, field_nodes)
    return []


def confirm_refutation(prog, w, field_nodes):
    """Sanity of a refutation witness: the field value is what the field says there (when the
    source is the rule's own value), and <v, direction> is the claimed field_along_curve."""
    p, d = rational_point(w.get("point") or []), rational_point(w.get("direction") or [])
    v = rational_point(w.get("field_value") or [])
    if p is None or d is None or v is None:
        return []
    out = []
    along = sum(a * b for a, b in zip(v, d))
    claimed = rational_point([w.get("field_along_curve")]) if w.get("field_along_curve") is not None else None
    if claimed is not None and claimed[0] != along:
        out.append(_disagree("witness_inconsistent", f"<field_value, direction> = {along}, but the witness says "
                             f"{claimed[0]}", prog.names, p))
    return out


# --------------------------------------------------------------------------- 3. neighbours
def _far_from(cond_parts, names, q, margin=F(1, 100)):
    """True when a strict comparison of C's conditions fails at q by more than ``margin``:
    then no point within 1e-6 of q can satisfy it (the generated polynomials have small
    coefficients), so the probes are skipped."""
    env = E.env_of(names, q)
    for c in cond_parts:
        if c[0] != "cmp" or c[1] not in ("<", ">"):
            continue
        v = E.evaluate(c[2], env) - E.evaluate(c[3], env)
        if (c[1] == ">" and v < -margin) or (c[1] == "<" and v > margin):
            return True
    return False


def judge_strata(prog, doc, rng, per_set=3, max_strata=40):
    """Claims of ``strata``: every sample satisfies its conditions, f equals the stratum's
    piece at every point of it found, and the neighbour sets: for a stratum S of positive
    dimension less than n and a full-dimensional C listed in S's ``above``, points of C
    must exist within 1e-6 and 1e-9 of every point of S found; a C not listed must not
    have points within both radii of a point of S (a missed neighbour). 0-dimensional
    strata are checked for missed neighbours only (a cusp-shaped C can escape the probes)."""
    out = []
    if doc.get("verdict") != "computed":
        return out
    strata = doc["strata"]
    n = len(prog.names)
    full = []
    for s in strata:
        if s.get("dim") == n:
            try:
                full.append((s, E.parse_conditions(s["conditions"])))
            except E.OracleParseError:
                pass
    listed = stratum_points(prog, strata, rng, per_set=per_set)
    if len(listed) > max_strata:
        listed = rng.sample(listed, max_strata)
    for s, cond, pts in listed:
        sample = rational_point(s.get("sample") or [])
        if sample is not None and not E.evaluate(cond, E.env_of(prog.names, sample)):
            out.append(_disagree("sample_outside_stratum", f"stratum {s['id']} {s['conditions']}: its sample "
                                 "does not satisfy its conditions", prog.names, sample, stratum=s["id"]))
        try:
            piece = E.parse(s["piece"][0]) if s.get("piece") and len(s["piece"]) == 1 else None
        except E.OracleParseError:
            piece = None
        pts = pts[:1 + per_set]
        for q in pts:
            if piece is not None:
                fq, pq = E.value(prog.node, prog.names, q), E.value(piece, prog.names, q)
                if fq != pq:
                    out.append(_disagree("wrong_piece", f"stratum {s['id']} {s['conditions']}: piece "
                                         f"{s['piece'][0]} = {pq} but f = {fq}", prog.names, q, stratum=s["id"]))
                    break
        if s.get("dim") == n or s.get("dim") is None:
            continue
        above = set(s.get("above") or [])
        for c, ccond in full:
            for q in pts:
                if c["id"] not in above and _far_from(ccond[1], prog.names, q):
                    continue
                hits = []
                for r in P.NEIGHBOUR_RADII[::-1]:  # the small radius first: it decides most cases
                    hits.append(P.near_points(ccond, prog.names, q, r, rng, k=24))
                    if hits[-1] is None:
                        break
                if c["id"] in above and s.get("dim", 0) > 0 and hits[-1] is None:
                    r = P.NEIGHBOUR_RADII[::-1][len(hits) - 1]
                    out.append(_disagree("false_neighbour", f"stratum {c['id']} {c['conditions']} is listed above "
                                         f"stratum {s['id']} {s['conditions']}, but no point of it is found within "
                                         f"{float(r):g} of this point of stratum {s['id']}",
                                         prog.names, q, stratum=s["id"], neighbour=c["id"]))
                    break
                if c["id"] not in above and len(hits) == 2 and hits[-1] is not None:
                    out.append(_disagree("missed_neighbour", f"stratum {c['id']} {c['conditions']} is not listed "
                                         f"above stratum {s['id']} {s['conditions']}, but it has points within 1e-9 "
                                         f"of this point (e.g. {tuple(str(v) for v in hits[0])})", prog.names, q,
                                         stratum=s["id"], neighbour=c["id"]))
                    break
    return out


# --------------------------------------------------------------------------- 4. Clarke
def judge_clarke(prog, doc, point, rng):
    """``clarke --at point``: sampled nearby gradients lie in the reported hull; no jump at a
    point where Clarke was computed; a not_lipschitz answer shows a jump."""
    verdict = doc.get("verdict")
    if verdict == "not_lipschitz":
        return confirm_jump(prog, doc.get("witness") or {"point": [str(c) for c in point]}, rng)
    if verdict != "computed" or not doc.get("vertices"):
        return []
    vertices = [rational_point(v) for v in doc["vertices"]]
    if any(v is None for v in vertices):
        return []
    out = []
    j = P.find_jump(prog.node, prog.names, point, rng, k=12)
    if j:
        out.append(_disagree("missed_jump", "clarke computed a Clarke Jacobian but f jumps here", prog.names, point))
    for g in P.sample_gradients(prog.node, prog.names, point, rng, k=32):
        dist = P.hull_distance(g, vertices)
        if dist > 1e-3:
            out.append(_disagree("gradient_outside_clarke", f"the gradient {tuple(float(c) for c in g)} of a "
                                 f"nearby piece is {dist:.3g} away from conv{[tuple(map(str, v)) for v in vertices]}",
                                 prog.names, point))
            break
    return out


# --------------------------------------------------------------------------- 5. critical points
def judge_critical(prog, doc, rng):
    """``critical``: a reported artificial point must not have 0 robustly inside the sampled
    Clarke hull; when none is reported, a kink point with backprop exactly 0 and sampled
    Clarke gradients separated from 0 is a missed artificial critical point."""
    verdict = doc.get("verdict")
    out = []
    if verdict == "not_lipschitz":
        return confirm_jump(prog, doc.get("witness") or {}, rng)
    if verdict == "artificial_critical_points":
        for a in doc.get("artificial_critical") or []:
            p = rational_point(a.get("sample") or [])
            if p is None:
                continue
            grads = P.sample_gradients(prog.node, prog.names, p, rng, k=48)
            if grads and P.zero_robustly_inside(grads):
                out.append(_disagree("false_artificial", f"reported artificial on stratum {a.get('stratum')}, but "
                                     "nearby gradients surround 0 (0 is in the Clarke set)", prog.names, p))
        return out
    if verdict != "no_artificial_critical_points":
        return out
    candidates = list(prog.hints)
    for s in doc.get("strata") or []:
        p = rational_point(s.get("sample") or [])
        if p is not None and s.get("dim", 0) < len(prog.names):
            candidates.append(p)
    candidates += kink_points(prog, rng, per_set=2)
    for p in candidates:
        g = E.grad(prog.node, prog.names, p)
        if any(g):
            continue
        if P.find_jump(prog.node, prog.names, p, rng, k=6):
            continue
        grads = P.sample_gradients(prog.node, prog.names, p, rng, k=64)
        if len(grads) >= 8 and P.zero_excluded(grads, margin=1e-3):
            out.append(_disagree("missed_artificial", "critical reports no artificial critical point, but PyTorch "
                                 "backprop is exactly 0 here while every nearby gradient is separated from 0 "
                                 f"(e.g. {tuple(float(c) for c in grads[0])})", prog.names, p))
            break
    return out
