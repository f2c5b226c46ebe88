"""`rig bench train`: the policy trainer's steps per second against a bare torch loop.

Both train the same model layout on the same batches, in the same process, in alternating
rounds (the median is reported): the trainer is `rig train policy`'s own loop (`PolicyRun.train`:
batch building from the store, Accelerate, the learning-rate schedule, the progress bar, the
JSON and TensorBoard logs), run for --steps steps with validation and checkpoints pushed past
the end; the bare loop is forward, loss, backward, clipping and AdamW on batches built before
the clock starts (`PolicyRun.batch` of the same steps: the very same batches). The ratio is
what the trainer's own work costs (the issue's target: >= 0.95x). With no --data it collects
expert episodes and tokenizes them with the shipped Crafter tokenizer (not timed).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rig.config import option, require


@dataclass
class BenchTrainConfig:
    data: str | None = option(None, "a tokenized store (none: collect --episodes expert "
                              "episodes and tokenize them with the shipped Crafter tokenizer)")
    episodes: int = option(4, "expert episodes to collect without --data")
    preset: str = option("tiny", "model size preset")
    batch_size: int = option(8, "sequences per step")
    context_steps: int = option(1, "episode steps per sequence (the CPU recipe's 1)")
    steps: int = option(12, "optimizer steps timed per round")
    rounds: int = option(3, "rounds, each timing the trainer and then the bare loop")
    device: str = option("cpu", "cpu | cuda")
    threads: int = option(1, "torch CPU threads (0: torch's default)")

    def validate(self) -> None:
        require(self.steps >= 2 and self.rounds >= 1, "--steps >= 2 and --rounds >= 1")
        require(self.batch_size >= 1 and self.episodes >= 1,
                "--batch-size >= 1 and --episodes >= 1")


def _expert_store(folder: Path, episodes: int) -> str:
    from rig.imagination.tokenizer import CRAFTER_TOKENIZER
    from rig.trajectories.collect import CollectConfig, collect
    from rig.trajectories.tokenize import DataTokenizeConfig, data_tokenize

    store = folder / "expert.zarr"
    print(f"collecting {episodes} expert episodes and tokenizing them (not timed)...",
          flush=True)
    gather = CollectConfig(out=str(store), agent="expert:player", episodes=episodes,
                           max_steps=200, workers=1, seed=9000)
    tokens = DataTokenizeConfig(data=str(store), tokenizer=str(CRAFTER_TOKENIZER), device="cpu")
    for step in (gather, tokens):
        step.validate()
    if collect(gather) or data_tokenize(tokens):
        raise SystemExit("could not build the benchmark's store")
    return str(store)


def _train_config(config: BenchTrainConfig, data: str, out: Path):
    from rig.train.train_policy import PolicyTrainConfig

    never = 10 ** 9  # validation and checkpoints are not what is timed
    train = PolicyTrainConfig(data=[data], out=str(out), preset=config.preset,
                              steps=config.steps, batch_size=config.batch_size, warmup=2,
                              context_steps=config.context_steps, eval_every=never,
                              checkpoint_every=never, device=config.device,
                              threads=config.threads, val_fraction=0.0)
    train.validate()
    return train


def _time_trainer(train) -> float:
    """Steps per second of `rig train policy`'s loop (its own clock: after setup)."""
    import json

    from rig.train.policy_run import PolicyRun

    PolicyRun(train).train()
    lines = (Path(train.out) / "metrics.jsonl").read_text().splitlines()
    last = json.loads(lines[-1])
    # the loop's own rate: tokens over the time since its first step began
    return float(last["tokens_per_second"])


def _time_bare(run, batches) -> float:
    """Tokens per second of forward, loss, backward, clipping and AdamW on `batches`."""
    import torch

    from rig.train.train_policy import weighted_loss

    import copy

    # a fresh copy each round, as each trainer round builds a fresh model
    model, weights = copy.deepcopy(run.model), run.config.segment_weights()
    optimizer = torch.optim.AdamW(model.parameters(), lr=run.config.lr, betas=(0.9, 0.95))
    model.train()
    tokens, start = 0, time.perf_counter()
    for ids, mask, segments, positions, slots, frames, _ in batches:
        logits = model(input_ids=ids, attention_mask=mask, position_ids=positions,
                       image_slots=slots, frames=frames).logits
        loss, _ = weighted_loss(logits, ids, segments, mask, weights)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        tokens += int(mask.sum())
        loss.item()  # as the trainer reads the loss every step
    return tokens / (time.perf_counter() - start)


def bench_train(config: BenchTrainConfig) -> int:
    import torch

    from rig.train.policy_run import PolicyRun

    if config.threads:
        torch.set_num_threads(config.threads)
    with tempfile.TemporaryDirectory(prefix="rig-bench-train-") as tmp:
        data = config.data or _expert_store(Path(tmp), config.episodes)
        reference = PolicyRun(_train_config(config, data, Path(tmp) / "reference"))
        reference.setup()  # the bare loop's model, vocabulary and batches
        batches = [reference.batch(step) for step in range(config.steps)]
        trainer, bare = [], []
        for round_ in range(config.rounds):
            out = Path(tmp) / f"trainer-{round_}"
            trainer.append(_time_trainer(_train_config(config, data, out)))
            bare.append(_time_bare(reference, batches))
    rate, base = statistics.median(trainer), statistics.median(bare)
    print(f"rig bench train: {config.preset} policy, batch {config.batch_size}, context "
          f"{config.context_steps} step(s), {config.steps} steps x {config.rounds} rounds on "
          f"{config.device}, torch threads {config.threads or 'default'}")
    print(f"{'loop':34s} {'tokens/s':>10s} {'ratio':>7s}")
    print(f"{'bare torch loop (batches prebuilt)':34s} {base:10.0f} {1.0:7.2f}")
    verdict = "met" if rate / base >= 0.95 else "NOT met"
    print(f"{'rig train policy':34s} {rate:10.0f} {rate / base:7.2f}   >= 0.95 ({verdict})")
    print("tokens/s: real (unpadded) tokens per second of training; median of the rounds; the "
          "trainer builds its batches from the store inside its loop")
    return 0
