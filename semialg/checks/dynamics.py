"""Exact training dynamics: gradient descent with a framework's backprop, in rationals (theory §6).

:func:`descent` runs GD, heavy ball or minibatch SGD with a framework rule (PyTorch, JAX, TensorFlow,
with overrides) in exact Fractions and reports every iterate that lands on a kink (a stratum of
dimension < n): the rule's value there, whether it is D-critical, Clarke critical, and so whether the
run met an *artificial* critical point (``0 = D(x)``, ``0 ∉ ∂^c f(x)``).

:func:`exceptional_initialisations` and :func:`exceptional_steps` compute, for a
one-dimensional piecewise-linear ``f``, the exact finite set of starts (step fixed) or of
step sizes (start fixed) from which GD hits a kink within a horizon: the seeds' claim that
artificial critical points are met only from exceptional, null sets (seed 004 "Artificial
critical points are never seen"), made exact for one variable.

>>> r = descent("x - (relu(-x) - relu(x) + x) + x**2", ["1/2"], 3, lr="1/4")
>>> [str(x[0]) for x in r.iterates], r.verdict
(['1/2', '0', '0', '0'], 'artificial_landing')
>>> (r.stationary.step, r.stationary.artificial)
(1, True)
"""
from __future__ import annotations

import bisect
import numbers
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Sequence

from semialg.checks import VerdictResult
from semialg.checks.clarke import NotLipschitzError, UndecidedError, clarke_at
from semialg.core.budget import Deadline
from semialg.core.dag import Program, walk_postorder
from semialg.core.errors import InputError
from semialg.frontends.coerce import as_point, as_program
from semialg.frontends.data import bind_data, data_names
from semialg.frontends.lift import needs_lifting
from semialg.rules import Rule, derivative_at, fmt_exact, labels_at, resolve_rule
from semialg.stratification import stratify

F0 = Fraction(0)
Vector = tuple[Fraction, ...]


def _vec(v) -> str:
    return "(" + ", ".join(fmt_exact(c) for c in v) + ")"


@dataclass(frozen=True)
class Landing:
    """An iterate on a kink (or the stationary point): ``value`` is the rule's D of the objective there,
    ``d_critical`` is ``D == 0``, ``clarke_critical`` is ``0 ∈ ∂^c f`` (None: not computed or undecided,
    ``reason`` says why), ``artificial`` is ``d_critical and not clarke_critical``."""

    step: int
    point: Vector
    stratum_dim: int | None
    value: Vector
    d_critical: bool
    clarke_critical: bool | None
    artificial: bool | None
    reason: str = ""

    def describe(self) -> str:
        clarke = {True: "0 ∈ Clarke", False: "0 ∉ Clarke", None: "Clarke " + (self.reason or "not computed")}
        kind = " -> ARTIFICIAL critical point" if self.artificial else ""
        return (f"step {self.step}: x = {_vec(self.point)}, stratum dim {self.stratum_dim}, D = {_vec(self.value)}"
                f" ({'D-critical' if self.d_critical else 'not D-critical'}; {clarke[self.clarke_critical]}){kind}")

    def to_json(self) -> dict:
        from semialg.report import to_jsonable
        return to_jsonable(asdict(self))


