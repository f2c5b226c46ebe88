"""The PPO agent: plays a stable-baselines3 PPO policy trained by `rig train ppo`.

It reads pixels only. It has no words of its own; its reasoning reports the policy's own
confidence, which is true of the model rather than of the world. The policy is rebuilt from the
safetensors file written beside the SB3 zip (`train/ppo.py`): nothing is unpickled.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Agent, Decision


class PPOAgent(Agent):
    name = "ppo"

    def __init__(self, env, path: str, seed: int | None = None, deterministic: bool = False):
        import torch

        from rig.config import RigError
        from rig.train.ppo import load_policy

        self.policy, meta = load_policy(path)
        frame = env.observation_space["image"].shape
        seen, actions = self.policy.observation_space.shape, self.policy.action_space.n
        if sorted(seen) != sorted(frame) or actions != getattr(env.action_space, "n", None):
            raise RigError(f"{path} was trained on {meta.get('world')} (frames {seen}, "
                           f"{actions} actions), which this world does not match: pass --world "
                           f"{meta.get('world')}")
        self.language = env.unwrapped.action_language
        self.deterministic = deterministic
        self.torch = torch
        self.reset(seed)

    def reset(self, seed: int | None = None) -> None:
        if seed is not None:  # as SB3's own model.set_random_seed: its sampling uses torch's RNG
            from stable_baselines3.common.utils import set_random_seed

            set_random_seed(seed)

    def act(self, obs: dict[str, Any], info: dict[str, Any]) -> Decision:
        policy = self.policy
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
