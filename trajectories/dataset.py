"""Reading a store for training: windows of steps with `<key>_is_pad` masks, and a torch Dataset.

Role in the data flow: a policy's config names the offsets it needs per key, e.g.
`{"image": [-2, -1, 0], "action": [0, 1]}`; `TrajectoryDataset` serves one sample per step t of
the chosen episodes, holding for each key the rows t + offset. Rows outside t's episode repeat
the episode's edge row and are flagged in `<key>_is_pad` (LeRobot's convention), so a window
never mixes two episodes. `split_by_seed` splits episodes into train and validation by world
seed, so validation never sees a training episode (nor the same world layout).

Every key is read into memory once when it fits the dataset's `cache_bytes` (2 GiB by default:
a 30,000-step expert store's 64x64 frames take 0.37 GB decoded), so random windows are numpy
indexing; larger frame keys are read from the store per sample (one contiguous read per key).
Why: a window read through zarr costs ~2 ms (most of it waiting on zarr's event loop), 50x a
window in memory. The cache is taken before DataLoader workers fork, which share it.
"""

from __future__ import annotations

import hashlib
from typing import Any, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from rig.config import ConfigError

from .store import TrajectoryStore


def _as_store(store) -> TrajectoryStore:
    return store if isinstance(store, TrajectoryStore) else TrajectoryStore.open(store, "r")


def window_indices(t: int, start: int, stop: int, offsets: Sequence[int]):
    """(row indices clamped into [start, stop), is_pad mask) for rows t + offsets."""
    idx = t + np.asarray(offsets, dtype=np.int64)
    pad = (idx < start) | (idx >= stop)
    return np.clip(idx, start, stop - 1), pad


def window(store, episode: int, start: int, length: int,
           keys: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """Steps [start, start + length) of one episode (start may be negative or run past the end:
    those rows are padded and flagged in `<key>_is_pad`)."""
    store = _as_store(store)
    first, stop = store.episode_bounds(episode)
    idx, pad = window_indices(first + start, first, stop, range(length))
    out: dict[str, np.ndarray] = {}
    for key in keys or store.step_keys:
        rows = store.read(key, int(idx.min()), int(idx.max()) + 1)
        out[key] = rows[idx - idx.min()]
        out[f"{key}_is_pad"] = pad
    return out


def _group_key(world_id: str, seed: int, episode: int, salt: str) -> float:
    name = f"{salt}:{world_id}:{seed}" if seed >= 0 else f"{salt}:unseeded:{episode}"
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") / 2.0**64


def split_by_seed(store, val_fraction: float = 0.1, salt: str = "rig") -> tuple[list[int], list[int]]:
    """(train, validation) episode indices. All episodes of one (world, seed) fall on the same
    side, decided by a hash, so the split is stable as the store grows. With at least two seeds
    and val_fraction > 0, validation gets at least one seed."""
    if not 0.0 <= val_fraction < 1.0:
        raise ConfigError(f"val_fraction must be in [0, 1), got {val_fraction}")
    store = _as_store(store)
    worlds, seeds = store.read_meta("world_id"), store.read_meta("seed")
    keys = [_group_key(str(w), int(s), i, salt) for i, (w, s) in enumerate(zip(worlds, seeds))]
    val = {i for i, k in enumerate(keys) if k < val_fraction}
    if val_fraction > 0 and not val and len(set(keys)) > 1:
        lowest = min(keys)
        val = {i for i, k in enumerate(keys) if k == lowest}
    train = [i for i in range(len(keys)) if i not in val]
    return train, sorted(val)


class TrajectoryDataset(Dataset):
    """One sample per step of `episodes` (or per episode, at its first step, with
    `first_steps_only`): for each key in `offsets`, its rows at the offsets (a tensor; text keys
    give a list of str) and `<key>_is_pad`; plus `episode` and `step`."""

    def __init__(self, store, offsets: dict[str, Sequence[int]],
                 episodes: Sequence[int] | None = None, first_steps_only: bool = False,
                 cache_bytes: int = 2 << 30):
        self.store = _as_store(store)
        unknown = [k for k in offsets if k not in self.store.data]
        if unknown:
            raise ConfigError(f"{self.store.path}: no step key {unknown} for the dataset; the "
                              f"store has {', '.join(self.store.step_keys)}")
        if not offsets or any(len(o) == 0 for o in offsets.values()):
            raise ConfigError("offsets must name at least one key, each with offsets")
        self.offsets = {k: np.asarray(v, dtype=np.int64) for k, v in offsets.items()}
        ends = self.store.episode_ends().astype(np.int64)
        starts = np.concatenate([[0], ends[:-1]]).astype(np.int64)
        chosen = np.arange(len(ends)) if episodes is None else np.asarray(episodes, np.int64)
        if chosen.size and (chosen.min() < 0 or chosen.max() >= len(ends)):
            raise ConfigError(f"{self.store.path}: episodes must be in 0..{len(ends) - 1}")
        self.episode_of = np.concatenate(
            [np.full(ends[e] - starts[e], e, np.int64) for e in chosen] or [np.zeros(0, np.int64)])
        self.steps = np.concatenate(
            [np.arange(starts[e], ends[e]) for e in chosen] or [np.zeros(0, np.int64)])
        if first_steps_only:  # one sample per episode (review stores: an episode is an example)
            first = self.steps == starts[self.episode_of]
            self.steps, self.episode_of = self.steps[first], self.episode_of[first]
        self.starts, self.ends = starts, ends
        # small keys always, frame keys while they fit `cache_bytes` (decoded), smallest first
        self.cache = {}
        budget = int(cache_bytes)
        for key in sorted(offsets, key=lambda k: self.store.data[k].nbytes):
            array = self.store.data[key]
            if array.ndim < 3 or array.nbytes <= budget:
                self.cache[key] = self.store.read(key)
                budget -= array.nbytes if array.ndim >= 3 else 0

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, i: int) -> dict[str, Any]:
        t, e = int(self.steps[i]), int(self.episode_of[i])
        sample: dict[str, Any] = {"episode": e, "step": t}
        start, stop = int(self.starts[e]), int(self.ends[e])
        windows = {}  # keys with the same offsets share one index computation
        for key, offsets in self.offsets.items():
            shared = offsets.tobytes()
            if shared not in windows:
                idx, pad = window_indices(t, start, stop, offsets)
                windows[shared] = idx, pad, torch.from_numpy(pad)
            idx, pad, pad_tensor = windows[shared]
            if key in self.cache:
                rows = self.cache[key][idx]
            else:
                lo = int(idx.min())
                rows = self.store.read(key, lo, int(idx.max()) + 1)[idx - lo]
            sample[key] = [str(r) for r in rows] if rows.dtype.kind in "TUO" \
                else torch.from_numpy(np.ascontiguousarray(rows))
            sample[f"{key}_is_pad"] = pad_tensor
        return sample


def collate(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Stack tensors along a batch axis; keep text as a list (batch) of lists (offsets)."""
    out: dict[str, Any] = {}
    for key, value in samples[0].items():
        values = [s[key] for s in samples]
        if isinstance(value, torch.Tensor):
            out[key] = torch.stack(values)
        elif isinstance(value, int):
            out[key] = torch.tensor(values)
        else:
            out[key] = values
    return out
