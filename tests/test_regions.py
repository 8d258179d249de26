"""The regions-only walk (semialg.stratification.regions): the open cells, exactly.

Checked against the full stratification (its full-dimensional strata: same count, same branch
labels) and against an exact evaluation of the program at each region's sample.
"""
from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from semialg.cli.app import main
from semialg.core.errors import InputError
from semialg.frontends.text import parse
from semialg.numeric import exact_value
from semialg.stratification import exact_sign, stratify
from semialg.stratification.regions import regions
from tests.test_normal_form import random_pl_program


def _agree(program):
    found = regions(program)
    full = stratify(program, method="tree")
    open_strata = [s for s in full.strata if s.dim == program.n_inputs]
    assert found.complete and len(found.strata) == len(open_strata)
    assert sorted(map(repr, (s.labels for s in found.strata))) == sorted(map(repr, (s.labels for s in open_strata)))
    for s in found.strata:
        assert all(t != 0 and exact_sign(p.eval(s.sample)) == t for p, t in s.conditions)
        assert tuple(p.eval(s.sample) for p in s.piece) == tuple(exact_value(program, s.sample))
    return found


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**9))
def test_regions_are_the_open_strata_of_random_piecewise_linear_programs(seed):
    rng = random.Random(seed)
    _agree(random_pl_program(rng, size=rng.randint(1, 7)))


@pytest.mark.parametrize("text", [
    "relu(x) + relu(y) + relu(x + y - 1)",
    "max(x, y, 1 - x) + abs(x - y)",
    "relu(relu(x - y) - relu(y - 1) + x)",          # nested kinks
    "relu(x**2 + y**2 - 1) + relu(x)",                # a nonlinear kink: a disk split in two
    "where(x*y > 1/4, x, y) + relu(x - y)",
])
def test_regions_of_hand_written_programs(text):
    _agree(parse(text, ["x", "y"]))


def test_text_json_and_cli(capsys):
    found = regions("relu(x) + relu(y)")
    assert found.to_text().startswith("relu(x) + relu(y)   variables: x, y   4 regions")
    assert found.to_json()["n_regions"] == 4 and found.to_json()["regions_only"]
    assert main(["strata", "relu(x) + relu(y) + relu(x + y - 1)", "--regions"]) == 0
    assert "7 regions (open cells only" in capsys.readouterr().out
    import json
    assert main(["strata", "relu(x) + relu(y)", "--regions", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["command"] == "strata" and doc["verdict"] == "computed" and doc["n_regions"] == 4
    assert main(["strata", "sqrt(x**2 + 1)", "--regions"]) == 2
    assert "roots, quotients or norms" in capsys.readouterr().err
    assert main(["strata", "relu(x)", "--regions", "--domain", "x <= 1"]) == 2
    assert "takes no domain" in capsys.readouterr().err


def test_lifted_programs_are_refused():
    with pytest.raises(InputError, match="roots, quotients or norms"):
        regions("norm(x, y) + relu(x)")


def test_streamed_regions_are_the_same_and_not_kept(capsys):
    import json
    program = parse("relu(x) + relu(y) + relu(x + y - 1) + abs(x - 2*y)", ["x", "y"])
    seen = []
    streamed = regions(program, sink=seen.append)
    assert streamed.strata == () and streamed.stats["regions"] == len(seen) == len(regions(program).strata)
    assert [s.labels for s in seen] == [s.labels for s in regions(program).strata]
    assert main(["strata", program.to_text(), "--regions", "--jsonl"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == len(seen) + 1 and lines[-1]["n_regions"] == len(seen)
    assert [line["sample"] for line in lines[:-1]] == [[str(v) for v in s.sample] for s in seen]
    assert main(["strata", "relu(x)", "--jsonl"]) == 2
    assert "use it with --regions" in capsys.readouterr().err
