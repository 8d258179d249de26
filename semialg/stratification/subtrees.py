"""The branch tree of a piecewise-linear program, walked in subtrees on other processes.

Below a cell of the branch tree, the walk depends only on that cell: the path of branches
taken to it. So the tree cut at a depth ``d`` falls into independent subtrees, one per cell
there. :func:`walk` walks the tree serially down to ``d`` (deep enough for
:data:`SUBTREES` subtrees), hands each subtree to ``Options.parallel_map`` as the path of
branch indices that leads to it (:func:`walk_subtree` replays the path from the root, then
walks the subtree), and grafts the subtrees back in depth-first order: the leaves, their
numbering and the tree are those of the serial walk, so the adjacency stage, run on the
merged tree as before, finds the same neighbours.

This is for cells that are polyhedra throughout (every kink linear on every cell, each decided
by the double description of its cone, :mod:`~semialg.stratification.polyhedra`): then
no branch depends on anything but its own cell. When a cell meets a nonlinear kink (a solver
query, witnesses shared across cells, undecided branches that change later edges), the
subtree reports it and the whole program is walked serially instead.

>>> from semialg.frontends.text import parse
>>> from semialg.stratification.branch_tree import Options, Walker
>>> program = parse("relu(relu(x) - relu(y) + 1) + relu(x + y)", "x,y")
>>> serial = Walker(program, Options())
>>> serial.run()
>>> split = walk(program, Options(), lambda f, items, deadline: [f(i) for i in items], subtrees=3)
>>> [leaf.labels for leaf in split.leaves] == [leaf.labels for leaf in serial.leaves]
True
>>> len(split.tree.conds) == len(serial.tree.conds)
True
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

from semialg.stratification.branch_tree import Options, Walker
from semialg.stratification.cells import StratifyError

SUBTREES = 32      # cut the tree where it has at least this many cells: several tasks per worker
MAX_DEPTH = 12     # frames deep at most (a narrow tree: fewer subtrees)


def splittable(program, options: Options) -> bool:
    """Could the cells be polyhedra throughout? (No domain, no lifted variables, cones in use;
    the walk itself confirms it.)"""
    return (program.lifting is None and options.domain is None and options.method != "smt"
            and not options.regions_only)


def walk(program, options: Options, parallel_map: Callable, subtrees: int = SUBTREES) -> Walker:
    """The walker of the whole tree, its subtrees walked through ``parallel_map``; the serial
    walk when the cells are not polyhedra throughout or the tree is too small to split."""
    best = None
    for depth in range(1, MAX_DEPTH + 1):   # the shallowest cut with enough subtrees, else the widest
        cut = _cut(program, options, depth)
        if cut is None:
            return _serial(program, options)
        if best is None or cut[2] > best[2]:
            best = cut
        if cut[2] >= subtrees or not cut[3]:
            break
    if best[2] < 2:
        return _serial(program, options)
    walker, items, _, _ = best
    worker_options = replace(options, progress=None, deadline=None, time_limit=None, parallel_map=None)
    paths = [item[1] for item in items if item[0] == "subtree"]
    results = parallel_map(walk_subtree, [(program, worker_options, path) for path in paths], options.deadline)
    if any(r is None for r in results):
        return _serial(program, options)
    own, leaves = walker.leaves, []
    answers = iter(results)
    for item in items:
        if item[0] == "leaf":
            leaves.append(own[item[1]])
            continue
        sub_leaves, nodes, undefined, calls = next(answers)
        node_of = {0: item[2]}
        for j, (parent, conds, implied) in enumerate(nodes, start=1):
            node_of[j] = walker.tree.add(node_of[parent], conds, implied)
        for leaf in sub_leaves:
            leaf.tree_node = node_of[leaf.tree_node]
            leaves.append(leaf)
        walker.undefined.extend(undefined[:max(0, 64 - len(walker.undefined))])
        walker.stats.calls += calls
    if len(leaves) > options.max_strata:   # each subtree is under the limit; together they may not be
        raise StratifyError(f"more than {options.max_strata} strata; restrict the domain")
    walker.leaves = leaves
    walker.finish()
    return walker


def _serial(program, options: Options) -> Walker:
    walker = Walker(program, options)
    walker.run()
    return walker


def _cut(program, options: Options, depth: int):
    """The serial walk down to ``depth`` frames: ``(walker, items, subtrees, any)`` with the items
    in depth-first order, each ``("leaf", index in walker.leaves)`` or ``("subtree", path, tree
    node)``; ``any``: the cut has a subtree (a deeper cut may have more). None when a cell is
    not a polyhedron."""
    walker = Walker(program, options)
    frame = walker.start()
    items: list = [("leaf", i) for i in range(len(walker.leaves))]
    stack = [[frame, (), 0]] if frame is not None else []
    count = 0
    while stack:
        entry = stack[-1]
        frame, path, k = entry
        if not frame.pending:
            stack.pop()
            continue
        entry[2] += 1
        taken = walker.take(frame)
        if taken is None:
            continue
        child, point, cone = taken
        if cone is None or walker.reasons:
            return None
        if len(stack) == depth:
            items.append(("subtree", path + (k,), child))
            count += 1
            continue
        before = len(walker.leaves)
        nxt = walker.descend(frame, child, point, cone)
        items.extend(("leaf", i) for i in range(before, len(walker.leaves)))
        if nxt is not None:
            stack.append([nxt, path + (k,), 0])
    if any(leaf.cone is None for leaf in walker.leaves):
        return None
    return walker, items, count, count > 0


def walk_subtree(task):
    """One task: replay ``path`` (the index of the branch taken at each frame, in the order the
    serial walk takes them) from the root, then walk the subtree below. Returns ``(leaves, nodes,
    undefined, solver calls)``, the tree nodes below the subtree's root as ``(parent, conditions,
    implied)`` numbered from 1 (0 is the root; a leaf's ``tree_node`` in the same numbering),
    or None when a cell of the subtree is not a polyhedron."""
    program, options, path = task
    walker = Walker(program, options)
    frame = walker.start()
    for depth, k in enumerate(path):
        if k:   # the k branches the serial walk takes first are the last k pending ones
            del frame.pending[len(frame.pending) - k:]
        child, point, cone = walker.take(frame)
        if depth < len(path) - 1:
            frame = walker.descend(frame, child, point, cone)
    first = child
    nxt = walker.descend(frame, child, point, cone)
    walker.walk([nxt] if nxt is not None else [])
    walker.finish()
    if walker.reasons or any(leaf.cone is None for leaf in walker.leaves):
        return None
    tree = walker.tree
    parent = {}
    for node in range(first, len(tree.conds)):
        for c in tree.children[node]:
            parent[c] = node - first
    nodes = [(parent[j], tree.conds[j], tree.implied[j]) for j in range(first + 1, len(tree.conds))]
    for leaf in walker.leaves:
        leaf.tree_node -= first
    return walker.leaves, nodes, walker.undefined, walker.stats.calls