@dataclass(frozen=True, repr=False)
class Descent(VerdictResult):
    """An exact run: ``iterates[k]`` is ``x_k`` (``steps + 1`` of them unless ``stopped``), ``gradients[k]``
    the rule's value used at step ``k`` (a minibatch's at SGD), ``landings`` the iterates on a kink up to
    the stationary one, ``stationary`` the first iterate the run never leaves (D = 0 for every batch, zero
    velocity), ``program`` the objective (for SGD the mean over all points of all batches)."""

    EXIT = {"artificial_landing": 1, "no_artificial_landing": 0, "unknown": 3}
    program: Program
    rule: str
    lr: Fraction
    momentum: Fraction
    iterates: tuple[Vector, ...]
    gradients: tuple[Vector, ...]
    landings: tuple[Landing, ...]
    stationary: Landing | None
    verdict: str
    reason: str
    batches: int = 0
    stopped: str = ""

    def __repr__(self) -> str:
        return f"<Descent {self.verdict}: {self.function}, rule {self.rule}, {len(self.landings)} landing(s)>"

    @property
    def method(self) -> str:
        base = f"SGD over {self.batches} batches" if self.batches else "gradient descent"
        return base + (f", heavy ball momentum {fmt_exact(self.momentum)}" if self.momentum else "")

    def to_text(self) -> str:
        """What a run did, one line per landing.

        >>> print(descent("relu(x) + x/2", [1], 2, lr=1).to_text().splitlines()[1])
        iterates: 1, -1/2, -1
        """
        shown = [_vec(x) if len(x) > 1 else fmt_exact(x[0]) for x in self.iterates]
        if len(shown) > 12:
            shown = shown[:6] + ["..."] + shown[-3:]
        lines = [f"{self.method} on {self.function}, rule {self.rule}, lr {fmt_exact(self.lr)}, "
                 f"{len(self.iterates) - 1} steps from {_vec(self.iterates[0])}", "iterates: " + ", ".join(shown)]
        lines += ["landing " + lnd.describe() for lnd in self.landings]
        lines += [f"stationary from step {self.stationary.step} at {_vec(self.stationary.point)}: every later "
                  "iterate equals it"] if self.stationary is not None else []
        lines += [f"stopped: {self.stopped}"] if self.stopped else []
        return "\n".join(lines + [f"verdict {self.verdict}: {self.reason}"])

    def to_json(self) -> dict:
        """Plain dicts, exact numbers as strings (``"1/3"``)."""
        from semialg.report import header, to_jsonable
        doc = header("descent", self.function, self.program.inputs)
        keys = ("verdict", "reason", "rule", "method", "lr", "momentum", "batches", "iterates", "gradients", "stopped")
        doc.update(to_jsonable({k: getattr(self, k) for k in keys}))
        doc["landings"] = [lnd.to_json() for lnd in self.landings]
        doc["stationary"] = None if self.stationary is None else self.stationary.to_json()
        return doc


# --------------------------------------------------------------------------- input checks
def exact_number(value, name: str, positive: bool = False, below_one: bool = False) -> Fraction:
    """An exact rational from an int, Fraction, text (``"1/10"``) or float (its decimal text: 0.1 is 1/10).

    >>> exact_number("1/10", "lr", positive=True), exact_number(0.25, "lr")
    (Fraction(1, 10), Fraction(1, 4))
    >>> exact_number(0, "lr", positive=True)
    Traceback (most recent call last):
    ...
    semialg.core.errors.InputError: lr must be > 0, got 0; e.g. lr='1/10'
    """
    if isinstance(value, (bool, list, tuple, dict, set)):
        raise InputError(f"{name} must be an exact number (an int, a Fraction or text such as '1/10'), got {value!r}")
    out = as_point([value], [name])[0]   # floats by their decimal text, as for points
    if positive and out <= 0:
        raise InputError(f"{name} must be > 0, got {fmt_exact(out)}; e.g. {name}='1/10'")
    if below_one and not 0 <= out < 1:
        raise InputError(f"{name} must be in [0, 1) (0: plain gradient descent), got {fmt_exact(out)}")
    return out


def _steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 0:
        raise InputError(f"steps must be a whole number >= 0, got {steps!r}")
    return int(steps)


def selection_rule(rule, overrides: Sequence[str], program: Program) -> Rule:
    """The rule as a :class:`Rule`, refusing set-valued ones: descent needs one direction per step.

    >>> from semialg.frontends.text import parse
    >>> selection_rule("clarke", (), parse("relu(x)"))
    Traceback (most recent call last):
    ...
    semialg.core.errors.InputError: descent needs a selection (one vector per point): rule 'clarke' is set-valued; use pytorch, jax or tensorflow (single-valued overrides such as relu'(0)=1 are fine)
    """
    obj = resolve_rule(rule, overrides, None, program)
    set_valued = [k for k, v in obj.overrides if len(v) > 1 or v == ("clarke",)]
    if obj.base == "clarke" or set_valued:
        what = f"rule '{obj.name}'" if not set_valued else f"the override {set_valued[0]}"
        raise InputError(f"descent needs a selection (one vector per point): {what} is set-valued; use pytorch, "
                         "jax or tensorflow (single-valued overrides such as relu'(0)=1 are fine)")
    return obj


def _selection(program: Program, point: Vector, rule: Rule) -> Vector:
    rows = derivative_at(program, point, rule)   # one output: checked by the callers
    if len(rows[0]) != 1:
        raise InputError(f"the rule {rule.name} gives {len(rows[0])} values at {_vec(point)}: descent needs a "
                         "selection")
    return tuple(rows[0][0])


