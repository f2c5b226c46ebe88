"""The plain behaviour-cloning baseline: a small CNN from what the student sees to the action.

Role in the data flow: `rig train bc STORE... --out DIR` (train/bc.py) fits a `BCNet` on the
same stores and the same train/validation split as `rig train policy`; `--agent bc:DIR`
(agents/bc_agent.py) plays it. It is the honest anchor beside every RIG figure: no reasoning,
no imagination, one decision a step from

    the frame (uint8 H x W x 3)  +  the last `history` executed actions (one-hot)
                                 [+ the observation text's numbers by name: `--text`]

This module is the one owner of the baseline's folder, written atomically like a policy's:

    bc_policy.json        format marker, model config, action names, text features, training
    model.safetensors     the weights (never pickled)
    trainer_state.pt      checkpoints only: optimizer, step, minutes (loaded weights-only)
    complete              written last: the folder is whole
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from rig.config import RigError

FORMAT_NAME, FORMAT = "rig-bc-policy", 1
META_FILE, WEIGHTS_FILE, STATE_FILE, DONE_FILE = ("bc_policy.json", "model.safetensors",
                                                   "trainer_state.pt", "complete")
# "health 9/9", "wood pickaxe 1": a name and a count (a maximum after a slash is read past)
_COUNT = re.compile(r"([A-Za-z][A-Za-z _-]*?)\s+(\d+)(?:/\d+)?")


@dataclass
class BCModelConfig:
    """The baseline's shape; `actions` and `text_features` are read from the training stores."""

    frame_shape: list[int] = field(default_factory=lambda: [64, 64])
    channels: list[int] = field(default_factory=lambda: [32, 64, 128, 128])
    hidden: int = 256
    history: int = 1                      # past executed actions given as input
    actions: list[str] = field(default_factory=list)
    text_features: list[str] = field(default_factory=list)  # count names, then flag lines
    count_scale: float = 9.0              # counts are divided by this (Crafter's maximum)

    def validate(self) -> None:
        if not self.actions:
            raise RigError("a bc policy needs at least one action")
        if len(self.channels) < 1 or min(self.channels) < 1 or self.hidden < 1:
            raise RigError("bc model: channels and hidden must be positive")


class TextFeatures:
    """Observation text -> a fixed vector: each named count (`health 7/9`, `wood 2`) divided by
    `count_scale`, and 1.0 for each number-free line seen in training (`You are asleep.`,
    `Time: night.`, `Inventory: empty.`).
    Names never seen in training are ignored, so a student reads exactly what it learned from."""

    def __init__(self, names: Sequence[str], count_scale: float = 9.0):
        self.names = list(names)
        self.index = {name: i for i, name in enumerate(self.names)}
        self.scale = float(count_scale)

    @staticmethod
    def parts(text: str, task_text: str = "") -> tuple[dict[str, int], list[str]]:
        """(counts by name, number-free lines) of one observation text, the task line left out."""
        counts: dict[str, int] = {}
        flags = []
        for line in str(text).splitlines():
            line = line.strip()
            if not line or line == task_text:
                continue
            body = line.split(":", 1)[1] if ":" in line else line
            found = _COUNT.findall(body)
            for name, count in found:
                counts[name.strip().lower()] = int(count)
            if not found:  # a line that states no count is read whole ("Time: night.")
                flags.append(line.lower())
        return counts, flags

    @classmethod
    def learn(cls, texts, task_text: str = "", count_scale: float = 9.0) -> "TextFeatures":
        names, flag_lines = set(), set()
        for text in texts:
            counts, flags = cls.parts(text, task_text)
            names.update(counts)
            flag_lines.update(flags)
        return cls(sorted(names) + sorted(flag_lines), count_scale)

    def __len__(self) -> int:
        return len(self.names)

    def encode(self, text: str, task_text: str = "") -> np.ndarray:
        vector = np.zeros(len(self.names), np.float32)
        counts, flags = self.parts(text, task_text)
        for name, count in counts.items():
            if name in self.index:
                vector[self.index[name]] = min(count, 4 * self.scale) / self.scale
        for line in flags:
            if line in self.index:
                vector[self.index[line]] = 1.0
        return vector


def history_vector(history: Sequence[int], actions: int, length: int) -> np.ndarray:
    """The last `length` executed action indices (oldest first; -1 or missing: none) one-hot."""
    vector = np.zeros((length, actions), np.float32)
    recent = list(history)[-length:] if length else []
    for slot, action in enumerate([-1] * (length - len(recent)) + recent):
        if action >= 0:
            vector[slot, action] = 1.0
    return vector.reshape(-1)


def step_inputs(features: TextFeatures, text: str, task_text: str, history: Sequence[int],
                actions: int, length: int) -> np.ndarray:
    """The network's input beside the frame, for one step: the text features of the observation
    text (its task line left out) and the last `length` executed actions one-hot. Training,
    acting and `rig eval decisions` all build it here."""
    from .sequence import strip_task

    return np.concatenate([features.encode(strip_task(str(text), task_text)),
                           history_vector(history, actions, length)]).astype(np.float32)


