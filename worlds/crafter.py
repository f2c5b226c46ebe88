"""Crafter (Hafner, 2021) as a RIG world: the embedded default, a 2-D Minecraft-like benchmark.

Wraps `crafter.Env` (old-gym style: 4-tuple step, no seeding API) in a Gymnasium env:
- `reset(seed=s)` always builds the same world for the same `s`; `reset()` with no seed moves
  on to the next world of the current seed sequence.
- the observation is `{"image": (64, 64, 3) uint8, "text": the time of day, vitals and
  inventory in words}`;
- `info` carries the privileged state that experts and metrics need: inventory, achievement
  counts, the semantic map (ids in `SEMANTIC_NAMES`), player position and facing, sleeping,
  daylight, and the achievements unlocked by this very step.
- `info["damage"]` says what took health this step, by cause (`DAMAGE_CAUSES`), and an episode
  that ends in death says what killed it (`info["ended_by"]`, e.g. "killed by a zombie"): the
  game's own rules replayed on its state (`_damage`), so `rig eval` can tell why a policy dies.
- `render()` draws a larger frame for people without touching the world's random state (Crafter
  draws night-time noise from the world's RNG; rendering extra frames would otherwise change the
  future of the world).
"""

from __future__ import annotations

from typing import Any

import crafter
import gymnasium as gym
import numpy as np
from crafter import constants

from .base import DiscreteActions, World, check_world_options, observation_space

ACTION_NAMES: tuple[str, ...] = tuple(constants.actions)
ACHIEVEMENTS: tuple[str, ...] = tuple(constants.achievements)
ITEMS: tuple[str, ...] = tuple(constants.items)
VITALS = ("health", "food", "drink", "energy")
# the four movement directions by name, as (dx, dy) on the world grid (x right, y down)
DIRECTIONS = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}

# Ids of the semantic map in info["semantic"]: materials first (0 = outside the world), then
# the object classes in the order crafter.Env registers them.
SEMANTIC_NAMES: tuple[str, ...] = (
    ("none",) + tuple(constants.materials)
    + ("player", "cow", "zombie", "skeleton", "arrow", "plant"))
SEMANTIC_IDS = {name: i for i, name in enumerate(SEMANTIC_NAMES)}

# what can take a player's health in Crafter, and the words an episode's end uses for each
DAMAGE_CAUSES = {"zombie": "killed by a zombie", "arrow": "shot by a skeleton",
                 "lava": "walked into lava", "hunger": "starved", "thirst": "died of thirst",
                 "exhaustion": "died of exhaustion"}

TASK_TEXT = "Survive and unlock as many achievements as you can."


class _DeterministicCrafter(crafter.Env):
    """crafter.Env with a reproducible choice of which creature despawns.

    crafter keeps each chunk's objects in a set, whose iteration order follows memory
    addresses; the despawn draw indexes into that order, so two runs of one seed diverge after a
    few dozen steps. Ordering the chunk's objects by their slot in the world makes a seed
    reproducible without changing the game's rules or odds.
    """

    def _balance_object(self, chunk, objs, *args):
        slots = self._world._obj_map
        return super()._balance_object(
            chunk, sorted(objs, key=lambda obj: slots[tuple(obj.pos)]), *args)


# daylight below which it is night: zombies crowd the grass (the expert shelters from then on)
NIGHT_DAYLIGHT = 0.6
DAY_LENGTH = 300  # steps of one day-night cycle (crafter.Env._update_time)


def time_of_day(step: int, daylight: float) -> str:
    """The time of day in a word, as a player reads it off the darkening frame: "night" below
    `NIGHT_DAYLIGHT`, "evening" while the light fades toward it, "morning" while it comes back,
    else "day". Crafter's daylight follows the step (`_update_time`): it falls while the cycle's
    progress is between 0.5 and 1.0."""
    if daylight < NIGHT_DAYLIGHT:
        return "night"
    if daylight >= 0.85:
        return "day"
    progress = (step / DAY_LENGTH) % 1 + 0.3
    return "evening" if 0.5 < progress < 1.0 else "morning"


def _inventory_text(inventory: dict[str, int], sleeping: bool, time: str) -> str:
    vitals = ", ".join(f"{name} {inventory[name]}/9" for name in VITALS)
    items = [f"{name.replace('_', ' ')} {count}" for name, count in inventory.items()
             if name not in VITALS and count > 0]
    # the time first: a policy that keeps only the first few words of the text still gets it
    text = (f"{TASK_TEXT}\nTime: {time}.\nVitals: {vitals}.\n"
            f"Inventory: {', '.join(items) if items else 'empty'}.")
    if sleeping:
        text += "\nYou are asleep."
    return text


