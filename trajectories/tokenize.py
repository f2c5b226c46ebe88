"""`rig data tokenize`: write every frame's image-token ids into a trajectory store.

Role in the data flow: after `rig train tokenizer`, this runs the image encoder once over the
store's frames and adds the per-step key `image_tokens`: int16 (or int32 for codebooks over
32,767) rows of h*w token ids, row-major over the token grid (reshape to (h, w)). Policy training
then reads tokens and never runs the encoder; `TrajectoryDataset` keeps such 2-D keys in memory.

The store's root attribute `image_tokens` records what the ids mean and how far they go:
`{"grid": [h, w], "codebook_size": K, "tokenizer": path, "tokenizer_sha256": first 16 hex of
the weights file, "steps": tokenized steps}`. Episodes appended later get zero rows from the
store (it fills keys an episode lacks), so readers must trust only rows below `steps`
(`tokenized_steps`); running the command again tokenizes just the new steps, or everything when
the tokenizer changed. Each block of ids is written before the count that covers it (the same
commit rule as the store's appends), so a killed run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from rig.config import SHIPPED, RigError, option, require, resolve_model

KEY = "image_tokens"


@dataclass
class DataTokenizeConfig:
    data: str = option("data/crafter-expert.zarr", "trajectory store to add image tokens to")
    tokenizer: str = option("crafter", "tokenizer: a checkpoint folder (rig train tokenizer) or "
                            f"a shipped one by name ({', '.join(SHIPPED['tokenizer'])})")
    batch_size: int = option(0, "frames encoded per batch (0: 8 on a CPU, where batches that "
                             "fit the cache encode fastest, 104 against 61 frames/s at 256; "
                             "256 on a GPU); the ids do not depend on it")
    block: int = option(4096, "frames read and written per block (ids committed per block)")
    device: str = option("auto", "cpu, cuda, cuda:N, or auto (cuda when available)")
    threads: int = option(0, "torch CPU threads (0: torch's default)")

    def validate(self) -> None:
        require(self.batch_size >= 0, f"--batch-size must be >= 0, got {self.batch_size}")
        require(self.threads >= 0, f"--threads must be >= 0, got {self.threads}")
        require(self.block >= 1, f"--block must be at least 1, got {self.block}")
        self.tokenizer = resolve_model(self.tokenizer, "tokenizer")


def weights_digest(folder) -> str:
    from rig.imagination.tokenizer import WEIGHTS_NAME
    digest = hashlib.sha256()
    with open(Path(folder) / WEIGHTS_NAME, "rb") as f:
        for part in iter(lambda: f.read(1 << 20), b""):
            digest.update(part)
    return digest.hexdigest()[:16]


def tokenized_steps(store) -> int:
    """Steps [0, n) of `store` whose `image_tokens` rows are valid (0 when it has none)."""
    info = store.attrs.get(KEY) or {}
    return min(int(info.get("steps", 0)), store.num_steps) if KEY in store.data else 0


def data_tokenize(config: DataTokenizeConfig) -> int:
    import numpy as np
    from tqdm import tqdm

    from rig.imagination.tokenizer import ImageTokenizer
    from rig.config import pick_device

    from .store import TrajectoryStore
    from rig.rollout.pool import set_threads

    set_threads(config.threads)  # 0: torch's default
    device = pick_device(config.device)
    tokenizer = ImageTokenizer.from_pretrained(config.tokenizer, device=device)
    batch = config.batch_size or (256 if device.startswith("cuda") else 8)
    cfg = tokenizer.config
    rows, cols = cfg.grid_shape
    info = {"grid": [rows, cols], "codebook_size": cfg.codebook_size,
            "tokenizer": str(Path(config.tokenizer).resolve()),
            "tokenizer_sha256": weights_digest(config.tokenizer)}
    dtype = np.int16 if cfg.codebook_size <= np.iinfo(np.int16).max + 1 else np.int32
    with TrajectoryStore.open(config.data, "a") as store:
        if store.num_steps == 0:
            raise RigError(f"{config.data} holds no steps: nothing to tokenize")
        if store.image_shape != (*cfg.frame_shape, 3):
            raise RigError(f"{config.data} holds frames of shape {store.image_shape}; the "
                           f"tokenizer takes {(*cfg.frame_shape, 3)}")
        old = store.attrs.get(KEY) or {}
        # the count in the attribute vouches only for rows that are there: a key removed
        # by hand (or never written) starts over, whatever the attribute says
        same = KEY in store.data and all(old.get(k) == v for k, v in info.items()
                                         if k != "tokenizer")
        row = (rows * cols,)
        if KEY in store.data and (not same or store.data[KEY].shape[1:] != row
                                  or store.data[KEY].dtype != dtype):
            store.remove_step_key(KEY)       # a different tokenizer: start over
            same = False
        store.add_step_key(KEY, row, dtype)
        start = tokenized_steps(store) if same else 0
        total = store.num_steps
        if start >= total:
            print(f"{config.data}: all {total} steps already hold image tokens of this tokenizer")
            return 0
        store.set_attrs({KEY: {**info, "steps": start}})
        with tqdm(total=total, initial=start, desc="tokenize", unit="frame") as bar:
            for a in range(start, total, config.block):
                b = min(total, a + config.block)
                ids = tokenizer.encode(store.read("image", a, b), batch)
                store.write_rows(KEY, a, ids.reshape(len(ids), -1).astype(dtype))
                store.set_attrs({KEY: {**info, "steps": b}})
                bar.update(b - a)
    print(f"{config.data}: wrote image tokens for steps {start}..{total} ({rows}x{cols} "
          f"ids per frame, codebook {cfg.codebook_size}) as data/{KEY}")
    return 0
