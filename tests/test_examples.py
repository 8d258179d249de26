"""The teaching examples are tests: every script in examples/ runs, asserts its claim, draws its pictures."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from semialg.cli import app as cli
from semialg.cli.examples_registry import EXAMPLES, examples_dir, find, list_examples, run

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