# --------------------------------------------------------------------------- kinks
def kink_active(order, inputs: Sequence[str], point: Vector) -> bool:
    """Is some kink active at ``point`` (a branching node's argument on its boundary: a relu argument 0,
    a tie of a max, a comparison with equal sides)? Exact: every node is evaluated in Fractions.

    Where no kink is active every condition of the point's cell is strict, so the cell is open (of
    dimension n, theory §1): the cheap exact test that runs at every step; only where it says yes
    is the stratum located (:func:`descent` stratifies once, lazily).

    >>> from semialg.frontends.text import parse
    >>> p = parse("max(x, y) + relu(x - 1)")
    >>> order = walk_postorder(p.outputs)
    >>> [kink_active(order, p.inputs, pt) for pt in [(2, 0), (1, 0), (3, 3)]]
    [False, True, True]
    """
    return bool(labels_at(order, inputs, [Fraction(v) for v in point])[2])


# --------------------------------------------------------------------------- descent
def _bound_batches(program: Program, params, batches) -> tuple[Program, list[Program]]:
    """The objective (the mean over all points of all batches) and each batch's mean, bound once."""
    if not isinstance(batches, (list, tuple)) or not batches:
        raise InputError("batches must be a non-empty list of batches, each a list of data points (dicts), e.g. "
                         "[[{'x': 1, 'y': 0}], [{'x': -1, 'y': 1}]]")
    for k, batch in enumerate(batches):
        if not isinstance(batch, (list, tuple)) or not batch:
            raise InputError(f"batch {k + 1} must be a non-empty list of data points (dicts), got {batch!r}")
    points = [p for batch in batches for p in batch]
    if params is None:
        given = set(data_names(points))
        params = [v for v in program.inputs if v not in given]
    return bind_data(program, params, points), [bind_data(program, params, list(batch)) for batch in batches]


def descent(f, x0, steps, rule="pytorch", lr="1/10", momentum=0, batches=None, params=None,
            overrides=(), clarke=True, time_limit=None) -> Descent:
    """Exact GD / heavy ball / SGD with a framework rule; the kinks the iterates land on.

    ``x_{k+1} = x_k - lr·D_k(x_k) + momentum·(x_k - x_{k-1})`` (``x_{-1} = x_0``), ``D_k`` the rule's
    value (:func:`~semialg.rules.derivative_at`) of ``f``, or with ``batches`` (a list of lists of data
    points) of the mean over batch ``k mod len(batches)`` (:func:`~semialg.frontends.data.bind_data`; ``f``
    over ``params`` and data names, ``params`` by default every name no data point sets). ``x0``: a
    sequence, dict or ``"x=1/2"`` over the parameters. Landings are judged for the objective (for SGD
    the mean over all points of all batches): D there, and with ``clarke`` the exact Clarke set
    (:func:`~semialg.checks.clarke.clarke_at`). ``time_limit``: seconds; the run stops there (``stopped``,
    verdict unknown). A set-valued rule (``clarke``) is an :class:`InputError`: descent needs a selection.

    >>> r = descent("abs(x)", [1], 3, lr="1/2", rule="pytorch")
    >>> [x[0] for x in r.iterates], r.stationary.clarke_critical, r.verdict
    ([Fraction(1, 1), Fraction(1, 2), Fraction(0, 1), Fraction(0, 1)], True, 'no_artificial_landing')
    >>> s = descent("(w - x)**2", [0], 2, lr="1/4", batches=[[{"x": 1}], [{"x": -1}]])
    >>> [str(x[0]) for x in s.iterates], s.program.to_text()
    (['0', '1/2', '-1/4'], '1/2 * ((w - 1)**2 + (w + 1)**2)')
    """
    steps = _steps(steps)
    lr = exact_number(lr, "lr", positive=True)
    momentum = exact_number(momentum, "momentum", below_one=True)
    if batches is None:
        objective = as_program(f, params)
        step_programs = [objective]
    else:
        objective, step_programs = _bound_batches(as_program(f), params, batches)
    if needs_lifting(objective) or objective.n_outputs != 1:
        lifted = ", with roots, quotients or norms" if needs_lifting(objective) else ""
        raise InputError("descent minimises a scalar piecewise-polynomial program (relu, abs, max, where, ...); "
                         f"got {objective.n_outputs} output(s){lifted}")
    rule_obj = selection_rule(rule, overrides, objective)
    x = as_point(x0, objective.inputs)
    deadline = Deadline.of(time_limit)
    order = walk_postorder(objective.outputs)
    judge = _Judge(objective, rule_obj, clarke, deadline)
    iterates, gradients, landings = [x], [], []
    previous, stationary, stopped = x, None, ""
    for k in range(steps + 1):
        if deadline.expired():
            stopped = f"time limit of {deadline.seconds:g} s reached after {k} of {steps} steps"
            break
        # a landing: some kink active (exact prefilter) and the located stratum of dimension < n
        lnd = judge.landing(k, x) if kink_active(order, objective.inputs, x) else None
        if lnd is not None and lnd.stratum_dim == objective.n_inputs:
            lnd = None   # a kink active on a whole open set (relu(x - x)): f is smooth there
        landings += [lnd] if lnd is not None else []
        g = _selection(step_programs[k % len(step_programs)], x, rule_obj)   # at k == steps: stationary?
        if (previous == x or not momentum) and not any(g) and all(not any(_selection(p, x, rule_obj))
                                                                  for p in step_programs):
            stationary = lnd or judge.landing(k, x, on_kink=False)
            iterates += [x] * (steps - k)          # x is a fixed point of every step: exactly constant
            gradients += [tuple(F0 for _ in x)] * (steps - k)
            break
        if k == steps:
            break
        new = tuple(xi - lr * gi + momentum * (xi - pi) for xi, gi, pi in zip(x, g, previous))
        gradients.append(g)
        iterates.append(new)
        previous, x = x, new
    verdict, reason = _verdict(landings, stationary, stopped)
    return Descent(objective, rule_obj.name, lr, momentum, tuple(iterates), tuple(gradients), tuple(landings),
                   stationary, verdict, reason, 0 if batches is None else len(batches), stopped)


