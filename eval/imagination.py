"""`rig eval imagination`: how well the policy imagines the next frame, on held-out transitions.

Role in the data flow: reads held-out episodes of a tokenized store, lays out each sampled step
exactly as training does (task, the previous steps, the observation, the recorded reasoning and
action: teacher forcing), lets the policy write the `<imagine>` image tokens greedily, decodes
them with the image tokenizer, and compares the imagined frame with the real next frame (PSNR,
SSIM). Every figure stands beside the honest baseline, *copy the current frame*, on all
transitions and on those where the frame really changes, where copying cannot win for free.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rig.config import option, require


@dataclass
class EvalImaginationConfig:
    agent: str = option("", "the policy: rig:OUT/final")
    data: str = option("data/expert.zarr", "tokenized trajectory store")
    holdout_seed: int = option(1000, "episodes with seed >= this are evaluated (keep them out "
                               "of training)")
    transitions: int = option(64, "transitions sampled from the held-out episodes")
    batch: int = option(8, "transitions imagined together")
    changed_threshold: float = option(1.0, "mean absolute pixel change above which a transition "
                                      "counts as 'the frame changes'")
    seed: int = option(0, "sampling seed")
    json: str | None = option(None, "also write the figures to this JSON file")
    device: str = option("cpu", "where the policy runs: cpu | cuda")
    threads: int = option(0, "torch CPU threads (0: torch's default; 1 beside other jobs, "
                          "where more threads slow everyone down)")

    def validate(self) -> None:
        from rig.agents import rig_checkpoint

        require(rig_checkpoint(self.agent) is not None,
                "--agent must name a RIG policy checkpoint: rig:OUT/final")
        require(self.threads >= 0, f"--threads must be >= 0, got {self.threads}")
        require(self.transitions >= 1 and self.batch >= 1, "--transitions and --batch must be >= 1")
        require(Path(self.data).exists(), f"no trajectory store at {self.data!r}")


class Imaginer:
    """A policy teacher-forced up to a step's `<imagine>`, writing that step's next-frame codes
    greedily: the one set-up of `rig eval imagination` and of scripts that read the codes
    (docs/results/imagine-all/read_imagined.py). The layout is training's, with the `<imagine>`
    segment whatever the policy was trained with."""

    def __init__(self, agent: str, store, device: str = "cpu"):
        from rig.agents import rig_checkpoint
        from rig.policy import checkpoint
        from rig.policy.sequence import SequenceBuilder, SequenceConfig

        policy = checkpoint.load(rig_checkpoint(agent))
        self.store, self.vocab, self.model = store, policy.vocab, policy.model(device)
        self.tokenizer, codec = policy.image_tokenizer(list(store.attrs.get("worlds")
                                                            or [None])[0], device)
        self.offset = int(codec.get("offset", 0))  # the store's codes sit in this codec's block
        self.builder = SequenceBuilder(self.vocab, SequenceConfig(**{**policy.meta["sequence"],
                                                                     "imagination": True}))
        self.image_range = checkpoint.codec_image_ids(self.vocab, codec)
        self.tasks = store.read_meta("task_text")

    def dataset(self, episodes):
        """Training's windows over `episodes`, the image codes moved to the policy's block."""
        import numpy as np

        from rig.policy.sequence import IMAGE_KEY
        from rig.trajectories.dataset import TrajectoryDataset

        dataset = TrajectoryDataset(self.store, self.builder.config.offsets(), episodes)
        dataset.cache[IMAGE_KEY] = self.store.read(IMAGE_KEY).astype(np.int64) + self.offset
        return dataset

    def prompt(self, item):
        """(ids up to and with the current step's `<imagine>`, observed frames of its <patch>
        slots or None) of one dataset item."""
        ids, _, observed = self.builder.sample(item, str(self.tasks[item["episode"]]))
        ids = [int(i) for i in ids]
        cut = len(ids) - 1 - ids[::-1].index(self.vocab.id("<imagine>"))
        return ids[:cut + 1], observed

    def codes(self, prompts):
        """Imagined codes (B, h, w), the store's numbering, of a batch of `prompt()`s."""
        import numpy as np

        from rig.policy.decoder import IncrementalDecoder, to_codes

        decoder = IncrementalDecoder(self.model, self.vocab,
                                     self.tokenizer.config.tokens_per_frame, temperature=0.0,
                                     max_context_tokens=10**9,
                                     image_anchor=self.builder.config.image_anchor,
                                     positions=self.builder.positions,
                                     image_range=self.image_range)
        logits = decoder.reset([p[0] for p in prompts], [p[1] for p in prompts])
        return np.stack([to_codes(self.vocab, t, self.tokenizer.grid_shape, self.offset)
                         for t in decoder.imagine_frames(logits)])


