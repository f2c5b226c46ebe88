"""RIG worlds: Gymnasium environments registered under the `rig/` namespace.

Importing this package registers every world id; `make(world_id)` builds one with a clear error
for unknown ids. Heavy simulators are imported only when their world is made. From plain
Gymnasium, without importing rig first: `gymnasium.make("rig.worlds:rig/Crafter-v0")` (the
`module:id` form imports this package; Gymnasium 1.x no longer loads registration plugins from
entry points, so a bare id needs `import rig.worlds` once).

| id                      | world                                            |
|-------------------------|--------------------------------------------------|
| rig/Crafter-v0          | Crafter, reward = +1 per new achievement, +-0.1 health |
| rig/CrafterNoReward-v0  | the same world with zero reward (for unsupervised agents) |
| rig/MiniWoB-<task>-v0   | MiniWoB++ web task <task> in headless Chromium (all 128 tasks; `miniwob_tasks.MINIWOB_SUITE` is the expert's suite) |
| rig/Minetest-v0         | Minetest (3-D voxel sandbox): MineRL's tech tree from logs to an iron ingot, first person |
| rig/Minetest-<Task>-v0  | one step of that tree, ending with success (Log, Planks, ..., IronIngot; `minetest.TASKS`) |
| rig/MineDojo-v0         | real Minecraft through MineDojo (the `minedojo` extra, Java 8 and a first-run download); `task=` any MineDojo task id |
"""

from __future__ import annotations

import re

import gymnasium as gym

from rig.config import ConfigError

from .base import (ActionLanguage, ActionParseError, BranchError, DiscreteActions, World,
                   WorldUnavailableError, branch, observation_space)
from .miniwob_tasks import MINIWOB_TASKS

# Minetest tasks (the names of worlds/minetest.py's TASKS, kept here so that listing worlds
# imports no engine code); a test checks the two lists agree
MINETEST_TASKS = ("Log", "Planks", "Sticks", "Table", "WoodenPickaxe", "Stone", "StonePickaxe",
                  "Coal", "Furnace", "IronIngot")

__all__ = ["ActionLanguage", "ActionParseError", "BranchError", "WorldUnavailableError",
           "DiscreteActions", "World", "branch", "observation_space", "make", "world_ids",
           "UnknownWorldError", "WORLDS"]

# id -> (entry point, default kwargs, one-line description)
WORLDS: dict[str, tuple[str, dict, str]] = {
    "rig/Crafter-v0": ("rig.worlds.crafter:CrafterWorld", {},
                       "Crafter: 2-D Minecraft-like survival with 22 achievements"),
    "rig/CrafterNoReward-v0": ("rig.worlds.crafter:CrafterWorld", {"reward": False},
                               "Crafter with zero reward"),
}
# MiniWoB++: every task miniwob registers (the browser starts at the world's first reset).
WORLDS.update({
    f"rig/MiniWoB-{task}-v0": ("rig.worlds.miniwob:MiniWoBWorld", {"task": task},
                               f"MiniWoB++ web task {task} (headless Chromium)")
    for task in MINIWOB_TASKS})
# Minetest: the open tech tree and one world per step of it (the engine starts at first reset)
WORLDS["rig/Minetest-v0"] = ("rig.worlds.minetest:MinetestWorld", {},
                             "Minetest 3-D voxel sandbox: the tech tree from logs to iron")
WORLDS.update({
    f"rig/Minetest-{task}-v0": ("rig.worlds.minetest:MinetestWorld", {"task": task},
                                "Minetest: the tech tree up to "
                                f"{re.sub(r'(?<!^)(?=[A-Z])', ' ', task).lower()}, "
                                "ending at it")
    for task in MINETEST_TASKS})
# MineDojo: real Minecraft where Java 8 and the minedojo package are installed (a clear error
# elsewhere); any MineDojo task id through make("rig/MineDojo-v0", task=...)
WORLDS["rig/MineDojo-v0"] = ("rig.worlds.minedojo:MineDojoWorld", {},
                             "MineDojo (real Minecraft; needs Java 8, the minedojo extra)")


class UnknownWorldError(ConfigError):
    """A world id that is not registered."""


def _register() -> None:
    for world_id, (entry_point, kwargs, _) in WORLDS.items():
        if world_id not in gym.registry:
            # Gymnasium's passive env checker stays on, as for any registered env: it checks
            # the first reset and step against the spaces, then passes calls through
            gym.register(id=world_id, entry_point=entry_point, kwargs=dict(kwargs),
                         order_enforce=True,
                         # Minetest's state replays from a seed, but the far horizon of a frame
                         # can differ by the distant blocks the client drew first
                         nondeterministic=world_id.startswith("rig/Minetest-"))


def world_ids() -> list[str]:
    return sorted(WORLDS)


# Names people try for a Minecraft world: the Minetest worlds are the nearest that run here.
_MINECRAFT_WORDS = ("minecraft", "minedojo", "minerl", "minetest", "craftium", "voxel")


def unknown_world_message(world_id: str) -> str:
    """What to say about an unregistered id: the closest ids, then the worlds by family (the
    128 MiniWoB++ tasks as one pattern), and for a Minecraft name what exists instead."""
    import difflib

    lines = [f"unknown world {world_id!r}"]
    minecraft = any(word in world_id.lower() for word in _MINECRAFT_WORDS)
    close = [] if minecraft else difflib.get_close_matches(world_id, world_ids(), n=3,
                                                           cutoff=0.6)
    if not close and world_id.lower().startswith(("miniwob", "rig/miniwob")):
        task = world_id.split("-", 1)[-1].removesuffix("-v0")
        close = difflib.get_close_matches(f"rig/MiniWoB-{task}-v0", world_ids(), n=3, cutoff=0.5)
    if close:
        lines.append(f"did you mean: {', '.join(close)}?")
    if minecraft:
        lines.append("Minecraft itself (MineDojo, MineRL) needs Java 8 and downloads at first "
                     "run; the Minecraft-like worlds here are rig/Minetest-v0 (3-D, the tech tree "
                     "from logs to iron; rig/Minetest-<Task>-v0 for one step of it) and "
                     "rig/Crafter-v0 (2-D)")
    if world_id.lower().startswith(("rig/minedojo-", "minedojo")) and world_id != "rig/MineDojo-v0":
        task = world_id.split("-", 1)[-1].removesuffix("-v0")
        lines.append(f"MineDojo tasks are one world: rig.worlds.make('rig/MineDojo-v0', "
                     f"task={task!r}) (needs Java 8 and the minedojo extra)")
    plain = [w for w in world_ids() if not w.startswith(("rig/MiniWoB-", "rig/Minetest-"))]
    lines.append(f"valid worlds: {', '.join(plain)}, rig/Minetest-v0 and rig/Minetest-<task>-v0"
                 f" for {', '.join(MINETEST_TASKS)}, and rig/MiniWoB-<task>-v0 for "
                 f"{len(MINIWOB_TASKS)} MiniWoB++ web tasks (e.g. rig/MiniWoB-click-test-v0); "
                 "`rig worlds` lists them all")
    return "\n".join(lines)


def make(world_id: str, **kwargs) -> gym.Env:
    """Build a registered world; unknown ids raise an error that names the closest ones."""
    if world_id not in WORLDS:
        raise UnknownWorldError(unknown_world_message(world_id))
    return gym.make(world_id, **kwargs)


_register()
