"""The package's import structure (issue 9): no import circle among the modules of
``kratom_nlp/``, and no module reaches into another module's private names.

Every ``.py`` file under ``kratom_nlp/`` is parsed (``ast``; nothing is imported). An import
counts for circle detection when it runs at import time: module level, including ``if``/``try``
blocks and class bodies, but not ``if TYPE_CHECKING:`` blocks nor imports inside functions (lazy
imports, which run later and cannot deadlock a module's initialisation). An edge goes to the
module named: ``from kratom_nlp.a import b`` is an edge to ``kratom_nlp.a.b`` when that is a
module, else to ``kratom_nlp.a`` (a package's own re-exports of its submodules are not circles).

The private-name rule applies to every import, lazy and type-checking ones included:
``from kratom_nlp.x import _name`` from another module, a private module
(``kratom_nlp.x._impl``), or ``module._name`` on a kratom_nlp module bound by an import.
Dunder names (``__version__``) are public. ``tests/`` and ``eval/`` are out of scope.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "kratom_nlp"


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    out: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


@dataclass(frozen=True)
class Import:
    """One imported name (``name`` is None for ``import module``)."""

    importer: str
    module: str
    name: str | None
    line: int
    eager: bool  # runs when the importer is imported (counts for circles)
    alias: str  # the name it is bound to in the importer


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _absolute(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(name: str, path: Path) -> list[Import]:
    """Every import of one module, marked eager or not."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    found: list[Import] = []

    def visit(nodes: list[ast.stmt], eager: bool) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                for a in node.names:
                    found.append(Import(name, a.name, None, node.lineno, eager,
                                        a.asname or a.name.split(".")[0]))
            elif isinstance(node, ast.ImportFrom):
                module = _absolute(name, is_package, node)
                for a in node.names:
                    found.append(Import(name, module, a.name, node.lineno, eager,
                                        a.asname or a.name))
            elif isinstance(node, ast.If):
                lazy = _is_type_checking(node.test)
                visit(node.body, eager and not lazy)
                visit(node.orelse, eager)
            elif isinstance(node, ast.Try | ast.TryStar):
                visit(node.body, eager)
                visit(node.orelse, eager)
                visit(node.finalbody, eager)
                for handler in node.handlers:
                    visit(handler.body, eager)
            elif isinstance(node, ast.With | ast.For | ast.While):
                visit(node.body, eager)
                visit(getattr(node, "orelse", []), eager)
            elif isinstance(node, ast.ClassDef):
                visit(node.body, eager)  # a class body runs at import time
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(node.body, False)

    visit(tree.body, True)
    return found


def private_attribute_uses(name: str, path: Path, imports: list[Import],
                           modules: dict[str, Path]) -> list[str]:
    """``alias._private`` where ``alias`` is a kratom_nlp module bound by an import."""
    bound: dict[str, str] = {}
    for imp in imports:
        target = imp.module if imp.name is None else f"{imp.module}.{imp.name}"
        if target in modules and (imp.name is not None or "." not in imp.module):
            bound[imp.alias] = target
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in bound and _private(node.attr)
                and bound[node.value.id] != name):
            out.append(f"{name}:{node.lineno} uses {bound[node.value.id]}.{node.attr}")
    return out


@pytest.fixture(scope="module")
def graph() -> tuple[dict[str, Path], dict[str, list[Import]]]:
    modules = module_files()
    return modules, {m: imports_of(m, p) for m, p in modules.items()}


def _edges(modules: dict[str, Path], imports: dict[str, list[Import]],
           ) -> dict[str, dict[str, int]]:
    """Eager edges between package modules: importer -> {imported: line}."""
    edges: dict[str, dict[str, int]] = {m: {} for m in modules}
    for importer, items in imports.items():
        for imp in items:
            if not imp.eager:
                continue
            sub = f"{imp.module}.{imp.name}" if imp.name else None
            target = sub if sub in modules else imp.module if imp.module in modules else None
            if target is not None and target != importer:
                edges[importer].setdefault(target, imp.line)
    return edges


def find_cycles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


def _describe(cycle: list[str], edges: dict[str, dict[str, int]]) -> str:
    members = set(cycle)
    links = [f"{a} -> {b} (line {line})" for a in cycle for b, line in edges[a].items()
             if b in members]
    return "; ".join(links)


def test_the_walk_sees_the_package(graph) -> None:
    modules, imports = graph
    assert "kratom_nlp.batch.runner" in modules and "kratom_nlp.errors" in modules
    runner = {(i.module, i.name) for i in imports["kratom_nlp.batch.runner"] if i.eager}
    assert ("kratom_nlp.batch.engines", "get_engine") in runner
    lazy = [i for i in imports["kratom_nlp.batch.runner"] if not i.eager]
    assert any(i.module == "kratom_nlp.batch.tables" for i in lazy)  # a function-level import


def test_no_import_circle(graph) -> None:
    modules, imports = graph
    edges = _edges(modules, imports)
    cycles = find_cycles(edges)
    assert not cycles, "import circles: " + " | ".join(_describe(c, edges) for c in cycles)


def test_no_private_name_is_imported_across_modules(graph) -> None:
    modules, imports = graph
    problems = []
    for importer, items in imports.items():
        for imp in items:
            if not imp.module.startswith("kratom_nlp"):
                continue
            dotted = imp.module + (f".{imp.name}" if imp.name else "")
            if any(_private(part) for part in dotted.split(".")):
                problems.append(f"{importer}:{imp.line} imports {dotted}")
        problems += private_attribute_uses(importer, modules[importer], items, modules)
    assert not problems, "private names used across modules: " + "; ".join(problems)