def _verdict(landings, stationary, stopped) -> tuple[str, str]:
    seen = list(landings) + ([stationary] if stationary is not None and stationary not in landings else [])
    bad = [lnd for lnd in seen if lnd.artificial]
    if bad:
        return "artificial_landing", (f"the iterate at step {bad[0].step}, {_vec(bad[0].point)}, is an artificial "
                                      "critical point: D = 0 there but 0 is not in the Clarke set")
    open_ = [lnd for lnd in seen if lnd.d_critical and lnd.clarke_critical is None]
    if open_ or stopped:
        why = stopped or f"at step {open_[0].step} D = 0 but the Clarke set was not decided ({open_[0].reason})"
        return "unknown", why
    return "no_artificial_landing", (f"{len(landings)} iterate(s) on a kink, none an artificial critical point"
                                     + (f"; stationary at a Clarke-critical point from step {stationary.step}"
                                        if stationary is not None else ""))


class _Judge:
    """The landing facts at a point, computed once per distinct point (a run stuck at a kink asks once)."""

    def __init__(self, objective: Program, rule: Rule, clarke: bool, deadline: Deadline):
        self.objective, self.rule, self.clarke, self.deadline = objective, rule, clarke, deadline
        self.strat, self.lipschitz_checked, self.cache = None, False, {}

    def landing(self, step: int, x: Vector, on_kink: bool = True) -> Landing:
        if x not in self.cache:
            self.cache[x] = self._facts(x, on_kink)
        return Landing(step, x, *self.cache[x])

    def _facts(self, x: Vector, on_kink: bool) -> tuple:
        n = self.objective.n_inputs
        value = _selection(self.objective, x, self.rule)
        d_critical = not any(value)
        if not on_kink:   # an open cell: f is C^1 near x, D = ∇f and the Clarke set is {∇f} (theory §5)
            return n, value, d_critical, d_critical, False, ""
        if self.strat is None:
            self.strat = stratify(self.objective)
        stratum = self.strat.locate(x)
        if not self.clarke:
            return stratum.dim, value, d_critical, None, None, "not computed (clarke=False)"
        try:
            zero = clarke_at(self.objective, x, stratification=self.strat, check_lipschitz=not self.lipschitz_checked,
                             time_limit=self.deadline).contains_zero   # the run's deadline, shared
            self.lipschitz_checked = True
        except (NotLipschitzError, UndecidedError) as exc:
            return stratum.dim, value, d_critical, None, None, str(exc)
        return stratum.dim, value, d_critical, zero, d_critical and not zero, ""


