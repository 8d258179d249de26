"""Draw the pictures of the docs into docs/img/ by running every teaching example.

    python docs/make_images.py                 # all examples (about 20 s)
    python docs/make_images.py zero_identity   # only these

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


def make(names: list[str] | None = None) -> list[Path]:
    """Run the examples ``names`` (default all) with pictures into docs/img/; return the pictures."""
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
        keep = {p.resolve() for p in drawn}
        for stale in IMG.glob("*.png"):
            if stale.resolve() not in keep:
                stale.unlink()
                print(f"removed stale {stale.relative_to(ROOT)}")
    return drawn


if __name__ == "__main__":
    make(sys.argv[1:] or None)
