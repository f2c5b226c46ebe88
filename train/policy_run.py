"""One run of `rig train policy`: data, model, optimizer, the loop, checkpoints and resume.

Role in the data flow: see `train_policy.py` (the config and the loss). This file owns state:
what a checkpoint folder holds and how a killed run picks up from it.

    OUT/checkpoints/step-000200/   model (save_pretrained, safetensors) + vocab + rig_policy.json
                                   + trainer_state.pt (optimizer, step; loaded weights-only)
    OUT/final/                     the same without trainer state: what `--agent rig:` loads
    OUT/tensorboard/               scalars: loss per segment, action accuracy, validation
    OUT/best/, best.json           the policy whose free-running decisions on held-out states
                                   agreed most with the teacher (`--free-running`)
    OUT/best-play/, closed_loop.jsonl  with `--play-every`: the Crafter score of each policy
                                   played in a worker while training went on, and the best
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from rig.config import RigError, pick_device, resolve_model
from rig.policy import checkpoint
from rig.policy.checkpoint import PolicyCheckpoint, checkpoint_folders
from rig.policy.sequence import (IMAGE_KEY, TEACHER_KEY, SequenceBuilder,
                                 is_review_store, review_offsets, review_sample, strip_task)

from .train_policy import (PolicyTrainConfig, learning_rate, loss_positions, run_layout,
                           weighted_loss)

PIXEL_CACHE_BYTES = 4 << 30  # frames of a store kept in RAM for the patch encoder


class _StepBatches:
    """A map-style dataset whose item s is the CPU batch of training step s (loader workers)."""

    def __init__(self, run: "PolicyRun"):
        self.run = run

    def __getitem__(self, step: int):
        return self.run.cpu_batch(int(step))

    def __len__(self) -> int:
        return self.run.config.steps


class PolicyRun:
    def __init__(self, config: PolicyTrainConfig):
        import torch
        from accelerate import Accelerator

        self.config, self.torch = config, torch
        if config.threads:
            torch.set_num_threads(config.threads)
        cuda = pick_device(config.device).startswith("cuda")
        # bf16 on GPUs; fp32 on CPUs, where bf16 is ~30x slower on AVX2 machines.
        self.accelerator = Accelerator(cpu=not cuda, mixed_precision="bf16" if cuda else "no")
        self.out = Path(config.out)
        self.playing, self.play_pool, self.writer = None, None, None

    # -- data ---------------------------------------------------------------------------------
    def open_data(self):
        from rig.trajectories.dataset import TrajectoryDataset, split_by_seed
        from rig.trajectories.store import TrajectoryStore

        self.stores, train, val = [], [], []
        self.task_texts: dict[int, list[str]] = {}  # per store, read once (not per sample)
        self.image_codecs: list[dict] = []  # one per image tokenizer, in vocabulary order
        self.store_codec: dict[int, int] = {}  # per store, the index of its codec
        for path in self.config.data:
            store = TrajectoryStore.open(path, "r")
            tokens = store.attrs.get(IMAGE_KEY) or {}
            if IMAGE_KEY not in store.data or int(tokens.get("steps", 0)) < store.num_steps:
                raise RigError(f"{path} has no image tokens for all its steps: run `rig data "
                               f"tokenize --data {path} --tokenizer TOKENIZER_DIR` first")
            codec = self._codec_of(store)
            self.store_codec[id(store)] = self.image_codecs.index(codec)
            train_eps, val_eps = split_by_seed(store, self.config.val_fraction)
            # A review store (`rig data review`): one example per episode, laid out as a review.
            review = is_review_store(store)
            if review and not (self.sequence.reasoning and self.sequence.imagination):
                raise RigError(f"{path} is a review store: reviews need the reasoning and the "
                               "imagination, so leave it out of --no-reasoning/--no-imagination "
                               "runs")
            if review and store.num_episodes:  # each imagined step is a stored frame
                longest = int(np.max(store.read_meta("length")))
                if longest < self.sequence.review_steps + 1:
                    raise RigError(f"{path} was reviewed with --horizon {longest}: its examples "
                                   f"hold {longest - 1} outcome frame(s), and --review-steps "
                                   f"{self.sequence.review_steps} needs "
                                   f"{self.sequence.review_steps}; review again with --horizon "
                                   f"{self.sequence.review_steps + 1} or lower --review-steps")
            by_value = review and self.config.verdict_target == "value"
            if by_value and "review_facts" not in store.data:
                raise RigError(f"{path} has no review_facts (each branch's measured outcome), "
                               "which --verdict-target value reads; review its source again "
                               "with `rig data review`")
            offsets = review_offsets(self.sequence, facts=by_value) if review \
                else self.sequence.offsets()
            if not review and TEACHER_KEY in store.data:  # a DAgger store: labels beside actions
                offsets[TEACHER_KEY] = self.sequence.label_offsets()
            # small ints: read once, kept in RAM, moved to this tokenizer's block of codes
            image_tokens = store.read(IMAGE_KEY).astype(np.int32) + codec["offset"]
            # The patch encoder reads pixels: keep them in RAM too when they fit (12 KB a
            # Crafter frame), else each sample reads its window from the store.
            frames = (store.read("image") if self.sequence.patches and store.num_steps
                      * int(np.prod(store.image_shape)) <= PIXEL_CACHE_BYTES else None)
            for episodes, bucket in ((train_eps, train), (val_eps, val)):
                if episodes:
                    dataset = TrajectoryDataset(store, offsets, episodes, first_steps_only=review)
                    dataset.cache[IMAGE_KEY] = image_tokens
                    if frames is not None:
                        dataset.cache["image"] = frames
                    bucket.append((dataset, store))
            self.task_texts[id(store)] = [str(t) for t in store.read_meta("task_text")]
            self.stores.append(store)
        if not train:
            raise RigError("no training episodes in the given stores")
        self.image_tokens = self.image_codecs[0]  # what a one-world policy's readers look for
        self.train_sets, self.val_sets = train, val
        self.train_sizes = np.cumsum([len(d) for d, _ in train])

    def texts(self):
        """Text the BPE is trained on: training episodes' reasoning, observations, tasks."""
        for dataset, store in self.train_sets:
            tasks = self.task_texts[id(store)]
            episodes = sorted(set(int(e) for e in dataset.episode_of))
            for e in episodes:
                task = tasks[e]
                yield task
                start, stop = store.episode_bounds(e)
                for key in ("reasoning", "text", "review", "action_text"):
                    if key in store.data:
                        for value in store.read(key, start, stop):
                            yield strip_task(str(value), task)

    def action_names(self) -> list[str]:
        """The action tokens: every closed action language of the stores' worlds (an open
        language, such as GUI actions, has none: its actions are written as text)."""
        import rig.worlds

        names: list[str] = []
        for store in self.stores:
            for world_id in store.attrs.get("worlds") or []:
                if world_id not in rig.worlds.WORLDS:
                    raise RigError(f"{store.path} holds episodes of {world_id!r}, a world this "
                                   "rig does not know (`rig worlds` lists them), so its actions "
                                   "cannot become tokens")
                env = rig.worlds.make(world_id)  # no browser or engine starts before a reset
                try:
                    vocabulary = env.get_wrapper_attr("action_language").vocabulary()
                finally:
                    env.close()
                names += [n for n in vocabulary or [] if n not in names]
        return names

    def _codec_of(self, store) -> dict:
        """The image codec (tokenizer and its block of codes) of a store's image tokens: stores
        tokenized alike share one; another tokenizer (another world's) gets the next block."""
        info = dict(store.attrs.get(IMAGE_KEY) or {})
        info.pop("steps", None)
        worlds = list(store.attrs.get("worlds") or [])
        for codec in self.image_codecs:
            if codec["tokenizer_sha256"] == info.get("tokenizer_sha256"):
                codec["worlds"] = sorted(set(codec["worlds"]) | set(worlds))
                return codec
        taken = [w for c in self.image_codecs for w in c["worlds"] if w in worlds]
        if taken:
            raise RigError(f"{taken[0]} appears in stores tokenized with different image "
                           "tokenizers: re-run `rig data tokenize` on them with the same one")
        offset = sum(int(c["codebook_size"]) for c in self.image_codecs)
        codec = {**info, "offset": offset, "worlds": sorted(worlds)}
        self.image_codecs.append(codec)
        return codec

    @property
    def codebook_total(self) -> int:
        return sum(int(c["codebook_size"]) for c in self.image_codecs)

    def locate(self, index: int, val: bool = False):
        """(dataset, store, index within that dataset) of sample `index` of the training or
        validation samples (the stores' datasets one after another)."""
        sets = self.val_sets if val else self.train_sets
        sizes = self.val_sizes if val else self.train_sizes
        which = int(np.searchsorted(sizes, index, side="right"))
        dataset, store = sets[which]
        return dataset, store, int(index - (sizes[which - 1] if which else 0))

    def sample(self, index: int, val: bool = False, imagine: bool = True, reason: bool = True):
        """(ids, segments, frames, accept share): the share is the soft target of a review
        example's verdict under `--verdict-target value` (NaN: the token itself is the target)."""
        from rig.trajectories.review import accept_share_target

        dataset, store, offset = self.locate(index, val)
        item = dataset[offset]
        task = self.task_texts[id(store)][item["episode"]]
        if is_review_store(store):
            share = accept_share_target(str(item["review_facts"][0])) \
                if "review_facts" in item else float("nan")
            return (*review_sample(self.builder, item, task), share)
        return (*self.builder.sample(item, task, imagine, reason), float("nan"))

    # -- model and state ------------------------------------------------------------------------
    def setup(self):
        from rig.policy.model import build_model, load_causal_lm, wrap_model
        from rig.policy.vocab import RigVocabulary
        from rig.trajectories.store import TrajectoryStore

        config = self.config
        frame_shape = TrajectoryStore.open(config.data[0], "r").data["image"].shape[1:3]
        # the layout reading windows needs (the patch grid follows the frames), then the whole
        # one once the stores' image codecs are known
        self.sequence, self.model_config = run_layout(config, frame_shape)
        self.open_data()
        self.val_sizes = np.cumsum([len(d) for d, _ in self.val_sets]) if self.val_sets else []
        resume = self.find_resume()
        init = checkpoint.load(config.init_from) \
            if config.init_from and checkpoint.is_policy_folder(config.init_from) else None
        if resume is not None:
            self.vocab = resume.vocab
        elif init is not None:  # fine-tuning a RIG policy: its token ids must keep their meaning
            self.vocab = init.vocab
            if self.vocab.codebook_size != self.codebook_total:
                raise RigError(f"{config.init_from} was trained on image tokens of another "
                               "codebook size than these stores'")
        else:
            self.vocab = RigVocabulary.train(self.texts(), self.action_names(),
                                             self.codebook_total, config.text_vocab)
        if init is not None:
            before = [c["tokenizer_sha256"] for c in checkpoint.image_codecs(init.meta)]
            if before != [c["tokenizer_sha256"] for c in self.image_codecs]:
                raise RigError(f"{config.init_from} was trained on other image tokenizers "
                               "(or in another order of stores) than these stores'")
        self.sequence, self.model_config = run_layout(
            config, frame_shape, self.image_codecs, len(self.vocab),
            init.meta if init is not None else None)
        self.builder = SequenceBuilder(self.vocab, self.sequence)
        self.torch.manual_seed(config.seed)
        if config.init_from:
            model = load_causal_lm(config.init_from, vocab_size=len(self.vocab))
        else:
            model = build_model(self.model_config, pad_id=self.vocab.id("<pad>"),
                                bos_id=self.vocab.id("<bos>"), eos_id=self.vocab.id("<eos>"))
        model = wrap_model(model, self.model_config, self.vocab.id("<patch>"))
        if init is not None:
            init.load_into(model)  # the patch encoder and tile embedding beside the LM
        if config.eye_from and resume is None:
            self.load_eye(model, config.eye_from)
        decay = [p for p in model.parameters() if p.ndim >= 2]
        rest = [p for p in model.parameters() if p.ndim < 2]
        optimizer = self.torch.optim.AdamW(
            [{"params": decay, "weight_decay": config.weight_decay},
             {"params": rest, "weight_decay": 0.0}], lr=config.lr, betas=(0.9, 0.95))
        self.step, self.minutes_before = 0, 0.0
        if resume is not None:
            try:
                resume.load_into(model, optimizer)
            except RigError as error:
                raise RigError(f"{error}: was {self.out} trained with other options? Run the "
                               "same command as before, or use another --out") from None
            self.step = resume.step
            self.minutes_before = float(resume.trainer.get("minutes", 0.0))
            self.log(f"resuming from {resume.folder} at step {self.step}")
        self.max_length = int(getattr(model.config, "max_position_embeddings", 0) or
                              self.model_config.max_positions)
        self.model, self.optimizer = self.accelerator.prepare(model, optimizer)
        self.free_cases = self.free_running_cases()

    def load_eye(self, model, folder: str) -> None:
        """The cnn eye starts from a bc baseline's convolutions (the same layers)."""
        from rig.policy import bc

        channels, weights = bc.conv_state(folder)
        if channels != list(self.model_config.cnn_channels):
            raise RigError(f"{folder}'s convolutions have widths {channels}; this policy's cnn "
                           f"eye has {list(self.model_config.cnn_channels)}")
        model.patch_encoder.conv.load_state_dict(weights)
        self.log(f"cnn eye: the convolutions of {folder}")

    def find_resume(self) -> PolicyCheckpoint | None:
        """The newest checkpoint that reads whole. A damaged newer one is named, and moved aside
        to `step-N.damaged` (kept for a look, out of resume's and pruning's way); if none
        reads, a RigError says why each failed."""
        failed = []
        for folder in reversed(checkpoint_folders(self.out)):
            try:
                state = checkpoint.load(folder, whole=True)
            except RigError as error:
                self.log(f"cannot resume from {folder.name}: {error}")
                failed.append((folder, str(error)))
                continue
            if failed and self.accelerator.is_main_process:
                for bad, _ in failed:
                    bad.rename(bad.with_name(bad.name + ".damaged"))
                self.log(f"resuming from {folder.name}, the newest checkpoint that loads; moved "
                         + ", ".join(f"{b.name} to {b.name}.damaged" for b, _ in failed))
            self.accelerator.wait_for_everyone()
            return state
        if failed:
            raise RigError(f"no checkpoint in {self.out / 'checkpoints'} loads: "
                           + "; ".join(why for _, why in failed) + f". Move {self.out} "
                           "away (or choose another --out) to train from the start")
        return None

    def log(self, message: str) -> None:
        if self.accelerator.is_main_process:
            print(message, flush=True)

    def save(self, folder: Path, with_state: bool) -> None:
        """Write a checkpoint (`with_state`: resumable) or the final folder, atomically."""
        if not self.accelerator.is_main_process:
            return
        meta = {"sequence": asdict(self.sequence), "model": self.model_config.to_dict(),
                "train": asdict(self.config), "step": self.step,
                "image_tokens": self.image_tokens, "image_codecs": self.image_codecs,
                "worlds": sorted({w for s in self.stores for w in s.attrs.get("worlds") or []})}
        # the final folder carries its image tokenizers: loading it needs nothing else
        tokenizers = None if with_state else [Path(str(c.get("tokenizer", "")))
                                              for c in self.image_codecs]
        state = {"optimizer": self.optimizer.state_dict(), "step": self.step,
                 "minutes": self.minutes()} if with_state else None
        checkpoint.save(folder, self.accelerator.unwrap_model(self.model), self.vocab, meta,
                        tokenizers, state)

    def keep_best(self, val: dict[str, float]) -> None:
        """OUT/best: the policy (a final folder) whose free-running decisions agreed most with
        the teacher's on the held-out states (with its own earlier reasoning in view, where
        it has earlier steps); `best.json` says when and how much."""
        key = ("free_action_agreement_own" if "free_action_agreement_own" in val
               else "free_action_agreement")
        score = val.get(key)
        if score is None or not self.accelerator.is_main_process:
            return
        path = self.out / "best.json"
        best = json.loads(path.read_text()) if path.is_file() else {}
        if score <= float(best.get(key, -1.0)):
            return
        self.save(self.out / "best", with_state=False)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps({"step": self.step, **val}, indent=2))
        tmp.replace(path)

    # -- closed-loop checks: the policy plays while training goes on ----------------------------
    def play_world(self) -> str | None:
        worlds = [w for s in self.stores for w in s.attrs.get("worlds") or []]
        return worlds[0] if worlds else None

    def start_play(self) -> None:
        """Save the policy as it is now and play it on the check's seeds in a worker process
        (`RolloutPool.submit`); training goes on. One check at a time: a check that falls
        while the last one still plays is skipped (and said)."""
        from rig.rollout import RolloutPool
        from rig.rollout.episode import play_agent

        config = self.config
        if not self.accelerator.is_main_process or self.play_world() is None:
            return
        if self.playing is not None:
            if not self.playing[1].done():
                self.log(f"step {self.step}: the closed-loop check of step {self.playing[0]} "
                         "is still playing; this one is skipped")
                return
            self.finish_play()
        folder = self.out / "closed-loop" / f"step-{self.step:07d}"
        self.save(folder, with_state=False)
        if self.play_pool is None:
            self.play_pool = RolloutPool(workers=1, threads=1)
        seeds = list(range(config.play_seed, config.play_seed + config.play_episodes))
        future = self.play_pool.submit(play_agent, (self.play_world(), f"rig:{folder}", seeds,
                                                     config.play_steps,
                                                     {"imagine": False, "device": "cpu"}))
        self.playing = (self.step, future, folder)

    def finish_play(self, wait: bool = False) -> None:
        """Record a finished check: closed_loop.jsonl, TensorBoard, best-play/."""
        from rig.rollout.scores import episodes_score

        if self.playing is None or not (wait or self.playing[1].done()):
            return
        step, future, folder = self.playing
        self.playing = None
        try:
            results = future.result()
        except Exception as error:  # a check that fails must not end the training
            self.log(f"the closed-loop check of step {step} failed: {error}")
            shutil.rmtree(folder, ignore_errors=True)
            return
        score = episodes_score(results)
        line = {"step": step, "crafter_score": score,
                "mean_length": float(np.mean([r.length for r in results])),
                "episodes": len(results), "max_steps": self.config.play_steps,
                "seeds": [r.seed for r in results]}
        with (self.out / "closed_loop.jsonl").open("a") as log:
            log.write(json.dumps(line) + "\n")
        if self.writer is not None and score is not None:
            self.writer.add_scalar("val/closed_loop_score", score, step)
            self.writer.add_scalar("val/closed_loop_length", line["mean_length"], step)
        self.log(f"closed-loop check of step {step}: Crafter score "
                 f"{score if score is None else round(score, 2)}, mean length "
                 f"{line['mean_length']:.0f} ({len(results)} episodes, seeds from "
                 f"{self.config.play_seed})")
        path = self.out / "best-play.json"
        best = json.loads(path.read_text()) if path.is_file() else {}
        if score is not None and score > float(best.get("crafter_score", -1.0)):
            shutil.rmtree(self.out / "best-play", ignore_errors=True)
            folder.rename(self.out / "best-play")
            path.write_text(json.dumps(line, indent=2))
        shutil.rmtree(folder, ignore_errors=True)

    def prune(self) -> None:
        for old in checkpoint_folders(self.out)[:-self.config.keep_checkpoints]:
            shutil.rmtree(old, ignore_errors=True)

    # -- the loop -------------------------------------------------------------------------------
    def batch(self, step: int, val: bool = False):
        """The batch of `step` (a pure function of the seed and the step), on the device."""
        return self.to_device(self.cpu_batch(step, val))

    def to_device(self, batch):
        device = self.accelerator.device
        # frames of several shapes (a generalist's worlds) come as a list of tensors
        return tuple(None if t is None else [f.to(device) for f in t] if isinstance(t, list)
                     else t.to(device) for t in batch)

    def batches(self):
        """The training batches from the current step on: built here, or by `--loader-workers`
        processes ahead of the step (forked: they share the in-memory data; each batch is
        still the function of its step that resume relies on)."""
        if not self.config.loader_workers:
            step = self.step
            while True:
                yield self.batch(step)
                step += 1
        from torch.utils.data import DataLoader

        uncached = sorted({k for d, _ in self.train_sets for k in d.offsets if k not in d.cache})
        if uncached:
            # forked workers must not read zarr (its event-loop thread does not survive a fork)
            raise RigError(f"--loader-workers needs the training data in memory, but "
                           f"{', '.join(uncached)} did not fit the dataset's cache; train "
                           "with --loader-workers 0")
        loader = DataLoader(_StepBatches(self), batch_size=None, shuffle=False,
                            sampler=range(self.step, self.config.steps),
                            num_workers=self.config.loader_workers,
                            multiprocessing_context="fork", prefetch_factor=4,
                            pin_memory=self.accelerator.device.type == "cuda",
                            persistent_workers=False)
        for batch in loader:
            yield self.to_device(batch)

    def cpu_batch(self, step: int, val: bool = False):
        from rig.policy.sequence import pad_batch
        from rig.policy.transformer import join_frames

        sizes = self.val_sizes if val else self.train_sizes
        rng = np.random.default_rng([self.config.seed, step, int(val)])
        if self.config.mix:  # each store its share of the batch, whatever its size
            sets = self.val_sets if val else self.train_sets
            share = np.asarray([self.config.mix[self.stores.index(s)] for _, s in sets], float)
            share = share / share.sum() if share.sum() > 0 else np.full(len(sets), 1 / len(sets))
            which = rng.choice(len(sets), size=self.config.batch_size, p=share)
            starts = np.concatenate([[0], sizes[:-1]])
            indices = [int(starts[k]) + int(rng.integers(len(sets[k][0]))) for k in which]
        else:
            indices = rng.integers(int(sizes[-1]), size=self.config.batch_size)
        # Whole batches imagine or not (no padding of short rows to long ones); validation
        # always imagines, so its losses compare across --imagine-rate settings.
        imagine = bool(rng.random() < (1.0 if val else self.config.imagine_rate))
        # the same for reasoning; drawn only below rate 1, so other runs keep their batches
        reason = val or self.config.reason_rate >= 1.0 or \
            bool(rng.random() < self.config.reason_rate)
        rank, world = self.accelerator.process_index, self.accelerator.num_processes
        sequences = [self.sample(int(i), val, imagine, reason) for i in indices[rank::world]]
        ids, mask, segments, positions, slots = pad_batch(
            sequences, self.vocab.id("<pad>"), self.max_length, self.builder.positions)
        frames = join_frames([s[2] for s in sequences], self.torch.from_numpy)
        shares = self.torch.tensor([s[3] for s in sequences], dtype=self.torch.float32)
        return ids, mask, segments, positions, slots, frames, shares

    def forward(self, ids, mask, segments, positions, slots, frames=None, shares=None):
        weights = self.config.segment_weights()
        keep, _ = loss_positions(ids, segments, mask, weights)
        with self.accelerator.autocast():  # logits only where a target has weight
            logits = self.model(input_ids=ids, attention_mask=mask, position_ids=positions,
                                image_slots=slots, frames=frames, logits_at=keep)
        verdicts = None  # decided by the config, not by the batch: no device sync a step
        if shares is not None and self.config.verdict_target == "value":
            verdicts = (self.vocab.id("<accept>"), self.vocab.id("<revise>"), shares)
        return weighted_loss(logits, ids, segments, mask, weights, verdicts)

    def validate(self) -> dict[str, float]:
        if not self.val_sets:
            return {}
        self.model.eval()
        totals: dict[str, list[float]] = {}
        with self.torch.no_grad():
            for k in range(4):  # a fixed set of validation batches
                loss, metrics = self.forward(*self.batch(k, val=True))
                for name, value in {"loss": loss.item(), **metrics}.items():
                    totals.setdefault(name, []).append(value)
        result = {name: float(np.mean(v)) for name, v in totals.items()}
        result.update(self.free_running())
        self.model.train()
        return result

    def free_running_cases(self) -> list:
        """`--free-running` held-out states (a fixed draw), cut where acting starts writing."""
        from .free_running import window_case

        if not self.val_sets or not self.config.free_running:
            return []
        rng = np.random.default_rng([self.config.seed, 7919])
        total = int(self.val_sizes[-1])
        picks = rng.choice(total, size=min(total, self.config.free_running), replace=False)
        cases, self.free_next, self.free_items, self.free_now = [], [], [], []
        offset = int(self.image_codecs[0].get("offset", 0))
        for index in sorted(int(i) for i in picks):
            dataset, store, at = self.locate(index, val=True)
            if is_review_store(store):
                continue  # a review example is not a state to act in
            item = dataset[at]
            task = self.task_texts[id(store)][item["episode"]]
            case = window_case(self.builder, self.vocab, item, task)
            if case is None:
                continue
            cases.append(case)
            self.free_items.append((item, task))
            # the real next frame's codes, where the episode has one (TensorBoard's pictures,
            # drawn with the first codec's tokenizer: other worlds' frames are left out)
            real_next = None
            if (self.sequence.imagination and IMAGE_KEY in item
                    and self.store_codec.get(id(store)) == 0
                    and not np.asarray(item[f"{IMAGE_KEY}_is_pad"])[-1]):
                real_next = np.asarray(item[IMAGE_KEY])[-1] - offset
            self.free_next.append(real_next)
            # the observed frame's ids, which a layout that imagines from the frame restates
            self.free_now.append(self.vocab.image_ids(np.asarray(item[IMAGE_KEY])[-2].reshape(-1))
                                 if real_next is not None else None)
        return cases

    def free_running(self) -> dict[str, float]:
        """Free-running decisions on held-out states (train/free_running.py): the policy writes
        its own reasoning, then acts; agreement with the teacher's action, with the teacher's
        earlier steps in view and, with more than one step in view, with its own earlier
        reasoning as in play (`_own`; docs/policy.md, experiment log entry 4)."""
        from .free_running import frame_tokens, free_running_agreement, own_context_cases

        if not self.accelerator.is_main_process or not self.free_cases:
            return {}
        codec = self.image_codecs[0]
        model = self.accelerator.unwrap_model(self.model)
        common = (frame_tokens(codec, self.sequence), checkpoint.codec_image_ids(self.vocab, codec))

        def agree(cases):
            return free_running_agreement(model, self.vocab, self.builder, self.sequence, cases,
                                          *common, seed=self.config.seed,
                                          max_context=self.max_length)

        with self.torch.no_grad():
            out = agree(self.free_cases)
            if self.sequence.reasoning and self.sequence.context_steps > 1:
                own = own_context_cases(model, self.vocab, self.builder, self.sequence,
                                        [i for i, _ in self.free_items],
                                        [t for _, t in self.free_items], *common,
                                        seed=self.config.seed, max_context=self.max_length)
                out["free_action_agreement_own"] = agree(own).get("free_action_agreement", 0.0)
        return out

    def imagined_vs_real(self, count: int = 4):
        """A picture for TensorBoard (H x W x 3): for `count` held-out states, the real next
        frame (through the image tokenizer) beside the one the policy imagines after writing
        its own reasoning and action, as it acts. None where the run does not imagine."""
        from rig.imagination.tokenizer import ImageTokenizer
        from rig.policy.decoder import to_codes

        from .free_running import decide

        codec = self.image_codecs[0]
        grid = tuple(codec.get("grid") or ())
        pairs = [(c, n, now) for c, n, now in zip(self.free_cases, getattr(self, "free_next", []),
                                                  getattr(self, "free_now", []))
                 if n is not None][:count]
        if not (pairs and grid and self.accelerator.is_main_process):
            return None
        if getattr(self, "picture_tokenizer", None) is None:
            folder = resolve_model(str(codec.get("tokenizer", "")), "tokenizer")
            self.picture_tokenizer = ImageTokenizer.from_pretrained(folder)
        with self.torch.no_grad():
            outputs = decide(self.accelerator.unwrap_model(self.model), self.vocab,
                             self.builder, self.sequence, [c for c, _, _ in pairs],
                             grid[0] * grid[1], checkpoint.codec_image_ids(self.vocab, codec),
                             seed=self.config.seed, max_context=self.max_length,
                             imagination=True, references=[now for _, _, now in pairs])
        offset = int(codec.get("offset", 0))
        imagined = [to_codes(self.vocab, o.image_ids, grid, offset) for o in outputs]
        real = [np.asarray(n).reshape(grid) for _, n, _ in pairs]
        frames = self.picture_tokenizer.decode(np.stack(real + imagined))
        rows = [np.concatenate([frames[i], frames[len(pairs) + i]], axis=1)
                for i in range(len(pairs))]
        return np.concatenate(rows, axis=0)

    def truncate_metrics(self) -> None:
        from . import truncate_log

        truncate_log(self.out / "metrics.jsonl", self.step)

    def minutes(self) -> float:
        """Minutes of training so far, counted across resumes (the budget covers the whole run)."""
        return self.minutes_before + (time.perf_counter() - self.start) / 60

    def out_of_time(self) -> bool:
        """True once --max-minutes of training have passed (all processes agree)."""
        if not self.config.max_minutes:
            return False
        late = self.minutes() >= self.config.max_minutes
        flag = self.torch.tensor([float(late)], device=self.accelerator.device)
        return bool(self.accelerator.reduce(flag, reduction="sum").item() > 0)

    def train(self) -> int:
        from torch.utils.tensorboard import SummaryWriter
        from tqdm import tqdm

        self.setup()
        config = self.config
        main = self.accelerator.is_main_process
        # A resumed run writes steps after its checkpoint again: drop what a killed run logged
        # past it, in the JSON lines and (purge_step) in TensorBoard.
        writer = SummaryWriter(str(self.out / "tensorboard"),
                               purge_step=self.step + 1 if self.step else None) if main else None
        self.writer = writer
        if main:
            self.truncate_metrics()
            from . import truncate_log

            truncate_log(self.out / "closed_loop.jsonl", self.step)  # checks past the resume
        from rig.policy.model import count_parameters

        self.log(f"model: {config.preset}, {count_parameters(self.model) / 1e6:.1f}M parameters, "
                 f"vocabulary {len(self.vocab)}; {int(self.train_sizes[-1])} training samples")
        bar = tqdm(total=config.steps, initial=self.step, disable=not main, unit="step")
        # One JSON line per step: the loss curve a resumed run must reproduce.
        log = (self.out / "metrics.jsonl").open("a") if main else None
        tokens = 0
        self.start = start = time.perf_counter()
        self.model.train()
        batches = self.batches()
        while self.step < config.steps:
            lr = learning_rate(self.step, config, self.minutes())
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            batch = next(batches)
            mask = batch[1]
            loss, metrics = self.forward(*batch)
            self.optimizer.zero_grad(set_to_none=True)
            self.accelerator.backward(loss)
            self.accelerator.clip_grad_norm_(self.model.parameters(), 1.0)
            self.optimizer.step()
            self.step += 1
            tokens += int(mask.sum()) * self.accelerator.num_processes
            rate = tokens / (time.perf_counter() - start)
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}", tok_s=f"{rate:.0f}",
                            act=f"{metrics.get('action_accuracy', float('nan')):.2f}")
            record = {"step": self.step, "loss": loss.item(), **metrics,
                      "tokens_per_second": round(rate, 1), "lr": lr}
            if writer is not None:
                writer.add_scalar("train/loss", loss.item(), self.step)
                writer.add_scalar("train/lr", lr, self.step)
                writer.add_scalar("train/tokens_per_second", rate, self.step)
                for name, value in metrics.items():
                    writer.add_scalar(f"train/{name}", value, self.step)
            if self.step % config.eval_every == 0 or self.step == config.steps:
                val = self.validate()
                for name, value in val.items():
                    if writer is not None:
                        writer.add_scalar(f"val/{name}", value, self.step)
                record.update({f"val/{k}": v for k, v in val.items()})
                self.keep_best(val)
                picture = self.imagined_vs_real() if writer is not None else None
                if picture is not None:  # left: the real next frame; right: the imagined one
                    writer.add_image("val/real_vs_imagined_next_frame", picture, self.step,
                                     dataformats="HWC")
            if log is not None:
                log.write(json.dumps(record) + "\n")
                log.flush()
            if config.play_every:
                self.finish_play()
                if self.step % config.play_every == 0:
                    self.start_play()
            out_of_time = self.out_of_time()
            if self.step % config.checkpoint_every == 0 or self.step == config.steps \
                    or out_of_time:
                self.save(self.out / "checkpoints" / f"step-{self.step:07d}", with_state=True)
                self.prune()
            if out_of_time:
                self.log(f"--max-minutes {config.max_minutes:g} reached at step {self.step}")
                break
        batches.close()  # ends loader workers
        bar.close()
        if log is not None:
            log.close()
        self.save(self.out / "final", with_state=False)
        self.accelerator.wait_for_everyone()
        final = self.validate()
        self.keep_best(final)
        if self.playing is not None:
            self.log(f"waiting for the closed-loop check of step {self.playing[0]} ...")
            self.finish_play(wait=True)
        if self.play_pool is not None:
            self.play_pool.close()
        if writer is not None:
            writer.close()
        self.log(f"saved {self.out / 'final'}; validation: " + ", ".join(
            f"{k} {v:.3f}" for k, v in final.items()))
        return 0
