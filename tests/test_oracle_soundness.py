"""Soundness of semialg's answers, judged by an independent oracle (tests/oracle/).

The oracle never imports semialg; this file talks to semialg only through its command line,
in-process: ``semialg.cli.main([...,"--json"])`` with stdout captured. Random programs come
from hypothesis (derandomized: reproducible), every disagreement is collected, counted and
reported with the command that reproduces it; the test fails if there is any.

The fast tests (about 60 programs) run in the normal suite; ``-m slow`` runs more than 2,000.
A summary line ("oracle: N programs, M disagreements") is written at the end of the session.
"""
from __future__ import annotations

import collections
import contextlib
import io
import json
import random
import re
import shlex
import signal
import time
from fractions import Fraction as F

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from oracle import checks as K
from oracle import expr as E
from oracle import generate as G
from oracle import probes as P

TIMEOUT = "5"      # semialg's own limit per solver query (seconds)
WALL_LIMIT = 4.0  # the oracle's limit per semialg call (SIGALRM): a slower answer counts as unknown
STATS = collections.Counter()
KINDS: dict = {}


class _Summary:
    """Registered at run time: writes the oracle's counts in the terminal summary."""

    def __init__(self):
        self.start = time.time()

    def pytest_terminal_summary(self, terminalreporter):
        if not STATS["programs"]:
            return
        kinds = ", ".join(f"{k[5:]}: {v}" for k, v in sorted(STATS.items()) if k.startswith("kind:"))
        terminalreporter.write_sep("-", "oracle summary")
        terminalreporter.write_line(
            f"oracle: {STATS['programs']} programs, {STATS['disagreements']} disagreements "
            f"({kinds or 'none'}), {STATS['unknown']} unknown ({STATS['too_slow']} over {WALL_LIMIT:g}s), "
            f"{time.time() - self.start:.1f}s")
        for kind, cmd in sorted(KINDS.items()):
            terminalreporter.write_line(f"  {kind}: {cmd}")


@pytest.fixture(scope="module", autouse=True)
def _summary(request):
    manager = request.config.pluginmanager
    if not manager.has_plugin("oracle-summary"):
        manager.register(_Summary(), "oracle-summary")
    yield


def _main():
    from semialg.cli import main
    return main if callable(main) else main.main  # tolerate a half-moved package


class TooSlow(Exception):
    """A semialg call ran past :data:`WALL_LIMIT` (treated like an ``unknown`` answer)."""


def _alarm(signum, frame):
    raise TooSlow()


def semialg_json(*argv, wall_limit=None):
    """Run ``semialg ARGV --json`` in-process: (exit code, JSON object or None, stderr text).

    ``main`` returns the exit code (it turns argparse's SystemExit into a code itself); a
    SystemExit is still caught. With ``wall_limit`` (seconds) a SIGALRM interrupts a call
    that runs longer and :class:`TooSlow` is raised.
    """
    STATS["semialg_calls"] += 1
    out, err = io.StringIO(), io.StringIO()
    use_alarm = wall_limit is not None and hasattr(signal, "setitimer")
    if use_alarm:
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, wall_limit)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = _main()(with_json(argv))
            except SystemExit as exc:  # main returns its code, but be safe
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    text = out.getvalue()
    try:
        doc = json.loads(text) if text.strip() else None
    except json.JSONDecodeError:
        doc = None
    return code, doc, err.getvalue()


def cli(command, prog, *options):
    """The argv for ``semialg COMMAND [options] -- EXPR`` (``--vars`` from the program)."""
    return [command, "--vars", prog.vars_arg, *options, "--", prog.text]


def with_json(argv) -> list:
    """``argv`` with ``--json`` added before a ``--`` (which protects an EXPR starting with '-')."""
    argv = list(argv)
    return argv[:argv.index("--")] + ["--json"] + argv[argv.index("--"):] if "--" in argv else argv + ["--json"]


def command_text(argv) -> str:
    return "semialg " + " ".join(shlex.quote(a) for a in with_json(argv))


