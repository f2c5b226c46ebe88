"""The rooms import one way: a walk over every module's imports (at module level and inside
functions alike) fails on any cycle between the folders of `rig` (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROOMS = ("config", "worlds", "imagination", "policy", "agents", "rollout", "trajectories",
         "train", "eval", "cli")  # lowest first: a room imports only rooms before it


def _room_of_file(path: Path) -> str:
    relative = path.relative_to(ROOT)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def _imported_rooms(path: Path) -> set[str]:
    """The rooms `path` imports from (`from rig.X ...`, `import rig.X`, `from ..X import`)."""
    rooms = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                names = [node.module or ""]
            elif node.level == 2 and node.module:  # from ..room import x (inside a room)
                names = [f"rig.{node.module}"]
            else:
                continue  # from . import: the same room
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "rig" and len(parts) > 1:
                rooms.add(parts[1])
    return rooms


def room_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in ("tests", ".venv", "scripts", "docs", "build") or \
                relative.parts[0].startswith("."):
            continue
        room = _room_of_file(path)
        if room in ("__init__", "__main__"):
            continue
        graph.setdefault(room, set()).update(r for r in _imported_rooms(path) if r != room)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(room: str) -> list[str] | None:
        state[room] = 1
        stack.append(room)
        for nxt in sorted(graph.get(room, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[room] = 2
        return None

    for room in sorted(graph):
        if room not in state and (found := visit(room)):
            return found
    return None


def test_no_import_cycle_between_rooms():
    cycle = _cycle(room_graph())
    assert cycle is None, "rooms import each other: " + " -> ".join(cycle)


def test_every_import_goes_down_the_declared_order():
    graph = room_graph()
    assert set(graph) <= set(ROOMS), f"a room the order does not list: {set(graph) - set(ROOMS)}"
    upward = [f"{room} imports {other}" for room, others in graph.items() for other in others
              if other in ROOMS and ROOMS.index(other) > ROOMS.index(room)]
    assert not upward, "; ".join(sorted(upward))


def test_the_walk_sees_imports_inside_functions(tmp_path):
    """The check itself can fail: a function-level upward import is found."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from rig.train.ppo import load_policy\n"
                      "from ..eval import rollout\n")
    assert _imported_rooms(module) == {"train", "eval"}
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
