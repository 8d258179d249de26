"""semialg.checks.dynamics: exact GD / heavy ball / SGD, kink landings, exceptional sets.

Expected values come from derivatives written by hand here (PyTorch: relu'(0) = 0, abs'(0) = 0;
JAX: abs'(0) = 1), from plain-Fraction forward simulation, and from numpy floats: never from the
code under test.
"""
from __future__ import annotations

import json
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semialg.checks.dynamics import descent, exceptional_initialisations, exceptional_steps, kink_active
from semialg.core.errors import InputError

ZERO = "relu(-x) - relu(x) + x"          # the zero function; PyTorch backprop 1 at 0


def sgn(v) -> int:
    return (v > 0) - (v < 0)


def step(v) -> int:                      # relu'(v) with relu'(0) = 0
    return int(v > 0)


def hand_gd(d, x0, steps, lr, momentum=F(0)):
    """x_{k+1} = x_k - lr d(x_k, k) + momentum (x_k - x_{k-1}), in Fractions (d returns a tuple)."""
    xs, prev = [tuple(x0)], tuple(x0)
    for k in range(steps):
        x = xs[-1]
        g = d(x, k)
        new = tuple(a - lr * b + momentum * (a - p) for a, b, p in zip(x, g, prev))
        prev = x
        xs.append(new)
    return xs


rationals = st.fractions(min_value=-3, max_value=3, max_denominator=60)
steps_sizes = st.fractions(min_value=F(1, 40), max_value=F(3, 2), max_denominator=40)


# --------------------------------------------------------------------------- iterates
@given(x0=rationals, lr=steps_sizes)
@settings(max_examples=40)
def test_gd_iterates_match_hand_recomputation_1d(x0, lr):
    f = "relu(x) + abs(x - 1)/2 - x/3"
    d = lambda x, k: (step(x[0]) + F(sgn(x[0] - 1), 2) - F(1, 3),)
    run = descent(f, [x0], 8, lr=lr)
    assert list(run.iterates) == hand_gd(d, (x0,), 8, lr)
    assert list(run.gradients) == [d(x, k) for k, x in enumerate(run.iterates[:-1])]


@given(x=rationals, y=rationals, lr=steps_sizes, m=st.sampled_from([F(0), F(1, 2), F(9, 10)]))
@settings(max_examples=40)
def test_gd_and_heavy_ball_match_hand_recomputation_2d(x, y, lr, m):
    f = "abs(x) + relu(y - x) + y/4"
    d = lambda p, k: (sgn(p[0]) - step(p[1] - p[0]), step(p[1] - p[0]) + F(1, 4))   # never 0: no stationary point
    run = descent(f, [x, y], 7, lr=lr, momentum=m)
    assert list(run.iterates) == hand_gd(d, (x, y), 7, lr, m)
    assert run.stationary is None


def test_sgd_over_two_batches_matches_hand_formula():
    f = "(relu(w * x + b) - y)**2"
    batches = [[{"x": 1, "y": 1}, {"x": 2, "y": 0}], [{"x": -1, "y": "1/2"}]]

    def d(p, k):
        w, b = p
        out = [F(0), F(0)]
        batch = batches[k % 2]
        for point in batch:
            x, y = F(point["x"]), F(point["y"])
            z = w * x + b
            r = 2 * (max(z, F(0)) - y) * step(z)
            out[0] += r * x / len(batch)
            out[1] += r / len(batch)
        return tuple(out)

    x0 = (F(1, 2), F(1, 3))
    run = descent(f, x0, 10, lr="1/8", batches=batches, params=["w", "b"])
    assert list(run.iterates) == hand_gd(d, x0, 10, F(1, 8))
    assert run.program.inputs == ("w", "b") and run.batches == 2
    heavy = descent(f, x0[::-1], 6, lr="1/8", momentum="1/3", batches=batches)   # params inferred: b, w
    assert heavy.program.inputs == ("b", "w")
    assert [x[::-1] for x in heavy.iterates] == hand_gd(d, x0, 6, F(1, 8), F(1, 3))


