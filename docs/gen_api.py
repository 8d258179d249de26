"""Write docs/api.md, the API reference, from the docstrings of the public API.

    python docs/gen_api.py            # rewrite docs/api.md
    python docs/gen_api.py --check    # exit 1 if docs/api.md is stale

The public API is ``semialg.__all__`` (what ``import semialg`` gives) and the
modules listed in :data:`MODULES`: a module's public names are its ``__all__``
when it has one, else the functions and classes defined in it whose names do
not start with ``_`` (or the explicit list in :data:`CHOSEN`). For each name:
the signature, the docstring and, for a class, its public methods and
properties. Doctest examples (``>>>``) become ```` ```pycon MODULE ```` blocks,
which tests/test_docs.py runs with that module's globals, as pytest's
``--doctest-modules`` runs the docstrings themselves. ``tests/test_docs.py``
fails when docs/api.md differs from what this script writes.
"""
from __future__ import annotations

import importlib
import inspect
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MODULES = (
    "semialg.checks.conservative",
    "semialg.checks.projection",
    "semialg.checks.parallel",
    "semialg.checks.clarke",
    "semialg.checks.critical",
    "semialg.checks.implicit.theorem",
    "semialg.checks.lipschitz",
    "semialg.checks.implicit.lasso",
    "semialg.checks.implicit.fixedpoint",
    "semialg.checks.implicit.jacsets",
    "semialg.checks.implicit.explicit",
    "semialg.checks.implicit.deq",
    "semialg.checks.implicit.argmin",
    "semialg.checks.implicit.unrolling",
    "semialg.checks.dynamics",
    "semialg.checks.geometry",
    "semialg.checks.frameworks",
    "semialg.checks.assert_valid",
    "semialg.checks.segment",
    "semialg.checks.local",
    "semialg.checks.lifted",
    "semialg.checks.lifted_clarke",
    "semialg.rules",
    "semialg.rules.backprop",
    "semialg.rules.label_field",
    "semialg.rules.lifted",
    "semialg.stratification",
    "semialg.stratification.patterns",
    "semialg.stratification.linewalk",
    "semialg.stratification.in_box",
    "semialg.stratification.regions",
    "semialg.stratification.prefetch",
    "semialg.stratification.subtrees",
    "semialg.report",
    "semialg.plot",
    "semialg.frontends.native",
    "semialg.frontends.domains",
    "semialg.frontends.data",
    "semialg.frontends.normal_form",
    "semialg.frontends.prune",
    "semialg.frontends.reduce",
    "semialg.frontends.lift",
    "semialg.frontends.equilibrium",
    "semialg.frontends.argmin",
    "semialg.core.primitives.semialgebraic",
    "semialg.core.collector",
    "semialg.frontends.jax",
    "semialg.frontends.torch",
    "semialg.frontends.onnx",
    "semialg.frontends.tensors",
    "semialg.cli.examples_registry",
    "semialg.cli.app",
)
"""Modules documented after the top-level ``semialg`` namespace, in this order."""

CHOSEN = {
    "semialg.cli.app": ("main", "build_parser", "SUBCOMMANDS"),
}
"""Modules whose public API is narrower than "every function and class without a leading _"."""

ROLE = re.compile(r":(?:func|class|mod|meth|data|attr|exc|obj):`(~?)([^`]+)`")
PROMPT = re.compile(r"^\s*>>>")


def public_names(module) -> list[str]:
    """The documented names of ``module``, in ``__all__`` order or source order."""
    if module.__name__ in CHOSEN:
        return list(CHOSEN[module.__name__])
    if hasattr(module, "__all__"):
        return list(module.__all__)
    found = []
    for name, obj in vars(module).items():
        if name.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue
        if getattr(obj, "__module__", None) != module.__name__:
            continue
        found.append((_line(obj), name))
    return [name for _, name in sorted(found)]


def _line(obj) -> int:
    try:
        return inspect.getsourcelines(obj)[1]
    except (OSError, TypeError):
        return 0


def _role(match: re.Match) -> str:
    tilde, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if tilde else target}`"


def _text(line: str) -> str:
    """reST inline markup -> markdown: roles and double backquotes."""
    return ROLE.sub(_role, line).replace("``", "`")


def docstring_markdown(doc: str | None, module: str) -> list[str]:
    """A docstring as markdown lines: prose, and its doctest examples as pycon blocks."""
    lines = inspect.cleandoc(doc).splitlines() if doc else []
    out: list[str] = []
    i = 0
    while i < len(lines):
        if PROMPT.match(lines[i]):
            indent = len(lines[i]) - len(lines[i].lstrip())
            block = []
            while i < len(lines) and lines[i].strip():
                block.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i].lstrip())
                i += 1
            if out and out[-1] != "":
                out.append("")
            out += [f"```pycon {module}"] + block + ["```", ""]
            continue
        line = lines[i].rstrip()
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        # 4+ spaces would make an (unrun) indented code block in markdown: keep at most 2
        out.append(" " * min(indent, 2) + _text(stripped) if stripped else "")
        i += 1
    while out and out[-1] == "":
        out.pop()
    return out


def _annotation(ann) -> str:
    if ann is inspect.Parameter.empty:
        return ""
    return ann if isinstance(ann, str) else inspect.formatannotation(ann)


def _default(value) -> str:
    text = repr(value)
    return re.sub(r" at 0x[0-9a-f]+", "", text)


