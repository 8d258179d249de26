"""`semialg check` on the command line: text, JSON contract, exit codes."""
import json

import pytest

from semialg.cli.app import main


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_conservative_text_and_exit_code(capsys):
    code, out, _ = run(capsys, "check", "x - (relu(-x) - relu(x) + x)", "--rule", "pytorch")
    assert code == 0
    assert "verdict: CONSERVATIVE" in out


def test_json_contract(capsys):
    code, out, _ = run(capsys, "check", "abs(x)", "--vars", "x,y", "--field", "sign(x), where(x == 0, 1, 0)", "--json")
    assert code == 1
    data = json.loads(out)
    for key in ("semialg", "command", "function", "variables", "rule", "verdict", "reason", "strata", "witness", "timings"):
        assert key in data
    assert data["command"] == "check" and data["verdict"] == "not_conservative"
    assert data["variables"] == ["x", "y"]
    w = data["witness"]
    assert w["point"] == ["0", "0"] and w["direction"] == ["0", "1"]
    assert w["derivative_along_curve"] == "0" and w["field_along_curve"] == "1"
    assert w["numeric"]["confirmed"] is True
    s = data["strata"][0]
    for key in ("id", "dim", "conditions", "sample", "piece", "field"):
        assert key in s
    assert all(isinstance(v, str) for v in s["sample"])


def test_not_lipschitz_exit_code(capsys):
    code, out, _ = run(capsys, "check", "sign(x)", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["verdict"] == "not_lipschitz"
    assert data["witness"]["kind"] == "jump"


def test_unknown_exit_code(capsys):
    code, out, _ = run(capsys, "check", "relu(x**4*y**3 + y**4*z**3 + z**4*x**3 - x*y*z - 1)", "--rule", "clarke", "--timeout", "0.001")
    assert code == 3
    assert "verdict: UNKNOWN" in out


@pytest.mark.parametrize("argv,message", [
    (["check", "rleu(x)"], "did you mean 'relu'"),
    (["check", "relu(x)", "--rule", "torch"], "did you mean 'pytorch'"),
    (["check", "relu(x)", "--set", "relu(0)=1"], "unknown override key"),
    (["check", "relu(x) + y", "--field", "1"], "2 variables"),
    (["check", "relu(x), x", "--field", "1"], "give a Jacobian: 2 rows of 1 components"),
    (["check", "relu(x)", "--domain", "x >"], "syntax error"),
])
def test_bad_input_exit_2_without_traceback(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_overrides_on_the_command_line(capsys):
    code, out, _ = run(capsys, "check", "relu(x)", "--set", "relu'(0)=1", "--json")
    assert code == 0
    assert json.loads(out)["rule"] == "pytorch+relu'(0)=1"