class Run:
    """Collects programs and disagreements for one test."""

    def __init__(self):
        self.found = []

    def call(self, argv):
        STATS["programs"] += 1
        try:
            code, doc, err = semialg_json(*argv, wall_limit=WALL_LIMIT)
        except TooSlow:
            STATS["too_slow"] += 1
            STATS["unknown"] += 1
            return None
        except Exception as exc:  # a crash is reported, not a soundness verdict
            self.add([{"kind": "crash", "detail": f"{type(exc).__name__}: {exc}"}], argv)
            return None
        if doc is None:
            self.add([{"kind": "no_json", "detail": f"exit {code}: {err.strip()[-300:]}"}], argv)
            return None
        if doc.get("verdict") == "unknown" or code == 3:
            STATS["unknown"] += 1
        return doc

    def add(self, disagreements, argv):
        for d in disagreements:
            STATS["disagreements"] += 1
            STATS["kind:" + d["kind"]] += 1
            cmd = command_text(argv)
            where = f" at {d['point']}" if d.get("point") else ""
            KINDS.setdefault(d["kind"], cmd + where)
            self.found.append(f"[{d['kind']}] {cmd}{where}: {d['detail']}")

    def assert_none(self):
        if self.found:
            kinds = collections.Counter(f.split("]")[0][1:] for f in self.found)
            head = f"{len(self.found)} disagreement(s) with the oracle ({dict(kinds)}); reproduce with:\n"
            shown, seen = [], set()
            for f in self.found:  # one per kind first, then the rest up to 20
                k = f.split("]")[0]
                if k not in seen:
                    seen.add(k)
                    shown.append(f)
            shown += [f for f in self.found if f not in shown][: max(0, 20 - len(shown))]
            pytest.fail(head + "\n".join("  " + s for s in shown), pytrace=False)


def rng_for(*parts) -> random.Random:
    return random.Random("|".join(map(str, parts)))


def _settings(n):
    return settings(derandomize=True, database=None, deadline=None, max_examples=n,
                    phases=[Phase.explicit, Phase.generate],  # no shrinking: every disagreement is collected
                    suppress_health_check=list(HealthCheck))


# --------------------------------------------------------------------------- the runners
def run_check(n, allow_jumps=True):
    run = Run()

    @_settings(n)
    @given(G.programs(allow_jumps=allow_jumps))
    def body(prog):
        argv = cli("check", prog, "--timeout", TIMEOUT)
        doc = run.call(argv)
        if doc is not None:
            run.add(K.judge_check(prog, doc, rng_for(prog.text, "check")), argv)
    body()
    return run


def run_field(n):
    run = Run()

    @_settings(n)
    @given(G.fielded_programs())
    def body(pair):
        prog, field = pair
        argv = cli("check", prog, "--field", field, "--timeout", TIMEOUT)
        doc = run.call(argv)
        if doc is not None:
            nodes = [E.parse(t) for t in _split_outputs(field)]
            run.add(K.judge_check(prog, doc, rng_for(prog.text, field), field_nodes=nodes), argv)
    body()
    return run


