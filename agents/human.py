"""The human agent: a person plays through the keyboard of the `rig play` viewer window.

Turn-based: the world waits for a key, so there is time to read the agent-style panel. Keys
follow Crafter's own GUI (WASD to move, space to interact, tab to sleep, ...); Esc or closing the
window ends the run. What a person plays can be recorded like any other agent's episodes.
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


def key_help() -> str:
    return ", ".join(f"{key}={action}" for key, action in CRAFTER_KEYS.items())


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
        self.keys = {k: a for k, a in CRAFTER_KEYS.items() if a in vocabulary}
        print(f"keys: {key_help()}; Esc quits")

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
