"""Pictures of strata, derivative fields, Clarke sets and critical points (matplotlib, the ``plot`` extra).

Pictures only illustrate: every number drawn was decided exactly elsewhere
(floats come from :mod:`semialg.numeric`). matplotlib is imported lazily, with
the non-interactive Agg backend, so the rest of semialg never needs it.

- :func:`plot_1d`: the function on top; below, the Clarke set on each stratum
  (a grey band at each kink, the derivative of the piece elsewhere) and the
  rule's field (coloured), artificial critical points and spurious values marked.
- :func:`plot_2d`: the strata coloured by dimension (cells shaded, curves, points),
  the field as arrows, artificial critical points marked.
- :func:`plot_result`: either, by the number of variables.

Each takes a :class:`~semialg.checks.conservative.CheckResult` or a
:class:`~semialg.checks.critical.CriticalResult` and a file name, writes a PNG
and returns the matplotlib figure (closed, so it can be saved again).

>>> import os, tempfile
>>> from semialg.checks.critical import critical
>>> path = os.path.join(tempfile.mkdtemp(), "identity.png")
>>> _ = plot_1d(critical("x - (relu(-x) - relu(x) + x)"), path)
>>> os.path.getsize(path) > 1000
True
"""
from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass
from fractions import Fraction

from semialg.core.errors import InputError

DIM_COLOURS = {0: "#222222", 1: "#e07b00", 2: "#4c8bd6"}
ARTIFICIAL_COLOUR, CLARKE_COLOUR, SPURIOUS_COLOUR = "#d62728", "#1a9850", "#7b3294"
LEGEND = {"loc": "upper left", "bbox_to_anchor": (1.02, 1.0), "borderaxespad": 0.0, "fontsize": 8, "framealpha": 0.95}


@dataclass(frozen=True)
class _View:
    """What a picture needs, gathered from a check or critical result."""

    program: object
    strat: object
    fields: dict            # stratum id -> per output list of vertex vectors (Poly)
    clarke: dict            # stratum id -> StratumClarke
    artificial: tuple
    spurious: tuple
    title: str
    clarke_critical: tuple = ()


def _pyplot():
    try:
        import matplotlib
    except ImportError:  # pragma: no cover - depends on the environment
        raise InputError("plots need matplotlib: pip install 'semialg-verify[plot]'") from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def _title(result) -> str:
    """``f - rule R - VERDICT``, wrapped for the width of a picture.

    >>> from semialg.checks.critical import critical
    >>> _title(critical("x - (relu(-x) - relu(x) + x)"))
    'x - (relu(-x) - relu(x) + x) - rule pytorch - ARTIFICIAL CRITICAL POINTS'
    """
    verdict = str(getattr(result, "verdict", "") or "").replace("_", " ").upper()
    tail = f"rule {result.rule.name}" + (f" - {verdict}" if verdict else "")
    text = f"{result.program.to_text()} - {tail}"
    if len(text) <= 78:
        return text
    return "\n".join(textwrap.wrap(result.program.to_text(), 78, break_long_words=True) + [tail])


def _view(result, sets: dict | None = None) -> _View:
    from semialg.checks.critical import CriticalResult, analyze
    from semialg.rules import field_polys
    strat = result.stratification
    if strat is None:
        raise InputError("nothing to plot: the function could not be stratified")
    if getattr(result, "verdict", "") == "not_lipschitz":
        raise InputError("the function is not locally Lipschitz: no Clarke sets to plot")
    if isinstance(result, CriticalResult):
        fields = {}
        for s in strat.strata:
            try:
                fields[s.id] = field_polys(strat, s, result.rule)
            except OverflowError:
                fields[s.id] = []
        sets = {"clarke": result.clarke, "artificial": result.artificial, "spurious": result.spurious,
                "clarke_critical": result.clarke_critical}
    else:
        fields = {rep.stratum.id: [list(v) for v in rep.field] for rep in result.strata}
        sets = sets or analyze(strat, result.rule, fields=fields)
    clarke = {sc.stratum.id: sc for sc in sets["clarke"]}
    return _View(result.program, strat, fields, clarke, tuple(sets["artificial"]), tuple(sets["spurious"]),
                 _title(result), tuple(sets.get("clarke_critical", ())))


