"""The library's shape: pure (no Streamlit), layered along the data flow, free of import circles."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import ruralaction

ROOT = Path(ruralaction.__file__).parent

#: Each stage may import its own stage and the ones with a lower number, never a higher one.
#: (``actions`` comes before ``concerns``: a concern links to the action that answered it.)
STAGES: dict[str, int] = {
    "definition": 0,
    "faults": 0,
    "logs": 0,
    "progressbar": 0,
    "tomlschema": 0,
    "settings": 0,
    "exports": 0,
    "permissions": 0,
    "limits": 0,
    "locks": 0,
    "geography": 1,
    "incidents": 2,
    "measures": 3,
    "actions": 4,
    "concerns": 5,
    "progress": 6,
    "reports": 7,
    "digest": 7,
    "ops": 8,
    "cli": 8,
    "__main__": 8,
}


def _module(path: Path) -> str:
    parts = ["ruralaction", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every ``ruralaction`` module a file imports, at the top or inside a function."""
    tree = ast.parse(path.read_text("utf-8"))
    pkg = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("ruralaction")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(pkg.split(".")[: len(pkg.split(".")) - node.level + 1] + ([base] if base else []))
            if base.startswith("ruralaction"):
                out |= {f"{base}.{a.name}" for a in node.names} | {base}
    return out


def _library() -> dict[str, set[str]]:
    modules = {_module(p): p for p in ROOT.rglob("*.py") if "migrations" not in p.parts}
    graph = {}
    for name, path in modules.items():
        graph[name] = {m for m in _imports(path) if m in modules and m != name}
    return graph


def _stage(module: str) -> int:
    parts = module.split(".")
    return STAGES[parts[1]] if len(parts) > 1 else -1


def test_no_library_module_imports_streamlit():
    modules = sorted(ROOT.rglob("*.py"))
    assert len(modules) > 20
    offenders = [
        str(p.relative_to(ROOT))
        for p in modules
        if re.search(r"^\s*(import|from)\s+streamlit\b", p.read_text("utf-8"), re.M)
    ]
    assert offenders == []


def test_every_module_belongs_to_a_stage():
    assert sorted({m.split(".")[1] for m in _library() if "." in m} - set(STAGES)) == []


def _upward(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{a} imports {b}"
        for a, deps in graph.items()
        for b in deps
        if b != "ruralaction" and a != "ruralaction" and _stage(b) > _stage(a)
    )


def _circles(graph: dict[str, set[str]]) -> list[str]:
    """Import circles between modules (a package's ``__init__`` re-exporting its modules is not one)."""
    packages = {m for m in graph if (ROOT / Path(*m.split(".")[1:]) / "__init__.py").exists()}
    edges = {a: {b for b in deps if b not in packages} for a, deps in graph.items()}
    seen: dict[str, int] = {}  # 1 = on the current path, 2 = done
    found: list[str] = []

    def visit(node: str, path: list[str]) -> None:
        seen[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if seen.get(nxt) == 1:
                found.append(" -> ".join([*path[path.index(nxt) :], nxt]))
            elif nxt not in seen:
                visit(nxt, [*path, nxt])
        seen[node] = 2

    for node in sorted(edges):
        if node not in seen:
            visit(node, [node])
    return found


def test_imports_only_go_down_the_data_flow():
    assert _upward(_library()) == []


def test_no_import_circles():
    assert _circles(_library()) == []


def test_the_checks_find_a_planted_upward_import_and_circle():
    graph = {
        "ruralaction.measures.trends": {"ruralaction.reports.pack"},
        "ruralaction.actions.audit": {"ruralaction.actions.users"},
        "ruralaction.actions.users": {"ruralaction.actions.audit"},
    }
    assert _upward(graph) == ["ruralaction.measures.trends imports ruralaction.reports.pack"]
    assert _circles(graph) == ["ruralaction.actions.audit -> ruralaction.actions.users -> ruralaction.actions.audit"]
