"""The uniform random agent: the floor every other agent is measured against."""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Agent, Decision


class RandomAgent(Agent):
    """Samples uniformly from the world's action space; reasoning says so honestly."""

    name = "random"

    def __init__(self, env, seed: int | None = None):
        self.action_space = env.action_space
        self.language = env.get_wrapper_attr("action_language")
        self.rng = np.random.default_rng(seed)

    def reset(self, seed: int | None = None) -> None:
        if seed is not None:
            self.rng = np.random.default_rng(seed)

    def act(self, obs: dict[str, Any], info: dict[str, Any]) -> Decision:
        if not hasattr(self.action_space, "n"):  # an open GUI language: click a random point
            height, width = np.asarray(obs["image"]).shape[:2]
            text = f"click({int(self.rng.integers(width))}, {int(self.rng.integers(height))})"
            return Decision(action=self.language.parse(text), action_text=text,
                            reasoning="I click a point chosen uniformly at random.")
        action = int(self.rng.integers(self.action_space.n))
        return Decision(action=action, action_text=self.language.format(action),
                        reasoning="I pick an action uniformly at random.")
