"""`rig train bc`: the plain behaviour-cloning baseline, trained on the RIG policy's own stores.

Role in the data flow: trajectory stores (the frames, observation text and the teacher's
actions; no image tokens needed) -> the same train/validation split by seed as `rig train
policy` -> a `BCNet` (policy/bc.py) -> OUT/final, which `--agent bc:OUT` plays. Every RIG
policy figure is reported beside this baseline trained on the same data for the same minutes
(`--max-minutes`, one thread: `--threads 1`).

The label of a step is the teacher's action (a DAgger store's `teacher_action_text`, else the
executed `action_text`); the history is what was executed. Validation reports the loss and the
agreement of the network's decisions with the teacher on held-out seeds: argmax, and sampled
at temperature 1 as `--agent bc:` plays.

Exact resume: the batch of step s is drawn from a generator seeded by (seed, s); a killed run
continues from its newest checkpoint (a damaged one is moved aside) with the same batches.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from rig.config import RigError, option, require

from .train_policy import learning_rate


@dataclass
class TrainBCConfig:
    data: list[str] = option(None, "trajectory stores to clone (the frames, observation text "
                             "and actions of `rig collect`)", positional=True)
    out: str = option("runs/bc", "output folder: checkpoints/, final/, best/, metrics.jsonl, "
                      "tensorboard/")
    steps: int = option(20000, "optimizer steps")
    max_minutes: float = option(0.0, "a time budget: train for at most this many minutes (the "
                                "learning-rate schedule ends with whichever of --steps and the "
                                "minutes runs out first; 0: steps only). Give the RIG policy "
                                "and this baseline the same minutes")
    batch_size: int = option(128, "samples per step")
    lr: float = option(3e-4, "peak learning rate (AdamW, warmup then cosine decay)")
    warmup: int = option(200, "warmup steps")
    weight_decay: float = option(1e-4, "AdamW weight decay")
    history_actions: int = option(1, "past executed actions the network reads (one-hot)")
    text: bool = option(False, "also read the observation text's numbers (vitals, "
                        "inventory; the frame shows them too). Off by default: without them "
                        "the held-out agreement was higher, 0.591 against 0.542 "
                        "(docs/baselines.md)")
    channels: list[int] = option(None, "convolution widths (stride 2 each)",
                                 factory=lambda: [32, 64, 128, 128])
    hidden: int = option(256, "width of the MLP after the convolutions")
    val_fraction: float = option(0.1, "share of seeds held out for validation (the same split "
                                 "as `rig train policy` at the same fraction)")
    eval_every: int = option(500, "validate every this many steps (and keep best/ by the "
                             "validation agreement)")
    checkpoint_every: int = option(1000, "save a resumable checkpoint every this many steps")
    keep_checkpoints: int = option(2, "newest checkpoints to keep")
    seed: int = option(0, "seed of initialisation and batch order")
    device: str = option("auto", "auto | cpu | cuda")
    threads: int = option(0, "CPU threads for torch (0: torch's default)")

    def validate(self) -> None:
        require(bool(self.data), "name at least one trajectory store")
        for name in ("steps", "batch_size", "eval_every", "checkpoint_every",
                     "keep_checkpoints", "hidden"):
            require(getattr(self, name) >= 1, f"--{name.replace('_', '-')} must be at least 1")
        require(self.history_actions >= 0 and self.warmup >= 0, "counts must be >= 0")
        require(self.lr > 0 and self.max_minutes >= 0, "--lr must be > 0, --max-minutes >= 0")
        require(0.0 <= self.val_fraction < 1.0, "--val-fraction must be in [0, 1)")
        require(bool(self.channels) and min(self.channels) >= 1,
                "--channels needs positive widths")
        require(self.device in ("auto", "cpu", "cuda"), "--device must be auto, cpu or cuda")
        for store in self.data:
            require(Path(store).exists(), f"no trajectory store at {store!r}")


class BCData:
    """Every step of the stores in RAM: frames, text features, history, label; split by seed."""

    def __init__(self, paths: list[str], val_fraction: float, history: int,
                 text: bool = True):
        import rig.worlds
        from rig.policy.bc import TextFeatures, step_inputs
        from rig.policy.sequence import TEACHER_KEY, strip_task
        from rig.trajectories.dataset import split_by_seed
        from rig.trajectories.store import TrajectoryStore

        stores = [TrajectoryStore.open(p, "r") for p in paths]
        # the action vocabulary: every closed action language of the stores' worlds
        self.actions: list[str] = []
        self.worlds: list[str] = []
        for store in stores:
            for world_id in store.attrs.get("worlds") or []:
                if world_id not in rig.worlds.WORLDS:
                    raise RigError(f"{store.path} holds episodes of {world_id!r}, a world this "
                                   "rig does not know (`rig worlds` lists them)")
                env = rig.worlds.make(world_id)
                try:
                    vocabulary = env.get_wrapper_attr("action_language").vocabulary()
                finally:
                    env.close()
                if vocabulary is None:
                    raise RigError(f"{world_id} has an open action language (actions written "
                                   "as text): the bc baseline chooses among a fixed set of "
                                   "actions; train the RIG policy for it")
                self.actions += [a for a in vocabulary if a not in self.actions]
                self.worlds.append(world_id)
        if not self.actions:
            raise RigError("the stores name no world; were they written by `rig collect`?")
        shapes = {tuple(s.image_shape or ()) for s in stores if s.num_steps}
        if len(shapes) != 1:
            raise RigError(f"the stores' frames differ in shape ({sorted(shapes)}): clone one "
                           "world's frames at a time")
        self.frame_shape = list(shapes.pop()[:2])
        index = {name: i for i, name in enumerate(self.actions)}
        rows: dict[str, list] = {"frames": [], "texts": [], "labels": [], "history": [],
                                 "val": []}
        for store in stores:
            train_eps, val_eps = split_by_seed(store, val_fraction)
            held = set(val_eps)
            tasks = [str(t) for t in store.read_meta("task_text")]
            frames = store.read("image")
            texts = store.read("text")
            executed = store.read("action_text")
            labels = store.read(TEACHER_KEY) if TEACHER_KEY in store.data else executed
            for e in range(store.num_episodes):
                start, stop = store.episode_bounds(e)
                if stop <= start:
                    continue
                task = tasks[e]
                past: list[int] = []
                for t in range(start, stop):
                    label = str(labels[t]) or str(executed[t])
                    if label not in index:
                        raise RigError(f"{store.path}: step {t} has the action {label!r}, "
                                       "which its world's action language does not list")
                    rows["texts"].append((str(texts[t]), task))
                    rows["labels"].append(index[label])
                    rows["history"].append(past[-history:] if history else [])
                    rows["val"].append(e in held)
                    past.append(index.get(str(executed[t]), -1))
                rows["frames"].append(frames[start:stop])
        if not rows["labels"]:
            raise RigError("the stores hold no steps to clone")
        self.frames = np.concatenate(rows["frames"])
        val = np.asarray(rows["val"], bool)
        # features from the training side only: the student reads what it was taught to read
        self.text = TextFeatures.learn(
            [strip_task(t, task) for (t, task), v in zip(rows["texts"], val) if not v]) \
            if text else TextFeatures([])
        self.extra = np.stack([step_inputs(self.text, t, task, past, len(self.actions), history)
                               for (t, task), past in zip(rows["texts"], rows["history"])])
        self.labels = np.asarray(rows["labels"], np.int64)
        self.train_rows = np.flatnonzero(~val)
        self.val_rows = np.flatnonzero(val)
        if not len(self.train_rows):
            raise RigError("no training episodes in the given stores (all held out)")
        for store in stores:
            store.close()


class BCRun:
    def __init__(self, config: TrainBCConfig):
        import torch

        from rig.config import pick_device

        self.config, self.torch = config, torch
        if config.threads:
            torch.set_num_threads(config.threads)
        self.device = pick_device(config.device)
        self.out = Path(config.out)

    def log(self, message: str) -> None:
        print(message, flush=True)

    def batch(self, step: int):
        rng = np.random.default_rng([self.config.seed, step])
        rows = self.data.train_rows[rng.integers(len(self.data.train_rows),
                                                 size=self.config.batch_size)]
        return self.tensors(rows)

    def tensors(self, rows):
        torch, device = self.torch, self.device
        return (torch.from_numpy(self.data.frames[rows]).to(device),
                torch.from_numpy(self.data.extra[rows]).to(device),
                torch.from_numpy(self.data.labels[rows]).to(device))

    def validate(self) -> dict[str, float]:
        """Loss and agreement with the teacher on every held-out step: argmax and sampled."""
        torch = self.torch
        rows = self.data.val_rows
        if not len(rows):
            return {}
        self.net.eval()
        generator = torch.Generator().manual_seed(0)
        losses, greedy, sampled = [], [], []
        with torch.no_grad():
            for start in range(0, len(rows), 512):
                frames, extra, labels = self.tensors(rows[start:start + 512])
                logits = self.net(frames, extra).float()
                losses.append(torch.nn.functional.cross_entropy(logits, labels,
                                                                reduction="sum").item())
                greedy.append((logits.argmax(-1) == labels).sum().item())
                chosen = torch.multinomial(torch.softmax(logits, -1).cpu(), 1,
                                           generator=generator)[:, 0]
                sampled.append((chosen == labels.cpu()).sum().item())
        self.net.train()
        n = len(rows)
        return {"loss": sum(losses) / n, "action_agreement": sum(greedy) / n,
                "action_agreement_sampled": sum(sampled) / n}

    def meta(self) -> dict:
        return {"train": asdict(self.config), "step": self.step, "worlds": self.data.worlds,
                "train_steps": int(len(self.data.train_rows)),
                "val_steps": int(len(self.data.val_rows))}

    def save(self, folder: Path, with_state: bool) -> None:
        from rig.policy import bc

        state = {"optimizer": self.optimizer.state_dict(), "step": self.step,
                 "minutes": self.minutes(), "best": self.best} if with_state else None
        bc.save(folder, self.net, self.model_config, {**self.meta(), "best": self.best}, state)

    def find_resume(self):
        from rig.policy import bc
        from rig.policy.checkpoint import checkpoint_folders

        failed = []
        for folder in reversed(checkpoint_folders(self.out)):
            try:
                state = bc.load(folder, with_state=True)
            except RigError as error:
                self.log(f"cannot resume from {folder.name}: {error}")
                failed.append(folder)
                continue
            for bad in failed:
                bad.rename(bad.with_name(bad.name + ".damaged"))
            return state
        if failed:
            raise RigError(f"no checkpoint in {self.out / 'checkpoints'} loads; move {self.out} "
                           "away (or choose another --out) to train from the start")
        return None

    def minutes(self) -> float:
        return self.minutes_before + (time.perf_counter() - self.start) / 60

    def truncate_metrics(self) -> None:
        from . import truncate_log

        truncate_log(self.out / "metrics.jsonl", self.step)

    def train(self) -> int:
        from torch.utils.tensorboard import SummaryWriter
        from tqdm import tqdm

        from rig.policy.bc import BCModelConfig, build_net

        config, torch = self.config, self.torch
        self.log("reading the stores into memory ...")
        self.data = BCData(config.data, config.val_fraction, config.history_actions,
                           config.text)
        self.model_config = BCModelConfig(
            frame_shape=self.data.frame_shape, channels=list(config.channels),
            hidden=config.hidden, history=config.history_actions, actions=self.data.actions,
            text_features=self.data.text.names)
        torch.manual_seed(config.seed)
        self.net = build_net(self.model_config).to(self.device)
        self.optimizer = torch.optim.AdamW(self.net.parameters(), lr=config.lr,
                                           weight_decay=config.weight_decay)
        self.step, self.minutes_before, self.best = 0, 0.0, {}
        resume = self.find_resume()
        if resume is not None:
            if resume.config != self.model_config:
                raise RigError(f"{resume.folder} was trained with other options or data (its "
                               "model differs): run the same command as before, or use another "
                               "--out")
            self.net.load_state_dict(resume.weights)
            self.optimizer.load_state_dict(resume.trainer["optimizer"])
            self.step = resume.step
            self.minutes_before = float(resume.trainer.get("minutes", 0.0))
            self.best = dict(resume.trainer.get("best") or {})
            self.log(f"resuming from {resume.folder} at step {self.step}")
        params = sum(p.numel() for p in self.net.parameters())
        self.log(f"bc: {params / 1e6:.2f}M parameters, {len(self.data.actions)} actions, "
                 f"{len(self.data.text)} text features; {len(self.data.train_rows)} training "
                 f"steps, {len(self.data.val_rows)} held out")
        self.out.mkdir(parents=True, exist_ok=True)
        self.truncate_metrics()
        writer = SummaryWriter(str(self.out / "tensorboard"),
                               purge_step=self.step + 1 if self.step else None)
        log = (self.out / "metrics.jsonl").open("a")
        bar = tqdm(total=config.steps, initial=self.step, unit="step")
        self.start = time.perf_counter()
        self.net.train()
        done_by_time = False
        while self.step < config.steps:
            lr = learning_rate(self.step, config, self.minutes(), floor=0.05)
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            frames, extra, labels = self.batch(self.step)
            logits = self.net(frames, extra)
            loss = torch.nn.functional.cross_entropy(logits.float(), labels)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.step += 1
            accuracy = (logits.argmax(-1) == labels).float().mean().item()
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}", acc=f"{accuracy:.2f}")
            record = {"step": self.step, "loss": loss.item(), "action_accuracy": accuracy,
                      "minutes": round(self.minutes(), 3), "lr": lr}
            writer.add_scalar("train/loss", loss.item(), self.step)
            writer.add_scalar("train/lr", lr, self.step)
            writer.add_scalar("train/action_accuracy", accuracy, self.step)
            done_by_time = bool(config.max_minutes) and self.minutes() >= config.max_minutes
            last = self.step == config.steps or done_by_time
            if self.step % config.eval_every == 0 or last:
                val = self.validate()
                for name, value in val.items():
                    writer.add_scalar(f"val/{name}", value, self.step)
                    record[f"val/{name}"] = value
                if val and val["action_agreement"] > self.best.get("action_agreement", -1):
                    self.best = {"step": self.step, **val}
                    self.save(self.out / "best", with_state=False)
            log.write(json.dumps(record) + "\n")
            log.flush()
            if self.step % config.checkpoint_every == 0 or last:
                self.save(self.out / "checkpoints" / f"step-{self.step:07d}", with_state=True)
                from rig.policy.checkpoint import checkpoint_folders

                for old in checkpoint_folders(self.out)[:-config.keep_checkpoints]:
                    shutil.rmtree(old, ignore_errors=True)
            if done_by_time:
                self.log(f"--max-minutes {config.max_minutes:g} reached at step {self.step}")
                break
        bar.close()
        log.close()
        writer.close()
        self.save(self.out / "final", with_state=False)
        final = self.validate()
        self.log(f"saved {self.out / 'final'} (step {self.step}, {self.minutes():.1f} min); "
                 "validation: " + ", ".join(f"{k} {v:.3f}" for k, v in final.items())
                 + (f"; best/ from step {self.best['step']}" if self.best else ""))
        return 0


def train_bc(config: TrainBCConfig) -> int:
    return BCRun(config).train()
