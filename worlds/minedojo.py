"""MineDojo (real Minecraft, Fan et al. 2022) behind the RIG world interface, for those who have it.

Role in the data flow: the same `Observation` (`{"image", "text"}`) and a closed text action
language as every world, mapped onto MineDojo's own spaces:
- MineDojo's observation dict: `rgb` (3, H, W) uint8 becomes `image` (H, W, 3); `life_stats`
  (life, food) and `inventory` (36 slots of `name` and `quantity`, "air" when empty) become the
  text; the whole dict travels in `info["minedojo"]`, with `inventory`, `player_pos`, `yaw` and
  `pitch` pulled out for experts and metrics.
- MineDojo's action space `MultiDiscrete([3, 3, 4, 25, 25, 8, 244, 36])` (forward/back,
  left/right, jump/sneak/sprint, camera pitch and yaw in 15-degree bins with 12 = no turn,
  functional action, craft argument, inventory-slot argument) is driven by one text action per
  step (`MineDojoActions`): `forward`, `back`, `left`, `right`, `jump`, `sneak`, `sprint`,
  `look_up`, `look_down`, `turn_left`, `turn_right` (15 degrees), `attack`, `use`, `drop`,
  `craft ITEM` (MineDojo's craft-and-smelt list), and `equip ITEM`, `place ITEM`, `destroy ITEM`
  (the item's first inventory slot; an item not held is a no-op with `info["action_error"]`).

MineDojo needs Java 8, the `minedojo` package (`pip install 'rig[minedojo]'`) and network access
the first time it runs (it downloads Minecraft and builds its mod). Where any is missing the
world says so at construction and points to the Minetest worlds, which run anywhere. Tests drive
the mapping with a stand-in simulator built to MineDojo's documented spaces
(tests/test_minedojo.py); the real game cannot run on the machines this project is built on.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any, Callable

import gymnasium as gym
import numpy as np

from .base import (ActionParseError, BranchError, World, WorldUnavailableError,
                   check_world_options, observation_space)

# MineDojo's documented action space (docs.minedojo.org, "Action Space")
ACTION_NVEC = (3, 3, 4, 25, 25, 8, 244, 36)
CAMERA_NOOP = 12            # bins of 15 degrees from -180 (0) to +180 (24)
CAMERA_STEP_BINS = 1        # one text action turns by one bin: 15 degrees
FUNCTIONAL = {"noop": 0, "use": 1, "drop": 2, "attack": 3, "craft": 4, "equip": 5, "place": 6,
              "destroy": 7}
# single-word actions -> (index in the action vector, value)
MOVES = {
    "noop": None, "forward": (0, 1), "back": (0, 2), "left": (1, 1), "right": (1, 2),
    "jump": (2, 1), "sneak": (2, 2), "sprint": (2, 3),
    "look_up": (3, CAMERA_NOOP - CAMERA_STEP_BINS), "look_down": (3, CAMERA_NOOP + CAMERA_STEP_BINS),
    "turn_left": (4, CAMERA_NOOP - CAMERA_STEP_BINS), "turn_right": (4, CAMERA_NOOP + CAMERA_STEP_BINS),
    "attack": (5, FUNCTIONAL["attack"]), "use": (5, FUNCTIONAL["use"]),
    "drop": (5, FUNCTIONAL["drop"]),
}
ITEM_VERBS = ("craft", "equip", "place", "destroy")
_ACTION = re.compile(r"\s*([a-z_]+)(?:\s+([a-z0-9_]+))?\s*\Z")
TASK_DEFAULT = "open-ended"


class MineDojoMissingError(WorldUnavailableError):
    """The `minedojo` package or Java 8 is not installed."""


def missing_message(what: str) -> str:
    return (f"rig/MineDojo worlds run real Minecraft through MineDojo, which needs the minedojo "
            f"package (pip install 'rig[minedojo]'), Java 8 (a JDK 8 on PATH or in JAVA_HOME) "
            f"and network access the first time (it downloads Minecraft and builds its mod); "
            f"{what}. On this machine use rig/Minetest-v0 (3-D, MineRL's tech tree from logs to "
            "iron) or rig/Crafter-v0.")


def check_minedojo() -> None:
    """Raise MineDojoMissingError when MineDojo cannot run here, saying what is missing."""
    try:
        import minedojo  # noqa: F401
    except ImportError:
        raise MineDojoMissingError(missing_message("the minedojo package is not installed"))
    java = shutil.which("java")
    if java is None:
        raise MineDojoMissingError(missing_message("no java was found"))
    version = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    if '"1.8' not in version:
        first = version.splitlines()[0] if version else "unknown"
        raise MineDojoMissingError(missing_message(f"java is not version 8 ({first})"))


class MineDojoActions:
    """MineDojo's compound action as one line of text (see the module docstring)."""

    def __init__(self, craft_items: list[str]):
        self.craft_items = list(craft_items)
        self._craft_index = {name: i for i, name in enumerate(self.craft_items)}

    def parse(self, text: str) -> tuple[str, str | None]:
        if not isinstance(text, str):
            raise ActionParseError(f"action text must be a string, got {type(text).__name__}")
        match = _ACTION.match(text.lower())
        if not match:
            raise ActionParseError(f"malformed action {text[:40]!r}: a verb, then an item for "
                                   f"{', '.join(ITEM_VERBS)} (e.g. 'craft wooden_pickaxe')")
        verb, item = match.groups()
        if verb in MOVES and item is None:
            return verb, None
        if verb in ITEM_VERBS and item is not None:
            if verb == "craft" and item not in self._craft_index:
                raise ActionParseError(f"{item!r} is not in MineDojo's craft list")
            return verb, item
        raise ActionParseError(f"unknown action {text[:40]!r}; actions: {', '.join(MOVES)}, and "
                               f"{', '.join(v + ' ITEM' for v in ITEM_VERBS)}")

    def format(self, action: tuple[str, str | None]) -> str:
        verb, item = action
        return verb if item is None else f"{verb} {item}"

    def vocabulary(self) -> list[str]:
        """Every legal text: the moves, and each verb with each item MineDojo can craft."""
        return list(MOVES) + [f"{verb} {item}" for verb in ITEM_VERBS
                              for item in self.craft_items]

    def to_vector(self, action: tuple[str, str | None],
                  inventory_names: list[str]) -> tuple[np.ndarray, str | None]:
        """MineDojo's action vector for `action`, and an error if it had to become a no-op."""
        vector = np.zeros(len(ACTION_NVEC), np.int64)
        vector[3] = vector[4] = CAMERA_NOOP
        verb, item = action
        if verb in MOVES:
            if MOVES[verb] is not None:
                index, value = MOVES[verb]
                vector[index] = value
            return vector, None
        if verb == "craft":
            vector[5], vector[6] = FUNCTIONAL["craft"], self._craft_index[item]
            return vector, None
        slots = [i for i, name in enumerate(inventory_names) if _item_key(name) == item]
        if not slots:
            return vector, f"{verb} {item}: no {item} in the inventory"
        vector[5], vector[7] = FUNCTIONAL[verb], slots[0]
        return vector, None