def _window(view: _View, index: int = 0) -> tuple[float, float]:
    """A plotting interval around every 0-dimensional stratum and every marked point (the sample of
    a critical or spurious set that is not a whole stratum), so that nothing marked falls outside."""
    pts = [float(s.sample[index]) for s in view.strat.strata if s.dim == 0]
    pts += [float(ps.sample[index]) for ps in view.artificial + view.clarke_critical + view.spurious
            if ps.whole_stratum is not True]
    if not pts:
        return -2.0, 2.0
    lo, hi = min(pts), max(pts)
    pad = max(1.0, 0.35 * (hi - lo))
    return lo - pad, hi + pad


def _inside(stratum, pts, tol: float = 0.0):
    """Boolean mask of the points (rows) satisfying the stratum's strict conditions (floats, illustration only)."""
    import numpy as np

    from semialg.numeric import poly_values
    mask = np.ones(len(pts), dtype=bool)
    for p, s in stratum.conditions:
        if s != 0:
            mask &= s * poly_values(p, pts) > tol
    return mask


def _legend(ax, handles=None, labels=None):
    """The legend to the right of the axes, outside the data area (duplicate labels dropped)."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    elif labels is None:
        labels = [h.get_label() for h in handles]
    seen, hs, ls = set(), [], []
    for h, lab in zip(handles, labels):
        if lab and not lab.startswith("_") and lab not in seen:
            seen.add(lab)
            hs.append(h)
            ls.append(lab)
    return ax.legend(hs, ls, **LEGEND) if hs else None


# --------------------------------------------------------------------------- 1-D
def plot_1d(result, file: str | None = None, critical: dict | None = None, samples: int = 801):
    """The function, the field and the Clarke set per stratum of a one-variable program.

    Top panel: ``f``. Bottom: on each interval the derivative of the piece (= the
    Clarke set, grey) and the rule's field (blue, dashed); at each kink the Clarke
    interval (grey bar) and the field's values (blue dots). Artificial critical
    points are red stars on ``0``, spurious values red crosses.
    """
    import numpy as np

    from semialg.numeric import evaluate, poly_values
    view = _view(result, critical)
    if view.strat.n != 1:
        raise InputError("plot_1d draws scalar functions of one variable; use plot_2d for two variables")
    if view.program.n_outputs != 1:
        raise InputError(f"plot_1d draws scalar functions; this one has {view.program.n_outputs} outputs")
    plt = _pyplot()
    lo, hi = _window(view)
    xs = np.linspace(lo, hi, samples)
    pts = xs[:, None]
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(9.6, 6.5), gridspec_kw={"height_ratios": [1, 1.2]})
    top.plot(xs, evaluate(view.program, pts)[:, 0], color="black", lw=1.8, label="f")
    kinks = [s for s in view.strat.strata if s.dim == 0]
    for k, s in enumerate(kinks):
        x0 = float(s.sample[0])
        top.plot([x0], [float(s.piece[0].eval(s.sample))], "o", color=DIM_COLOURS[0], ms=5,
                 label="kink (0-D stratum)" if k == 0 else None)
        for ax in (top, bottom):
            ax.axvline(x0, color="#bbbbbb", lw=0.8, zorder=0)
    top.set_ylabel("f(x)")
    _pad_ylim(top)
    top.set_title(view.title, fontsize=10)
    field_label = clarke_label = True
    for s in view.strat.strata:
        sc = view.clarke.get(s.id)
        vertices = (view.fields.get(s.id) or [[]])[0]
        if s.dim == 1:
            mask = _inside(s, pts)
            if not mask.any():
                continue
            seg = pts[mask]
            for g in (sc.generators if sc else ()):
                bottom.plot(seg[:, 0], poly_values(g[0][0], seg), color="#888888", lw=5, alpha=0.5,
                            solid_capstyle="butt", label="Clarke set" if clarke_label else None)
                clarke_label = False
            for v in vertices:
                bottom.plot(seg[:, 0], poly_values(v[0], seg), color="#1f5fbf", lw=1.6, ls="--",
                            label="rule's field D" if field_label else None)
                field_label = False
        elif s.dim == 0:
            x0 = float(s.sample[0])
            if sc and sc.vertices:
                ys = [float(v[0][0]) for v in sc.vertices]
                bottom.plot([x0, x0], [min(ys), max(ys)], color="#888888", lw=7, alpha=0.6, solid_capstyle="butt",
                            label="Clarke set" if clarke_label else None)
                bottom.plot([x0, x0], [min(ys), max(ys)], "_", color="#444444", ms=22, mew=2.5)
                clarke_label = False
            for v in vertices:
                bottom.plot([x0], [float(v[0].eval(s.sample))], "o", color="#1f5fbf", ms=6,
                            label="rule's field D" if field_label else None)
                field_label = False
    for ps in view.spurious:
        for v in ps.field:
            bottom.plot([float(ps.sample[0])], [float(v[0][0])], "x", color=ARTIFICIAL_COLOUR, ms=11, mew=2.5,
                        zorder=4, label="spurious value (D outside Clarke)")
    def f_at(points):
        return evaluate(view.program, points)[:, 0]
    for kind, sets in (("clarke", view.clarke_critical), ("artificial", view.artificial)):
        for ps in sets:
            _mark_1d(top, bottom, ps, kind, pts, f_at)
    for i, ps in enumerate(view.artificial):
        x0 = float(ps.sample[0])
        right = x0 > lo + 0.6 * (hi - lo)
        bottom.annotate(f"D = {_hull_str(ps.field)}, Clarke = {_hull_str(ps.clarke)}", (x0, 0.0),
                        xytext=(-10 if right else 10, -16), textcoords="offset points", fontsize=8,
                        color=ARTIFICIAL_COLOUR, ha="right" if right else "left", zorder=7,
                        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8})
    bottom.axhline(0, color="black", lw=0.6)
    bottom.set_xlabel(view.program.inputs[0])
    bottom.set_ylabel("derivative")
    bottom.set_xlim(lo, hi)
    _pad_ylim(bottom)
    _legend(top)
    _legend(bottom)
    fig.tight_layout()
    return _save(plt, fig, file)


def _mark_1d(top, bottom, ps, kind: str, pts, f_at) -> None:
    """One Clarke-critical (green) or artificial (red) set of a 1-D picture, on f (top) and on 0 (bottom):
    a whole interval as a thick segment, a point (or the sample of a partial set) as a marker."""
    colour = CLARKE_COLOUR if kind == "clarke" else ARTIFICIAL_COLOUR
    what = "Clarke-critical" if kind == "clarke" else "artificial critical"
    x0 = float(ps.sample[0])
    if ps.stratum.dim == 1 and ps.whole_stratum:
        seg = pts[_inside(ps.stratum, pts)]
        if len(seg):
            label = f"{what} interval"
            bottom.plot(seg[:, 0], 0 * seg[:, 0], color=colour, lw=6, alpha=0.55, solid_capstyle="butt",
                        zorder=3, label=label)
            top.plot(seg[:, 0], f_at(seg), color=colour, lw=5, alpha=0.45, zorder=3, label=label)
            return
    if kind == "clarke":
        style = {"marker": "o", "ms": 12, "mfc": "none", "mec": colour, "mew": 2.2, "ls": "", "zorder": 6}
    else:
        style = {"marker": "*", "ms": 17, "color": colour, "mec": "black", "mew": 0.6, "ls": "", "zorder": 6}
    label = f"{what} point"
    bottom.plot([x0], [0.0], label=label, **style)
    top.plot([x0], f_at(pts[:1] * 0 + x0), label=label, **style)


def _hull_str(vertices) -> str:
    from semialg.rules import fmt_exact
    inner = ", ".join("(" + ", ".join(fmt_exact(v) for v in vx[0]) + ")" for vx in vertices)
    return "{" + inner + "}" if len(vertices) == 1 else "conv{" + inner + "}"


def _pad_ylim(ax) -> None:
    lo, hi = ax.get_ylim()
    if hi - lo < 1.0:  # a flat curve: show a unit window around it
        mid = (lo + hi) / 2
        lo, hi = mid - 0.5, mid + 0.5
    pad = 0.1 * (hi - lo)
    ax.set_ylim(lo - pad, hi + pad)


def _save(plt, fig, file):
    if file is not None:
        fig.savefig(file, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return fig


# --------------------------------------------------------------------------- 2-D
def plot_2d(result, file: str | None = None, critical: dict | None = None, resolution: int = 300, arrows: int = 15):
    """The strata of a two-variable program coloured by dimension, the field as arrows,
    artificial critical points marked (red stars; a red curve when a whole 1-D stratum is artificial)."""
    import numpy as np
    from matplotlib.colors import ListedColormap, to_rgb
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from semialg.numeric import poly_values
    view = _view(result, critical)
    if view.strat.n != 2:
        raise InputError("plot_2d draws functions of two variables; use plot_1d for one variable")
    plt = _pyplot()
    (x0, x1), (y0, y1) = _window(view, 0), _window(view, 1)
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    gx, gy = np.meshgrid(xs, ys)
    pts = np.stack([gx.ravel(), gy.ravel()], axis=1)
    fig, ax = plt.subplots(figsize=(9.8, 6.3))
    labels = np.full(len(pts), -1)
    cells = [s for s in view.strat.strata if s.dim == 2]
    for k, s in enumerate(cells):
        labels[(labels < 0) & _inside(s, pts)] = k
    base = np.array(to_rgb(DIM_COLOURS[2]))
    shades = [tuple(1 - (1 - base) * (0.12 + 0.14 * (k % 3))) for k in range(max(len(cells), 1))]
    img = np.ma.masked_less(labels.reshape(gx.shape), 0)
    ax.imshow(img, origin="lower", extent=(x0, x1, y0, y1), cmap=ListedColormap(shades), vmin=-0.5,
              vmax=len(shades) - 0.5, interpolation="nearest", aspect="auto", zorder=0)
    handles = [Patch(color=shades[0], label="2-D cells")]
    if _f_contours(ax, view, pts, gx, gy):
        handles.append(Line2D([], [], color="#555555", lw=0.8, label="contours of f"))

    def curve(stratum, colour, lw, ls="solid", zorder=3, equation=None):
        eq = equation if equation is not None else (stratum.equalities[0] if stratum.equalities else None)
        if eq is None:
            return
        z = poly_values(eq, pts).reshape(gx.shape)
        if np.nanmin(z) > 0 or np.nanmax(z) < 0:
            return
        mask = ~_inside(stratum, pts).reshape(gx.shape)
        ax.contour(gx, gy, np.ma.array(z, mask=mask), levels=[0], colors=[colour], linewidths=lw,
                   linestyles=ls, zorder=zorder)

    def region(stratum, colour):
        mask = _inside(stratum, pts).reshape(gx.shape)
        rgba = np.zeros(gx.shape + (4,))
        rgba[mask] = (*to_rgb(colour), 0.45)
        ax.imshow(rgba, origin="lower", extent=(x0, x1, y0, y1), interpolation="nearest", aspect="auto", zorder=1)

    whole = {(k, ps.stratum.id) for k, sets in (("a", view.artificial), ("c", view.clarke_critical))
             for ps in sets if ps.whole_stratum}
    for s in view.strat.strata:
        if s.dim == 1:
            colour = (ARTIFICIAL_COLOUR if ("a", s.id) in whole else
                      CLARKE_COLOUR if ("c", s.id) in whole else DIM_COLOURS[1])
            curve(s, colour, 3.0 if colour != DIM_COLOURS[1] else 2.2)
    handles += [Line2D([], [], color=DIM_COLOURS[1], lw=2.2, label="1-D strata"),
                Line2D([], [], marker="o", ls="", color=DIM_COLOURS[0], label="0-D strata"),
                Line2D([], [], marker=r"$\rightarrow$", ls="", color="#333333", ms=12, label="field D on 2-D cells"),
                Line2D([], [], marker=r"$\rightarrow$", ls="", color="#c2185b", ms=12, label="field D on lower strata")]
    zero_d = [s for s in view.strat.strata if s.dim == 0]
    ax.plot([float(s.sample[0]) for s in zero_d], [float(s.sample[1]) for s in zero_d], "o",
            color=DIM_COLOURS[0], ms=6, zorder=5.5)
    _arrows(ax, view, (x0, x1), (y0, y1), arrows)
    marks = []
    for kind, sets in (("c", view.clarke_critical), ("a", view.artificial)):
        colour = CLARKE_COLOUR if kind == "c" else ARTIFICIAL_COLOUR
        what = "Clarke-critical" if kind == "c" else "artificial critical"
        for ps in sets:
            px, py = float(ps.sample[0]), float(ps.sample[1])
            if ps.whole_stratum and ps.stratum.dim == 2:
                region(ps.stratum, colour)
                marks.append(Patch(color=colour, alpha=0.45, label=f"{what} cell (whole)"))
            elif ps.whole_stratum and ps.stratum.dim == 1:
                marks.append(Line2D([], [], color=colour, lw=3.0, label=f"{what} curve (whole 1-D stratum)"))
            elif ps.stratum.dim == 2 and len(ps.equations) == 1:
                curve(ps.stratum, colour, 2.0, "dashed", 4, ps.equations[0])
                marks.append(Line2D([], [], color=colour, lw=2.0, ls="--", label=f"{what} curve in a cell"))
            if kind == "a":
                ax.plot([px], [py], "*", color=colour, ms=18, mec="black", mew=0.7, zorder=7,
                        label="artificial critical point")
            elif ps.stratum.dim == 0:
                ax.plot([px], [py], "o", ms=15, mfc="none", mec=colour, mew=2.5, zorder=7,
                        label="Clarke-critical point")
            elif not ps.whole_stratum:
                ax.plot([px], [py], "D", color=colour, ms=9, mec="black", mew=0.6, zorder=7,
                        label="Clarke-critical point (sample)")
    for ps in view.spurious:
        if ps.stratum.dim == 1 and ps.whole_stratum:
            curve(ps.stratum, SPURIOUS_COLOUR, 1.4, "dashed", 4)
            marks.append(Line2D([], [], color=SPURIOUS_COLOUR, lw=1.4, ls="--", label="spurious on a whole 1-D stratum"))
            continue
        ax.plot([float(ps.sample[0])], [float(ps.sample[1])], "X", color=SPURIOUS_COLOUR, ms=11, mec="white", mew=0.8,
                zorder=5, label="spurious value")
    h, lab = ax.get_legend_handles_labels()
    _legend(ax, handles + marks + h, [x.get_label() for x in handles + marks] + lab)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel(view.program.inputs[0])
    ax.set_ylabel(view.program.inputs[1])
    ax.set_title(view.title, fontsize=10)
    fig.tight_layout()
    return _save(plt, fig, file)


def _f_contours(ax, view: _View, pts, gx, gy) -> bool:
    """Light line contours of (the first output of) f, labelled, beneath the strata; False when f is
    constant on the window (nothing to draw). The contour set's gid is ``"contours of f"``."""
    import warnings

    import numpy as np

    from semialg.numeric import evaluate
    with np.errstate(all="ignore"):
        z = np.ma.masked_invalid(evaluate(view.program, pts)[:, 0].reshape(gx.shape))
    if z.count() == 0 or float(z.max() - z.min()) <= 1e-12 * max(1.0, float(abs(z).max())):
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs = ax.contour(gx, gy, z, levels=12, colors="#555555", linewidths=0.7, alpha=0.6, zorder=1.5,
                        negative_linestyles="solid")
        ax.clabel(cs, cs.levels[::2], inline=True, fontsize=7, fmt="%.3g", colors="#444444")
    cs.set_gid("contours of f")
    return True


