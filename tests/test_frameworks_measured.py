"""``semialg frameworks`` and :func:`semialg.checks.frameworks.measure`: the presets against the
installed PyTorch / JAX. The table computes, every row agrees (the presets were fixed where the
installed frameworks differ), the CLI's exit codes and JSON, the bad-input messages."""
from __future__ import annotations

import contextlib
import importlib.util
import io
import json
from fractions import Fraction

import pytest

torch = pytest.importorskip("torch")

from semialg.checks import frameworks as fw  # noqa: E402
from semialg.cli import frameworks as cli_frameworks  # noqa: E402
from semialg.cli.app import main  # noqa: E402
from semialg.rules import MODELLED_VERSIONS  # noqa: E402

HAS_JAX = importlib.util.find_spec("jax") is not None


def run(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["frameworks", *argv])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def table():
    return fw.measure(("pytorch", "jax") if HAS_JAX else ("pytorch",))


def test_every_row_agrees(table):
    assert table.rows and table.agrees, "\n" + table.to_text()
    measured = {(r.kink, r.framework) for r in table.rows}
    expected = {(k.kink, name) for k in fw.KINKS for name in k.spellings if name != "jax" or HAS_JAX}
    assert measured == expected


def test_the_rows_hold_the_frameworks_own_numbers(table):
    """Spot checks against values computed here, independently of the table's runner."""
    rows = {(r.kink, r.framework): r for r in table.rows}
    x = torch.zeros((), dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(torch.maximum(x, torch.zeros_like(x)), x)
    assert rows["relu spelled maximum(x, 0)", "pytorch"].measured == ((Fraction(grad.item()),),) == ((Fraction(1, 2),),)
    assert rows["clamp(x, y, z) at x < y = z", "pytorch"].measured == ((0, 0, 0),)
    assert rows["hardtanh at 1", "pytorch"].measured == ((0,),)
    sort17 = rows["sort ascending, 17 entries, ties", "pytorch"]
    assert len(sort17.measured) == 17 and sort17.preset == sort17.measured
    third = rows["max reduction, three tied", "pytorch"]
    assert third.preset == ((Fraction(1, 3),) * 3,) and third.measured != third.preset   # rounded, within 2**-40
    if HAS_JAX:
        assert rows["clip(x, y, z) at x = y = z", "jax"].measured == ((Fraction(1, 4), Fraction(1, 4), Fraction(1, 2)),)
        assert rows["abs at 0", "jax"].measured == ((1,),)
        assert rows["sort descending, ties", "jax"].measured == ((0, 0, 1), (1, 0, 0), (0, 1, 0))


def test_torch_sort_default_is_not_stable_from_17_entries():
    """Why the spellings pin ``torch.sort(stable=True)`` (tests/test_presets_vs_frameworks.py)."""
    for n, stable in ((16, True), (17, False)):
        entries = torch.tensor([float(i % 3 == 1) for i in range(n)], dtype=torch.float64)
        default = torch.sort(entries).indices.tolist()
        assert (default == torch.sort(entries, stable=True).indices.tolist()) is stable, n


def test_versions_are_printed_beside_the_modelled_ones(table):
    versions = {v.framework: v for v in table.versions}
    assert versions["pytorch"].installed == torch.__version__
    assert versions["pytorch"].modelled == MODELLED_VERSIONS["pytorch"] == "torch 2.13.0"
    text = table.to_text()
    assert f"installed: torch {torch.__version__}" in text and "preset models: torch 2.13.0" in text
    assert text.splitlines()[-1] == f"all {len(table.rows)} rows agree"


def test_a_disagreement_is_marked():
    """abs(x) spelled as JAX's abs (where(x >= 0, x, -x)) in PyTorch: measured 1, the preset 0."""
    wrong = fw._kink("abs at 0, misspelled", "abs(x)", "0", pytorch="torch.where(x >= 0, x, -x)")
    table = fw.measure(("pytorch",), kinks=[wrong])
    (row,) = table.rows
    assert row.measured == ((1,),) and row.preset == ((0,),) and not row.agrees and not table.agrees
    assert "DIFFERS" in table.to_text() and "1 of 1 rows DIFFER" in table.to_text()
    assert table.to_json()["n_disagreements"] == 1


def test_cli_exit_codes_and_text():
    code, out, err = run("--framework", "pytorch")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "presets against the installed frameworks (float64, reverse mode)"
    assert any(line.startswith("relu spelled maximum(x, 0)") and line.endswith("ok") for line in lines)
    assert "DIFFERS" not in out


def test_cli_exit_1_on_a_disagreement(monkeypatch):
    wrong = fw._kink("abs at 0, misspelled", "abs(x)", "0", pytorch="torch.where(x >= 0, x, -x)")
    monkeypatch.setattr(cli_frameworks, "measure", lambda names: fw.measure(names, kinks=[wrong]))
    code, out, _ = run("--framework", "pytorch")
    assert code == 1 and "DIFFERS" in out
    code, out, _ = run("--framework", "pytorch", "--json")
    doc = json.loads(out)
    assert code == 1 and doc["verdict"] == "disagrees" and doc["rows"][0]["agrees"] is False
    assert doc["rows"][0]["measured"] == [["1"]] and doc["rows"][0]["preset"] == [["0"]]


def test_cli_json_shape():
    code, out, _ = run("--framework", "pytorch", "--json")
    doc = json.loads(out)
    assert code == 0
    assert list(doc) == ["semialg", "command", "function", "variables", "verdict", "reason", "versions", "agrees",
                         "n_rows", "n_disagreements", "rows", "timings"]
    assert doc["command"] == "frameworks" and doc["verdict"] == "agrees" and doc["n_disagreements"] == 0
    assert doc["versions"] == [{"framework": "pytorch", "installed": torch.__version__, "modelled": "torch 2.13.0",
                                "note": doc["versions"][0]["note"]}]
    row = next(r for r in doc["rows"] if r["kink"] == "fmax(x, y) at a tie")
    assert row == {"kink": "fmax(x, y) at a tie", "framework": "pytorch", "spelling": "torch.fmax(x, y)",
                   "program": "max(x, y)", "rule": "pytorch+max.tie=first", "point": {"x": "0", "y": "0"},
                   "measured": [["1", "0"]], "preset": [["1", "0"]], "agrees": True, "note": ""}
    sort_row = next(r for r in doc["rows"] if r["kink"] == "sort ascending, ties")
    assert sort_row["measured"] == [["0", "1", "0"], ["1", "0", "0"], ["0", "0", "1"]]


def test_cli_bad_input(monkeypatch):
    code, out, err = run("--framework", "tensorflow")
    assert code == 2 and out == ""
    assert "unknown framework 'tensorflow'; semialg measures pytorch, jax" in err
    real = fw.installed_version
    monkeypatch.setattr(cli_frameworks, "installed_version", lambda name: None if name == "jax" else real(name))
    code, out, err = run("--framework", "jax")
    assert code == 2 and out == ""
    assert err == ("semialg frameworks: error: jax is not installed (no module 'jax'); install it with "
                   "`pip install jax jaxlib` or leave out --framework to measure what is installed\n")
    monkeypatch.setattr(cli_frameworks, "installed_version", lambda name: None)
    code, _, err = run("--framework", "pytorch")
    assert code == 2 and "`pip install torch==2.13.0`" in err
    code, _, err = run()
    assert code == 2 and "neither torch nor jax is installed" in err and "`pip install jax jaxlib`" in err


def test_an_absent_framework_is_skipped_and_said(monkeypatch):
    monkeypatch.setattr(fw, "installed_version", lambda name: None if name == "jax" else torch.__version__)
    table = fw.measure(("pytorch", "jax"))
    assert {r.framework for r in table.rows} == {"pytorch"}
    jax_line = next(v for v in table.versions if v.framework == "jax")
    assert jax_line.installed is None and jax_line.note == "skipped: pip install jax jaxlib"
    assert "jax      installed: not installed" in table.to_text()


def test_unknown_framework_in_the_api():
    from semialg.core.errors import InputError
    with pytest.raises(InputError, match="unknown framework 'torch'"):
        fw.measure(("torch",))
