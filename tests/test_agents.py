"""Agent contract tests: random and human agents, the registry, and packaging of subpackages."""

import pathlib
import tomllib

import numpy as np
import pytest

import rig.worlds
from rig.agents import Decision, UnknownAgentError, make_agent

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_random_agent_is_reproducible_and_legal():
    env = rig.worlds.make("rig/Crafter-v0")
    obs, info = env.reset(seed=0)
    runs = []
    for _ in range(2):
        agent = make_agent("random", env)
        agent.reset(seed=3)
        runs.append([agent.act(obs, info).action for _ in range(30)])
    assert runs[0] == runs[1]
    assert len(set(runs[0])) > 5 and all(0 <= a < 17 for a in runs[0])
    decision = agent.act(obs, info)
    assert isinstance(decision, Decision)
    assert env.unwrapped.action_language.parse(decision.action_text) == decision.action


def test_human_agent_maps_keys_from_the_viewer_window():
    import pygame

    from rig.agents.human import HumanAgent
    from rig.eval.viewer import Viewer

    env = rig.worlds.make("rig/Crafter-v0")
    obs, info = env.reset(seed=0)
    viewer = Viewer(window=True)  # a real display surface, on SDL's dummy driver in tests
    agent = HumanAgent(env, viewer=viewer)
    for key, expected in ((pygame.K_a, "move_left"), (pygame.K_SPACE, "do"),
                          (pygame.K_t, "place_table"), (pygame.K_3, "make_iron_pickaxe")):
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=0, unicode=""))
        decision = agent.act(obs, info)
        assert decision.action_text == expected
        assert decision.action == env.unwrapped.action_language.parse(expected)
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE, mod=0, unicode=""))
    with pytest.raises(KeyboardInterrupt):
        agent.act(obs, info)
    viewer.close()


def test_human_agent_has_a_first_person_keymap_for_minetest():
    """The keymap follows the world's action language (no engine needed for the mapping)."""
    from rig.agents.human import MINETEST_KEYS, keymap_for
    from rig.worlds.minetest import MINETEST_ACTIONS

    keys = keymap_for(set(MINETEST_ACTIONS))
    assert keys == MINETEST_KEYS and set(keys.values()) == set(MINETEST_ACTIONS)
    crafter = keymap_for(set(rig.worlds.make("rig/Crafter-v0").unwrapped.action_language
                             .vocabulary()))
    assert crafter["space"] == "do" and crafter["w"] == "move_up"


def test_unknown_agents_list_the_valid_ones():
    env = rig.worlds.make("rig/Crafter-v0")
    with pytest.raises(UnknownAgentError, match="random, human, expert"):
        make_agent("wizard", env)


def test_every_subpackage_folder_is_packaged_under_rig():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert config["package-dir"] == {"rig": "."}
    folders = {p.parent.name for p in ROOT.glob("*/__init__.py") if p.parent.name != "tests"}
    assert {f"rig.{name}" for name in folders} <= set(config["packages"])
    assert all(p == "rig" or p.startswith("rig.") for p in config["packages"])
    for name in ("agents", "worlds", "imagination", "trajectories", "train", "eval"):
        assert name in folders