def signature(obj) -> str:
    """``(a, b: 'int' = 1, *, c=None) -> Ret`` with annotations unquoted, no addresses."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return ""
    parts, star_done = [], False
    params = list(sig.parameters.values())
    for k, p in enumerate(params):
        if p.kind == p.KEYWORD_ONLY and not star_done:
            if not any(q.kind == q.VAR_POSITIONAL for q in params[:k]):
                parts.append("*")
            star_done = True
        prefix = "*" if p.kind == p.VAR_POSITIONAL else "**" if p.kind == p.VAR_KEYWORD else ""
        text = prefix + p.name
        ann = _annotation(p.annotation)
        if ann:
            text += f": {ann}"
        if p.default is not inspect.Parameter.empty:
            text += (" = " if ann else "=") + _default(p.default)
        parts.append(text)
    ret = _annotation(sig.return_annotation)
    return "(" + ", ".join(parts) + ")" + (f" -> {ret}" if ret else "")


def _home(obj, fallback: str) -> str:
    module = inspect.getmodule(obj)
    return module.__name__ if module is not None else fallback


def document(qualname: str, obj, module_name: str, level: str = "###") -> list[str]:
    """Markdown for one public object."""
    out: list[str] = []
    if inspect.ismodule(obj):
        out += [f"{level} `{qualname}`", "", f"The module `{obj.__name__}`; its names:", ""]
        names = [n for n, v in vars(obj).items() if not n.startswith("_") and inspect.isclass(v)
                 and v.__module__ == obj.__name__]
        out += [f"- `{obj.__name__}.{n}`: {_first_line(getattr(obj, n).__doc__)}" for n in names]
        return out + [""]
    if inspect.isclass(obj):
        kind = "exception" if issubclass(obj, BaseException) else "class"
        out += [f"{level} `{qualname}{signature(obj)}`", "", f"*{kind}*", ""]
        out += docstring_markdown(obj.__doc__, _home(obj, module_name)) + [""]
        members = []
        for name, member in vars(obj).items():
            if name.startswith("_"):
                continue
            if isinstance(member, property):
                members.append((f"`{name}` (property)", member.fget.__doc__, member.fget))
            elif isinstance(member, (staticmethod, classmethod)):
                fn = member.__func__
                members.append((f"`{name}{signature(fn)}`", fn.__doc__, fn))
            elif inspect.isfunction(member):
                members.append((f"`{name}{_method_signature(member)}`", member.__doc__, member))
        for title, doc, fn in members:
            body = docstring_markdown(doc, _home(fn, module_name))
            first = []
            while body and body[0] and not body[0].startswith("```"):
                first.append(body.pop(0).strip())
            out.append(f"- {title}" + (f": {' '.join(first)}" if first else ""))
            if any(line.strip() for line in body):
                out += [""] + body + [""]
        if members:
            out.append("")
        return out
    if callable(obj):
        out += [f"{level} `{qualname}{signature(obj)}`", ""]
        out += docstring_markdown(obj.__doc__, _home(obj, module_name)) + [""]
        return out
    out += [f"{level} `{qualname}`", "", f"`{qualname} = {_short_repr(obj)}`", ""]
    return out


def _method_signature(fn) -> str:
    sig = signature(fn)
    return re.sub(r"^\(self(, )?", "(", sig)


def _short_repr(value) -> str:
    text = _default(value)
    if isinstance(value, dict) and len(text) > 100:
        return "{" + ", ".join(repr(k) + ": ..." for k in value) + "}"
    return text if len(text) <= 160 else text[:157] + "..."


def _first_line(doc: str | None) -> str:
    return _text(inspect.cleandoc(doc).splitlines()[0]) if doc and doc.strip() else ""


def _slug(title: str) -> str:
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def render() -> str:
    """The whole of docs/api.md."""
    import semialg
    out = [
        "# API reference",
        "",
        "<!-- Generated by docs/gen_api.py from the docstrings; do not edit by hand. -->",
        "",
        "Generated from the docstrings (`python docs/gen_api.py`); the test suite fails when this page",
        "is stale. Every `pycon` example below runs in the test suite (tests/test_docs.py), with the",
        "globals of the module it comes from. Exact numbers are `fractions.Fraction`; a Jacobian is a",
        "tuple of rows; a set of derivatives is given by its vertices. For a guided tour read the",
        "[tutorial](tutorial.md) first.",
        "",
        "Modules:",
        "",
        f"- [semialg](#{_slug('semialg')}): {_first_line(semialg.__doc__)}",
    ]
    modules = [importlib.import_module(name) for name in MODULES]
    out += [f"- [{m.__name__}](#{_slug(m.__name__)}): {_first_line(m.__doc__)}" for m in modules]
    out += ["", "## semialg", ""]
    out += docstring_markdown(semialg.__doc__, "semialg") + [""]
    documented_elsewhere = {}
    for m in modules:
        for name in public_names(m):
            obj = getattr(m, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                documented_elsewhere.setdefault(id(obj), f"{m.__name__}.{name}")
    for name in semialg.__all__:
        obj = getattr(semialg, name)
        if id(obj) in documented_elsewhere:
            target = documented_elsewhere[id(obj)]
            out += [f"### `semialg.{name}`", "", f"The same object as `{target}`, documented below.", ""]
            continue
        out += document(f"semialg.{name}", obj, "semialg")
    for m in modules:
        out += [f"## {m.__name__}", ""]
        out += docstring_markdown(m.__doc__, m.__name__) + [""]
        for name in public_names(m):
            out += document(f"{m.__name__}.{name}", getattr(m, name), m.__name__)
    text = "\n".join(out)
    text = re.sub(r"\n{3,}", "\n\n", text).rstrip() + "\n"
    return text


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    target = HERE / "api.md"
    text = render()
    if "--check" in argv:
        stale = not target.is_file() or target.read_text(encoding="utf-8") != text
        print("docs/api.md is stale: run python docs/gen_api.py" if stale else "docs/api.md is up to date")
        return 1 if stale else 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target.relative_to(ROOT)} ({len(text.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
