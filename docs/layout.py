"""The package layout read from the source: modules, their imports, and the stages they belong to.

Used by tests/test_architecture.py (imports point one way, no circle, modules under 600
lines) and by docs/make_images.py (the picture in docs/architecture.md), so the rule and
the picture are computed from the same reading of the code. Imports are read with ``ast``,
including those inside functions: a lazy import cannot hide an arrow that runs back up.
"""
from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parents[1] / "semialg"

STAGES = ("core", "smt", "numeric", "frontends", "rules", "stratification", "report", "checks", "plot", "cli")
"""The stages in data-flow order."""

RANK = {"core": 0, "smt": 1, "numeric": 1, "frontends": 2, "rules": 3, "stratification": 4,
        "report": 5, "checks": 6, "plot": 7, "cli": 8, "__main__": 9}
"""A module may import only stages of lower or equal rank."""

LEAVES = frozenset({"smt", "numeric"})
"""Called by the middle stages; they import only the core."""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage(module: str) -> str:
    """``semialg.checks.clarke`` -> ``checks``; the package itself is ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _is_module(dotted: str) -> bool:
    base = PACKAGE.parent / Path(*dotted.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def imports_of(path: Path) -> set[str]:
    """Absolute names of the semialg modules ``path`` imports (relative imports resolved;
    ``from semialg import __version__`` is no import of a stage)."""
    tree = ast.parse(path.read_text())
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("semialg")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("semialg"):
                continue
            for alias in node.names:
                if _is_module(f"{target}.{alias.name}"):
                    found.add(f"{target}.{alias.name}")
                elif not (target == "semialg" and alias.name == "__version__"):
                    found.add(target)
    return found


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def import_graph() -> nx.DiGraph:
    """Module -> module edges for every import inside the package."""
    mods = modules()
    graph = nx.DiGraph()
    for name, path in mods.items():
        graph.add_node(name, lines=len(path.read_text().splitlines()))
        for target in imports_of(path):
            if target in mods and target != name:
                graph.add_edge(name, target)
    return graph


def stage_graph() -> nx.DiGraph:
    """The import graph collapsed to stages: edge weight = number of module imports."""
    graph = import_graph()
    out = nx.DiGraph()
    for name, data in graph.nodes(data=True):
        s = stage(name)
        if s in RANK and s != "__main__":
            out.add_node(s)
            out.nodes[s]["lines"] = out.nodes[s].get("lines", 0) + data["lines"]
            out.nodes[s]["modules"] = out.nodes[s].get("modules", 0) + 1
    for a, b in graph.edges:
        sa, sb = stage(a), stage(b)
        if sa != sb and sa in out and sb in out:
            w = out.edges[sa, sb]["weight"] + 1 if out.has_edge(sa, sb) else 1
            out.add_edge(sa, sb, weight=w)
    return out