def _arrows(ax, view: _View, xr, yr, count: int) -> None:
    """The field's vertices at a rational grid (each grid point located exactly), as arrows scaled
    so the longest spans 0.8 grid steps: dark on 2-D cells, magenta on lower-dimensional strata."""
    import numpy as np
    start_x, start_y = Fraction(xr[0]).limit_denominator(1000), Fraction(yr[0]).limit_denominator(1000)
    step_x = (Fraction(xr[1]).limit_denominator(1000) - start_x) / (count + 1)
    step_y = (Fraction(yr[1]).limit_denominator(1000) - start_y) / (count + 1)
    rows = []
    for i in range(1, count + 1):
        for j in range(1, count + 1):
            pt = (start_x + i * step_x, start_y + j * step_y)
            try:
                s = view.strat.locate(pt)
            except InputError:
                continue
            for v in (view.fields.get(s.id) or [[]])[0][:4]:
                rows.append((float(pt[0]), float(pt[1]), float(v[0].eval(pt)), float(v[1].eval(pt)), s.dim == 2))
    if not rows:
        return
    a = np.array(rows, dtype=float)
    longest = float(np.max(np.hypot(a[:, 2], a[:, 3]))) or 1.0
    scale = longest / (0.8 * float(min(step_x, step_y)))
    for full, colour in ((True, "#333333"), (False, "#c2185b")):
        sel = a[:, 4] == float(full)
        if sel.any():
            ax.quiver(a[sel, 0], a[sel, 1], a[sel, 2], a[sel, 3], color=colour, angles="xy", scale_units="xy",
                      scale=scale, width=0.0035, zorder=3 if full else 4)


