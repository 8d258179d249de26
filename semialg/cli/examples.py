"""``semialg examples [NAME]``: list the teaching examples, or run one.

Without NAME: one line per example (name and the claim it checks). With NAME:
run ``examples/NAME.py`` (it prints its explanation and asserts its claim
exactly) and write its pictures to ``--plot-dir`` (default ``examples/output/``).
``--all`` runs every example. Exit 0 when the claim holds, 1 when an assertion
fails (a bug: the message says which), 2 for an unknown name.
"""
from __future__ import annotations

import argparse
import contextlib
import sys
import time
import traceback

from semialg import report
from semialg.cli.common import emit
from semialg.cli.examples_registry import find, list_examples, run


def setup_examples(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", nargs="?", default=None,
                        help="the example to run (omit to list them)")
    parser.add_argument("--all", action="store_true", help="run every example in order")
    parser.add_argument("--plot-dir", metavar="DIR", default=None,
                        help="where pictures go (default: examples/output/ in a source checkout, gitignored; ./semialg-examples-output otherwise)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object (the list, or each run's outcome); the examples' own "
                             "explanations then go to stderr")


def _run_one(name: str, plot_dir, as_json: bool = False) -> tuple[int, dict]:
    example = find(name)
    t0 = time.perf_counter()
    try:
        if as_json:
            with contextlib.redirect_stdout(sys.stderr):
                result = run(name, plot_dir)
        else:
            result = run(name, plot_dir)
    except AssertionError as exc:
        sys.stderr.write(f"semialg examples: the claim of '{name}' FAILED: {exc!r}\n"
                         + "".join(traceback.format_exc(limit=-3)))
        return report.FAILS, {"name": name, "claim_holds": False, "error": repr(exc)}
    except ImportError as exc:
        if exc.name != "matplotlib":
            raise
        sys.stderr.write(f"semialg examples: '{name}' draws its pictures with matplotlib, which is not installed: "
                         "pip install 'semialg-verify[plot]'\n")
        return report.USAGE, {"name": name, "claim_holds": None, "error": "matplotlib is not installed"}
    pictures = list((result or {}).get("pictures", []))
    seconds = time.perf_counter() - t0
    if not as_json:
        emit(f"-- {example.name}: claim checked in {seconds:.1f} s"
             + (f"; pictures: {', '.join(pictures)}" if pictures else ""))
    return report.OK, {"name": name, "claim_holds": True, "seconds": round(seconds, 3), "pictures": pictures}


def run_examples(args: argparse.Namespace) -> int:
    """List the teaching examples (claims from the talks), or run one: `semialg examples NAME`."""
    if args.name is None and not args.all:
        examples = list_examples()
        if args.json:
            out = report.header("examples", "", [])
            out["examples"] = [{"name": e.name, "summary": e.summary} for e in examples]
            emit(report.dump_json(out))
            return report.OK
        width = max(len(e.name) for e in examples)
        lines = [f"{e.name:<{width}}  {e.summary}" for e in examples]
        lines.append("\nrun one with `semialg examples NAME` (or `python examples/NAME.py`); --all runs every one")
        emit("\n".join(lines))
        return report.OK
    names = [e.name for e in list_examples()] if args.all else [args.name]
    worst = report.OK
    runs = []
    for name in names:
        code, outcome = _run_one(name, args.plot_dir, args.json)
        worst = max(worst, code)
        runs.append(outcome)
    if args.json:
        out = report.header("examples", "", [])
        out["runs"] = runs
        emit(report.dump_json(out))
    return worst

