"""`rig train ppo`: the stable-baselines3 PPO baseline on a RIG world's pixels.

Role in the data flow: trains SB3's CnnPolicy on the frame alone and saves it in SB3's own zip
format; `--agent ppo:PATH` plays it, so its episodes can be collected into trajectory stores
like any agent's. Checkpoints go to `OUT/checkpoints/`; running the same command again resumes
from the newest one (the step count carries on), so a killed run loses at most one interval.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rig.config import RigError, option, require


@dataclass
class PPOConfig:
    world: str = option("rig/Crafter-v0", "world id to train on")
    steps: int = option(100_000, "total environment steps (the Crafter benchmark uses 1M)")
    out: str = option("runs/ppo", "output folder: final model OUT/model.zip and checkpoints")
    envs: int = option(4, "parallel environments")
    subprocess: bool = option(True, "step the environments in worker processes")
    seed: int = option(0, "seed of the run (world seeds and network initialisation)")
    checkpoint_every: int = option(20_000, "save a checkpoint every this many steps")
    learning_rate: float = option(3e-4, "Adam learning rate")
    n_steps: int = option(256, "rollout length per environment between updates")
    batch_size: int = option(256, "minibatch size")
    device: str = option("auto", "torch device: auto | cpu | cuda")

    def validate(self) -> None:
        require(self.steps >= 1, f"--steps must be at least 1, got {self.steps}")
        require(self.envs >= 1, f"--envs must be at least 1, got {self.envs}")
        require(self.checkpoint_every >= 1, "--checkpoint-every must be at least 1")
        require(self.n_steps >= 2 and self.batch_size >= 2, "--n-steps and --batch-size must be >= 2")
        require(self.learning_rate > 0, "--learning-rate must be > 0")


def make_image_env(world: str, seed: int | None = None):
    import rig.worlds
    from rig.worlds.wrappers import ImageObservation

    return ImageObservation(rig.worlds.make(world))


def latest_checkpoint(folder: Path) -> Path | None:
    """The checkpoint with the most steps in `folder` (`ppo_<steps>_steps.zip`), if any."""
    found = []
    for path in folder.glob("ppo_*_steps.zip"):
        match = re.fullmatch(r"ppo_(\d+)_steps\.zip", path.name)
        if match:
            found.append((int(match.group(1)), path))
    return max(found)[1] if found else None


def train_ppo(config: PPOConfig) -> int:
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import CheckpointCallback
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

    import rig.worlds

    rig.worlds.make(config.world)  # unknown worlds fail here, with the list of valid ones
    out = Path(config.out)
    checkpoints = out / "checkpoints"
    checkpoints.mkdir(parents=True, exist_ok=True)
    if config.device == "cpu" or (config.device == "auto" and not torch.cuda.is_available()):
        torch.set_num_threads(1 if config.subprocess else torch.get_num_threads())
    vec_cls = SubprocVecEnv if config.subprocess and config.envs > 1 else DummyVecEnv
    venv = make_vec_env(make_image_env, n_envs=config.envs, seed=config.seed, vec_env_cls=vec_cls,
                        env_kwargs={"world": config.world})
    resume = latest_checkpoint(checkpoints)
    if resume is not None:
        print(f"resuming from {resume}")
        model = PPO.load(resume, env=venv, device=config.device)
    else:
        model = PPO("CnnPolicy", venv, learning_rate=config.learning_rate, n_steps=config.n_steps,
                    batch_size=config.batch_size, seed=config.seed, device=config.device,
                    verbose=0, tensorboard_log=str(out / "tensorboard"))
    remaining = config.steps - model.num_timesteps
    if remaining > 0:
        every = max(1, config.checkpoint_every // config.envs)
        callback = CheckpointCallback(every, str(checkpoints), name_prefix="ppo")
        model.learn(remaining, callback=callback, reset_num_timesteps=resume is None,
                    progress_bar=True)
    final = out / "model.zip"
    model.save(final)
    venv.close()
    print(f"saved {final} after {model.num_timesteps} steps; play it with "
          f"`rig play --agent ppo:{final}` or score it with `rig eval --agent ppo:{final}`")
    return 0


def load_ppo(path: str, device: str = "cpu"):
    """Load an SB3 PPO zip for acting. SB3's format unpickles parts of the file: load only
    models you trained yourself."""
    from stable_baselines3 import PPO

    file = Path(path)
    if not file.is_file():
        raise RigError(f"no PPO model at {path!r} (train one with `rig train ppo --out DIR`, "
                       "then use --agent ppo:DIR/model.zip)")
    try:
        return PPO.load(file, device=device)
    except Exception as error:  # a zip that is not an SB3 model: say so, not a traceback
        raise RigError(f"{path!r} is not a stable-baselines3 PPO model: {error}") from error