def plot_result(result, file: str | None = None, critical: dict | None = None):
    """:func:`plot_1d` or :func:`plot_2d`, by the number of variables. ``critical``: the sets of
    :func:`semialg.checks.critical.analyze` for a check result, when already computed."""
    n = result.program.n_inputs
    if n == 1:
        return plot_1d(result, file, critical)
    if n == 2:
        return plot_2d(result, file, critical)
    raise InputError(f"plots are drawn for one or two variables; this function has {n}")


def write_plot(result, file: str, critical: dict | None = None, command: str = "semialg") -> bool:
    """:func:`plot_result` for the command line: a picture that cannot be drawn (three variables,
    a jump, no matplotlib) is a note on stderr, not an error, so the verdict's exit code stands."""
    import sys
    prefix = command if command.startswith("semialg") else f"semialg {command}"
    path = os.path.abspath(os.path.expanduser(str(file)))
    existed = os.path.exists(path)
    try:
        problem = _plot_problem(result, path)
        if problem is None:
            fig = plot_result(result, None, critical)
            if getattr(result, "witness", None) is not None:
                mark_witness(fig, result)
            fig.savefig(path, dpi=110, bbox_inches="tight")
    except InputError as exc:
        problem = str(exc)
    except OSError as exc:
        problem = f"cannot write {path}: {exc.strerror or exc}"
    except Exception as exc:  # noqa: BLE001 - a picture never changes the verdict's exit code
        problem = f"drawing failed ({type(exc).__name__}: {exc})"
    if problem is not None:
        if not existed and os.path.isfile(path):
            try:
                os.remove(path)  # no half-written picture left behind
            except OSError:
                pass
        sys.stderr.write(f"{prefix}: no plot written: {problem}\n")
        return False
    sys.stderr.write(f"{prefix}: wrote the plot to {path}\n")
    return True


