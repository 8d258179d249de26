"""semialg.cli.app: `semialg --version`, `parse`, `eval`; exit codes; errors without tracebacks."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from semialg import __version__
from semialg.cli.app import SUBCOMMANDS, build_parser, main

ROOT = Path(__file__).resolve().parents[1]


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"semialg {__version__}"


def test_help_lists_subcommands(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for name in ("parse", "eval"):
        assert name in out
    assert "exit codes" in out


def test_no_command_is_a_usage_error(capsys):
    code, out, err = run(capsys)
    assert code == 2 and out == "" and "usage: semialg" in err


def test_subcommand_registry_shape():
    assert {"parse", "eval"} <= set(SUBCOMMANDS)
    for name, entry in SUBCOMMANDS.items():
        setup, run_fn = entry
        assert callable(setup) and callable(run_fn), name
        assert (run_fn.__doc__ or "").strip(), f"{name}: run function needs a docstring (its help line)"
    build_parser()  # every registered subcommand sets up without errors


# --------------------------------------------------------------------------- parse
def test_parse_text(capsys):
    code, out, err = run(capsys, "parse", "x - (relu(-x) - relu(x) + x)")
    assert code == 0 and err == ""
    assert "canonical:  x - (relu(-x) - relu(x) + x)" in out
    assert "inputs:     x" in out
    assert "kinks:      2" in out
    assert "relu(-x)" in out and "[relu]" in out
    assert "continuous: yes" in out


def test_parse_json(capsys):
    code, out, _ = run(capsys, "parse", "where(x > 0, x, 0) + sign(y), sort(x, y)[1]", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["semialg"] == __version__ and data["command"] == "parse"
    assert data["function"] == "where(x > 0, x, 0) + sign(y), sort(x, y)[1]"
    assert data["variables"] == ["x", "y"] == data["inputs"]
    assert data["n_outputs"] == 2 and len(data["outputs"]) == 2
    assert {k["op"] for k in data["kinks"]} == {"gt", "where", "sign", "sort"}
    assert all(set(k) == {"op", "text", "continuous"} for k in data["kinks"])
    assert data["continuous"] is None  # decided by `check`, not by the syntax
    assert data["discontinuous_primitives"] == ["sign", "where"]
    assert isinstance(data["nodes"], int) and "parse" in data["timings"]


def test_parse_vars_and_leading_minus(capsys):
    code, out, _ = run(capsys, "parse", "--vars", "y,x", "--json", "--", "-x")
    assert code == 0
    data = json.loads(out)
    assert data["variables"] == ["y", "x"] and data["canonical"] == "-x" and data["continuous"] is True


# --------------------------------------------------------------------------- eval
def test_eval_text(capsys):
    code, out, _ = run(capsys, "eval", "relu(x + y), abs(x)", "--at", "x=1/3,y=-1")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "relu(x + y), abs(x) at x = 1/3, y = -1"
    assert lines[1].split() == ["0", "(0.0)"]
    assert lines[2].split() == ["1/3", "(0.3333333333333333)"]


def test_eval_json_is_exact(capsys):
    code, out, _ = run(capsys, "eval", "x - (relu(-x) - relu(x) + x)", "--at", "x=-0.1", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["command"] == "eval" and data["point"] == ["-1/10"]
    assert data["value"] == ["-1/10"] and data["float"] == [-0.1]


def test_eval_huge_values_have_no_float(capsys):
    code, out, _ = run(capsys, "eval", "x**200", "--at", "x=1e10", "--json")
    data = json.loads(out)
    assert code == 0 and data["value"] == [str(10 ** 2000)] and data["float"] == [None]


# --------------------------------------------------------------------------- errors
ERRORS = [
    (["parse", "rleu(x)"], ["unknown function 'rleu'", "did you mean 'relu'", "  rleu(x)\n  ^"]),
    (["parse", "sin(x) + 1"], ["not supported, because"]),
    (["parse", "x % y"], ["operator '%'"]),
    (["parse", "x^2"], ["'^' at column 2"]),
    (["parse", "x + z", "--vars", "x,y"], ["unknown variable 'z'"]),
    (["parse", "x", "--vars", "x,2y"], ["not a valid variable name"]),
    (["eval", "x + y", "--at", "x=1"], ["no value for y"]),
    (["eval", "x", "--at", "x=abc"], ["not an exact rational"]),
    (["eval", "x"], ["required: --at"]),
    (["parse"], ["required: EXPR"]),
    (["frobnicate", "x"], ["unknown command 'frobnicate'"]),
    (["chek", "relu(x)"], ["unknown command 'chek'", "did you mean 'check'?"]),
    (["check", "relu(x)", "--vars", "x,x"], ["'x' is listed twice"]),
    (["check", "relu(x)", "--set", "abs'(0)=5"], ["--set abs'(0)=5 does nothing: the program has no abs"]),
    (["check", "relu(x)", "--rule", "jax", "--field", "step(x)"], ["--rule jax and --field exclude each other"]),
    (["check", "relu(x)", "--set", "relu'(0)=1", "--field", "step(x)"], ["does nothing with --field"]),
    (["check", "relu(x)", "--set", "relu'(0)=[1,0]"], ["is reversed; write [0, 1]"]),
    (["check", "2x"], ["write 2*x for 2x"]),
    (["parse", "x", "--no-such-option"], ["unrecognized arguments"]),
    (["parse", "x" + " + abs(x)" * 3000], ["nested too deeply"]),
]


@pytest.mark.parametrize("argv, fragments", ERRORS, ids=[" ".join(a)[:40] for a, _ in ERRORS])
def test_errors_exit_2_without_traceback(capsys, argv, fragments):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in {err!r}"


def test_a_leading_minus_is_an_expression(capsys):
    code, out, _ = run(capsys, "check", "-relu(x)", "--rule", "jax", "--json")
    assert code == 0 and json.loads(out)["function"] == "-relu(x)"
    code, out, _ = run(capsys, "check", "--timeout", "5", "-abs(x)", "--json")
    assert code == 0 and json.loads(out)["verdict"] == "conservative"


def test_critical_says_vector_outputs_have_no_critical_points(capsys):
    code, out, _ = run(capsys, "critical", "max(x, y), min(x, y)")
    assert code == 0 and "artificial critical points (0 in conv D, 0 not in Clarke): not defined for a vector output" in out


def test_console_entry_point_in_a_subprocess():
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    ok = subprocess.run([sys.executable, "-m", "semialg", "parse", "relu(x)", "--json"],
                        capture_output=True, text=True, env=env, cwd=ROOT)
    assert ok.returncode == 0 and json.loads(ok.stdout)["kinks"][0]["op"] == "relu"
    bad = subprocess.run([sys.executable, "-m", "semialg", "parse", "relu(x"],
                         capture_output=True, text=True, env=env, cwd=ROOT)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "syntax error" in bad.stderr


def test_an_internal_failure_is_an_unknown_answer_not_a_traceback(capsys, monkeypatch):
    from semialg.cli import check as check_command

    def boom(*args, **kwargs):
        raise ZeroDivisionError("simulated")
    monkeypatch.setattr(check_command, "check", boom)
    code, out, err = run(capsys, "check", "relu(x)", "--json")
    assert code == 3 and "Traceback" not in err and "internal error (ZeroDivisionError: simulated)" in err
    assert json.loads(out)["verdict"] == "unknown"
