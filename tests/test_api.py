"""The public API: every name in semialg.__all__ resolves, the checks load lazily."""
import json
import subprocess
import sys

import semialg
from semialg.cli.app import main


def test_every_public_name_resolves():
    for name in semialg.__all__:
        assert getattr(semialg, name) is not None, name


def test_import_semialg_does_not_load_z3():
    code = "import sys, semialg; print('z3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


def test_checks_from_the_top_level():
    assert semialg.check("relu(x)", rule="jax").verdict == "conservative"
    assert semialg.derivative_at(semialg.parse("abs(x)"), [0], "jax") == [[(1,)]]
    assert len(semialg.clarke_at(semialg.parse("abs(x) + abs(y)"), [0, 0]).vertices) == 4


def test_examples_json(capsys):
    assert main(["examples", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["command"] == "examples" and len(data["examples"]) >= 14
    assert main(["examples", "clarke_sum_rule", "--json", "--plot-dir", "/tmp"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["runs"][0]["claim_holds"] is True