def test_the_checks_catch_what_they_look_for(tmp_path: Path) -> None:
    """The detectors themselves: a circle and a private import in a made-up package."""
    edges = {"p.a": {"p.b": 1}, "p.b": {"p.c": 2}, "p.c": {"p.a": 3}, "p.d": {"p.a": 1}}
    assert find_cycles(edges) == [["p.a", "p.b", "p.c"]]
    assert find_cycles({"p.a": {"p.b": 1}, "p.b": {}}) == []
    src = tmp_path / "m.py"
    src.write_text("from __future__ import annotations\nfrom typing import TYPE_CHECKING\n"
                   "from kratom_nlp.batch import sources\nfrom kratom_nlp.batch.sources import "
                   "_gone\nif TYPE_CHECKING:\n    from kratom_nlp.batch.runner import x\n"
                   "def f():\n    from kratom_nlp.batch.output import y\n"
                   "    return sources._private()\n", encoding="utf-8")
    found = imports_of("kratom_nlp.m", src)
    eager = {(i.module, i.name): i.eager for i in found}
    assert eager[("kratom_nlp.batch.sources", "_gone")] is True
    assert eager[("kratom_nlp.batch.runner", "x")] is False  # type checking only
    assert eager[("kratom_nlp.batch.output", "y")] is False  # lazy
    uses = private_attribute_uses("kratom_nlp.m", src, found, module_files())
    assert uses == ["kratom_nlp.m:9 uses kratom_nlp.batch.sources._private"]


def test_batch_engines_are_peers_behind_the_interface(graph) -> None:
    """The engines know the interface (engines.py), never the runner - not even lazily - and
    the runner picks them by name without importing either one."""
    from kratom_nlp.batch.engines import ENGINES, Engine, get_engine
    from kratom_nlp.errors import UsageError

    modules, imports = graph
    for engine in ("kratom_nlp.batch.local_engine", "kratom_nlp.batch.ray_engine"):
        used = {i.module for i in imports[engine]}
        assert "kratom_nlp.batch.runner" not in used and "kratom_nlp.batch.engines" in used
    runner = {i.module for i in imports["kratom_nlp.batch.runner"]}
    assert not runner & {"kratom_nlp.batch.local_engine", "kratom_nlp.batch.ray_engine"}
    assert set(ENGINES) == {"local", "ray"}
    for name in ENGINES:
        engine = get_engine(name)
        assert isinstance(engine, Engine) and engine.name == name
    with pytest.raises(UsageError, match="unknown engine 'spark'"):
        get_engine("spark")


def _exception_classes() -> list[tuple[str, str]]:
    """(module, class) of every class in the package that derives from an exception class
    (warnings are not errors)."""
    import builtins

    builtin_errors = {n for n, v in vars(builtins).items() if isinstance(v, type)
                      and issubclass(v, BaseException) and not issubclass(v, Warning)}
    found: list[tuple[str, str]] = []
    for name, path in module_files().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = {b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute)
                     else "" for b in node.bases}
            if bases & builtin_errors or any(b.endswith(("Error", "Failed")) for b in bases):
                found.append((name, node.name))
    return found


#: Exception classes that are not errors of the toolkit, with the reason.
NOT_TOOLKIT_ERRORS: dict[tuple[str, str], str] = {
    ("kratom_nlp.serve.app", "Problem"): "an HTTP answer of the web desk (status and body), "
                                         "raised to end a request, like Starlette's",
    ("kratom_nlp.serve.app", "BodyTooLarge"): "a Starlette HTTPException (HTTP 413)",
}
SERVE = "kratom_nlp.serve"  # the web desk, being written: see test_serve_errors_join_...


def _catalogue_problems(classes: list[tuple[str, str]]) -> list[str]:
    import importlib

    import kratom_nlp.errors as catalogue

    problems = []
    for module, name in classes:
        if (module, name) in NOT_TOOLKIT_ERRORS:
            continue
        cls = getattr(importlib.import_module(module), name)
        if not issubclass(cls, catalogue.KratomError):
            problems.append(f"{module}.{name} does not derive from KratomError")
        elif cls.exit_code not in catalogue.EXIT_CODES:
            problems.append(f"{module}.{name}: exit code {cls.exit_code} is not in the table")
    return problems


def test_one_error_catalogue() -> None:
    """Every error class of the toolkit derives from kratom_nlp.errors.KratomError, and every
    exit code it can carry is in the one table (kratom_nlp.errors.EXIT_CODES)."""
    import kratom_nlp.errors as catalogue

    classes = [c for c in _exception_classes() if not c[0].startswith(SERVE)]
    names = {c for _, c in classes}
    assert {"InputError", "AnnotateError", "AuthoringError", "AnnotationError",
            "RealCorpusError", "LockedError", "ImportFailed"} <= names
    assert not _catalogue_problems(classes)
    output_errors = [(m, c) for m, c in classes if c == "OutputError"]
    assert output_errors == [("kratom_nlp.errors", "OutputError")]  # one class, one code (22)
    documented = {int(line.split()[0]) for line in (catalogue.__doc__ or "").splitlines()
                  if line[:4].strip().isdigit()}
    assert documented == set(catalogue.EXIT_CODES)


def test_serve_errors_join_the_catalogue() -> None:
    classes = [c for c in _exception_classes() if c[0].startswith(SERVE)]
    assert not _catalogue_problems(classes)