def _item_key(name: str) -> str:
    """MineDojo names items in words ("wooden pickaxe"); the action language in one token."""
    return str(name).strip().lower().replace(" ", "_")


def _default_sim(task: str, image_size: tuple[int, int], seed: int | None):
    check_minedojo()
    import minedojo

    return minedojo.make(task_id=task, image_size=image_size, seed=seed)


def _craft_list(sim) -> list[str]:
    items = getattr(sim, "craft_items", None)
    if items is None:  # the real simulator: MineDojo's table of craftable/smeltable items
        from minedojo.sim.mc_meta import mc

        items = mc.ALL_CRAFT_SMELT_ITEMS
    return [_item_key(name) for name in items]


class MineDojoWorld(World):
    """A MineDojo task behind the RIG world interface (see the module docstring)."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 20}
    branchable = False

    def __init__(self, task: str = TASK_DEFAULT, size: int = 64, max_steps: int | None = 1000,
                 render_mode: str | None = None,
                 sim_factory: Callable[[str, tuple[int, int], int | None], Any] | None = None):
        check_world_options(render_mode, max_steps=max_steps)
        if sim_factory is None:
            check_minedojo()   # say what is missing now, not at the first reset
        self.task, self.size, self.max_steps, self.render_mode = task, size, max_steps, render_mode
        self._sim_factory = sim_factory or _default_sim
        self._sim = None
        self.action_language: MineDojoActions | None = None
        self.observation_space = observation_space((size, size, 3))
        self.action_space = gym.spaces.Text(max_length=64, min_length=0)
        self._raw: dict[str, Any] | None = None
        self._steps = 0

    def _start(self, seed: int | None) -> None:
        if self._sim is not None:
            self._sim.close()
        self._sim = self._sim_factory(self.task, (self.size, self.size), seed)
        nvec = tuple(int(n) for n in self._sim.action_space.nvec)
        if nvec != ACTION_NVEC:
            raise RuntimeError(f"MineDojo's action space is {nvec}, not the documented "
                               f"{ACTION_NVEC}: this adapter does not know that version")
        self.action_language = MineDojoActions(_craft_list(self._sim))

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        episode_seed = int(seed) if seed is not None else int(self.np_random.integers(2**31 - 1))
        self._start(episode_seed)
        self._raw = self._sim.reset()
        self._steps = 0
        return self._observation(), self._info(None)

    def step(self, action):
        if self._raw is None:
            raise RuntimeError("call reset() before step()")
        error = None
        try:
            parsed = self.action_language.parse(action) if isinstance(action, str) else action
        except ActionParseError as bad:
            parsed, error = ("noop", None), str(bad)
        vector, refused = self.action_language.to_vector(
            parsed, list(self._raw["inventory"]["name"]))
        error = error or refused
        self._raw, reward, done, raw_info = self._sim.step(vector)
        self._steps += 1
        truncated = bool(raw_info.get("TimeLimit.truncated", False)) or (
            self.max_steps is not None and self._steps >= self.max_steps and not done)
        terminated = bool(done) and not truncated
        info = self._info(error)
        info["minedojo_info"] = raw_info
        return self._observation(), float(reward), terminated, truncated, info

    def render(self):
        return None if self.render_mode is None or self._raw is None else self._image()

    def branch(self):
        raise BranchError("MineDojo worlds cannot branch: the game runs in a Java process, "
                          "which cannot be copied")

    def close(self):
        if self._sim is not None:
            self._sim.close()
            self._sim = None

    def task_text(self) -> str:
        prompt = getattr(self._sim, "task_prompt", None) if self._sim is not None else None
        return str(prompt or self.task.replace("_", " "))

    # -- mapping -------------------------------------------------------------------------------
    def _image(self) -> np.ndarray:
        rgb = np.asarray(self._raw["rgb"], np.uint8)
        return np.ascontiguousarray(rgb.transpose(1, 2, 0))

    def _inventory(self) -> dict[str, int]:
        held: dict[str, int] = {}
        inventory = self._raw["inventory"]
        for name, quantity in zip(inventory["name"], inventory["quantity"]):
            key = _item_key(name)
            if key != "air" and quantity > 0:
                held[key] = held.get(key, 0) + int(quantity)
        return held

    def _observation(self) -> dict[str, Any]:
        life = self._raw["life_stats"]
        items = ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in self._inventory().items())
        text = (f"{self.task_text()}\nHealth {float(np.ravel(life['life'])[0]):.0f}/20, "
                f"food {float(np.ravel(life['food'])[0]):.0f}/20.\n"
                f"Inventory: {items or 'empty'}.")
        return {"image": self._image(), "text": text[:1024]}

    def _info(self, error: str | None) -> dict[str, Any]:
        location = self._raw["location_stats"]
        info = {"inventory": self._inventory(),
                "player_pos": np.asarray(location["pos"], np.float64),
                "yaw": float(np.ravel(location["yaw"])[0]),
                "pitch": float(np.ravel(location["pitch"])[0]),
                "minedojo": self._raw, "step": self._steps}
        if error:
            info["action_error"] = error
        return info
