"""The PPO agent: plays a stable-baselines3 PPO model trained by `rig train ppo`.

It reads pixels only. It has no words of its own; its reasoning reports the policy's own
confidence, which is true of the model rather than of the world.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Agent, Decision


class PPOAgent(Agent):
    name = "ppo"

    def __init__(self, env, path: str, seed: int | None = None, deterministic: bool = False):
        import torch

        from rig.train.ppo import load_ppo

        self.model = load_ppo(path)
        self.language = env.unwrapped.action_language
        self.deterministic = deterministic
        self.torch = torch
        self.reset(seed)

    def reset(self, seed: int | None = None) -> None:
        if seed is not None:
            self.model.set_random_seed(seed)

    def act(self, obs: dict[str, Any], info: dict[str, Any]) -> Decision:
        policy = self.model.policy
        tensor, _ = policy.obs_to_tensor(obs["image"])
        with self.torch.no_grad():
            distribution = policy.get_distribution(tensor)
            probs = distribution.distribution.probs[0].cpu().numpy()
            action = int(distribution.get_actions(deterministic=self.deterministic)[0])
        text = self.language.format(action)
        return Decision(action=action, action_text=text,
                        reasoning=f"My PPO policy picks {text} with probability "
                                  f"{probs[action]:.2f}.",
                        extras={"probability": float(probs[action]),
                                "entropy": float(-(probs * np.log(probs + 1e-12)).sum())})
