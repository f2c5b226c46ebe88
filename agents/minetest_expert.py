"""The Minetest expert: climbs MineRL's tech tree from privileged state and says why at each step.

Role in the data flow: like Crafter's expert, it reads `info` (pose, inventory, the pointed node,
the nearest log, stone, coal, iron, table and furnace within 24 nodes) and returns a `Decision`
whose reasoning is true of that state, so that `rig collect --agent expert` makes training data
for the Minetest worlds.

The plan is a fixed ladder (`next_goal`): logs (4), planks, sticks, a crafting table placed
beside it, a wooden pickaxe, the table picked up again, down to stone for 11 cobblestone, the
table placed again for a stone pickaxe and a furnace, coal, then deeper for iron, then the
furnace placed and the iron smelted. Getting to a node is a small routine over the world's
discrete moves (`_reach`): walk along one axis at a time (the world steps up one node by
itself), dig through what blocks the way, dig straight down when the target is below, and aim
at it from the next cell with the pitch its height needs. A target it cannot get to (stuck for
a while, or a node its tools cannot dig) is set aside for a time and the next nearest is taken;
with nothing in sight it explores in a straight line, turning now and then.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..worlds.minetest import MINETEST_ACTIONS
from .base import Agent, Decision

LOGS = ("default:tree", "default:jungletree", "default:pine_tree", "default:acacia_tree",
        "default:aspen_tree")
PLANKS = ("default:wood", "default:junglewood", "default:pine_wood", "default:acacia_wood",
          "default:aspen_wood")
# heading index (45-degree steps of yaw) -> the cell it faces, (dx, dz); the expert walks on
# the four axis headings only
AXIS_HEADINGS = {0: (0, 1), 2: (-1, 0), 4: (0, -1), 6: (1, 0)}
COMPASS = {0: "north", 2: "west", 4: "south", 6: "east"}
# height of the target above the feet cell -> the pitch step (45 degrees, + is down) that
# points at it from the next cell
PITCH_FOR_HEIGHT = {-1: 1, 0: 1, 1: 0, 2: -1}
STUCK_STEPS = 40         # steps without getting closer before a target is set aside
SET_ASIDE_STEPS = 300    # how long a target stays set aside


def _count(items: dict[str, int], names) -> int:
    return sum(n for name, n in items.items() if name in names)


class MinetestExpert(Agent):
    """A scripted player of the Minetest worlds (see the module docstring)."""

    name = "expert"

    def __init__(self, env, seed: int | None = None):
        self.env = env
        self.rng = np.random.default_rng(seed)
        self.reset(seed)

    def reset(self, seed: int | None = None) -> None:
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.set_aside: dict[tuple, int] = {}   # target cell -> step it may be tried again
        self.target: tuple | None = None
        self.best_distance = None
        self.since_closer = 0
        self.step = 0
        self.explore_heading = None
        self.explore_left = 0

    # -- the plan ----------------------------------------------------------------------------
    def next_goal(self, info: dict[str, Any]) -> tuple[str, str]:
        """(goal, why): the next rung of the ladder, from the inventory and the achievements."""
        items = info["items"]
        done = info["achievements"]
        logs, planks = _count(items, LOGS), _count(items, PLANKS)
        sticks = items.get("default:stick", 0)
        cobble = items.get("default:cobble", 0)
        has_wood_pick = items.get("default:pick_wood", 0) > 0
        has_stone_pick = items.get("default:pick_stone", 0) > 0
        tables = items.get("rig_bridge:crafting_table", 0)
        furnaces = items.get("default:furnace", 0)
        wood_needed = 4 * (not done["craft_table"]) + 2 * (sticks < 4 and not has_stone_pick) \
            + 3 * (not has_wood_pick) + 1
        if not has_wood_pick and logs * 4 + planks < wood_needed:
            return "log", (f"I have {logs} logs and {planks} planks; a table, sticks and a "
                           f"wooden pickaxe take about {wood_needed} planks, so I need more wood")
        if not has_wood_pick and planks < wood_needed and logs > 0:
            return "craft_planks", f"I turn a log into 4 planks ({planks} planks now)"
        if sticks < 2 and not has_stone_pick:
            return "craft_sticks", "pickaxes need sticks: I turn 2 planks into 4 sticks"
        if not has_wood_pick:
            if not done["craft_table"] and tables == 0:
                return "craft_table", "a wooden pickaxe needs a crafting table: 4 planks make one"
            if info["nearest"].get("table") is None or not self._near(info, "table"):
                return "place_table", "I place the crafting table here to craft at it"
            return "craft_wooden_pickaxe", ("the table is within reach, and 3 planks and 2 "
                                            "sticks make a wooden pickaxe")
        if not has_stone_pick or (furnaces == 0 and not done["craft_furnace"]):
            need = 3 * (not has_stone_pick) + 8 * (furnaces == 0 and not done["craft_furnace"])
            if tables == 0 and self._near(info, "table") and cobble < need:
                return "take_table", "I take the crafting table with me before I dig down to stone"
            if cobble < need:
                return "stone", (f"a stone pickaxe and a furnace take {need} cobblestone and I "
                                 f"have {cobble}: I dig for stone")
            if not self._near(info, "table"):
                if tables:
                    return "place_table", "I place the crafting table again to craft with stone"
                if planks >= 4:
                    return "craft_table", "no crafting table is near: 4 planks make another"
                if logs:
                    return "craft_planks", "I need planks for another crafting table"
                return "log", "no crafting table is near and I have no wood for one"
            if not has_stone_pick:
                return "craft_stone_pickaxe", "3 cobblestone and 2 sticks make a stone pickaxe"
            return "craft_furnace", "8 cobblestone make a furnace, to smelt iron in"
        fuel = items.get("default:coal_lump", 0) + planks + sticks
        if items.get("default:coal_lump", 0) == 0 and not done["collect_coal"]:
            return "coal", "a furnace burns coal: I mine coal ore with my pickaxe"
        if items.get("default:iron_lump", 0) == 0 and not done["smelt_iron"]:
            return "iron", "iron ore lies deep in the stone; my stone pickaxe can mine it"
        if not done["smelt_iron"]:
            if not self._near(info, "furnace"):
                if furnaces:
                    return "place_furnace", "I place the furnace to smelt the iron ore"
                return "furnace_missing", "I have no furnace left to smelt in"
            if fuel == 0:
                return "coal", "the furnace needs fuel: I look for coal"
            return "smelt_iron", "the furnace is beside me, with iron ore and fuel: I smelt"
        return "explore", "the tech tree is climbed; I explore"

    @staticmethod
    def _near(info, kind: str, reach: float = 4.0) -> bool:
        where = info["nearest"].get(kind)
        if where is None:
            return False
        feet = _feet(info)
        return bool(np.all(np.abs(np.asarray(where) - feet) <= reach))

    # -- acting --------------------------------------------------------------------------------
    def act(self, obs: dict[str, Any], info: dict[str, Any]) -> Decision:
        self.step += 1
        goal, why = self.next_goal(info)
        action, how = self._action_for(goal, info)
        return Decision(action=MINETEST_ACTIONS.index(action), action_text=action,
                        reasoning=f"{why}; {how}." if how else f"{why}.",
                        extras={"goal": goal})

    def _action_for(self, goal: str, info) -> tuple[str, str]:
        if goal in ("craft_planks", "craft_sticks", "craft_table", "craft_wooden_pickaxe",
                    "craft_stone_pickaxe", "craft_furnace", "smelt_iron"):
            return goal, ""
        if goal in ("place_table", "place_furnace"):
            return self._place(goal, info)
        if goal == "take_table":
            return self._reach(info, info["nearest"]["table"], "the crafting table")
        if goal == "log":
            return self._mine(info, "tree", "log")
        if goal == "stone":
            return self._dig_down(info, "stone")
        if goal == "coal":
            return self._mine(info, "coal", "coal ore")
        if goal == "iron":
            if info["nearest"].get("iron") is not None:
                return self._mine(info, "iron", "iron ore")
            return self._dig_down(info, "iron")
        return self._explore(info)

    def _place(self, goal: str, info) -> tuple[str, str]:
        # place on the ground of the cell ahead, looking 45 degrees down at it; a wall there
        # (in a shaft) is dug away first to make room
        if _pitch(info) != 1:
            return self._look(info, 1), "I look down at the ground ahead to place it on"
        if info["message"].startswith("no room") or info["message"] == "digging":
            if info["pointed"] is not None:
                return "dig", f"the {_words(info['pointed'])} ahead leaves no room: I dig it away"
        if info["message"].startswith(("cannot dig", "nothing to place against")):
            return "turn_left", "I cannot place it there, so I turn to another spot"
        return goal, ""

    def _mine(self, info, kind: str, words: str) -> tuple[str, str]:
        target = info["nearest"].get(kind)
        if target is not None and not self._is_set_aside(target):
            feet = _feet(info)
            if target[1] - feet[1] > 5 and abs(target[0] - feet[0]) + abs(target[2] - feet[2]) <= 8:
                # high above on a cliff or a tall tree: out of reach without building up
                self.set_aside[tuple(int(v) for v in target)] = self.step + SET_ASIDE_STEPS
            else:
                return self._reach(info, target, f"the nearest {words}")
        return self._explore(info, f"no {words} I can get to is in sight")

    def _is_set_aside(self, target) -> bool:
        """Whether `target` is near (within 6 nodes of) a node set aside, and still for a while:
        the nearest node changes as the player moves, among the trunk nodes of one tree."""
        target = np.asarray(target)
        return any(until > self.step and np.abs(target - np.asarray(cell)).max() <= 6
                   for cell, until in self.set_aside.items())

    def _dig_down(self, info, what: str) -> tuple[str, str]:
        pointed = info["pointed"]
        if _pitch(info) != 2:
            return self._look(info, 2), f"I look straight down to dig towards {what}"
        if pointed is not None and info["message"].startswith("cannot dig"):
            return self._explore(info, f"my tools cannot dig the {_words(pointed)} below")
        return "dig", f"I dig the {_words(pointed)} below me"

    # -- getting to a node ---------------------------------------------------------------------
    def _reach(self, info, target, words: str) -> tuple[str, str]:
        target = tuple(int(v) for v in target)
        if self.target is None or max(abs(a - b) for a, b in zip(target, self.target)) > 6:
            # a new goal (the nearest node moves among the trunk nodes of one tree: the same)
            self.best_distance, self.since_closer = None, 0
        self.target = target
        feet = _feet(info)
        dx, dy, dz = (target[0] - feet[0], target[1] - feet[1], target[2] - feet[2])
        distance = abs(dx) + abs(dy) + abs(dz)
        if self.best_distance is None or distance < self.best_distance:
            self.best_distance, self.since_closer = distance, 0
        else:
            self.since_closer += 1
        pointed = info["pointed"]
        if pointed is not None and tuple(int(v) for v in pointed["pos"]) == target:
            if info["message"].startswith("cannot dig"):
                return self._give_up(info, words, "my tools cannot dig it")
            return "dig", f"I point at {words} and dig it"
        if self.since_closer > STUCK_STEPS:
            return self._give_up(info, words, "I cannot get closer")
        across = abs(dx) + abs(dz)
        where = _direction_words(dx, dy, dz)
        if across == 0:                          # straight above or below
            if dy < 0:
                return self._dig_down(info, words)
            pitch = -2
            if _pitch(info) != pitch:
                return self._look(info, pitch), f"{words} is {where}: I look up at it"
            return "dig", f"I dig upwards towards {words}"
        if across == 1 and -1 <= dy <= 2:         # in the next cell: aim, then dig
            heading = _axis_heading(dx, dz)
            if _heading(info) != heading:
                return _turn(info, heading), f"{words} is {where}: I turn to face it"
            pitch = PITCH_FOR_HEIGHT[dy]
            if _pitch(info) != pitch:
                return self._look(info, pitch), f"{words} is {where}: I aim at it"
            if pointed is not None:
                return "dig", f"the {_words(pointed)} is in the way to {words}: I dig it"
            return "forward", f"nothing is in reach yet: I step towards {words}"
        if across <= 1 and dy < -1:              # below, close: dig down beside it
            return self._dig_down(info, words)
        # walk along the longer axis, digging through what blocks the way
        if abs(dx) >= abs(dz):
            heading = _axis_heading(int(np.sign(dx)), 0)
        else:
            heading = _axis_heading(0, int(np.sign(dz)))
        if info["message"] in ("cliff", "water") and _heading(info) == heading:
            heading = _axis_heading(0, int(np.sign(dz)) or 1) if abs(dx) >= abs(dz) else \
                _axis_heading(int(np.sign(dx)) or 1, 0)
        if _heading(info) != heading:
            return _turn(info, heading), f"{words} is {where}: I turn {COMPASS[heading]}"
        if info["message"] == "blocked":
            pitch = _pitch(info)
            if pitch not in (0, 1):
                return self._look(info, 0), "the way is blocked: I look ahead"
            if pointed is not None:
                return "dig", f"the {_words(pointed)} blocks my way to {words}: I dig it"
            return self._look(info, 1 - pitch), "I check the other node in the way"
        if info["message"].startswith("cannot dig"):
            return self._give_up(info, words, "a node I cannot dig blocks the way")
        if _pitch(info) not in (0, 1):
            return self._look(info, 0), "I look ahead to walk"
        if pointed is not None and info["message"].startswith("digging"):
            return "dig", f"I keep digging the {_words(pointed)} in my way"
        return "forward", f"{words} is {where}: I walk {COMPASS[heading]}"

    def _give_up(self, info, words: str, why: str) -> tuple[str, str]:
        if self.target is not None:
            self.set_aside[self.target] = self.step + SET_ASIDE_STEPS
        self.target = None
        return self._explore(info, f"{why} to {words}, so I set it aside")

    def _look(self, info, pitch: int) -> str:
        return "look_down" if _pitch(info) < pitch else "look_up"

    def _explore(self, info, why: str = "") -> tuple[str, str]:
        if self.explore_left <= 0 or info["message"] in ("cliff", "water") \
                or info["message"].startswith("cannot dig"):
            self.explore_heading = int(self.rng.choice(list(AXIS_HEADINGS)))
            self.explore_left = int(self.rng.integers(12, 40))
        prefix = f"{why}: " if why else ""
        if info["message"] == "blocked" or info["message"] == "digging":
            pointed = info["pointed"]
            if pointed is not None and _heading(info) == self.explore_heading:
                self.explore_left += 1
                return "dig", f"{prefix}the {_words(pointed)} blocks the way I explore: I dig it"
        if _heading(info) != self.explore_heading:
            return _turn(info, self.explore_heading), \
                f"{prefix}I explore; I turn {COMPASS[self.explore_heading]}"
        if _pitch(info) != 0:
            return self._look(info, 0), f"{prefix}I look ahead to explore"
        self.explore_left -= 1
        return "forward", f"{prefix}I explore {COMPASS[self.explore_heading]}"


def _feet(info) -> np.ndarray:
    """The feet cell: the player stands on the node below it (positions are cell centres)."""
    x, y, z = info["player_pos"]
    return np.array([round(x), round(y + 0.5), round(z)])


def _heading(info) -> int:
    return int(round(info["yaw"] / 45)) % 8


def _pitch(info) -> int:
    """The look's pitch in 45-degree steps: -2 straight up .. 2 straight down."""
    return int(round(info["pitch"] / 45))


def _axis_heading(dx: int, dz: int) -> int:
    for heading, step in AXIS_HEADINGS.items():
        if step == (int(np.sign(dx)), int(np.sign(dz))):
            return heading
    raise ValueError((dx, dz))


def _turn(info, heading: int) -> str:
    return "turn_left" if (heading - _heading(info)) % 8 <= 4 else "turn_right"


def _words(pointed) -> str:
    if not pointed:
        return "nothing"
    return pointed["name"].split(":")[-1].replace("_", " ")


def _direction_words(dx: int, dy: int, dz: int) -> str:
    parts = []
    if dz:
        parts.append(f"{abs(dz)} north" if dz > 0 else f"{abs(dz)} south")
    if dx:
        parts.append(f"{abs(dx)} east" if dx > 0 else f"{abs(dx)} west")
    if dy:
        parts.append(f"{abs(dy)} up" if dy > 0 else f"{abs(dy)} down")
    return ", ".join(parts) + " of me" if parts else "here"
