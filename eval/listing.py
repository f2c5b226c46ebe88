"""`rig worlds`: the registered worlds and the agents that can play them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ListConfig:
    pass


def list_worlds(config: ListConfig) -> int:
    from rig.agents import AGENTS
    from rig.worlds import WORLDS

    print("worlds:")
    for world_id, (_, _, description) in sorted(WORLDS.items()):
        print(f"  {world_id:28s} {description}")
    print("agents:")
    for name, description in AGENTS.items():
        print(f"  {name:28s} {description}")
    return 0