# --------------------------------------------------------------------------- exceptional sets (1-D, PL)
@dataclass(frozen=True)
class Kink:
    """A kink of a 1-D function: the rule's ``value`` D, the Clarke interval (None: undecided), theory §6."""

    point: Fraction
    value: Fraction
    clarke: tuple[Fraction, Fraction] | None
    d_critical: bool
    clarke_critical: bool | None
    artificial: bool | None


@dataclass(frozen=True)
class Hit:
    """GD from ``value`` (a start or a step size) is first on a kink at ``step``, on the kink ``kink``."""

    value: Fraction
    step: int
    kink: Fraction
    artificial: bool | None


@dataclass(frozen=True, repr=False)
class ExceptionalSet:
    """The exact finite set of starts (``kind == "initialisations"``, step ``lr`` fixed) or of step sizes
    (``kind == "steps"``, start ``x0`` fixed) in ``interval`` from which GD is on a kink within ``steps``
    steps; ``points`` sorted, ``hits`` aligned with them (first hit: step and kink)."""

    kind: str
    program: Program
    rule: str
    fixed: Fraction
    steps: int
    interval: tuple[Fraction, Fraction]
    kinks: tuple[Kink, ...]
    hits: tuple[Hit, ...]

    @property
    def points(self) -> tuple[Fraction, ...]:
        return tuple(h.value for h in self.hits)

    @property
    def artificial_points(self) -> tuple[Fraction, ...]:   # first kink artificial: GD stops there for good
        return tuple(h.value for h in self.hits if h.artificial)

    def __repr__(self) -> str:
        return f"<ExceptionalSet of {len(self.hits)} {self.kind} for {self.program.to_text()}>"

    def to_text(self) -> str:
        """A summary, then one line per point.

        >>> print(exceptional_initialisations("relu(x) + x", "1/2", 2, (-1, 1)).to_text().splitlines()[3])
        x0 = 1: step 1 on kink 0 (not artificial)
        """
        name, other = ("x0", f"lr {fmt_exact(self.fixed)}") if self.kind == "initialisations" else \
            ("lr", f"x0 = {fmt_exact(self.fixed)}")
        kinks = ", ".join(f"{fmt_exact(k.point)} (D = {fmt_exact(k.value)}{', artificial' if k.artificial else ''})"
                          for k in self.kinks) or "none"
        lines = [f"{len(self.hits)} exceptional {self.kind} in [{fmt_exact(self.interval[0])}, "
                 f"{fmt_exact(self.interval[1])}] for {self.program.to_text()}, rule {self.rule}, {other}, "
                 f"{self.steps} steps", f"kinks: {kinks}"]
        lines += [f"{name} = {fmt_exact(h.value)}: step {h.step} on kink {fmt_exact(h.kink)}"
                  f" ({ {True: 'ARTIFICIAL', False: 'not artificial', None: 'Clarke set undecided'}[h.artificial]})"
                  for h in self.hits]
        return "\n".join(lines)

    def to_json(self) -> dict:
        from semialg.report import header, to_jsonable
        doc = header("exceptional", self.program.to_text(), self.program.inputs)
        doc.update(to_jsonable({"kind": self.kind, "rule": self.rule, "fixed": self.fixed, "steps": self.steps,
                                "interval": self.interval, "kinks": [asdict(k) for k in self.kinks],
                                "points": [asdict(h) for h in self.hits]}))
        return doc


@dataclass(frozen=True)
class _PiecewiseLinear:
    """A 1-D piecewise-linear f under a rule: kinks ``c_1 < ... < c_m`` and the rule's slope on each of the
    ``m + 1`` open pieces (piece ``i`` lies between ``c_i`` and ``c_{i+1}``, unbounded at the ends)."""

    program: Program
    rule: Rule
    kinks: tuple[Kink, ...]
    slopes: tuple[Fraction, ...]

    def piece_of(self, x: Fraction) -> int | None:
        """The open piece containing ``x``, None when ``x`` is a kink."""
        points = [k.point for k in self.kinks]
        i = bisect.bisect_left(points, x)
        return None if i < len(points) and points[i] == x else i

    def hit(self, value: Fraction, step: int, kink: Fraction) -> Hit:
        return Hit(value, step, kink, next(k.artificial for k in self.kinks if k.point == kink))

    def first_hit(self, x: Fraction, lr: Fraction, steps: int) -> tuple[int, Fraction] | None:
        """Forward GD until a kink (exact): ``(step, kink)`` or None within ``steps``."""
        for k in range(steps + 1):
            i = self.piece_of(x)
            if i is None:
                return k, x
            x = x - lr * self.slopes[i]
        return None


