"""Wrappers that adapt RIG worlds to other libraries' expectations.

`ImageObservation` hands only the frame to agents that read pixels alone (stable-baselines3's
CnnPolicy). Wrappers record their constructor arguments, so `gymnasium.make(env.spec)` rebuilds
a wrapped world exactly.
"""

from __future__ import annotations

import gymnasium as gym


class ImageObservation(gym.ObservationWrapper, gym.utils.RecordConstructorArgs):
    """Observation = the (H, W, 3) uint8 frame only (the text is dropped)."""

    def __init__(self, env: gym.Env):
        gym.utils.RecordConstructorArgs.__init__(self)
        gym.ObservationWrapper.__init__(self, env)
        self.observation_space = env.observation_space["image"]

    def observation(self, observation):
        return observation["image"]