def test_float_gd_agrees_when_no_tie():
    """numpy GD (float64, written here) against the exact iterates; no iterate lies on a kink."""
    f = "abs(x) + relu(y - x) + max(x, 2*y) / 3"
    x0, lr, steps = (F(7, 10), F(-3, 10)), F(1, 16), 30

    def float_grad(p):
        x, y = p
        gx = np.sign(x) - float(y - x > 0) + (1 / 3 if x > 2 * y else 0.0)
        gy = float(y - x > 0) + (2 / 3 if 2 * y > x else 0.0)
        return np.array([gx, gy])

    p = np.array([float(v) for v in x0])
    run = descent(f, list(x0), steps, lr=lr)
    assert run.landings == ()                       # no tie: float branches are the exact ones
    for k in range(steps):
        p = p - float(lr) * float_grad(p)
        assert np.allclose(p, [float(v) for v in run.iterates[k + 1]], atol=1e-9, rtol=0)


# --------------------------------------------------------------------------- landings
def test_artificial_landing_gd_artificial_critical_setting():
    f = f"x - ({ZERO}) + x**2"
    run = descent(f, ["1/2"], 12, lr="1/4")
    assert run.iterates[0] == (F(1, 2),) and all(x == (0,) for x in run.iterates[1:]) and len(run.iterates) == 13
    (landing,) = run.landings
    assert (landing.step, landing.point, landing.stratum_dim, landing.value) == (1, (0,), 0, (0,))
    assert landing.d_critical and landing.clarke_critical is False and landing.artificial
    assert run.stationary == landing and run.verdict == "artificial_landing" and run.exit_code == 1
    away = descent(f, ["1"], 12, lr="1/4")
    assert away.landings == () and away.stationary is None and away.verdict == "no_artificial_landing"
    assert all(x[0] == F(-1, 2) + F(3, 2 ** (k + 1)) for k, x in enumerate(away.iterates))   # closed form


def test_clarke_critical_and_plain_kink_landings():
    stuck = descent("abs(x)", [1], 4, lr="1/2")
    assert stuck.stationary.step == 2 and stuck.stationary.clarke_critical and not stuck.stationary.artificial
    passing = descent("relu(x) + x", [1], 3, lr="1/2")     # lands on 0 with D = 1 and moves on
    (landing,) = passing.landings
    assert landing.step == 1 and landing.value == (1,) and not landing.d_critical and not landing.artificial
    assert passing.iterates[2:] == ((F(-1, 2),), (F(-1),))
    plane = descent("abs(x) + abs(y)", [1, "1/2"], 4, lr="1/2")
    assert [(lnd.step, lnd.point, lnd.stratum_dim) for lnd in plane.landings] == [(1, (F(1, 2), 0), 1), (2, (0, 0), 0)]
    assert plane.stationary.point == (0, 0) and plane.stationary.clarke_critical


def test_kink_active_on_an_open_set_is_no_landing():
    run = descent("relu(x - x) + x**2", [1], 3, lr="1/2")     # relu's argument is 0 everywhere: f = x²
    assert run.landings == () and run.stationary.point == (0,) and run.stationary.stratum_dim == 1


def test_kink_active_exact():
    from semialg.core.dag import walk_postorder
    from semialg.frontends.text import parse
    p = parse("where(x > 1, x, 1) + min(x, y, 2*x)")
    order = walk_postorder(p.outputs)
    assert kink_active(order, p.inputs, (F(1), F(3)))        # the comparison x > 1 is on its boundary
    assert kink_active(order, p.inputs, (F(-1), F(-2)))      # min(-1, -2, -2): a tie
    assert not kink_active(order, p.inputs, (F(2), F(5)))


def test_unknown_verdicts_and_json():
    f = f"x - ({ZERO})"
    lazy = descent(f, [1], 2, lr=1, clarke=False)
    assert lazy.stationary.clarke_critical is None and lazy.verdict == "unknown" and lazy.exit_code == 3
    late = descent(f, [1], 5, lr=1, time_limit=1e-9)
    assert late.verdict == "unknown" and "time limit" in late.stopped and len(late.iterates) < 6
    doc = json.loads(json.dumps(descent(f, ["1/2"], 2, lr="1/4").to_json()))
    assert doc["command"] == "descent" and doc["iterates"] == [["1/2"], ["1/4"], ["0"]]
    assert doc["landings"][0]["artificial"] is True and doc["stationary"]["point"] == ["0"]
    text = descent(f, ["1/2"], 2, lr="1/4").to_text()
    assert "ARTIFICIAL" in text and "stationary from step 2" in text


