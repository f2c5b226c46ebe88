"""The PPO agent: plays a stable-baselines3 PPO policy trained by `rig train ppo`.

It reads pixels only. It has no words of its own; its reasoning reports the policy's own
confidence, which is true of the model rather than of the world. The policy is rebuilt from the
safetensors file written beside the SB3 zip: this module owns that file's format, written by
`rig train ppo` (`export_policy`) and read here (`load_policy`); nothing is unpickled.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from rig.config import RigError

from .base import Agent, Decision

POLICY_FORMAT = "rig-ppo-policy"  # the metadata a playable policy file carries


def policy_file(path: str | Path) -> Path:
    """The playable weights of a PPO model: DIR -> DIR/model.safetensors, X.zip ->
    X.safetensors, X.safetensors itself."""
    path = Path(path)
    if path.is_dir():
        return path / "model.safetensors"
    return path if path.suffix == ".safetensors" else path.with_suffix(".safetensors")


def export_policy(model, zip_path: str | Path, world: str) -> Path:
    """Write the policy of an SB3 PPO `model` beside its zip, as safetensors with the network's
    spaces in the metadata; returns the file."""
    import numpy as np
    import stable_baselines3
    from gymnasium import spaces
    from safetensors.torch import save_model
    from stable_baselines3.common.policies import ActorCriticCnnPolicy

    policy = model.policy
    observation, action = policy.observation_space, policy.action_space
    if not (isinstance(observation, spaces.Box) and isinstance(action, spaces.Discrete)):
        raise RigError(f"only image observations and discrete actions can be exported, not "
                       f"{observation} -> {action}")
    if type(policy) is not ActorCriticCnnPolicy or model.policy_kwargs:
        raise RigError(f"only CnnPolicy with default arguments can be exported, not "
                       f"{type(policy).__name__} with policy_kwargs={model.policy_kwargs}")
    low, high = np.unique(observation.low), np.unique(observation.high)
    if len(low) != 1 or len(high) != 1:
        raise RigError("only observation spaces with one low and one high bound can be exported")
    meta = {"format": POLICY_FORMAT, "format_version": "1", "world": world,
            "observation_shape": json.dumps(list(observation.shape)),
            "observation_dtype": str(observation.dtype),
            "observation_bounds": json.dumps([float(low[0]), float(high[0])]),
            "actions": str(int(action.n)), "num_timesteps": str(int(model.num_timesteps)),
            "stable_baselines3": stable_baselines3.__version__}
    out = policy_file(zip_path)
    tmp = out.with_name(out.name + ".tmp")
    save_model(policy, str(tmp), metadata=meta)
    tmp.replace(out)
    return out


def load_policy(path: str | Path, device: str = "cpu"):
    """(SB3 CnnPolicy, metadata) from a policy file `rig train ppo` wrote: the network is built
    from the metadata and its weights read through safetensors, so nothing is unpickled."""
    import numpy as np
    from gymnasium import spaces
    from safetensors import safe_open
    from safetensors.torch import load_model
    from stable_baselines3.common.policies import ActorCriticCnnPolicy

    file = policy_file(path)
    if not file.is_file():
        given = Path(path)
        if given.suffix == ".zip" and given.is_file():
            raise RigError(
                f"{given} has no {file.name} beside it: RIG plays PPO models from the "
                "safetensors file `rig train ppo` writes beside each zip. An SB3 zip unpickles "
                "objects when loaded, which can run code, so RIG does not load zips it did not "
                "write. If you trained this one yourself and trust it, convert it once: "
                f"`rig train ppo --convert {given} --world WORLD`")
        raise RigError(f"no PPO model at {str(path)!r} (train one with `rig train ppo --out "
                       "DIR`, then use --agent ppo:DIR/model.zip)")
    try:
        with safe_open(str(file), framework="pt") as handle:
            meta = handle.metadata() or {}
    except Exception as error:
        raise RigError(f"{file} is not a safetensors file ({error})") from None
    if meta.get("format") != POLICY_FORMAT:
        raise RigError(f"{file} was not written by `rig train ppo` (no {POLICY_FORMAT!r} "
                       "metadata)")
    if int(meta.get("format_version", "0")) > 1:
        raise RigError(f"{file} was written by a newer rig: upgrade rig to play it")
    try:
        low, high = json.loads(meta["observation_bounds"])
        observation = spaces.Box(low, high, tuple(json.loads(meta["observation_shape"])),
                                 np.dtype(meta["observation_dtype"]))
        policy = ActorCriticCnnPolicy(observation, spaces.Discrete(int(meta["actions"])),
                                      lr_schedule=lambda _: 0.0)
        load_model(policy, str(file), device=device)
    except Exception as error:
        raise RigError(f"{file}: cannot rebuild the PPO policy from it ({type(error).__name__}:"
                       f" {error})") from None
    return policy.to(device).eval(), meta


class PPOAgent(Agent):
    name = "ppo"

    def __init__(self, env, path: str, seed: int | None = None, deterministic: bool = False):
        import torch

        self.policy, meta = load_policy(path)
        frame = env.observation_space["image"].shape
        seen, actions = self.policy.observation_space.shape, self.policy.action_space.n
        if sorted(seen) != sorted(frame) or actions != getattr(env.action_space, "n", None):
            raise RigError(f"{path} was trained on {meta.get('world')} (frames {seen}, "
                           f"{actions} actions), which this world does not match: pass --world "
                           f"{meta.get('world')}")
        self.language = env.get_wrapper_attr("action_language")
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