def _split_outputs(text):
    """Split 'F1, F2' at top-level commas."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch in "(" and 1 or 0
        depth -= ch in ")" and 1 or 0
        cur += ch
    return parts + [cur]


def run_strata(n):
    run = Run()

    @_settings(n)
    @given(G.programs(allow_jumps=True))
    def body(prog):
        argv = cli("strata", prog, "--timeout", TIMEOUT)
        doc = run.call(argv)
        if doc is not None:
            run.add(K.judge_strata(prog, doc, rng_for(prog.text, "strata")), argv)
    body()
    return run


def run_clarke(n):
    run = Run()

    @_settings(n)
    @given(G.programs(allow_jumps=False), st.integers(0, 10 ** 6))
    def body(prog, seed):
        rng = rng_for(prog.text, seed)
        s = rng.choice(prog.sets)
        point = s.point([P.rand_rational(rng) for _ in range(s.n_params)])
        at = ",".join(f"{v}={c}" for v, c in zip(prog.names, point))
        argv = cli("clarke", prog, "--at", at, "--timeout", TIMEOUT)
        doc = run.call(argv)
        if doc is not None:
            run.add(K.judge_clarke(prog, doc, point, rng), argv)
    body()
    return run


LIFT = {"x": "(a + b)", "y": "(c - d)", "z": "(g + 2*h)"}
"""Six inputs for a program of x, y, z: semialg answers piecewise-linear ones in reduced coordinates."""


def lifted(prog):
    """``prog`` composed with the linear map (a, b, c, d, g, h) -> (a + b, c - d, g + 2h): six inputs."""
    text = re.sub(r"\b([xyz])\b", lambda m: LIFT[m.group(1)], prog.text)
    return G.Program(text, ("a", "b", "c", "d", "g", "h"), [])


def run_clarke_lifted(n):
    run = Run()

    @_settings(n)
    @given(G.programs(allow_jumps=False), st.integers(0, 10 ** 6))
    def body(prog, seed):
        rng = rng_for(prog.text, seed, "lifted")
        s = rng.choice(prog.sets)
        point = s.point([P.rand_rational(rng) for _ in range(s.n_params)])
        big = lifted(prog)
        point6 = [point[0], 0, point[1] if len(point) > 1 else 0, 0, point[2] if len(point) > 2 else 0, 0]
        at = ",".join(f"{v}={c}" for v, c in zip(big.names, point6))
        argv = cli("clarke", big, "--at", at, "--timeout", TIMEOUT)
        doc = run.call(argv)
        if doc is not None:
            run.add(K.judge_clarke(big, doc, point6, rng), argv)
    body()
    return run


def run_critical(n):
    run = Run()

    @_settings(n)
    @given(st.one_of(G.critical_programs(), G.programs(n_vars=2, allow_jumps=False, max_terms=2)))
    def body(prog):
        argv = cli("critical", prog, "--timeout", TIMEOUT)
        doc = run.call(argv)
        if doc is not None:
            run.add(K.judge_critical(prog, doc, rng_for(prog.text, "critical")), argv)
    body()
    return run


# --------------------------------------------------------------------------- fast (~60 programs)
def test_oracle_check_pytorch_fast():
    run_check(16).assert_none()


def test_oracle_check_field_fast():
    run_field(10).assert_none()


def test_oracle_strata_fast():
    run_strata(12).assert_none()


def test_oracle_clarke_fast():
    run_clarke(10).assert_none()


def test_oracle_critical_fast():
    run_critical(12).assert_none()


def test_oracle_clarke_six_inputs_fast():
    run_clarke_lifted(8).assert_none()


# --------------------------------------------------------------------------- slow (> 2,000 programs)
@pytest.mark.slow
def test_oracle_clarke_six_inputs_slow():
    run_clarke_lifted(150).assert_none()


@pytest.mark.slow
def test_oracle_check_pytorch_slow():
    run_check(600).assert_none()


@pytest.mark.slow
def test_oracle_check_field_slow():
    run_field(400).assert_none()


@pytest.mark.slow
def test_oracle_strata_slow():
    run_strata(500).assert_none()


@pytest.mark.slow
def test_oracle_clarke_slow():
    run_clarke(400).assert_none()


@pytest.mark.slow
def test_oracle_critical_slow():
    run_critical(500).assert_none()


# --------------------------------------------------------------------------- known bugs (issue 10)
def _program(text, names, sets, hints=()):
    return G.Program(text, tuple(names), sets, hints=list(hints))


XY = ("x", "y")


def test_regression_missed_jump_step_times_quadratic():
    from oracle import curves as C
    prog = _program("relu(step(x)*(y**2 - 1))", XY, C.Line(XY, (1, 0), 0).sets() + C.axis_sets(XY, "y", (1, -1)))
    argv = ["check", prog.text, "--vars", "x,y"]
    run = Run()
    doc = run.call(argv)
    assert doc is not None
    run.add(K.judge_check(prog, doc, rng_for("regression-1")), argv)
    run.assert_none()


def test_regression_false_neighbour_relu_relu_times_y():
    from oracle import curves as C
    prog = _program("relu(relu(x)*y)", XY, C.Hyperbola(XY, "x", "y").sets())
    argv = ["strata", prog.text, "--vars", "x,y"]
    run = Run()
    doc = run.call(argv)
    assert doc is not None
    run.add(K.judge_strata(prog, doc, rng_for("regression-2")), argv)
    # the specific claim: stratum x = 0 must not list {x > 0, x*y < 0} (no points near (0, 1))
    by_cond = {tuple(s["conditions"]): s for s in doc["strata"]}
    x0, neg = by_cond.get(("x = 0",)), by_cond.get(("x > 0", "x*y < 0"))
    if x0 is not None and neg is not None and neg["id"] in x0["above"]:
        cond = E.parse_conditions(neg["conditions"])
        assert P.near_points(cond, XY, (F(0), F(1)), F(1, 10 ** 9), rng_for("r2")) is None
        run.add([{"kind": "false_neighbour", "detail": f"stratum {neg['id']} {neg['conditions']} listed above "
                  f"x = 0, but no point of it near (0, 1)", "point": "x=0,y=1"}], argv)
    run.assert_none()


def test_regression_missed_artificial_critical_point():
    from oracle import curves as C
    text = "relu(relu(x)*y) + relu(x) - relu(-x) + x*(y + 2)"
    prog = _program(text, XY, C.Hyperbola(XY, "x", "y").sets(), hints=[(F(0), F(-2))])
    assert E.grad(prog.node, XY, (F(0), F(-2))) == (0, 0)
    argv = ["critical", text, "--vars", "x,y"]
    run = Run()
    doc = run.call(argv)
    assert doc is not None
    run.add(K.judge_critical(prog, doc, rng_for("regression-3")), argv)
    run.assert_none()