def build_net(config: BCModelConfig):
    """The CNN: strided convolutions over the frame, pooled to 4x4, then an MLP that also reads
    the text features and the action history."""
    import torch
    from torch import nn

    class BCNet(nn.Module):
        def __init__(self, config: BCModelConfig):
            super().__init__()
            layers, before = [], 3
            for i, width in enumerate(config.channels):
                kernel = 5 if i == 0 else 3
                layers += [nn.Conv2d(before, width, kernel, stride=2, padding=kernel // 2),
                           nn.ReLU()]
                before = width
            self.conv = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(4), nn.Flatten())
            extra = len(config.text_features) + config.history * len(config.actions)
            self.head = nn.Sequential(nn.Linear(before * 16 + extra, config.hidden), nn.ReLU(),
                                      nn.Linear(config.hidden, len(config.actions)))

        def forward(self, frames, extra):
            """frames: uint8 (B, H, W, 3); extra: float (B, text + history) -> logits (B, A)."""
            x = frames.permute(0, 3, 1, 2).float() / 255.0
            return self.head(torch.cat([self.conv(x), extra], dim=1))

    return BCNet(config)


# -- the folder -----------------------------------------------------------------------------------
def is_bc_folder(path: str | Path) -> bool:
    return (Path(path) / META_FILE).is_file()


def save(folder: Path, net, config: BCModelConfig, extra_meta: dict,
         trainer_state: dict | None = None) -> None:
    """Write a baseline folder atomically (`NAME.tmp`, flushed, renamed)."""
    import torch
    from safetensors.torch import save_file

    from .checkpoint import _fsync, _fsync_tree

    folder = Path(folder)
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
    save_file(state, str(tmp / WEIGHTS_FILE), metadata={"format": FORMAT_NAME})
    meta = {"format_name": FORMAT_NAME, "format": FORMAT, "model": asdict(config), **extra_meta}
    (tmp / META_FILE).write_text(json.dumps(meta, indent=2, default=str))
    if trainer_state is not None:
        torch.save(trainer_state, tmp / STATE_FILE)
    (tmp / DONE_FILE).write_text("ok\n")
    _fsync_tree(tmp)
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    _fsync(folder.parent)


@dataclass
class BCCheckpoint:
    folder: Path
    meta: dict
    config: BCModelConfig
    weights: dict
    trainer: dict | None = None

    @property
    def step(self) -> int:
        return int((self.trainer or {}).get("step", self.meta.get("step", 0)))

    def net(self, device: str = "cpu"):
        net = build_net(self.config)
        try:
            net.load_state_dict(self.weights)
        except (RuntimeError, KeyError) as error:
            raise RigError(f"{self.folder / WEIGHTS_FILE} does not fit its bc_policy.json "
                           f"({str(error).splitlines()[0][:200]})") from None
        return net.to(device).eval()

    def text_features(self) -> TextFeatures:
        return TextFeatures(self.config.text_features, self.config.count_scale)


def conv_state(folder: str | Path) -> tuple[list[int], dict]:
    """A baseline's convolution widths and weights (its `conv` layers' state dict): a RIG
    policy's `cnn` eye, built from the same layers, can start from them (`rig train policy
    --eye-from`)."""
    baseline = load(folder)
    return (list(baseline.config.channels),
            {k[len("conv."):]: v for k, v in baseline.weights.items() if k.startswith("conv.")})


def load(folder: str | Path, with_state: bool = False) -> BCCheckpoint:
    """Read a baseline folder (with the trainer state, to resume); a RigError says what is wrong."""
    folder = Path(folder)
    if folder.is_dir() and not is_bc_folder(folder) and is_bc_folder(folder / "final"):
        folder = folder / "final"  # `--agent bc:OUT` means OUT/final
    path = folder / META_FILE
    if not path.is_file():
        raise RigError(f"{str(folder)!r} is not a bc policy (no {META_FILE}); train one with "
                       "`rig train bc STORE --out DIR` and use --agent bc:DIR")
    try:
        meta = json.loads(path.read_text())
        if meta.get("format_name") != FORMAT_NAME:
            raise ValueError(f"not a {FORMAT_NAME} description")
        if int(meta.get("format", 0)) > FORMAT:
            raise RigError(f"{folder} was written by a newer rig (format {meta['format']})")
        config = BCModelConfig(**meta["model"])
        config.validate()
    except RigError:
        raise
    except (ValueError, TypeError, KeyError, UnicodeDecodeError) as error:
        raise RigError(f"{path} is damaged ({type(error).__name__}: "
                       f"{str(error).splitlines()[0][:200] if str(error) else ''})") from None
    from safetensors.torch import load_file

    try:
        weights = load_file(str(folder / WEIGHTS_FILE))
    except Exception as error:
        raise RigError(f"{folder / WEIGHTS_FILE} is missing or damaged "
                       f"({type(error).__name__})") from None
    trainer = None
    if with_state:
        import torch

        try:
            trainer = torch.load(folder / STATE_FILE, weights_only=True)
            if not isinstance(trainer, dict) or not {"optimizer", "step"} <= set(trainer):
                raise ValueError("not a trainer state")
        except Exception as error:
            raise RigError(f"{folder / STATE_FILE} is missing or damaged "
                           f"({type(error).__name__})") from None
    return BCCheckpoint(folder, meta, config, weights, trainer)
