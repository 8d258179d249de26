"""The teaching examples are tests: every script in examples/ runs, asserts its claim, draws its pictures."""
from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from semialg.cli import app as cli
from semialg.cli.examples_registry import EXAMPLES, examples_dir, find, list_examples, load, run

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_registry_names_every_script():
    scripts = {p.stem for p in examples_dir().glob("*.py") if not p.name.startswith("_")}
    assert scripts == set(EXAMPLES)


def test_every_example_has_a_claim_main_and_seed_reference():
    for example in list_examples():
        assert example.summary and example.summary != "(no description)", example.name
        assert "def main(plot_dir=None)" in example.path.read_text(encoding="utf-8"), example.name
        assert "seed" in example.doc.lower(), f"{example.name}: say where in the seeds the claim comes from"


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_runs_and_draws(name, tmp_path, capsys):
    result = run(name, plot_dir=tmp_path)
    out = capsys.readouterr().out
    assert out.strip(), f"{name} printed no explanation"
    assert isinstance(result, dict) and result.get("claim")
    pictures = result.get("pictures", [])
    assert pictures, f"{name} drew no picture"
    for path in pictures:
        path = Path(path)
        assert path.parent == tmp_path and path.suffix == ".png"
        assert path.read_bytes()[:8] == PNG_MAGIC


def test_cli_lists_examples(capsys):
    assert cli.main(["examples"]) == 0
    out = capsys.readouterr().out
    for example in list_examples():
        assert example.name in out and example.summary in out


def test_cli_runs_one_example(tmp_path, capsys):
    assert cli.main(["examples", "relu_variants", "--plot-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "claim checked" in out and (tmp_path / "relu_variants.png").is_file()


def test_cli_unknown_example(capsys):
    assert cli.main(["examples", "relu_variant"]) == 2
    assert "did you mean 'relu_variants'" in capsys.readouterr().err


def test_unknown_name_message():
    with pytest.raises(Exception, match="unknown example 'nope'"):
        find("nope")


def test_script_runs_standalone(tmp_path):
    """`python examples/NAME.py` works from a source checkout without PYTHONPATH."""
    script = examples_dir() / "clarke_sum_rule.py"
    env = {"SEMIALG_PLOT_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Clarke" in done.stdout and any(tmp_path.glob("*.png"))


def test_examples_readme_lists_every_example():
    readme = (examples_dir() / "README.md").read_text(encoding="utf-8")
    for name in EXAMPLES:
        assert f"`{name}`" in readme, name


# Each new example asserts exact values: perturb its inputs and its claim must fail.
PERTURBATIONS = [
    # the exceptional sets depend on the step and on the function: other values fail the exact claims
    ("descent_exceptional", {"LR": Fraction(1, 4)}),
    ("descent_exceptional", {"F_TEXT": "abs(x - 1) + relu(-1 - x)"}),
    # PyTorch's norm at 0 is 0, a conservative value: nothing to refute
    ("norm_nan_trap", {"RULE_NAN": "pytorch"}),
    # at x = 1/2 > 0 reverse mode is finite, so "NaN exactly at x <= 0" fails
    ("norm_nan_trap", {"TRAP": "where(x > 1, sqrt(x - 1/2), 1)"}),
    # no tie any more in the bottom-right window (the pooled matrix is unchanged)
    ("max_pooling", {"MATRIX": ((3, 1, 13, 8), (7, 20, 6, 2), (7, 3, 5, 4), (6, 2, 1, 4))}),
    # step 1/8 from 1/2 reaches 1/4, not the artificial critical point 0
    ("gd_artificial_critical", {"STEP": Fraction(1, 8)}),
    # from 3/2 (3/2 + 1/2 = 2, a power of 2) the "avoiding" run hits 0 at step 2
    ("gd_artificial_critical", {"STARTS": {"A": Fraction(1, 2), "B": Fraction(3, 2)}}),
    # u = 1, b = 1/2: same kink x = -1/2, consistent closed form, but the slopes are {0, 2/3}
    ("deep_equilibrium", {"U": Fraction(1), "B": Fraction(1, 2), "Z_STAR": "2/3 * relu(1/2 + x)"}),
    # the same layer with a closed form that does not solve it
    ("deep_equilibrium", {"Z_STAR": "relu(1 + 2*x)"}),
    # density 1 on [-1, 1] (not a probability): the integrated Clarke set would be [-1, 1]
    ("integral_rule_uniform", {"DENSITY": 1}),
]


@pytest.mark.parametrize("name, changes", PERTURBATIONS,
                         ids=[f"{n}-{'-'.join(c)}" for n, c in PERTURBATIONS])
def test_new_examples_assertions_can_fail(name, changes, tmp_path, capsys, monkeypatch):
    module = load(name)
    for attribute, value in changes.items():
        assert hasattr(module, attribute), (name, attribute)
        monkeypatch.setattr(module, attribute, value)
    with pytest.raises(AssertionError):
        module.main(plot_dir=tmp_path)


def test_the_examples_ship_with_the_package():
    """pyproject lists every package (no subpackage forgotten) and maps semialg.examples to examples/."""
    import tomllib
    root = Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {".".join(p.parent.relative_to(root).parts) for p in (root / "semialg").rglob("__init__.py")}
    assert set(config["packages"]) == on_disk | {"semialg.examples"}
    assert config["package-dir"] == {"semialg.examples": "examples"}
    assert examples_dir().resolve() == (root / "examples").resolve()
