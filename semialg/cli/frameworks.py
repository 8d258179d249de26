"""``semialg frameworks``: the presets measured against the installed PyTorch and JAX.

Runs every installed framework on the kinks of docs/frameworks.md in float64 reverse
mode and prints, beside each measured derivative, what the preset (``--rule pytorch`` /
``--rule jax``) returns there, marking disagreements; the installed versions are printed
beside the versions the presets model. ``--framework`` measures one framework. Exit
codes: 0 every row agrees, 1 a row disagrees, 2 bad input (an unknown framework, or one
that is not installed: the message says how to install it).
"""
from __future__ import annotations

import argparse
import time

from semialg import report
from semialg.checks.frameworks import (INSTALL, SUPPORTED, check_frameworks, installed_version, measure,
                                       not_installed_message)
from semialg.cli.common import emit
from semialg.core.errors import InputError


def setup_frameworks(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--framework", default=None, metavar="|".join(SUPPORTED),
                        help="measure this framework only (default: every installed one; an absent one is skipped)")
    parser.add_argument("--json", action="store_true", help="print one JSON object (docs/cli.md) instead of a table")
    parser.epilog = ("exit codes: 0 every row agrees with its preset, 1 a row disagrees, 2 bad input "
                     "(an unknown framework, or one that is not installed)")


def run_frameworks(args: argparse.Namespace) -> int:
    """Measure what the installed PyTorch / JAX return at kinks, beside the presets (exit 1 if one differs)."""
    t0 = time.perf_counter()
    names = check_frameworks([args.framework] if args.framework else SUPPORTED)
    if args.framework and installed_version(args.framework) is None:
        raise InputError(not_installed_message(args.framework))
    if not any(installed_version(name) is not None for name in names):
        raise InputError("neither torch nor jax is installed, so there is nothing to measure; install one: "
                         + " or ".join(f"`{INSTALL[name]}`" for name in names))
    table = measure(names)
    code = report.OK if table.agrees else report.FAILS
    if args.json:
        doc = report.header("frameworks", "", [])
        bad = len(table.disagreements)
        doc.update({"verdict": "agrees" if table.agrees else "disagrees",
                    "reason": f"all {len(table.rows)} rows agree" if table.agrees else
                    f"{bad} of {len(table.rows)} rows disagree with their preset",
                    **table.to_json(), "timings": {"measure": round(time.perf_counter() - t0, 6)}})
        emit(report.dump_json(doc))
        return code
    emit(table.to_text())
    return code