class CrafterWorld(World):
    """Crafter behind the RIG world interface (see the module docstring)."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}
    _shared_on_branch = ("_textures",)

    def __init__(self, size: int = 64, length: int | None = 10000, reward: bool = True,
                 area: int = 64, view: int = 9, render_mode: str | None = None,
                 render_size: int = 384):
        if size < 9 or size > 1024:
            raise ValueError(f"size must be between 9 and 1024 pixels, got {size}")
        check_world_options(render_mode, length=length)
        self.size, self.length, self.reward_enabled = size, length, reward
        self.render_mode, self.render_size = render_mode, render_size
        self._env = _DeterministicCrafter(area=(area, area), view=(view, view), size=(size, size),
                                reward=reward, length=length, seed=0)
        self._textures = self._env._textures  # immutable and large: shared by branches
        self.action_language = DiscreteActions(ACTION_NAMES)
        self.action_space = gym.spaces.Discrete(len(ACTION_NAMES))
        self.observation_space = observation_space((size, size, 3))
        self._seeded = False
        self._last_info: dict[str, Any] | None = None

    @property
    def view_grid(self) -> tuple[int, int]:
        """Cells of the world the frame draws (wide, tall): 9x7 for the default view of 9, whose
        bottom rows show the inventory. The player stands at the middle cell."""
        return tuple(int(n) for n in self._env._local_view._grid)

    # -- Gymnasium API ----------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if seed is not None:
            self._env._seed, self._env._episode = int(seed), 0
        elif not self._seeded:
            # Unseeded first reset: draw the seed sequence from Gymnasium's np_random.
            self._env._seed, self._env._episode = int(self.np_random.integers(2**31 - 1)), 0
        self._seeded = True
        image = self._env.reset()
        info = self._info(unlocked=[])
        self._last_info = info
        return self._observation(image), info

    def step(self, action):
        if self._last_info is None:
            raise RuntimeError("call reset() before step()")
        action = int(action)
        if not 0 <= action < len(ACTION_NAMES):
            raise ValueError(f"action {action} is outside 0..{len(ACTION_NAMES) - 1}")
        before = self._last_info["achievements"]
        player = self._env._player
        health, recover = player.health, player._recover
        image, reward, done, raw = self._env.step(action)
        unlocked = [name for name, count in raw["achievements"].items()
                    if count > 0 and before[name] == 0]
        info = self._info(unlocked=unlocked, raw=raw)
        info["damage"] = self._damage(health, recover)
        self._last_info = info
        dead = self._env._player.health <= 0
        terminated = bool(dead)
        truncated = bool(done and not dead)
        if dead and info["damage"]:  # the cause that dealt the last blow
            info["ended_by"] = DAMAGE_CAUSES[list(info["damage"])[-1]]
        return self._observation(image), float(reward), terminated, truncated, info

    def render(self):
        if self.render_mode is None:
            return None
        # Crafter's night noise draws from the world's RNG: keep it untouched by extra frames.
        rng = self._env._world.random
        state = rng.get_state()
        try:
            frame = self._env.render(size=(self.render_size, self.render_size))
        finally:
            rng.set_state(state)
        return frame

    def task_text(self) -> str:
        return TASK_TEXT

    def redraw_future(self, seed: int) -> None:
        # one RandomState serves the world and every creature (each holds the world's; a
        # branch's deepcopy keeps them one object), so seeding it in place re-draws them all
        self._env._world.random.seed(int(seed) % 2**32)

    # -- helpers ----------------------------------------------------------------------------
    def _damage(self, health: int, recover: float) -> dict[str, int]:
        """Health the step took, by cause, in the order the game applies it (a dict in that
        order: the last entry dealt the last blow). Crafter keeps no record of why health fell,
        so its rules are replayed on the state after the step (crafter/objects.py): the player
        updates first (walking into lava sets health to 0; with food, drink or energy at 0 its
        `_recover` counter falls and, past -15, takes one health and restarts at 0; past 25 it
        gives one back), then every zombie within one cell either counts down its cooldown or,
        at 0, hits (2, or 7 on a sleeper) and sets it to 5, so a zombie beside the player with
        cooldown 5 hit it this step; arrows hit for 2 and vanish, so what health is still
        missing went to them."""
        player, world = self._env._player, self._env._world
        after = player.health
        if after >= health:
            return {}
        if world[player.pos][0] == "lava":
            return {"lava": health}
        lost: dict[str, int] = {}
        left = health
        if player._recover == 0 and recover < -14:  # the counter ran out: one health taken
            inventory = player.inventory
            starving = [name for name, empty in (("hunger", inventory["food"] <= 0),
                                                 ("thirst", inventory["drink"] <= 0),
                                                 ("exhaustion", inventory["energy"] <= 0))
                        if empty] or ["hunger"]
            lost[starving[0]] = min(1, left)  # several at 0: named by the first
            left -= lost[starving[0]]
        elif player._recover == 0 and recover > 23 and left > 0:  # one health given back
            left = min(left + 1, constants.items["health"]["max"])
        for obj in world.objects:
            if isinstance(obj, crafter.objects.Zombie) and obj.cooldown == 5 and \
                    obj.distance(player) <= 1 and left > 0:
                hit = min(7 if player.sleeping else 2, left)
                lost["zombie"] = lost.get("zombie", 0) + hit
                left -= hit
        if left > after:
            lost["arrow"] = left - after
        return {cause: amount for cause, amount in lost.items() if amount > 0}

    def _observation(self, image: np.ndarray) -> dict[str, Any]:
        player = self._env._player
        time = time_of_day(self._env._step, self._env._world.daylight)
        return {"image": image, "text": _inventory_text(player.inventory, player.sleeping, time)}

    def _info(self, unlocked: list[str], raw: dict | None = None) -> dict[str, Any]:
        player, world = self._env._player, self._env._world
        return {
            # crafter's own info already holds fresh copies: reuse them rather than copy again
            "inventory": raw["inventory"] if raw else dict(player.inventory),
            "achievements": raw["achievements"] if raw else dict(player.achievements),
            "achievements_unlocked": unlocked,
            "semantic": raw["semantic"] if raw else self._env._sem_view(),
            "player_pos": np.array(player.pos),
            "facing": np.array(player.facing),
            "sleeping": bool(player.sleeping),
            "daylight": float(world.daylight),
            "step": int(self._env._step),
            "discount": float(player.health > 0),
        }

