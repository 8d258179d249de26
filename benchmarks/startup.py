"""Benchmark: start-up time of this checkout against an earlier version (a table, not a test).

Each command runs in a fresh interpreter, the earlier version from a temporary copy of
``--base`` (``git archive``, which only reads the repository) put first on ``PYTHONPATH``, as
benchmarks/versus.py runs its base. Rounds are interleaved: every round runs every command
once per version, in alternating order. Wall time is ``time.perf_counter`` around the
process; CPU time is the child's user + system time (``resource.getrusage`` of the waited-for
children), so a busy machine inflates both versions alike. Bytecode is cached for both
versions in one temporary ``PYTHONPYCACHEPREFIX`` after a warm-up run, as for an installed
package (the checkout itself may run with ``PYTHONDONTWRITEBYTECODE``). The table gives
medians and the ratio new / old (below 1 is faster); the machine is shared and noisy: read
the ratios, not the seconds. The outputs of the two versions are compared (run-time lines
masked) and the heavy modules each command loads are listed.

Usage: python benchmarks/startup.py [--base REV] [--runs N]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("numpy", "networkx", "z3", "sympy", "flint", "matplotlib", "scipy", "torch", "jax")
CLI = "import sys; from semialg.cli import main; sys.exit(main())"   # what the console script runs
COMMANDS = {
    "python -c pass (the interpreter alone)": ["-c", "pass"],
    "python -c 'import semialg'": ["-c", "import semialg"],
    "semialg --help": ["-c", CLI, "--help"],
    "semialg check \"relu(x)\" --rule pytorch": ["-c", CLI, "check", "relu(x)", "--rule", "pytorch"],
}
PROBE = ("import contextlib, io, json, runpy, sys\nargv = json.loads(sys.argv[1])\n"
         "sys.argv = ['-c'] + argv[2:]\n"
         "with contextlib.redirect_stdout(io.StringIO()):\n"
         "    try:\n        exec(compile(argv[1], '<command>', 'exec'), {'__name__': '__main__'})\n"
         "    except SystemExit:\n        pass\n"
         f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")


def checkout(base: str, into: Path) -> Path:
    """The files of ``base`` under ``into`` (``git archive``: nothing in the repository is written)."""
    archive = into / "base.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", base], stdout=out, check=True)
    tree = into / "base"
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    archive.unlink()
    return tree


def environment(tree: Path, pycache: Path) -> dict:
    # run from a neutral directory (see run_once): `python -c` puts the working directory first on sys.path
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONPYCACHEPREFIX=str(pycache))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_once(argv: list[str], env: dict) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall and CPU seconds of one fresh ``python ARGV``, and the finished process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable] + argv, env=env, capture_output=True, text=True, timeout=300,
                          cwd=env["PYTHONPYCACHEPREFIX"])
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done


def heavy_loaded(argv: list[str], env: dict) -> str:
    """The heavy third-party modules in ``sys.modules`` when the command is done."""
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argv)], env=env, capture_output=True, text=True,
                          timeout=300, cwd=env["PYTHONPYCACHEPREFIX"])
    if done.returncode != 0:
        return "?"
    return ", ".join(json.loads(done.stdout.strip().splitlines()[-1])) or "none"


def masked(text: str) -> str:
    return re.sub(r"^time: .*$", "time: ...", text, flags=re.M)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="a79583e", help="the earlier version (a git revision; default a79583e)")
    ap.add_argument("--runs", type=int, default=7, help="interleaved rounds (default 7)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="semialg-startup-") as tmp:
        tmp = Path(tmp)
        pycache = tmp / "pycache"
        pycache.mkdir()
        envs = {"old": environment(checkout(args.base, tmp), pycache), "new": environment(ROOT, pycache)}
        for side, env in envs.items():   # the version under test is the one imported
            where = subprocess.run([sys.executable, "-c", "import semialg; print(semialg.__file__)"], env=env,
                                   capture_output=True, text=True, check=True, cwd=pycache).stdout.strip()
            expected = (tmp / "base" if side == "old" else ROOT) / "semialg" / "__init__.py"
            if Path(where) != expected:
                raise SystemExit(f"the {side} version imports {where}, not {expected}")
            print(f"{side}: {where}", file=sys.stderr)
        outputs, loads = {}, {}
        for name, command in COMMANDS.items():
            for side, env in envs.items():
                _, _, done = run_once(command, env)          # warm-up: writes the bytecode cache
                outputs[(name, side)] = (done.returncode, masked(done.stdout))
                loads[(name, side)] = heavy_loaded(command, env)
        times = {(name, side): [] for name in COMMANDS for side in envs}
        for r in range(args.runs):
            for i, (name, command) in enumerate(COMMANDS.items()):
                for side in (("old", "new") if (r + i) % 2 == 0 else ("new", "old")):
                    wall, cpu, _ = run_once(command, envs[side])
                    times[(name, side)].append((wall, cpu))
            print(f"round {r + 1}/{args.runs} done", file=sys.stderr)
    print(f"seconds, median of {args.runs} interleaved runs, a fresh process each; base = {args.base}")
    print("| command | old wall | new wall | new/old | old CPU | new CPU | new/old | same output | heavy modules "
          "loaded (old -> new) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in COMMANDS:
        old_wall, old_cpu = (statistics.median(t[k] for t in times[(name, "old")]) for k in (0, 1))
        new_wall, new_cpu = (statistics.median(t[k] for t in times[(name, "new")]) for k in (0, 1))
        same = outputs[(name, "old")] == outputs[(name, "new")]
        code = outputs[(name, "new")][0]
        print(f"| {name} | {old_wall:.3f} | {new_wall:.3f} | {new_wall / old_wall:.2f} | {old_cpu:.3f} | "
              f"{new_cpu:.3f} | {new_cpu / old_cpu if old_cpu else float('nan'):.2f} | "
              f"{'yes' if same else 'NO'} (exit {code}) | {loads[(name, 'old')]} -> {loads[(name, 'new')]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
