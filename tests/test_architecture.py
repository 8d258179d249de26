"""The layout (docs/architecture.md): imports point one way (core -> frontends -> rules ->
stratification -> checks -> report/plot -> cli, with smt and numeric as leaves beside the
middle), no module imports in a circle, and no module is over 600 lines. The reading of the
code is docs/layout.py, the same one that draws the picture."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import networkx as nx
import pytest

_spec = importlib.util.spec_from_file_location("layout", Path(__file__).resolve().parents[1] / "docs" / "layout.py")
layout = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(layout)

MODULES = layout.modules()
GRAPH = layout.import_graph()


def test_no_import_circle():
    cycles = list(nx.simple_cycles(GRAPH))
    assert not cycles, f"import circles: {cycles[:5]}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if layout.stage(m) != "__init__"))
def test_imports_point_one_way(module):
    """Every import goes to the same stage or a lower one; the leaves import only the core."""
    mine = layout.stage(module)
    bad = []
    for target in GRAPH.successors(module):
        theirs = layout.stage(target)
        if theirs == "__init__":
            bad.append(target)
        elif mine in layout.LEAVES and theirs not in ("core", mine):
            bad.append(target)
        elif layout.RANK[theirs] > layout.RANK[mine]:
            bad.append(target)
    assert not bad, f"{module} ({mine}) imports from a later stage: {bad}"


@pytest.mark.parametrize("path", sorted(MODULES.values()), ids=lambda p: str(p.relative_to(layout.PACKAGE.parent)))
def test_module_size(path):
    lines = len(path.read_text().splitlines())
    assert lines <= 600, f"{path.name} has {lines} lines; split it by responsibility"


def test_every_stage_is_known():
    assert {layout.stage(m) for m in MODULES} - {"__init__"} <= set(layout.RANK)


def test_the_reader_sees_a_known_arrow():
    """The reader itself works: the stratifier imports the core's polynomials, the CLI the checks."""
    assert GRAPH.has_edge("semialg.stratification.strata", "semialg.core.poly")
    assert layout.stage_graph().has_edge("cli", "checks")
