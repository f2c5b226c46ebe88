"""The MineDojo adapter, tested against a STAND-IN simulator: real MineDojo needs Java 8 and a
first-run download of Minecraft, which these machines cannot have. The stand-in below is built
to MineDojo's documented spaces (docs.minedojo.org, "Observation Space" and "Action Space"):
an old-gym env whose `reset()` returns the observation dict (`rgb` (3, H, W) uint8, `inventory`
with 36 `name`/`quantity` slots, "air" when empty, `life_stats`, `location_stats`) and whose
`step(action)` takes the `MultiDiscrete([3, 3, 4, 25, 25, 8, 244, 36])` vector and returns
`(obs, reward, done, info)`. It records every vector it is given, so the tests check the
mapping from RIG's text actions to MineDojo's vectors, not a simulation of Minecraft."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import rig.worlds
from rig.worlds.minedojo import (ACTION_NVEC, CAMERA_NOOP, FUNCTIONAL, MineDojoMissingError,
                                 MineDojoWorld)

CRAFT_ITEMS = ["planks", "stick", "crafting table", "wooden pickaxe", "furnace", "iron ingot"]


class StandInMineDojoSim:
    """Not MineDojo: a stand-in with MineDojo's documented observation and action spaces."""

    def __init__(self, task, image_size, seed):
        self.task_prompt = f"stand-in for {task}"
        self.image_size, self.seed = image_size, seed
        self.action_space = gym.spaces.MultiDiscrete(list(ACTION_NVEC))
        self.craft_items = CRAFT_ITEMS
        self.vectors: list[np.ndarray] = []
        self.closed = False
        self.steps = 0

    def _obs(self):
        h, w = self.image_size
        rgb = np.zeros((3, h, w), np.uint8)
        rgb[0] = 200                                   # a red picture: channel 0 first
        rgb[2, : h // 2] = 50 + self.steps              # changes with every step
        names = np.array(["air"] * 36, dtype=object)
        quantity = np.zeros(36, np.float32)
        names[0], quantity[0] = "oak log", 3
        names[4], quantity[4] = "wooden pickaxe", 1
        names[7], quantity[7] = "oak log", 2             # the same item in a second slot
        return {"rgb": rgb,
                "inventory": {"name": names, "quantity": quantity},
                "life_stats": {"life": np.array([17.0]), "food": np.array([20.0]),
                               "oxygen": np.array([300.0])},
                "location_stats": {"pos": np.array([1.5, 64.0, -2.5]), "yaw": np.array([90.0]),
                                   "pitch": np.array([-15.0])}}

    def reset(self):
        self.steps = 0
        return self._obs()

    def step(self, action):
        action = np.asarray(action)
        assert action.shape == (8,) and self.action_space.contains(action.astype(np.int64))
        self.vectors.append(action)
        self.steps += 1
        return self._obs(), 1.0 if action[5] == FUNCTIONAL["craft"] else 0.0, self.steps >= 5, {}

    def close(self):
        self.closed = True


@pytest.fixture
def world():
    sims = []

    def factory(task, image_size, seed):
        sims.append(StandInMineDojoSim(task, image_size, seed))
        return sims[-1]

    env = MineDojoWorld(task="harvest_1_log", size=32, sim_factory=factory)
    env.sims = sims
    yield env
    env.close()


def test_observation_maps_to_image_and_text(world):
    obs, info = world.reset(seed=3)
    assert obs["image"].shape == (32, 32, 3) and obs["image"].dtype == np.uint8
    assert (obs["image"][..., 0] == 200).all()            # (3, H, W) -> (H, W, 3)
    assert "Health 17/20, food 20/20" in obs["text"]
    assert "oak log 5" in obs["text"] and "wooden pickaxe 1" in obs["text"]
    assert "air" not in obs["text"]
    assert info["inventory"] == {"oak_log": 5, "wooden_pickaxe": 1}
    np.testing.assert_allclose(info["player_pos"], [1.5, 64.0, -2.5])
    assert (info["yaw"], info["pitch"]) == (90.0, -15.0)
    assert world.sims[-1].seed == 3 and world.task_text() == "stand-in for harvest_1_log"
    assert obs in world.observation_space


@pytest.mark.parametrize("text, index, value", [
    ("forward", 0, 1), ("back", 0, 2), ("left", 1, 1), ("right", 1, 2), ("jump", 2, 1),
    ("sneak", 2, 2), ("sprint", 2, 3), ("look_up", 3, CAMERA_NOOP - 1),
    ("look_down", 3, CAMERA_NOOP + 1), ("turn_left", 4, CAMERA_NOOP - 1),
    ("turn_right", 4, CAMERA_NOOP + 1), ("attack", 5, 3), ("use", 5, 1), ("drop", 5, 2)])
def test_each_move_sets_one_component_and_leaves_the_camera_still(world, text, index, value):
    world.reset(seed=0)
    world.step(text)
    vector = world.sims[-1].vectors[-1]
    expected = np.array([0, 0, 0, CAMERA_NOOP, CAMERA_NOOP, 0, 0, 0])
    expected[index] = value
    np.testing.assert_array_equal(vector, expected)


def test_item_actions_name_the_craft_index_and_the_inventory_slot(world):
    world.reset(seed=0)
    _, reward, _, _, info = world.step("craft wooden_pickaxe")
    vector = world.sims[-1].vectors[-1]
    assert (vector[5], vector[6]) == (FUNCTIONAL["craft"], CRAFT_ITEMS.index("wooden pickaxe"))
    assert reward == 1.0 and "action_error" not in info
    world.step("equip wooden_pickaxe")
    assert tuple(world.sims[-1].vectors[-1][[5, 7]]) == (FUNCTIONAL["equip"], 4)
    world.step("place oak_log")                            # the first slot that holds it
    assert tuple(world.sims[-1].vectors[-1][[5, 7]]) == (FUNCTIONAL["place"], 0)


def test_bad_actions_are_no_ops_with_the_reason(world):
    world.reset(seed=0)
    for text, reason in (("place diamond", "no diamond in the inventory"),
                         ("craft diamond_sword", "not in MineDojo's craft list"),
                         ("fly away", "unknown action"), ("import os", "unknown action"),
                         ("forward; attack", "malformed")):
        _, _, _, _, info = world.step(text)
        assert reason in info["action_error"], (text, info["action_error"])
        np.testing.assert_array_equal(world.sims[-1].vectors[-1],
                                      [0, 0, 0, CAMERA_NOOP, CAMERA_NOOP, 0, 0, 0])


def test_episode_end_and_close(world):
    world.reset(seed=0)
    for step in range(5):
        _, _, terminated, truncated, _ = world.step("noop")
    assert terminated and not truncated                    # the stand-in's done at step 5
    sim = world.sims[-1]
    world.close()
    assert sim.closed
    with pytest.raises(rig.worlds.BranchError, match="Java process"):
        world.branch()


def test_bad_options_are_refused_before_any_simulator_starts():
    def factory(*_):
        raise AssertionError("no simulator should start")

    with pytest.raises(ValueError, match="max_steps must be a positive number"):
        MineDojoWorld(max_steps=0, sim_factory=factory)
    with pytest.raises(ValueError, match="render_mode must be None or 'rgb_array'"):
        MineDojoWorld(render_mode="human", sim_factory=factory)


def test_vocabulary_is_closed_and_parses_back(world):
    world.reset(seed=0)
    language = world.action_language
    for text in language.vocabulary():
        assert language.format(language.parse(text)) == text


def test_without_minedojo_the_error_says_what_is_needed_and_points_to_minetest():
    import importlib.util

    if importlib.util.find_spec("minedojo") is not None:
        pytest.skip("minedojo is installed here")
    with pytest.raises(MineDojoMissingError, match="Java 8") as error:
        rig.worlds.make("rig/MineDojo-v0")
    assert "rig/Minetest-v0" in str(error.value)
    assert isinstance(error.value, rig.worlds.WorldUnavailableError)
