"""`rig train ppo`: the stable-baselines3 PPO baseline on a RIG world's pixels.

Role in the data flow: trains SB3's CnnPolicy on the frame alone and saves it in SB3's own zip
format, for resuming, and beside every zip the policy's weights alone as `<name>.safetensors`
(with what is needed to rebuild the network in its metadata), which is what `--agent ppo:PATH`
plays, so its episodes can be collected into trajectory stores like any agent's. SB3's zip
unpickles objects on load, so RIG loads a zip only to resume the run that wrote it (or when
asked with `--convert`); acting never unpickles. Checkpoints go to `OUT/checkpoints/`; running
the same command again resumes from the newest one that loads (the step count carries on), so a
killed run loses at most one interval.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rig.agents.ppo_agent import export_policy
from rig.config import RigError, option, pick_device, require


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
    convert: str | None = option(None, "write the playable PATH.safetensors beside an SB3 zip you "
                                 "trained yourself (its load unpickles: only for files you trust) "
                                 "and exit; --world must be the world it was trained on")

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


def checkpoints_newest_first(folder: Path) -> list[Path]:
    """The checkpoints in `folder` (`ppo_<steps>_steps.zip`), most steps first."""
    found = []
    for path in folder.glob("ppo_*_steps.zip"):
        match = re.fullmatch(r"ppo_(\d+)_steps\.zip", path.name)
        if match:
            found.append((int(match.group(1)), path))
    return [path for _, path in sorted(found, reverse=True)]


def latest_checkpoint(folder: Path) -> Path | None:
    """The checkpoint with the most steps in `folder`, if any."""
    found = checkpoints_newest_first(folder)
    return found[0] if found else None


def resume_model(folder: Path, venv, device: str):
    """SB3's PPO from the newest checkpoint of this run that loads, or None if there is none.
    SB3 writes its zip in place, so a kill mid-save leaves a zip cut short: it is named, moved
    aside to `.damaged`, and the one before is used; if none loads, a RigError lists them."""
    from stable_baselines3 import PPO

    failed = []
    for path in checkpoints_newest_first(folder):
        try:
            model = PPO.load(path, env=venv, device=device)  # this run's own file
        except Exception as error:
            first = (str(error).strip().splitlines() or [""])[0][:200]
            print(f"cannot resume from {path}: it is damaged ({type(error).__name__}: {first})")
            failed.append(path)
            continue
        for bad in failed:
            bad.rename(bad.with_name(bad.name + ".damaged"))
        print(f"resuming from {path}" + (f" (moved {', '.join(b.name for b in failed)} aside "
                                         "to .damaged)" if failed else ""))
        return model
    if failed:
        raise RigError(f"no checkpoint in {folder} loads ({', '.join(p.name for p in failed)} "
                       "are damaged): move the folder away to train from the start")
    return None


def _checkpoint_callback(every: int, folder: Path, world: str):
    """SB3's checkpoint callback, also writing each checkpoint's playable safetensors."""
    from stable_baselines3.common.callbacks import CheckpointCallback

    class PlayableCheckpoints(CheckpointCallback):
        def _on_step(self) -> bool:
            result = super()._on_step()
            if self.n_calls % self.save_freq == 0:
                export_policy(self.model, self._checkpoint_path(extension="zip"), world)
            return result

    return PlayableCheckpoints(every, str(folder), name_prefix="ppo")


def convert_zip(config: "PPOConfig") -> int:
    """`rig train ppo --convert ZIP`: the user vouches for the zip; SB3 loads (unpickles) it."""
    from stable_baselines3 import PPO

    import rig.worlds

    zip_path = Path(config.convert)
    if not zip_path.is_file():
        raise RigError(f"--convert: no file {zip_path}")
    try:
        model = PPO.load(zip_path, device="cpu")
    except Exception as error:
        raise RigError(f"{zip_path} is not a stable-baselines3 PPO model: {error}") from None
    expected = make_image_env(config.world).observation_space
    if tuple(sorted(model.observation_space.shape)) != tuple(sorted(expected.shape)):
        raise RigError(f"{zip_path} sees frames of {model.observation_space.shape}, "
                       f"{config.world} gives {expected.shape}: pass its --world")
    out = export_policy(model, zip_path, config.world)
    print(f"wrote {out}; play it with `rig play --agent ppo:{zip_path} --world {config.world}`")
    return 0


def train_ppo(config: PPOConfig) -> int:
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

    import rig.worlds

    rig.worlds.make(config.world)  # unknown worlds fail here, with the list of valid ones
    if config.convert:
        return convert_zip(config)
    out = Path(config.out)
    checkpoints = out / "checkpoints"
    checkpoints.mkdir(parents=True, exist_ok=True)
    if pick_device(config.device) == "cpu":
        torch.set_num_threads(1 if config.subprocess else torch.get_num_threads())
    vec_cls = SubprocVecEnv if config.subprocess and config.envs > 1 else DummyVecEnv
    venv = make_vec_env(make_image_env, n_envs=config.envs, seed=config.seed, vec_env_cls=vec_cls,
                        env_kwargs={"world": config.world})
    model = resume_model(checkpoints, venv, config.device)  # this run's own zips, unpickled
    resume = model is not None
    if model is None:
        model = PPO("CnnPolicy", venv, learning_rate=config.learning_rate, n_steps=config.n_steps,
                    batch_size=config.batch_size, seed=config.seed, device=config.device,
                    verbose=0, tensorboard_log=str(out / "tensorboard"))
    remaining = config.steps - model.num_timesteps
    if remaining > 0:
        every = max(1, config.checkpoint_every // config.envs)
        callback = _checkpoint_callback(every, checkpoints, config.world)
        model.learn(remaining, callback=callback, reset_num_timesteps=not resume,
                    progress_bar=True)
    final = out / "model.zip"
    model.save(final)
    export_policy(model, final, config.world)
    venv.close()
    print(f"saved {final} after {model.num_timesteps} steps; play it with "
          f"`rig play --agent ppo:{final}` or score it with `rig eval --agent ppo:{final}`")
    return 0
