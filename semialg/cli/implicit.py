"""``semialg implicit``: nonsmooth implicit differentiation of ``F(x, y) = 0`` at a point.

Prints the verdict (every ``B`` of the convexified conservative Jacobian
invertible, or a singular ``B`` with its weights), the Jacobian ``[A | B]`` row by
row, Clarke's Jacobian and whether its condition differs, the images
``-B^{-1}A`` of the vertices, an optional membership test (``--member``), and for
piecewise-linear ``F`` the implicit function ``G`` itself with Clarke's calculus
put to the test. ``--json`` prints one object (docs/cli.md conventions); exit code 0
invertible, 1 not invertible, 2 bad input, 3 unknown.
"""
from __future__ import annotations

import argparse

from semialg import report
from semialg.cli.common import add_time_limit_argument, emit
from semialg.rules import PRESETS



def setup_implicit(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("expr", metavar="F",
                        help="the equations F(x, y) = 0, comma-separated, one per unknown, e.g. 'abs(x) + y - u, 2*x + abs(y) - v'")
    parser.add_argument("--x", required=True, metavar="u,v", help="the parameters x (comma-separated; may be empty: --x '')")
    parser.add_argument("--y", required=True, metavar="x,y", help="the unknowns y (as many as equations)")
    parser.add_argument("--at", required=True, metavar="u=0,v=0,x=0,y=0", help="the point (x̂, ŷ), exact rationals")
    parser.add_argument("--rule", default="clarke", metavar="|".join(PRESETS),
                        help="derivative rule for J_F (default clarke)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                        help="override a kink value, e.g. --set \"relu'(0)=1\" (repeatable)")
    parser.add_argument("--member", default=None, metavar="a,b;c,d",
                        help="test whether this m x n matrix (rows separated by ';') is in J_G = {-B^{-1}A}")
    parser.add_argument("--no-clarke", action="store_true",
                        help="skip Clarke's Jacobian and G itself (no stratification of F; faster)")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                        help="time limit per solver query (default 60; 0: no limit)")
    add_time_limit_argument(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object (docs/cli.md) instead of text")


def run_implicit(args: argparse.Namespace) -> int:
    """Implicit differentiation of F(x, y) = 0: invertibility, J_G, Clarke vs conservative."""
    from semialg.checks.implicit.theorem import implicit  # loaded when the command runs (with numpy)
    result = implicit(args.expr, args.x, args.y, args.at, rule=args.rule, overrides=args.overrides,
                      member=args.member, clarke=not args.no_clarke, explicit=not args.no_clarke,
                      timeout=args.timeout, time_limit=args.time_limit)
    emit(report.dump_json(result.to_json()) if args.json else result.to_text())
    return result.exit_code



def setup_deq(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--W", required=True, metavar="a,b;c,d", help="the m x m weight matrix, exact rationals, rows separated by ';'")
    parser.add_argument("--U", required=True, metavar="a;b", help="the m x n input matrix")
    parser.add_argument("--b", required=True, metavar="b1,b2", help="the bias (m entries)")
    parser.add_argument("--x", required=True, metavar="x1,x2", help="the input (n entries, exact rationals)")
    parser.add_argument("--activation", default="relu", metavar="relu|leaky_relu[:slope]|hardtanh",
                        help="σ (default relu)")
    parser.add_argument("--z", default=None, metavar="z1,z2", help="an exact fixed point to use (verified)")
    parser.add_argument("--all-fixed-points", action="store_true",
                        help="solve every piece pattern: list all isolated fixed points (the smallest is used)")
    parser.add_argument("--rule", default="clarke", metavar="|".join(PRESETS), help="derivative rule for J_F (default clarke)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                        help="override a kink value, e.g. --set \"relu'(0)=1\" (repeatable)")
    parser.add_argument("--no-clarke", action="store_true", help="skip Clarke's Jacobian of F")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                        help="time limit per solver query (default 60; 0: no limit)")
    add_time_limit_argument(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object (docs/cli.md) instead of text")


def run_deq(args: argparse.Namespace) -> int:
    """A deep-equilibrium layer z = σ(Wz + Ux + b): fixed point, contraction, J_z*."""
    from semialg.checks.implicit.deq import deq_at
    from semialg.frontends.equilibrium import deq_layer
    layer = deq_layer(args.W, args.U, args.b, args.activation)
    z = None if args.z is None else args.z.split(",")
    result = deq_at(layer, args.x.split(","), rule=args.rule, overrides=args.overrides, z=z,
                    clarke=not args.no_clarke, all_points=args.all_fixed_points, timeout=args.timeout,
                    time_limit=args.time_limit)
    emit(report.dump_json(result.to_json()) if args.json else result.to_text())
    return result.exit_code


def setup_argmin(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("objective", metavar="H", help="the objective h(θ, x), e.g. '1/2*((x1 - t)**2 + (x2 - 1)**2)'")
    parser.add_argument("--x", required=True, metavar="x1,x2", help="the unknowns x (comma-separated)")
    parser.add_argument("--theta", required=True, metavar="t", help="the parameters θ (comma-separated)")
    parser.add_argument("--at", required=True, metavar="t=1", help="the parameter value θ, exact rationals")
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--penalty", default=None, metavar="l1[:W]|nonneg|box:lo,hi|simplex",
                      help="the prox form x = prox_{γg}(x - γ∇h) with this g (W: a rational or an expression in θ)")
    form.add_argument("--constraint", action="append", default=[], metavar="'x1 + x2 <= 2'", dest="constraints",
                      help="a linear constraint (<=, >=, ==; repeatable): the KKT form of a QP")
    parser.add_argument("--step", default="1", metavar="γ", help="the step γ of the prox form (default 1)")
    parser.add_argument("--cost", default=None, metavar="C",
                        help="a smooth cost C(θ, x): print the hypergradient set of θ ↦ C(θ, x*(θ))")
    parser.add_argument("--guess", default=None, metavar="x1=1,x2=0",
                        help="an exact solution to use (verified; for the KKT form x alone is enough)")
    parser.add_argument("--rule", default="clarke", metavar="|".join(PRESETS), help="derivative rule for J_F (default clarke)")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                        help="time limit per solver query (default 60; 0: no limit)")
    add_time_limit_argument(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object (docs/cli.md) instead of text")


def run_argmin(args: argparse.Namespace) -> int:
    """The solution map of a small optimisation problem: exact solution, J_x*, hypergradients."""
    from semialg.checks.implicit.argmin import argmin_at, hypergradient
    from semialg.frontends.argmin import argmin
    from semialg.frontends.text import parse_point
    problem = argmin(args.objective, args.constraints, x=args.x, theta=args.theta, penalty=args.penalty, step=args.step)
    guess = None
    if args.guess is not None:
        names = [p.split("=")[0].strip() for p in args.guess.split(",") if p.strip()]
        order = problem.x if set(names) <= set(problem.x) else problem.unknowns
        guess = list(parse_point(args.guess, order))
    if args.cost is not None:
        result = hypergradient(problem, args.cost, args.at, rule=args.rule, timeout=args.timeout,
                               time_limit=args.time_limit, guess=guess)
    else:
        result = argmin_at(problem, args.at, rule=args.rule, timeout=args.timeout, time_limit=args.time_limit,
                           guess=guess)
    emit(report.dump_json(result.to_json()) if args.json else result.to_text())
    return result.exit_code