# --------------------------------------------------------------------------- exceptional sets
F_DEMO = f"abs(x - 1) + {ZERO} + relu(-1 - x)"   # kinks -1 (D -1), 0 (D 0: artificial), 1 (D 0: minimum)
KINKS_DEMO = (F(-1), F(0), F(1))


def d_demo(x: F) -> F:
    if x < -1:
        return F(-2)
    if x == -1:
        return F(-1)
    if x in (0, 1):
        return F(0)
    return F(-1) if x < 1 else F(1)


def d_identity(x: F) -> F:                         # x - zero(x): D = 1, but 0 at 0
    return F(0) if x == 0 else F(1)


def d_demo_jax(x: F) -> F:                         # jax: abs'(0) = 1, so D(1) = 1
    return F(1) if x == 1 else d_demo(x)


CASES = [(F_DEMO, "pytorch", d_demo, KINKS_DEMO), (F_DEMO, "jax", d_demo_jax, KINKS_DEMO),
         (f"x - ({ZERO})", "pytorch", d_identity, (F(0),))]


def first_hit(d, kinks, x: F, lr: F, steps: int):
    for k in range(steps + 1):
        if x in kinks:
            return k, x
        x = x - lr * d(x)
    return None


@pytest.mark.parametrize("f, rule, d, kinks", CASES, ids=["demo-pytorch", "demo-jax", "identity"])
@pytest.mark.parametrize("lr", [F(3, 10), F(1, 4), F(7, 5)])
@pytest.mark.parametrize("lo, hi", [(F(-3), F(3)), (F(-1, 5), F(1, 5))], ids=["wide", "narrow"])
def test_exceptional_initialisations_complete_on_a_grid(f, rule, d, kinks, lr, lo, hi):
    """The narrow interval: orbits leave it before they hit a kink (-1/5, 1/10, 2/5, 7/10, 1 at lr 3/10)."""
    steps = 15
    e = exceptional_initialisations(f, lr, steps, (lo, hi), rule=rule)
    assert list(e.points) == sorted(e.points) and all(lo <= v <= hi for v in e.points)
    for h in e.hits:                                 # each lands, at the step and kink said
        assert first_hit(d, kinks, h.value, lr, steps) == (h.step, h.kink)
        assert h.artificial == (h.kink == 0)
    grid = {lo + F(k, 60) for k in range(int((hi - lo) * 60) + 1)}   # every start on a fine grid: set = hits
    landing = {x for x in grid if first_hit(d, kinks, x, lr, steps) is not None}
    assert landing == set(e.points) & grid


@given(x0=st.fractions(min_value=-3, max_value=3, max_denominator=997))
@settings(max_examples=60)
def test_random_starts_outside_the_set_do_not_land(x0):
    lr, steps = F(3, 10), 20
    e = exceptional_initialisations(F_DEMO, lr, steps, (-3, 3))
    assert (first_hit(d_demo, KINKS_DEMO, x0, lr, steps) is not None) == (x0 in e.points)


@pytest.mark.parametrize("f, rule, d, kinks", CASES, ids=["demo-pytorch", "demo-jax", "identity"])
@pytest.mark.parametrize("x0", [F(-2), F(-1, 3), F(5, 2)])
def test_exceptional_steps_complete_on_a_grid(f, rule, d, kinks, x0):
    steps, lo, hi = 12, F(1, 20), F(2)
    e = exceptional_steps(f, x0, steps, (lo, hi), rule=rule)
    for h in e.hits:
        assert lo <= h.value <= hi and first_hit(d, kinks, x0, h.value, steps) == (h.step, h.kink)
    grid = {lo + F(k, 240) for k in range(int((hi - lo) * 240) + 1)}
    assert {t for t in grid if first_hit(d, kinks, x0, t, steps) is not None} == set(e.points) & grid


@given(lr=st.fractions(min_value=F(1, 20), max_value=2, max_denominator=991))
@settings(max_examples=60)
def test_random_steps_outside_the_set_do_not_land(lr):
    e = exceptional_steps(F_DEMO, -2, 20, (F(1, 20), 2))
    assert (first_hit(d_demo, KINKS_DEMO, F(-2), lr, 20) is not None) == (lr in e.points)