def _interval(interval, name: str, nonnegative: bool = False) -> tuple[Fraction, Fraction]:
    try:
        lo, hi = interval
    except (TypeError, ValueError):
        raise InputError(f"the {name} interval must be a pair (lo, hi) of exact numbers, got {interval!r}") from None
    lo, hi = (exact_number(v, f"the {name} interval's {end} end") for v, end in ((lo, "lower"), (hi, "upper")))
    if lo > hi:
        raise InputError(f"the {name} interval ({fmt_exact(lo)}, {fmt_exact(hi)}) is reversed; write "
                         f"({fmt_exact(hi)}, {fmt_exact(lo)})")
    if nonnegative and lo < 0:
        raise InputError(f"step sizes are >= 0: the lr interval starts at {fmt_exact(lo)}")
    return lo, hi


def piecewise_linear(f, rule="pytorch", overrides: Sequence[str] = ()) -> _PiecewiseLinear:
    """The kinks and slopes of a 1-D piecewise-linear ``f`` under ``rule``, from its stratification:
    the 0-dimensional strata are the kinks, every piece must be affine (else :class:`InputError`).

    >>> pl = piecewise_linear("abs(x - 1) + relu(-x) - relu(x) + x")
    >>> [(str(k.point), str(k.value), k.artificial) for k in pl.kinks], [str(s) for s in pl.slopes]
    ([('0', '0', True), ('1', '0', False)], ['-1', '-1', '1'])
    """
    program = as_program(f)
    if program.n_inputs != 1 or program.n_outputs != 1 or needs_lifting(program):
        raise InputError("exceptional sets are computed for a piecewise-linear f of one variable with one output "
                         f"(relu, abs, max, ... of affine terms); got {program.n_inputs} variable(s), "
                         f"{program.n_outputs} output(s): {program.to_text()}")
    rule_obj = selection_rule(rule, overrides, program)
    strat = stratify(program)
    for s in strat.strata:
        if s.dim is None or not s.rational or any(p.degree > 1 for p in s.piece):
            raise InputError(f"f is not piecewise linear: on {' and '.join(s.condition_text())} it is "
                             f"{', '.join(p.to_str(program.inputs) for p in s.piece)}; the GD map is piecewise "
                             "affine only for piecewise-linear f (use descent for a single run)")
    points = sorted(s.sample[0] for s in strat.strata if s.dim == 0)
    kinks = []
    for c in points:
        value = _selection(program, (c,), rule_obj)[0]
        try:
            r = clarke_at(program, [c], stratification=strat, check_lipschitz=not kinks)
            clarke = (min(v[0][0] for v in r.vertices), max(v[0][0] for v in r.vertices))
            zero = clarke[0] <= 0 <= clarke[1]
        except (NotLipschitzError, UndecidedError):
            clarke, zero = None, None
        kinks.append(Kink(c, value, clarke, value == 0, zero, None if zero is None else value == 0 and not zero))
    inner = [points[0] - 1] + [(a + b) / 2 for a, b in zip(points, points[1:])] + [points[-1] + 1] if points else [F0]
    slopes = []
    for x in inner:   # one point per open piece: there backprop is the piece's derivative (all branches fixed)
        stratum = strat.locate([x])
        slope = _selection(program, (x,), rule_obj)[0]
        if slope != stratum.piece[0].gradient()[0].const_value:
            raise InputError(f"the rule's value {fmt_exact(slope)} at {fmt_exact(x)} is not the slope of f there")
        slopes.append(slope)
    return _PiecewiseLinear(program, rule_obj, tuple(kinks), tuple(slopes))