def _prompts(imaginer: Imaginer, config):
    """(prompt, current frame, next frame) for sampled held-out transitions."""
    import numpy as np

    from rig.config import RigError
    from rig.policy.sequence import IMAGE_KEY

    store = imaginer.store
    seeds = store.read_meta("seed")
    held_out = [e for e in range(store.num_episodes) if int(seeds[e]) >= config.holdout_seed]
    if not held_out:
        raise RigError(f"{config.data} has no episode with seed >= {config.holdout_seed}: collect "
                       "held-out episodes (e.g. rig collect --seed 1000) and tokenize them")
    dataset = imaginer.dataset(held_out)
    rng = np.random.default_rng(config.seed)
    candidates = [i for i in rng.permutation(len(dataset))
                  if not dataset[int(i)][f"{IMAGE_KEY}_is_pad"][-1]]  # a next frame exists
    for index in candidates[:config.transitions]:
        item = dataset[int(index)]
        t = item["step"]
        frames = store.read("image", t, t + 2)
        yield imaginer.prompt(item), frames[0], frames[1]


def eval_imagination(config: EvalImaginationConfig) -> int:
    from rig.rollout.pool import set_threads

    set_threads(config.threads)
    import numpy as np
    from tqdm import tqdm

    from rig.imagination.metrics import frame_metrics
    from rig.trajectories.store import TrajectoryStore

    imaginer = Imaginer(config.agent, TrajectoryStore.open(config.data, "r"), config.device)
    prompts = list(_prompts(imaginer, config))
    imagined, current, real = [], [], []
    bar = tqdm(total=len(prompts), unit="transition", desc="imagining")
    for start in range(0, len(prompts), config.batch):
        chunk = prompts[start:start + config.batch]
        imagined.append(imaginer.tokenizer.decode(imaginer.codes([c[0] for c in chunk])))
        current += [c[1] for c in chunk]
        real += [c[2] for c in chunk]
        bar.update(len(chunk))
    bar.close()
    imagined, current, real = np.concatenate(imagined), np.stack(current), np.stack(real)
    change = np.abs(real.astype(np.int16) - current.astype(np.int16)).mean(axis=(1, 2, 3))
    changed = change > config.changed_threshold
    report = {"transitions": len(real), "changed_transitions": int(changed.sum())}
    for name, mask in (("all", np.ones(len(real), bool)), ("changed", changed)):
        if mask.any():
            report[name] = {"imagined": frame_metrics(imagined[mask], real[mask]),
                            "copy_current": frame_metrics(current[mask], real[mask])}
    print(f"imagination of {config.agent} on {report['transitions']} held-out transitions of "
          f"{config.data} ({report['changed_transitions']} where the frame changes)")
    print(f"{'transitions':12s} {'predictor':14s} {'PSNR dB':>8s} {'SSIM':>7s}")
    for name in ("all", "changed"):
        for predictor in ("imagined", "copy_current"):
            if name in report:
                m = report[name][predictor]
                print(f"{name:12s} {predictor:14s} {m['psnr']:8.2f} {m['ssim']:7.4f}")
    if config.json:
        Path(config.json).write_text(json.dumps(report, indent=2))
    return 0
