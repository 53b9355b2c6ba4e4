"""The import graph of `src/tipnet`: rooms (top-level packages and modules), floors, circles and arrows that run up.

Used by `tests/test_architecture.py`; run it directly for the numbers (`python tests/import_graph.py [src/tipnet]`).
Every `import` counts, including those inside functions; an import under `if TYPE_CHECKING:` does not (it never runs).
`from package import submodule` counts as an import of the submodule only.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = "tipnet"
SRC = Path(__file__).resolve().parents[1] / "src" / PACKAGE

# The layers, from the ground floor up. An import may point down or sideways (same floor), never up.
FLOORS: dict[str, int] = {
    "__init__": 0, "standard": 0, "i18n": 0, "settings": 0, "errors": 0,
    "store": 1,
    "ingest": 2, "stats": 2, "link": 2, "mse": 2,
    "auth": 3,  # principals, scope, audit and the scoped service functions: the one door to record-level data
    "disclosure": 4, "cases": 4, "coop": 4, "messaging": 4, "assess": 4, "federation": 4, "maps": 4, "routes": 4,
    "demo": 5,
    "web": 6, "cli": 6,
}


@dataclass
class Graph:
    modules: dict[str, Path]
    edges: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    @staticmethod
    def room(module: str) -> str:
        parts = module.split(".")
        return parts[1] if len(parts) > 1 else "__init__"

    def room_edges(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for a, targets in self.edges.items():
            for b in targets:
                if self.room(a) != self.room(b):
                    out[self.room(a)].add(self.room(b))
        return out

    def rooms(self) -> list[str]:
        return sorted({self.room(m) for m in self.modules})

    def arrows_up(self, floors: dict[str, int] = FLOORS) -> list[tuple[str, str]]:
        return sorted((a, b) for a, targets in self.edges.items() for b in targets
                      if self.room(a) != self.room(b) and floors.get(self.room(b), 99) > floors.get(self.room(a), 99))


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_only(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and _type_only(node)
               for child in node.body for n in ast.walk(child)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            subs = [f"{source}.{a.name}" for a in node.names if f"{source}.{a.name}" in modules]
            targets = subs if len(subs) == len(node.names) else [source, *subs]
        for target in targets:
            if not (target == PACKAGE or target.startswith(PACKAGE + ".")):
                continue
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def build(root: Path = SRC) -> Graph:
    modules = {_module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    graph = Graph(modules)
    for name, path in modules.items():
        graph.edges[name] |= _imports(name, path, modules)
    return graph


def circles(nodes: list[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def report(root: Path = SRC) -> dict[str, object]:
    graph = build(root)
    room_edges = graph.room_edges()
    return {
        "modules": len(graph.modules),
        "rooms": len(graph.rooms()),
        "room_arrows": sum(len(v) for v in room_edges.values()),
        "room_circles": circles(graph.rooms(), room_edges),
        "module_circles": circles(sorted(graph.modules), graph.edges),
        "arrows_up": graph.arrows_up(),
        "rooms_without_floor": [r for r in graph.rooms() if r not in FLOORS],
    }


if __name__ == "__main__":
    for key, value in report(Path(sys.argv[1]) if len(sys.argv) > 1 else SRC).items():
        print(f"{key}: {value}")