def test_exceptional_points_agree_with_descent():
    e = exceptional_initialisations(F_DEMO, "3/10", 10, (-2, 2))
    for h in e.hits[:8]:
        run = descent(F_DEMO, [h.value], h.step, lr="3/10")
        assert run.iterates[h.step] == (h.kink,) and run.landings and run.landings[0].step == h.step
        assert run.landings[0].artificial == h.artificial
    assert e.artificial_points and set(e.artificial_points) <= set(e.points)
    doc = json.loads(json.dumps(e.to_json()))
    assert doc["kind"] == "initialisations" and [k["artificial"] for k in doc["kinks"]] == [False, True, False]


# --------------------------------------------------------------------------- bad inputs
BAD = [
    (lambda: descent("relu(x)", [1], 3, rule="clarke"), "set-valued"),
    (lambda: descent("relu(x)", [1], 3, overrides=["relu'(0)=[0,1]"]), "set-valued"),
    (lambda: descent("relu(x)", [1], 3, lr=0), "lr must be > 0"),
    (lambda: descent("relu(x)", [1], 3, lr="-1/2"), "lr must be > 0"),
    (lambda: descent("relu(x)", [1], 3, lr="fast"), "not an exact rational"),
    (lambda: descent("relu(x)", [1], 3, lr=True), "exact number"),
    (lambda: descent("relu(x)", [1], 3, momentum=1), "momentum must be in"),
    (lambda: descent("relu(x)", [1], -1), "steps must be"),
    (lambda: descent("relu(x) + y", [1], 3), "2 variables"),
    (lambda: descent("relu(x), x", [1], 3), "scalar"),
    (lambda: descent("sqrt(x**2 + 1)", [1], 3), "roots"),
    (lambda: descent("(w - x)**2", [0], 3, batches=[]), "non-empty list"),
    (lambda: descent("(w - x)**2", [0], 3, batches=[[]]), "batch 1"),
    (lambda: exceptional_initialisations("x**2 + relu(x)", "1/2", 3, (-1, 1)), "not piecewise linear"),
    (lambda: exceptional_initialisations("relu(x) + relu(y)", "1/2", 3, (-1, 1)), "one variable"),
    (lambda: exceptional_initialisations("relu(x)", "1/2", 3, (1, -1)), "reversed"),
    (lambda: exceptional_initialisations("relu(x)", "1/2", 3, 5), "pair"),
    (lambda: exceptional_initialisations("relu(x)", "1/2", 3, (-1, 1), rule="clarke"), "set-valued"),
    (lambda: exceptional_steps("relu(x)", 0, 3, ("1/10", 1)), "is a kink"),
    (lambda: exceptional_steps("relu(x)", 1, 3, (-1, 1)), "step sizes are >= 0"),
]


@pytest.mark.parametrize("call, message", BAD, ids=[m for _, m in BAD])
def test_bad_inputs(call, message):
    with pytest.raises(InputError, match=message):
        call()


def test_cli_descent(capsys):
    from semialg.cli.app import main
    zero = "x - (relu(-x) - relu(x) + x) + x**2"
    assert main(["descent", zero, "--x0", "x=1/2", "--lr", "1/4", "--steps", "6"]) == 1
    assert "ARTIFICIAL critical point" in capsys.readouterr().out
    assert main(["descent", zero, "--x0", "x=1", "--lr", "1/4", "--steps", "6", "--json"]) == 0
    import json
    assert json.loads(capsys.readouterr().out)["verdict"] == "no_artificial_landing"
    f = "abs(x - 1) + (relu(-x) - relu(x) + x) + relu(-1 - x)"
    assert main(["descent", f, "--lr", "3/10", "--steps", "5", "--exceptional-starts=-1,1"]) == 1
    assert "x0 = -3/10: step 1 on kink 0 (ARTIFICIAL)" in capsys.readouterr().out
    assert main(["descent", f, "--x0=-2", "--steps", "3", "--exceptional-steps", "1/2,2"]) == 1
    assert "lr = 2/3: step 2 on kink 0 (ARTIFICIAL)" in capsys.readouterr().out
    assert main(["descent", "abs(x)", "--steps", "3"]) == 2
    assert "needs a start" in capsys.readouterr().err
    assert main(["descent", "relu(x)", "--x0", "x=1", "--rule", "clarke"]) == 2
    assert "set-valued" in capsys.readouterr().err
    assert main(["descent", f, "--lr", "1/2", "--exceptional-starts", "1"]) == 2
    assert "takes two exact numbers" in capsys.readouterr().err
