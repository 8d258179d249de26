"""semialg.report: exact number formatting, exit codes, the JSON header."""
import json
from fractions import Fraction

import numpy as np
import pytest

from semialg import __version__, report
from semialg.report import dump_json, to_jsonable


def test_exit_codes_match_design():
    assert (report.OK, report.FAILS, report.USAGE, report.UNKNOWN) == (0, 1, 2, 3)
    assert report.EXIT_CODES == {"ok": 0, "fails": 1, "usage": 2, "unknown": 3}


@pytest.mark.parametrize("value, text", [
    (Fraction(1, 2), "1/2"), (Fraction(-3, 4), "-3/4"), (Fraction(6, 3), "2"), (Fraction(0), "0"), (3, "3"),
    (-7, "-7"), (True, "true"), (False, "false"), (Fraction(10) ** 30, "1" + "0" * 30), ("root(x**2-2, 2)", "root(x**2-2, 2)"),
])
def test_fmt_number(value, text):
    assert report.fmt_number(value) == text


def test_fmt_number_refuses_floats():
    with pytest.raises(TypeError, match="exact number"):
        report.fmt_number(0.5)


def test_fmt_float_and_vector():
    assert report.fmt_float(Fraction(1, 3)) == pytest.approx(1 / 3)
    assert report.fmt_float(Fraction(10) ** 400) is None
    assert report.fmt_vector((Fraction(1, 2), 2)) == ["1/2", "2"]


def test_header():
    h = report.header("check", "relu(x)", ("x",))
    assert h == {"semialg": __version__, "command": "check", "function": "relu(x)", "variables": ["x"]}


def test_dump_json_is_exact_and_strict():
    doc = {"strata": [{"id": 0, "sample": (Fraction(-1, 2),), "field": [[Fraction(1)]]}],
           "set": {Fraction(1, 2), Fraction(1, 3)}, "flag": True, "none": None, "nan": float("nan"),
           "np": np.float64(0.5), "ints": np.int64(3), "nested": {1: {"deep": (1, 2)}}}
    data = json.loads(report.dump_json(doc))
    assert data["strata"] == [{"id": 0, "sample": ["-1/2"], "field": [["1"]]}]
    assert data["set"] == ["1/3", "1/2"]
    assert data["flag"] is True and data["none"] is None and data["nan"] is None
    assert data["np"] == 0.5 and data["ints"] == 3
    assert data["nested"] == {"1": {"deep": [1, 2]}}
    assert list(data) == list(doc)  # key order is kept
    assert report.dump_json([1], indent=None) == "[1]"


def test_to_jsonable_deep_nesting_is_iterative():
    doc = leaf = []
    for _ in range(5000):
        inner = []
        leaf.append(inner)
        leaf = inner
    out = report.to_jsonable(doc)
    depth = 0
    while out:
        out = out[0]
        depth += 1
    assert depth == 5000


# --------------------------------------------------------------------------- results in a REPL and a notebook
def _cli(capsys, *argv):
    from semialg.cli import main
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_results_print_what_the_cli_prints(capsys):
    import semialg
    r = semialg.check("abs(x)", variables="x,y", field="sign(x), where(x == 0, 1, 0)")
    assert not r and r.exit_code == 1
    assert repr(r) == "<CheckResult not_conservative: abs(x), rule field>"
    code, out = _cli(capsys, "check", "abs(x)", "--vars", "x,y", "--field", "sign(x), where(x == 0, 1, 0)", "--json")
    doc = json.loads(out)
    mine = r.to_json()
    for key in ("verdict", "reason", "witness", "variables", "function"):
        assert to_jsonable(mine[key]) == doc[key]
    assert r.to_text().splitlines()[:3] == r.to_text().splitlines()[:3]
    assert "NOT CONSERVATIVE" in r.to_text()


def test_every_result_has_the_repl_surface():
    import semialg

    class Printer:
        def __init__(self):
            self.out = []

        def text(self, s):
            self.out.append(s)

    results = [semialg.check("relu(x)"), semialg.critical("x - (relu(-x) - relu(x) + x)"),
               semialg.clarke_at("abs(x)", [0]),
               semialg.implicit("2*y + abs(y) - x", x=["x"], y=["y"], at={"x": 0, "y": 0})]
    for r in results:
        assert "\n" not in repr(r) and len(repr(r)) < 200
        assert isinstance(r.to_text(), str) and r.to_text()
        assert json.loads(dump_json(r.to_json()))["command"] in ("check", "critical", "clarke", "implicit")
        html = r._repr_html_()
        assert html.startswith("<div>") and "</div>" in html
        p = Printer()
        r._repr_pretty_(p, False)
        assert p.out == [r.to_text()]
    assert bool(results[0]) and not bool(results[1]) and bool(results[3])
    assert "<table>" in results[0]._repr_html_()


def test_stratifications_and_lipschitz_results_read_well_too():
    import semialg
    s = semialg.stratify("relu(relu(x)*y)")
    assert repr(s) == "<Stratification of relu(relu(x) * y): 7 strata (tree)>"
    assert s.to_text().splitlines()[0].startswith("relu(relu(x) * y)   variables: x, y   7 strata")
    assert [t["conditions"] for t in s.to_json()][1] == ["x = 0", "y < 0"]
    assert "<table>" in s._repr_html_()
    lip = semialg.lipschitz("where(x > 0, 1, 0)")
    assert not lip and lip.to_json()["witness"]["limit"] == ["1"] and "jumps" in lip.to_text()
    assert semialg.lipschitz("relu(x)")
