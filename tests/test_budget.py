"""Whole-command time limits (--time-limit / time_limit=), Ctrl-C, and --timeout 0 = no limit."""
from __future__ import annotations

import json
import random
import re
import time

import pytest

from semialg.checks.conservative import check
from semialg.checks.critical import critical
from semialg.cli import main
from semialg.core.budget import Deadline, TimeLimitReached
from semialg.stratification import Options, stratify


def _relu_layer(count: int, seed: int = 1) -> str:
    """A 2-D layer of ``count`` random ReLUs (a full check takes a few seconds for 48)."""
    rng = random.Random(seed)
    terms = []
    for _ in range(count):
        a, b, c = (rng.randint(-9, 9) for _ in range(3))
        terms.append(f"{rng.choice([-3, -2, -1, 1, 2, 3])}*relu({a}*x + {b}*y + {c})")
    return " + ".join(terms)


SLOW = _relu_layer(80)   # stratify alone takes longer than the 0.5 s limits below
SLOWER = _relu_layer(128)   # stratify and check together take well over the 1 s after which progress is reported


def test_deadline_basics():
    d = Deadline(None)
    assert not d.expired() and d.remaining_ms() is None and d.query_ms(7) == 7 and d.query_ms(0) == 0
    d = Deadline(100.0)
    assert 0 < d.query_ms(5000) <= 5000 and 90_000 < d.query_ms(0) <= 100_000   # 0: only the deadline
    gone = Deadline(0)
    assert gone.expired() and gone.query_ms(5000) == 1
    with pytest.raises(TimeLimitReached, match=r"time limit of 0 s reached during adjacency \(3/10 strata so far\)"):
        gone.check("adjacency", 3, 10, unit="strata")
    assert Deadline.of(None).end is None and Deadline.of(0).end is None and Deadline.of(d) is d


def test_cli_time_limit_check_returns_fast_with_exit_3(capsys):
    t0 = time.perf_counter()
    code = main(["check", SLOW, "--vars", "x,y", "--time-limit", "0.5"])
    elapsed = time.perf_counter() - t0
    out = capsys.readouterr().out
    assert code == 3
    assert elapsed < 2.0
    assert "verdict: UNKNOWN" in out and "time limit of 0.5 s reached during" in out
    assert re.search(r"reached during [a-z ]+ \([\d,/]+ (strata|faces) so far\)", out), out


def test_cli_time_limit_json_and_other_subcommands(capsys):
    for command in (["critical", SLOW, "--vars", "x,y"], ["strata", SLOW, "--vars", "x,y"]):
        limit = "0.5" if command[0] == "critical" else "0.05"
        t0 = time.perf_counter()
        code = main(command + ["--time-limit", limit, "--json"])
        assert time.perf_counter() - t0 < 2.0
        doc = json.loads(capsys.readouterr().out)
        assert code == 3, command
        assert doc["verdict"] == "unknown" and doc["reason"].startswith(f"time limit of {limit} s reached during")


def test_api_check_time_limit():
    t0 = time.perf_counter()
    r = check(SLOW, "x,y", time_limit=0.5)
    assert time.perf_counter() - t0 < 2.0
    assert r.verdict == "unknown" and r.exit_code == 3
    assert re.fullmatch(r"time limit of 0.5 s reached during [a-z ]+ \([\d,/]+ (strata|faces) so far\)", r.reason)
    t0 = time.perf_counter()
    c = critical(SLOW, "x,y", time_limit=0.5)
    assert time.perf_counter() - t0 < 2.0
    assert c.verdict == "unknown" and c.exit_code == 3 and "time limit of 0.5 s" in c.reason


def test_api_stratify_time_limit_raises_with_progress():
    with pytest.raises(TimeLimitReached, match=r"during stratify \([\d,]+ faces so far\)"):
        stratify(SLOW, variables="x,y", time_limit=0.01)
    with pytest.raises(TimeLimitReached, match="during stratify"):   # the branch tree too
        stratify(SLOW, Options(method="tree", time_limit=0.01), variables="x,y")
    assert len(stratify("relu(x)", time_limit=30).strata) == 3     # a generous limit changes nothing


def test_api_keyboard_interrupt_gives_unknown_with_phase():
    def interrupt(stage, done, seconds, total=None):
        raise KeyboardInterrupt

    r = check(SLOWER, "x,y", progress=interrupt)
    assert r.verdict == "unknown" and r.exit_code == 3
    assert re.fullmatch(r"interrupted \(Ctrl-C\) during [a-z ]+ \([\d,/]+ (strata|faces) so far\)", r.reason), r.reason


def test_cli_keyboard_interrupt_exit_3_no_traceback(monkeypatch, capsys):
    import semialg.cli.check as cli_check

    def raising_printer(label="semialg"):
        def show(stage, count, seconds, total=None):
            raise KeyboardInterrupt
        return show

    monkeypatch.setattr(cli_check, "progress_printer", raising_printer)
    code = main(["check", SLOWER, "--vars", "x,y"])
    captured = capsys.readouterr()
    assert code == 3
    assert "interrupted (Ctrl-C) during" in captured.out
    assert "Traceback" not in captured.out + captured.err

    # Ctrl-C outside the check functions (here: while parsing) is caught by main itself
    import semialg.checks.conservative as conservative

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_check, "check", interrupted)
    code = main(["check", "relu(x)", "--json"])
    captured = capsys.readouterr()
    assert code == 3 and "Traceback" not in captured.err
    assert json.loads(captured.out)["reason"] == "interrupted (Ctrl-C) during check"
    assert conservative.check is check


def test_timeout_zero_means_no_limit(monkeypatch, capsys):
    """--timeout 0 is no per-query limit in every subcommand: the solver gets 0 (= none), never 1 ms."""
    from semialg.smt import encoding
    seen = []
    real = encoding.timed_check

    def spy(solver, timeout_ms, *assumptions):
        seen.append(timeout_ms)
        return real(solver, timeout_ms, *assumptions)

    monkeypatch.setattr(encoding, "timed_check", spy)
    nonlinear = "relu(x**2 + y**2 - 1) - relu(x*y)"
    assert main(["strata", nonlinear, "--timeout", "0"]) == 0
    assert seen and all(not t for t in seen), seen
    seen.clear()
    assert main(["check", nonlinear, "--timeout", "0"]) == 0
    assert seen and all(not t for t in seen), seen
    capsys.readouterr()


def test_clarke_and_implicit_time_limit(capsys):
    from semialg.checks.clarke import UndecidedError, clarke_at
    with pytest.raises(UndecidedError, match="time limit of 0.01 s reached during stratify"):
        clarke_at(SLOW, [0, 0], variables="x,y", time_limit=0.01)
    assert len(clarke_at("abs(x)", [0], time_limit=30).vertices) == 2
    t0 = time.perf_counter()
    assert main(["clarke", SLOW, "--vars", "x,y", "--at", "x=0,y=0", "--time-limit", "0.05"]) == 3
    assert "time limit of 0.05 s reached" in capsys.readouterr().out
    from semialg import exact_value
    from semialg.frontends.text import parse
    F = SLOW.replace("x", "u") + " - y"
    F += f" - ({exact_value(parse(F, 'u,y'), [0, 0])[0]})"   # F(0, 0) = 0
    code = main(["implicit", F, "--x", "u", "--y", "y", "--at", "u=0,y=0",
                 "--time-limit", "0.0001", "--json"])
    captured = capsys.readouterr()
    assert code == 3 and "Traceback" not in captured.err
    assert json.loads(captured.out)["reason"].startswith("time limit of 0.0001 s reached during")
    assert time.perf_counter() - t0 < 4.0
