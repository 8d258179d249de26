"""Start-up cost (issue 13): ``import semialg`` and the light commands load none of the heavy
third-party modules; the lazy names still resolve; the command line in a fresh process gives
the same output and exit code as :func:`semialg.cli.app.main` in this one. Wall times are
printed (``pytest -s``), never asserted: the machine is shared."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest

import semialg
from semialg.cli.app import main

HEAVY = ("numpy", "networkx", "z3", "sympy", "flint", "matplotlib", "scipy", "torch", "jax")
_SCRIPT = Path(sys.executable).with_name("semialg")


def loaded_after(code: str) -> list[str]:
    """The heavy modules in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def run_cli(*argv: str) -> tuple[subprocess.CompletedProcess, float]:
    """``semialg ARGV`` in a fresh process (the console script, as a user runs it), and its wall time."""
    command = [str(_SCRIPT)] if _SCRIPT.exists() else [
        sys.executable, "-c", "import sys; from semialg.cli import main; sys.exit(main())"]
    t0 = time.perf_counter()
    done = subprocess.run(command + list(argv), capture_output=True, text=True, timeout=120)
    return done, time.perf_counter() - t0


def test_import_semialg_loads_no_heavy_module():
    assert loaded_after("import semialg") == []


@pytest.mark.parametrize("code", [
    "import semialg.smt",                      # z3 only when a solver or a term is built
    "import semialg.stratification",           # networkx only for Stratification.graph
    "import semialg.report",                   # the HTML renderer (and the stratifier) on first use
    "import semialg.checks.implicit.jacsets",  # the theorem (and numpy) on first use
    "import semialg.cli",
    "import semialg.numeric",                  # numpy only for float evaluation
    "import semialg; semialg.exact_value(semialg.parse('relu(x) + x/3'), ['1/2'])",
])
def test_light_imports(code):
    assert loaded_after(code) == []


def test_help_loads_no_heavy_module():
    code = ("import contextlib, io\nfrom semialg.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n    assert main(['--help']) == 0")
    assert loaded_after(code) == []


def test_check_relu_loads_no_heavy_module():
    """What ``semialg check "relu(x)" --rule pytorch`` really needs: the face enumeration is integer
    arithmetic (no z3 query, no float), and the report's condition simplifier ranks its tiny
    matrices by exact elimination (flint only for larger ones)."""
    code = ("import contextlib, io\nfrom semialg.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    assert main(['check', 'relu(x)', '--rule', 'pytorch']) == 0")
    assert loaded_after(code) == []


def test_lazy_names_resolve_and_are_listed():
    for name in semialg.__all__:
        assert name in dir(semialg), name
    from semialg import check, evaluate, exact_value, stratify  # noqa: F401  (PEP 562 through `from`)
    from semialg.checks.conservative import check as home
    assert check is home
    from semialg.report import html
    from semialg.stratification.render import html as render_html
    assert html is render_html
    from semialg.checks.implicit import ImplicitResult, implicit
    from semialg.checks.implicit.theorem import ImplicitResult as home_result
    assert ImplicitResult is home_result and implicit is semialg.implicit
    with pytest.raises(AttributeError):
        semialg.no_such_name  # noqa: B018


def test_z3_stand_in_gives_way_to_the_module():
    """After the first query every smt module holds z3 itself; the answers are z3's."""
    import z3

    from semialg import smt
    from semialg.core.poly import Poly
    from semialg.smt import encoding, queries
    x, y = Poly.variables(2)
    assert smt.check([(x * x + y * y + 1, -1)], 2).status == "unsat"      # no real point: sum of squares + 1 > 0
    r = smt.check([(x - y, 1), (x + y, 0)], 2)
    assert r.status == "sat" and r.point[0] + r.point[1] == 0 and r.point[0] > r.point[1]
    assert encoding.z3 is z3 and queries.z3 is z3


def test_numpy_stand_in_gives_way_to_the_module():
    """Float evaluation (numpy, loaded on first use) agrees with exact evaluation at dyadic points."""
    import numpy

    from semialg import numeric
    p = semialg.parse("relu(x - y), abs(x) + y/4")
    points = [(1, 2), (3, -1), (-0.5, 0.25)]
    floats = semialg.evaluate(p, numpy.array(points, dtype=float))
    assert numeric.np is numpy
    for row, point in zip(floats.tolist(), points):
        assert row == [float(v) for v in semialg.exact_value(p, [Fraction(c) for c in point])]


def test_graph_imports_networkx_when_asked():
    s = semialg.stratify(semialg.parse("abs(x) + abs(y)"))
    g = s.graph()
    # brute force: S -> C exactly when S is in C's closure, as the strata record it
    assert sorted(g.edges) == sorted((t.id, c) for t in s.strata for c in s.above[t.id])
    assert len(g.edges) == 16 and len(s.graph(hasse=True).edges) == 12


def _masked(text: str) -> str:
    """The output without its run-time line (``time: parse 0.027 s, ...``)."""
    return re.sub(r"^time: .*$", "time: ...", text, flags=re.M)


def test_help_in_a_fresh_process(capsys):
    assert main(["--help"]) == 0
    in_process = capsys.readouterr().out
    done, seconds = run_cli("--help")
    print(f"\nsemialg --help: {seconds:.3f} s wall (fresh process, shared machine)")
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout == in_process
    assert "check" in done.stdout and "exit codes: 0 holds" in done.stdout


def test_check_relu_in_a_fresh_process(capsys):
    assert main(["check", "relu(x)", "--rule", "pytorch"]) == 0
    in_process = capsys.readouterr().out
    done, seconds = run_cli("check", "relu(x)", "--rule", "pytorch")
    print(f"\nsemialg check \"relu(x)\" --rule pytorch: {seconds:.3f} s wall (fresh process, shared machine)")
    assert done.returncode == 0 and done.stderr == ""
    assert _masked(done.stdout) == _masked(in_process)
    lines = done.stdout.splitlines()
    assert lines[:2] == ["relu(x)   rule: pytorch   variables: x", "verdict: CONSERVATIVE"]
    assert "x < 0" in done.stdout and "x = 0" in done.stdout and "x > 0" in done.stdout


def test_check_json_in_a_fresh_process(capsys):
    done, _ = run_cli("check", "relu(x)", "--rule", "pytorch", "--json")
    assert done.returncode == 0
    doc = json.loads(done.stdout)
    assert doc["verdict"] == "conservative" and len(doc["strata"]) == 3
    assert main(["check", "relu(x)", "--rule", "pytorch", "--json"]) == 0
    mine = json.loads(capsys.readouterr().out)
    assert {k: v for k, v in doc.items() if k != "timings"} == {k: v for k, v in mine.items() if k != "timings"}


def test_a_usage_error_in_a_fresh_process():
    done, _ = run_cli("chek", "relu(x)")
    assert done.returncode == 2 and done.stdout == ""
    assert "did you mean 'check'?" in done.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
@pytest.mark.parametrize("name, option", [("startup", "--base"), ("targets", "--skip-long"), ("parallel", "--workers")])
def test_the_benchmark_script_parses_its_arguments(name, option):
    """The benchmark scripts exist, import, and answer --help without building a worktree."""
    script = Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py"
    done = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and option in done.stdout, done.stderr
