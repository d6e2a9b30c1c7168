"""The house rules of ``src/kg``, read from the code's own imports (AST): no import circle, no import
that runs back up the pipeline, no kg import hidden inside a function, and the layout that the README
and docs/architecture.md describe is the tree on disk."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

from kgtesting import ROOT

SRC = ROOT / "src"
PACKAGE = SRC / "kg"

# The stages, bottom to top (docs/architecture.md). A module may import modules of its own stage
# group (the same package) and of any stage below; never one above. Siblings on one stage (e.g.
# kg.read and kg.extract) do not import each other.
STAGES: list[tuple[str, ...]] = [
    ("kg", "kg.settings", "kg.formats", "kg.model"),
    ("kg.linking", "kg.curated", "kg.store"),
    ("kg.mapping", "kg.validation", "kg.readmodel"),
    ("kg.imports", "kg.extract", "kg.read"),
    ("kg.release",),
    ("kg.web.http",),
    ("kg.web.context",),
    ("kg.web.sparql", "kg.web.site"),
    ("kg.web.app",),
    ("kg.web.server",),
    ("kg.web",),
    ("kg.cli",),
]


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = modules()


def _target(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports() -> tuple[dict[str, set[str]], list[str]]:
    """(module → the kg modules it imports, ``module:line`` of every kg import inside a function)."""
    edges: dict[str, set[str]] = defaultdict(set)
    inner: list[str] = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        in_function = {
            id(node)
            for fn in ast.walk(tree)
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
            for node in ast.walk(fn)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [_target(f"{node.module}.{a.name}") for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [_target(a.name) for a in node.names]
            else:
                continue
            for target in targets:
                if target and target.split(".")[0] == "kg" and target != name:
                    edges[name].add(target)
                    if id(node) in in_function:
                        inner.append(f"{name}:{node.lineno} imports {target}")
    return edges, inner


def stage_of(module: str) -> tuple[int, str]:
    """(stage index, the stage group) of a module: the longest group prefix that names it."""
    best: tuple[int, str] | None = None
    for index, groups in enumerate(STAGES):
        for group in groups:
            if (module == group or module.startswith(group + ".") or group == "kg" and module == "kg") and (
                best is None or len(group) > len(best[1])
            ):
                best = (index, group)
    assert best is not None, f"{module} is in no stage: add it to STAGES and docs/architecture.md"
    return best


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(MODULES):
        if v not in index:
            visit(v)
    return found


def test_no_import_circle() -> None:
    edges, _ = imports()
    assert circles(edges) == []


def test_no_kg_import_inside_a_function() -> None:
    _, inner = imports()
    assert inner == []


def upward_imports(edges: dict[str, set[str]]) -> list[str]:
    """Imports of a higher stage, or of a sibling group on the same stage."""
    upward = []
    for module, targets in sorted(edges.items()):
        level, group = stage_of(module)
        for target in sorted(targets):
            t_level, t_group = stage_of(target)
            if t_level > level or (t_level == level and t_group != group and target != "kg"):
                upward.append(f"{module} ({group}) → {target} ({t_group})")
    return upward


def test_no_import_runs_up_a_stage() -> None:
    edges, _ = imports()
    assert upward_imports(edges) == []


def test_every_module_is_in_a_stage() -> None:
    for module in MODULES:
        stage_of(module)


def test_the_check_finds_a_planted_circle_and_an_upward_import() -> None:
    """The rules above must be able to fail: a circle and an upward edge planted in a copy of the graph."""
    edges, _ = imports()
    planted = {k: set(v) for k, v in edges.items()}
    planted.setdefault("kg.model.records", set()).add("kg.mapping")
    planted.setdefault("kg.mapping", set()).add("kg.model.records")
    assert any({"kg.mapping", "kg.model.records"} <= set(c) for c in circles(planted))
    assert "kg.model.records (kg.model) → kg.mapping (kg.mapping)" in upward_imports(planted)
    assert "kg.read.projects (kg.read) → kg.imports.pipeline (kg.imports)" in upward_imports(
        {"kg.read.projects": {"kg.imports.pipeline"}}
    )


def _documented_tree(text: str) -> set[str]:
    """The ``src/kg/`` entries a layout block names: ``name/`` packages and ``name.py`` modules."""
    block = re.search(r"```text\nsrc/kg/\n(.*?)```", text, re.S)
    assert block, "no ```text src/kg/ … ``` layout block"
    return set(re.findall(r"(?<![\w/.])([A-Za-z_]\w*(?:\.py|/))", block.group(1)))


def _tree() -> set[str]:
    names = set()
    for path in PACKAGE.iterdir():
        if path.is_dir() and (path / "__init__.py").exists():
            names.add(path.name + "/")
        elif path.suffix == ".py" and path.name != "__init__.py":
            names.add(path.name)
    for path in PACKAGE.glob("*/*"):
        if path.is_dir() and (path / "__init__.py").exists():
            names.add(path.name + "/")
    return names


def test_docs_architecture_names_the_tree() -> None:
    documented = _documented_tree((ROOT / "docs" / "architecture.md").read_text(encoding="utf-8"))
    assert _tree() <= documented, f"missing from docs/architecture.md: {sorted(_tree() - documented)}"


def test_readme_layout_names_the_top_of_the_tree() -> None:
    documented = _documented_tree((ROOT / "README.md").read_text(encoding="utf-8"))
    top = {p.name + "/" if p.is_dir() else p.name for p in PACKAGE.iterdir()
           if (p.is_dir() and (p / "__init__.py").exists()) or (p.suffix == ".py" and p.name != "__init__.py")}
    assert top <= documented, f"missing from the README layout: {sorted(top - documented)}"