def exceptional_initialisations(f, lr, steps, interval, rule="pytorch",
                                overrides: Sequence[str] = ()) -> ExceptionalSet:
    """Every start ``x0`` in ``interval`` whose GD orbit (step ``lr``) is on a kink within ``steps`` steps.

    ``T(x) = x - lr·D(x)`` is a translation on each open piece, so the starts that first hit a kink at step
    ``k`` are the preimages of those of step ``k - 1`` through the open pieces (``y + lr·s_i``, kept when
    it lies in piece ``i``), from the kinks themselves at step 0: an exact finite set, each point then
    confirmed by forward simulation. Orbits may leave the interval and come back: points within
    ``(steps - k)·lr·max|s|`` of it are kept for the next preimage.

    >>> e = exceptional_initialisations("x - (relu(-x) - relu(x) + x)", "1/2", 3, (-1, 2))
    >>> [str(v) for v in e.points], e.artificial_points == e.points
    (['0', '1/2', '1', '3/2'], True)
    """
    steps = _steps(steps)
    lr = exact_number(lr, "lr", positive=True)
    lo, hi = _interval(interval, "x0")
    pl = piecewise_linear(f, rule, overrides)
    reach = lr * max((abs(s) for s in pl.slopes), default=F0)
    level = {k.point: k.point for k in pl.kinks}   # start -> kink hit, first hit at this step
    found: dict[Fraction, Hit] = {}
    for step in range(steps + 1):
        found.update({x: pl.hit(x, step, c) for x, c in level.items() if lo <= x <= hi})
        slack = (steps - step) * reach
        kept = {y: c for y, c in level.items() if lo - slack <= y <= hi + slack}
        level = {}
        for y, c in kept.items():
            for i, s in enumerate(pl.slopes):
                x = y + lr * s
                if pl.piece_of(x) == i:
                    level[x] = c
    hits = tuple(found[x] for x in sorted(found))
    for h in hits:   # a certificate of each point: the forward orbit
        if pl.first_hit(h.value, lr, steps) != (h.step, h.kink):
            raise AssertionError(f"internal: start {h.value} does not hit {h.kink} at step {h.step}")
    return ExceptionalSet("initialisations", pl.program, pl.rule.name, lr, steps, (lo, hi), pl.kinks, hits)


def exceptional_steps(f, x0, steps, interval, rule="pytorch", overrides: Sequence[str] = ()) -> ExceptionalSet:
    """Every step size ``lr`` in ``interval`` for which GD from ``x0`` is on a kink within ``steps`` steps.

    Along a fixed itinerary (the open pieces visited) ``x_k(lr) = x0 - lr·S_k``, ``S_k`` the sum of the
    slopes met so far: affine in ``lr``. The open ``lr``-intervals with one itinerary are split at the
    solutions of ``x0 - lr·S_k = c`` (c a kink), which are the exceptional steps; between them the next
    piece is read at a midpoint. The interval's ends are simulated forward; every point is confirmed so.

    >>> e = exceptional_steps("x - (relu(-x) - relu(x) + x)", 1, 4, (Fraction(1, 5), 2))
    >>> [str(v) for v in e.points], [h.step for h in e.hits]
    (['1/4', '1/3', '1/2', '1'], [4, 3, 2, 1])
    """
    steps = _steps(steps)
    x0 = exact_number(x0, "x0")
    lo, hi = _interval(interval, "lr", nonnegative=True)
    pl = piecewise_linear(f, rule, overrides)
    if pl.piece_of(x0) is None:
        raise InputError(f"x0 = {fmt_exact(x0)} is a kink: every step size starts on it; choose x0 off the kinks "
                         f"({', '.join(fmt_exact(k.point) for k in pl.kinks)})")
    found = {end: pl.hit(end, *first) for end in {lo, hi} if (first := pl.first_hit(x0, end, steps)) is not None}
    regions = [(lo, hi, F0)] if lo < hi else []   # open lr-interval, S_k: x_k(lr) = x0 - lr·S_k
    for step in range(1, steps + 1):
        new = []
        for a, b, total in regions:
            piece = pl.piece_of(x0 - (a + b) / 2 * total)   # never a kink: the hits were split off
            total = total + pl.slopes[piece]   # S_step = S_{step-1} + slope at x_{step-1}
            cuts = sorted(t for t in {(x0 - k.point) / total for k in pl.kinks} if a < t < b) if total else []
            found.update({t: pl.hit(t, step, x0 - t * total) for t in cuts})
            ends = [a] + cuts + [b]
            new += [(u, v, total) for u, v in zip(ends, ends[1:])]
        regions = new
    hits = tuple(found[t] for t in sorted(found))
    for h in hits:
        if pl.first_hit(x0, h.value, steps) != (h.step, h.kink):
            raise AssertionError(f"internal: lr {h.value} does not hit {h.kink} at step {h.step}")
    return ExceptionalSet("steps", pl.program, pl.rule.name, x0, steps, (lo, hi), pl.kinks, hits)
