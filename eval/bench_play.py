"""`rig bench play`: whole acting steps (world + image tokenizer + policy) against random.

What a user waits for in `rig play` and `rig eval`: K Crafter worlds played in lockstep
(`rollout.run_batch`) by the RIG policy, beside the random agent on the same worlds and seeds,
in rounds that alternate the two (so a busy machine slows both alike). Prints world-steps per
second per agent and K, the ratio, and what a 40-episode evaluation of 1,000 steps would take.

The policy is `--agent rig:PATH` or, by default, a tiny untrained one built here around the
shipped Crafter tokenizer (`pretrained/crafter-tokenizer`) with the layout `rig train policy`
gives a new run: it samples as acting does and writes reasoning up to the real cap (48 tokens;
an untrained policy usually runs to it, so this is the slow case). Its imagined pixels are not
decoded, as in `rig eval` (nobody looks), unless --draw.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from rig.config import option, require
from rig.imagination.tokenizer import CRAFTER_TOKENIZER


@dataclass
class BenchPlayConfig:
    agent: str | None = option(None, "rig:PATH to time (none: a tiny untrained policy with the "
                               "shipped Crafter tokenizer)")
    worlds: list[int] = option(None, "worlds played in lockstep", factory=lambda: [1, 8, 16])
    steps: int = option(8, "steps timed per world and round")
    rounds: int = option(2, "rounds, each timing random then the policy")
    imagine: bool = option(True, "the policy imagines its next frame (--no-imagine: act only)")
    draw: bool = option(False, "decode the imagined frame to pixels every step, as `rig play` "
                        "does for its viewer, video or recording (--no-draw: as `rig eval`)")
    threads: int = option(0, "torch CPU threads (0: torch's default, what `rig play` and `rig "
                          "eval` use when they play in one process; 1: what each worker of a "
                          "pool uses)")
    seed: int = option(1000, "first seed")

    def validate(self) -> None:
        require(all(k >= 1 for k in self.worlds), "--worlds must be >= 1")
        require(self.steps >= 1 and self.rounds >= 1, "--steps and --rounds must be >= 1")
        require(self.threads >= 0, "--threads must be >= 0")
        if self.agent is not None:
            from rig.agents import rig_checkpoint

            require(rig_checkpoint(self.agent) is not None,
                    "--agent must name a RIG policy checkpoint: rig:OUT/final")


def untrained_policy(folder: Path, tokenizer: Path = CRAFTER_TOKENIZER,
                     context_steps: int = 1) -> Path:
    """Write a tiny untrained policy around `tokenizer`, laid out as `rig train policy` lays
    out a new run (anchored imagination, tile embedding), into `folder`; returns it."""
    import numpy as np
    import torch

    from rig.imagination.tokenizer import ImageTokenizer
    from rig.policy import checkpoint
    from rig.policy.model import build_model, wrap_model
    from rig.train.train_policy import PolicyTrainConfig, run_layout

    from .bench_policy import bench_vocabulary

    image_tokenizer = ImageTokenizer.from_pretrained(tokenizer)
    rows, cols = image_tokenizer.config.grid_shape
    codec = {"grid": [rows, cols], "codebook_size": image_tokenizer.codebook_size,
             "tokenizer": str(tokenizer), "tokenizer_sha256": "untrained-bench", "offset": 0,
             "worlds": ["rig/Crafter-v0"]}
    vocab = bench_vocabulary(np.random.default_rng(0), image_tokenizer.codebook_size, 2000)
    train = PolicyTrainConfig(data=["-"], context_steps=context_steps)
    sequence, model_config = run_layout(train, image_tokenizer.config.frame_shape, [codec],
                                        len(vocab))
    torch.manual_seed(0)
    lm = build_model(model_config, pad_id=vocab.id("<pad>"), bos_id=vocab.id("<bos>"),
                     eos_id=vocab.id("<eos>"))
    model = wrap_model(lm, model_config, vocab.id("<patch>"))
    checkpoint.save(folder, model, vocab, {
        "sequence": asdict(sequence), "model": model_config.to_dict(), "step": 0,
        "image_tokens": codec, "image_codecs": [codec], "worlds": ["rig/Crafter-v0"]},
        tokenizers=[tokenizer])
    return folder


def _time(envs, agents, seeds, steps: int) -> float:
    """World-steps per second of one lockstep batch of `steps` steps, from the moment every
    world is reset (resets are not acting)."""
    from rig.rollout import run_batch

    started = []

    def on_reset(world, obs, info):
        if world == len(envs) - 1:
            started.append(time.perf_counter())

    results = run_batch(envs, agents, seeds, max_steps=steps, on_reset=on_reset)
    return sum(r.length for r in results) / (time.perf_counter() - started[0])


def bench_play(config: BenchPlayConfig) -> int:
    import torch

    import rig.worlds
    from rig.agents import agents_in, make_agents

    if config.threads:
        torch.set_num_threads(config.threads)
    with tempfile.TemporaryDirectory() as tmp:
        agent = config.agent or f"rig:{untrained_policy(Path(tmp) / 'policy')}"
        what = "untrained tiny policy (reasoning to its 48-token cap)" if config.agent is None \
            else config.agent
        print(f"rig bench play: {what}, imagine {config.imagine}, draw {config.draw}, "
              f"{config.steps} steps x "
              f"{config.rounds} rounds per K, torch threads {torch.get_num_threads()}")
        print(f"{'worlds':>6} {'random steps/s':>15} {'policy steps/s':>15} {'ratio':>7} "
              f"{'40 x 1,000 steps':>17}")
        for k in config.worlds:
            envs = [rig.worlds.make("rig/Crafter-v0") for _ in range(k)]
            players = {"random": make_agents("random", envs, seed=config.seed),
                       "policy": make_agents(agent, envs, seed=config.seed,
                                             imagine=config.imagine, device="cpu")}
            for one in agents_in(players["policy"]):
                one.set_drawing(config.draw)  # False: as `rig eval`, nobody looks
            rates: dict[str, list[float]] = {"random": [], "policy": []}
            seeds = list(range(config.seed, config.seed + k))
            _time(envs, players["policy"], seeds, 1)  # warm-up: first forward, allocations
            for _ in range(config.rounds):
                for name in ("random", "policy"):
                    rates[name].append(_time(envs, players[name], seeds, config.steps))
            random_rate = statistics.median(rates["random"])
            policy_rate = statistics.median(rates["policy"])
            minutes = 40 * 1000 / policy_rate / 60
            print(f"{k:>6} {random_rate:>15.1f} {policy_rate:>15.2f} "
                  f"{policy_rate / random_rate:>7.4f} {minutes:>13.0f} min", flush=True)
            for env in envs:
                env.close()
    print("steps/s: world-steps per second (K worlds x steps over wall time), median of the "
          "rounds; 40 x 1,000 steps: an evaluation's minutes at this rate in one process")
    return 0
