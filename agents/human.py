"""The human agent: a person plays through the keyboard of the `rig play` viewer window.

Turn-based: the world waits for a key, so there is time to read the agent-style panel. Keys
follow Crafter's own GUI (WASD to move, space to interact, tab to sleep, ...) in Crafter and a
first-person layout in Minetest (WASD to walk, arrows to turn and look, space to dig); Esc or
closing the window ends the run. What a person plays can be recorded like any other agent's
episodes.
"""

from __future__ import annotations

import time
from typing import Any

from rig.config import ConfigError

from .base import Agent, Decision

# pygame key name -> Crafter action name (crafter/run_gui.py's map)
CRAFTER_KEYS = {
    "a": "move_left", "d": "move_right", "w": "move_up", "s": "move_down",
    "left": "move_left", "right": "move_right", "up": "move_up", "down": "move_down",
    "space": "do", "tab": "sleep", "n": "noop",
    "r": "place_stone", "t": "place_table", "f": "place_furnace", "p": "place_plant",
    "1": "make_wood_pickaxe", "2": "make_stone_pickaxe", "3": "make_iron_pickaxe",
    "4": "make_wood_sword", "5": "make_stone_sword", "6": "make_iron_sword",
}


# pygame key name -> Minetest action name (worlds/minetest.py)
MINETEST_KEYS = {
    "w": "forward", "s": "back", "a": "strafe_left", "d": "strafe_right",
    "left": "turn_left", "right": "turn_right", "up": "look_up", "down": "look_down",
    "space": "dig", "n": "noop", "b": "place_block", "t": "place_table", "f": "place_furnace",
    "1": "craft_planks", "2": "craft_sticks", "3": "craft_table", "4": "craft_wooden_pickaxe",
    "5": "craft_stone_pickaxe", "6": "craft_furnace", "7": "smelt_iron",
}
KEYMAPS = (CRAFTER_KEYS, MINETEST_KEYS)


def keymap_for(vocabulary: set[str]) -> dict[str, str]:
    """The keymap whose actions the world has most of (its keys for those actions only)."""
    best = max(KEYMAPS, key=lambda keys: len(set(keys.values()) & vocabulary))
    return {key: action for key, action in best.items() if action in vocabulary}


def key_help(keys: dict[str, str] = CRAFTER_KEYS) -> str:
    return ", ".join(f"{key}={action}" for key, action in keys.items())


class HumanAgent(Agent):
    """Waits for a key press in the viewer window and maps it to the world's action."""

    name = "human"

    def __init__(self, env, viewer=None):
        if viewer is None or not viewer.window:
            raise ConfigError("the human agent needs a window: run `rig play --agent human "
                              "--render window` on a machine with a display")
        self.viewer = viewer
        self.language = env.get_wrapper_attr("action_language")
        vocabulary = set(self.language.vocabulary() or [])
        self.keys = keymap_for(vocabulary)
        if not self.keys:
            raise ConfigError("the human agent has no keys for this world's actions "
                              "(Crafter and Minetest have keymaps)")
        print(f"keys: {key_help(self.keys)}; Esc quits")

    def act(self, obs: dict[str, Any], info: dict[str, Any]) -> Decision:
        pygame = self.viewer.pygame
        while True:
            for event in self.viewer.poll():
                name = pygame.key.name(event.key)
                if name in self.keys:
                    action_text = self.keys[name]
                    return Decision(action=self.language.parse(action_text),
                                    action_text=action_text, reasoning="")
            if self.viewer.closed:
                raise KeyboardInterrupt("the viewer window was closed")
            time.sleep(0.01)