def _plot_problem(result, path: str) -> str | None:
    """Why ``result`` cannot be drawn into ``path`` (checked before drawing), or None.

    >>> from semialg.checks.critical import critical
    >>> _plot_problem(critical("relu(x + y + z)"), "/tmp/out.png")
    'plots are drawn for one or two variables; this function has 3'
    >>> _plot_problem(critical("relu(x)"), "/tmp/out.xyz").split(";")[0]
    "'.xyz' is not a picture format matplotlib writes"
    """
    try:
        import matplotlib
        matplotlib.use("Agg", force=True)
        from matplotlib.figure import Figure
    except ImportError:
        return "plots need matplotlib: pip install 'semialg-verify[plot]'"
    n = result.program.n_inputs
    if n not in (1, 2):
        return f"plots are drawn for one or two variables; this function has {n}"
    if getattr(result, "verdict", "") == "not_lipschitz":
        return "the function is not locally Lipschitz: no Clarke sets to plot"
    if result.stratification is None:
        return "nothing to plot: the function could not be stratified"
    if n == 1 and result.program.n_outputs != 1:
        return f"plots of one variable are drawn for scalar functions; this one has {result.program.n_outputs} outputs"
    if os.path.isdir(path):
        return f"{path} is a directory; give a file name such as {os.path.join(path, 'plot.png')}"
    formats = sorted(Figure().canvas.get_supported_filetypes())
    ext = os.path.splitext(path)[1].lstrip(".").lower()
    usable = "use one of " + ", ".join("." + f for f in formats)
    if not ext:
        return f"{path} has no file extension; {usable} (e.g. plot.png)"
    if ext not in formats:
        return f"'.{ext}' is not a picture format matplotlib writes; {usable}"
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        return f"the directory {parent} does not exist" if not os.path.exists(parent) else f"{parent} is not a directory"
    if os.path.exists(path) and not os.access(path, os.W_OK):
        return f"cannot write {path}: permission denied"
    if not os.path.exists(path) and not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot write in {parent}: permission denied"
    return None


