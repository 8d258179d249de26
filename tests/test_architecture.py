"""The layout: imports point one way (core -> frontends -> rules -> stratification -> checks ->
report/plot -> cli, with smt and numeric as leaves beside the middle), no module imports
in a circle, and no module is over 600 lines. Read from the source with ``ast`` (imports
inside functions count), so a lazy import cannot hide an arrow that runs back up."""
from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "semialg"

LAYERS = {  # stage -> rank; a module may import only stages of lower or equal rank
    "core": 0, "smt": 1, "numeric": 1, "frontends": 2, "rules": 3, "stratification": 4,
    "checks": 5, "report": 6, "plot": 7, "cli": 8, "__main__": 9,
}
LEAVES = {"smt", "numeric"}  # called by the middle layers, import only the core


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports_of(path: Path) -> set[str]:
    """Absolute names of the semialg modules ``path`` imports (relative imports resolved)."""
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
            for alias in node.names:  # `from semialg.core import dag` imports the module dag
                if (PACKAGE.parent / Path(*target.split("."), alias.name + ".py")).exists() or \
                        (PACKAGE.parent / Path(*target.split("."), alias.name, "__init__.py")).exists():
                    found.add(f"{target}.{alias.name}")
                elif not (target == "semialg" and alias.name == "__version__"):  # the version is no stage
                    found.add(target)
    return found


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
GRAPH = nx.DiGraph()
for _name, _path in MODULES.items():
    GRAPH.add_node(_name)
    for _target in imports_of(_path):
        if _target in MODULES and _target != _name:
            GRAPH.add_edge(_name, _target)


def test_no_import_circle():
    cycles = list(nx.simple_cycles(GRAPH))
    assert not cycles, f"import circles: {cycles[:5]}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if stage(m) != "__init__"))
def test_imports_point_one_way(module):
    """Every import goes to the same stage or a lower one; the leaves import only the core."""
    mine = stage(module)
    bad = []
    for target in GRAPH.successors(module):
        theirs = stage(target)
        if theirs == "__init__":
            bad.append(target)
        elif mine in LEAVES and theirs not in ("core", mine):
            bad.append(target)
        elif LAYERS[theirs] > LAYERS[mine]:
            bad.append(target)
    assert not bad, f"{module} ({mine}) imports from a later stage: {bad}"


@pytest.mark.parametrize("path", sorted(MODULES.values()), ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_module_size(path):
    lines = len(path.read_text().splitlines())
    assert lines <= 600, f"{path.name} has {lines} lines; split it by responsibility"


def test_every_stage_is_known():
    assert {stage(m) for m in MODULES} - {"__init__"} <= set(LAYERS)
