"""Draw the pictures of the docs into docs/img/ by running every teaching example.

    python docs/make_images.py                 # all examples (about 20 s)
    python docs/make_images.py zero_identity   # only these
    python docs/make_images.py architecture    # only the layout picture of docs/architecture.md

Each example (``examples/NAME.py``, listed by ``semialg examples``) asserts its
claim exactly and writes its pictures; here they go to ``docs/img/`` (the only
place where PNGs are committed, see .gitignore) instead of ``examples/output/``.
With no arguments, pictures in docs/img/ that no example draws any more are
removed, so the directory mirrors the examples. The pages embed them as
``![...](img/NAME.png)``; tests/test_docs.py checks that every embedded picture
exists and that every picture is embedded.
"""
from __future__ import annotations

import contextlib
import io
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
IMG = HERE / "img"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def draw_architecture(path: Path) -> Path:
    """The stages of the package as boxes and their imports as arrows (docs/architecture.md),
    read from the code by docs/layout.py: every arrow points left or down."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    sys.path.insert(0, str(HERE))
    import layout
    graph = layout.stage_graph()
    pos = {"frontends": (0, 2.2), "rules": (1.5, 2.2), "stratification": (3, 2.2), "report": (4.5, 2.2),
           "checks": (6, 2.2), "plot": (7.5, 2.2), "cli": (9, 2.2), "smt": (3, 1.0), "numeric": (6, 1.0),
           "core": (4.5, -0.1)}
    fig, ax = plt.subplots(figsize=(13, 5.2))
    for name, (x, y) in pos.items():
        data = graph.nodes.get(name, {})
        wide = 9.6 if name == "core" else 1.25
        color = "#f6e7c1" if name == "core" else ("#dfe9f5" if name in layout.LEAVES else "#e3f1de")
        ax.add_patch(FancyBboxPatch((x - wide / 2, y - 0.32), wide, 0.64, boxstyle="round,pad=0.03",
                                    fc=color, ec="#555555", lw=1.2, zorder=2))
        ax.text(x, y + 0.08, name, ha="center", va="center", fontsize=11, weight="bold", zorder=3)
        ax.text(x, y - 0.17, f"{data.get('modules', 0)} modules, {data.get('lines', 0)} lines", ha="center",
                va="center", fontsize=8, color="#444444", zorder=3)
    for a, b, data in graph.edges(data=True):
        (x0, y0), (x1, y1) = pos[a], pos[b]
        if b == "core":
            x1 = min(max(x0, 0.2), 8.8)
        bend = 0.25 if y0 == y1 else 0.0
        ax.annotate("", xy=(x1, y1 + (0.32 if y1 < y0 else 0)), xytext=(x0, y0 - (0.32 if y1 < y0 else 0)),
                    arrowprops=dict(arrowstyle="-|>", color="#777777", lw=0.6 + 0.15 * min(data["weight"], 12),
                                    connectionstyle=f"arc3,rad={bend}", shrinkA=4, shrinkB=4), zorder=1)
    ax.set_xlim(-0.9, 9.9)
    ax.set_ylim(-0.6, 3.5)
    ax.axis("off")
    ax.set_title("semialg's stages, read from the code: an arrow runs from the importer to the imported "
                 "(thicker: more module imports); none runs right or up", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def make(names: list[str] | None = None) -> list[Path]:
    """Run the examples ``names`` (default all) with pictures into docs/img/; return the pictures
    (all examples, and then the architecture picture, when ``names`` is empty)."""
    from semialg.cli.examples_registry import EXAMPLES, run
    IMG.mkdir(exist_ok=True)
    drawn: list[Path] = []
    for name in names or list(EXAMPLES):
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            result = run(name, plot_dir=IMG)
        pictures = [Path(p) for p in result.get("pictures", [])]
        for p in pictures:
            if p.resolve().parent != IMG.resolve():
                raise RuntimeError(f"{name} drew {p} outside docs/img/")
        drawn += pictures
        print(f"{name:<24} {time.perf_counter() - t0:5.1f} s  " + ", ".join(p.name for p in pictures))
    if not names:
        drawn.append(draw_architecture(IMG / "architecture.png"))
        keep = {p.resolve() for p in drawn}
        for stale in IMG.glob("*.png"):
            if stale.resolve() not in keep:
                stale.unlink()
                print(f"removed stale {stale.relative_to(ROOT)}")
    return drawn


if __name__ == "__main__":
    if sys.argv[1:] == ["architecture"]:
        print(draw_architecture(IMG / "architecture.png"))
    else:
        make(sys.argv[1:] or None)
