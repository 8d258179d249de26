"""semialg.report: exact number formatting, exit codes, the JSON header."""
import json
from fractions import Fraction

import numpy as np
import pytest

from semialg import __version__, report


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
