"""`rig eval decisions`: free-running decisions on held-out teacher states, any learned agent.

Role in the data flow: reads held-out episodes of a store the teacher collected (seed >=
`--holdout-seed`), puts the agent in each sampled state as acting would, lets it decide, and
counts how often its action is the teacher's (a DAgger store's label where it has one):

- `rig:DIR`: the task, the previous step as the teacher played it and the current observation
  go to the acting decoder, which writes its own reasoning and then the action
  (`train/free_running.py`, the same measure `rig train policy` logs at each validation);
  `--own-context`: the previous steps carry the policy's own reasoning, as in play, not the
  teacher's (whose stated plan would otherwise guide the decision);
- `bc:DIR`: the frame, the observation text and the teacher's executed actions before it.

Teacher-forced accuracy cannot fail when the reasoning states the action; this can. Each row
has a 95% bootstrap interval over the states, so two agents or temperatures can be told apart,
and costs seconds, where a closed-loop evaluation costs most of an hour on a CPU.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rig.config import RigError, option, require


@dataclass
class EvalDecisionsConfig:
    agent: str = option("", "the learned agent: rig:OUT/final or bc:OUT")
    data: str = option("data/heldout.zarr", "a store of the teacher's episodes (tokenized with "
                       "the policy's image tokenizer, for rig:)")
    holdout_seed: int = option(1000, "episodes with seed >= this are used (keep them out of "
                               "training)")
    states: int = option(256, "held-out states sampled (one decision each)")
    temperatures: list[float] = option(None, "sampling temperatures to measure (0: greedy)",
                                       factory=lambda: [1.0])
    batch: int = option(64, "states decided together")
    seed: int = option(0, "seed of the state draw and of sampling")
    json: str | None = option(None, "also write the figures to this JSON file")
    device: str = option("cpu", "where the agent runs: cpu | cuda")
    threads: int = option(0, "torch CPU threads (0: torch's default; 1 beside other jobs, "
                          "where more threads slow everyone down)")
    own_context: bool = option(False, "rig: with --context-steps > 1, the earlier steps in view "
                               "carry the policy's own reasoning (written at those states), "
                               "as in play, instead of the teacher's, whose plan it would "
                               "otherwise read")

    def validate(self) -> None:
        require(self.agent.startswith(("rig:", "bc:")),
                "--agent must name a learned agent: rig:OUT/final or bc:OUT")
        require(self.states >= 1 and self.batch >= 1, "--states and --batch must be >= 1")
        require(self.threads >= 0, f"--threads must be >= 0, got {self.threads}")
        require(bool(self.temperatures) and min(self.temperatures) >= 0,
                "--temperatures must be >= 0")
        require(Path(self.data).exists(), f"no trajectory store at {self.data!r}")


def _held_out(store, config) -> list[int]:
    seeds = store.read_meta("seed")
    held = [e for e in range(store.num_episodes) if int(seeds[e]) >= config.holdout_seed]
    if not held:
        raise RigError(f"{config.data} has no episode with seed >= {config.holdout_seed}: "
                       "collect held-out episodes of the teacher (rig collect --seed 1000)")
    return held


def _labels(store):
    from rig.policy.sequence import TEACHER_KEY

    executed = store.read("action_text")
    if TEACHER_KEY not in store.data:
        return executed, executed
    teacher = store.read(TEACHER_KEY)
    return executed, np.asarray([str(t) or str(e) for t, e in zip(teacher, executed)])


def _rig_decider(config, store):
    """The policy, its held-out states and a function temperature -> hits (loaded once)."""
    import torch

    from rig.agents import rig_checkpoint
    from rig.policy import checkpoint
    from rig.policy.sequence import IMAGE_KEY, TEACHER_KEY, SequenceBuilder, SequenceConfig
    from rig.train.free_running import (frame_tokens, free_running_actions,
                                        own_context_cases, window_case)
    from rig.trajectories.dataset import TrajectoryDataset

    policy = checkpoint.load(rig_checkpoint(config.agent))
    world = (store.attrs.get("worlds") or [None])[0]
    index = checkpoint.codec_index(policy.meta, world)
    codec = checkpoint.image_codecs(policy.meta)[index]
    tokens = store.attrs.get(IMAGE_KEY) or {}
    if IMAGE_KEY not in store.data or tokens.get("tokenizer_sha256") != \
            codec.get("tokenizer_sha256"):
        raise RigError(f"{config.data} is not tokenized with this policy's image tokenizer: run "
                       f"`rig data tokenize --data {config.data} --tokenizer "
                       f"{policy.folder / checkpoint.tokenizer_folder(index)}`")
    sequence = SequenceConfig(**policy.meta["sequence"])
    builder = SequenceBuilder(policy.vocab, sequence)
    offsets = sequence.offsets()
    if TEACHER_KEY in store.data:
        offsets[TEACHER_KEY] = sequence.label_offsets()
    dataset = TrajectoryDataset(store, offsets, _held_out(store, config))
    dataset.cache[IMAGE_KEY] = store.read(IMAGE_KEY).astype(np.int64) + int(codec["offset"])
    tasks = [str(t) for t in store.read_meta("task_text")]
    rng = np.random.default_rng(config.seed)
    picks = rng.choice(len(dataset), size=min(len(dataset), config.states), replace=False)
    items = [dataset[int(i)] for i in picks]
    item_tasks = [tasks[item["episode"]] for item in items]
    teacher_cases = [window_case(builder, policy.vocab, item, task)
                     for item, task in zip(items, item_tasks)]
    model = policy.model(config.device)
    image_tokens = frame_tokens(codec, sequence)
    image_range = checkpoint.codec_image_ids(policy.vocab, codec)
    own = config.own_context and sequence.reasoning and sequence.context_steps > 1
    context = model.config.max_position_embeddings

    def decide(temperature: float) -> list[bool]:
        hits = []
        with torch.no_grad():
            for start in range(0, len(items), config.batch):
                stop = start + config.batch
                part = (own_context_cases(model, policy.vocab, builder, sequence,
                                          items[start:stop], item_tasks[start:stop],
                                          image_tokens, image_range, config.seed + start,
                                          context, temperature)
                        if own else teacher_cases[start:stop])
                part = [c for c in part if c is not None]
                actions, _ = free_running_actions(
                    model, policy.vocab, builder, sequence, part, image_tokens, image_range,
                    seed=config.seed + start, max_context=context, temperature=temperature)
                hits += [a == c[4] for a, c in zip(actions, part)]
        return hits

    return decide


def _bc_decider(config, store):
    """The baseline, its held-out states and a function temperature -> hits (loaded once)."""
    import torch

    from rig.policy import bc

    policy = bc.load(config.agent.split(":", 1)[1])
    net = policy.net(config.device)
    features = policy.text_features()
    actions = {name: i for i, name in enumerate(policy.config.actions)}
    executed, labels = _labels(store)
    tasks = [str(t) for t in store.read_meta("task_text")]
    rows = []  # (step, episode)
    for e in _held_out(store, config):
        start, stop = store.episode_bounds(e)
        rows += [(t, e, start) for t in range(start, stop)]
    rng = np.random.default_rng(config.seed)
    picks = [rows[int(i)] for i in rng.choice(len(rows), size=min(len(rows), config.states),
                                              replace=False)]
    texts = store.read("text")
    logits, labels_of = [], []  # the network's logits do not depend on the temperature
    for start in range(0, len(picks), config.batch):
        part = picks[start:start + config.batch]
        frames = np.stack([store.read("image", t, t + 1)[0] for t, _, _ in part])
        extra = np.stack([bc.step_inputs(features, texts[t], tasks[e],
                                         [actions.get(str(a), -1) for a in executed[first:t]],
                                         len(actions), policy.config.history)
                          for t, e, first in part])
        with torch.no_grad():
            logits.append(net(torch.from_numpy(frames).to(config.device),
                              torch.from_numpy(extra).to(config.device)).float().cpu())
        labels_of.append([str(labels[t]) for t, _, _ in part])

    def decide(temperature: float) -> list[bool]:
        generator = torch.Generator().manual_seed(config.seed)
        hits = []
        for batch, wanted in zip(logits, labels_of):
            if temperature <= 0:
                chosen = batch.argmax(-1)
            else:
                chosen = torch.multinomial(torch.softmax(batch / temperature, -1), 1,
                                           generator=generator)[:, 0]
            hits += [policy.config.actions[int(c)] == label for c, label in zip(chosen, wanted)]
        return hits

    return decide


def eval_decisions(config: EvalDecisionsConfig) -> int:
    from rig.rollout.pool import set_threads

    set_threads(config.threads)
    from rich.console import Console
    from rich.table import Table

    from rig.rollout.scores import bootstrap_interval
    from rig.trajectories.store import TrajectoryStore

    console = Console()
    store = TrajectoryStore.open(config.data, "r")
    decide = (_rig_decider if config.agent.startswith("rig:") else _bc_decider)(config, store)
    table = Table(title=f"{config.agent}: free-running decisions on held-out states of "
                        f"{config.data} (seeds >= {config.holdout_seed})")
    for column in ("temperature", "states", "agreement with the teacher %", "95% CI"):
        table.add_column(column, justify="right")
    rows = []
    for temperature in config.temperatures:
        hits = decide(float(temperature))
        if not hits:
            raise RigError(f"no state of {config.data} ends in an action of one token")
        share = 100.0 * float(np.mean(hits))
        low, high = bootstrap_interval(hits, lambda s: 100.0 * float(np.mean(s)))
        rows.append({"temperature": temperature, "states": len(hits), "agreement": share,
                     "ci95": [low, high]})
        table.add_row(f"{temperature:g}", str(len(hits)), f"{share:.1f}",
                      f"{low:.1f}-{high:.1f}")
    console.print(table)
    if config.json:
        Path(config.json).write_text(json.dumps({"agent": config.agent, "data": config.data,
                                                 "holdout_seed": config.holdout_seed,
                                                 "rows": rows}, indent=2))
        console.print(f"written to {config.json}")
    return 0