# --------------------------------------------------------------------------- witnesses (added for the examples)
def mark_witness(fig, result, file: str | None = None):
    """Overlay the witness of a not-conservative :class:`~semialg.checks.conservative.CheckResult`
    on a figure drawn by :func:`plot_1d` / :func:`plot_2d` (of the same result): a red arrow from
    the witness point along the witness direction (2-D), or a red marker at the point (1-D),
    labelled with the two exact rates ``d/dt f(γ)`` and ``<v, γ'>``. Returns the figure (saved to
    ``file`` when given); a result without a witness is returned unchanged.

    >>> import os, tempfile
    >>> from semialg.checks.conservative import check
    >>> r = check("abs(x)", variables=["x", "y"], field="where(x > 0, 1, where(x < 0, -1, 0)), where(x == 0, 1, 0)")
    >>> path = os.path.join(tempfile.mkdtemp(), "witness.png")
    >>> fig = mark_witness(plot_2d(r), r, path)
    >>> os.path.getsize(path) > 1000
    True
    """
    from semialg.rules import fmt_exact
    w = getattr(result, "witness", None)
    if w is None:
        return fig
    point = [float(v) for v in w.point]
    direction = [float(v) for v in w.direction]
    text = (f"witness: along γ(t) = ({', '.join(fmt_exact(v) for v in w.point)}) + t·"
            f"({', '.join(fmt_exact(v) for v in w.direction)}): d/dt f = {fmt_exact(w.derivative_along_curve)}, "
            f"<v, γ'> = {fmt_exact(w.field_along_curve)}")
    if len(point) == 2:
        ax = fig.axes[0]
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        norm = max((direction[0] ** 2 + direction[1] ** 2) ** 0.5, 1e-12)
        length = 0.25 * min(x1 - x0, y1 - y0)
        tip = (point[0] + length * direction[0] / norm, point[1] + length * direction[1] / norm)
        ax.annotate("", xy=tip, xytext=tuple(point), zorder=9,
                    arrowprops={"arrowstyle": "-|>", "color": "#d62728", "lw": 3.5})
        ax.plot([point[0]], [point[1]], "o", color="#d62728", ms=9, zorder=10, label="witness curve")
    else:
        ax = fig.axes[-1]
        ax.axvline(point[0], color="#d62728", lw=2, ls="--", zorder=6, label="witness")
    ax.text(0.01, 0.01, "\n".join(textwrap.wrap(text, 90)), transform=ax.transAxes, fontsize=8, color="#d62728",
            zorder=11, bbox={"boxstyle": "round", "fc": "white", "ec": "#d62728", "alpha": 0.95})
    legend = ax.get_legend()
    if legend is not None:  # add the witness to the legend beside the axes
        old = list(zip(legend.legend_handles, [t.get_text() for t in legend.get_texts()]))
        new = [(h, lab) for h, lab in zip(*ax.get_legend_handles_labels()) if lab.startswith("witness")]
        _legend(ax, [h for h, _ in old + new], [lab for _, lab in old + new])
    if file is not None:
        fig.savefig(file, dpi=110, bbox_inches="tight")
    return fig
