"""Validation of a trajectory store: every problem found, each named with its array path.

Role in the data flow: `TrajectoryStore.open` runs the cheap `layout_problems` (lengths, chunk
files) so a damaged store fails on open with a clear message; `rig data check` runs
`check_store`, which also decodes every chunk and cross-checks episode metadata against steps.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .episode import REQUIRED_STEP_KEYS

BLOCK = 4096  # rows decoded per read while scanning


def layout_problems(store) -> list[str]:
    """Missing arrays, arrays shorter than the committed counts, missing chunk files."""
    from .store import chunk_files
    problems = list(store.missing)
    steps, episodes = store.num_steps, store.num_episodes
    listed = store.attrs.get("step_keys") or []
    for key in REQUIRED_STEP_KEYS:
        if key not in listed and steps:
            problems.append(f"data/{key} is missing from the store's step_keys")
    for group, arrays, rows in (("data", store.data, steps), ("meta", store.meta, episodes)):
        for key, array in arrays.items():
            if array.shape[0] < rows:
                unit = "steps" if group == "data" else "episodes"
                problems.append(f"{group}/{key} has {array.shape[0]} rows but the store "
                                f"committed {rows} {unit} (mismatched length)")
                continue
            missing = [f for f in chunk_files(array, rows) if not (store.path / f).exists()]
            if missing:
                problems.append(f"{group}/{key}: missing chunk file{'s' * (len(missing) > 1)} "
                                + ", ".join(str(store.path / f) for f in missing[:3])
                                + (f" and {len(missing) - 3} more" if len(missing) > 3 else ""))
    return problems


def _scan(store, group: str, key: str, rows: int, problems: list[str]):
    """Decode every chunk of one array; return it whole (None for frames, or on failure)."""
    from .store import StoreError
    array = (store.data if group == "data" else store.meta)[key]
    keep = array.ndim < 3
    parts = []
    for start in range(0, rows, BLOCK):
        try:
            part = store._read(array, slice(start, min(rows, start + BLOCK)))
        except StoreError as error:
            problems.append(str(error))
            return None
        if keep:
            parts.append(part)
    if not keep:
        return None
    return np.concatenate(parts) if parts else array[0:0]


def check_store(path) -> tuple[list[str], list[str]]:
    """(problems, notes) for the store at `path`; no problems means the store is sound."""
    from .store import StoreError, TrajectoryStore
    store = TrajectoryStore(Path(path), "r")
    try:
        from .store import _kind
        kind = _kind(store.path)
        if kind:
            return [f"{path} {kind}"], []
        store._load(read_only=True, verify=False)
    except StoreError as error:
        return [str(error)], []
    layout = layout_problems(store)
    problems = [f"{path}: {p}" for p in layout]
    broken = {p.split(" ")[0].rstrip(":") for p in layout}   # "data/key" of damaged arrays
    notes: list[str] = []
    steps, episodes = store.num_steps, store.num_episodes
    shape = store.image_shape
    if steps and "image" in store.data and shape and store.data["image"].shape[1:] != shape:
        problems.append(f"{path}/data/image: frames are {store.data['image'].shape[1:]}, the "
                        f"attributes say {shape}")
    for key, names in store.columns.items():
        if key in store.data and store.data[key].shape[1:] != (len(names),):
            problems.append(f"{path}/data/{key}: rows of {store.data[key].shape[1:]} but "
                            f"{len(names)} column names")
    data = {k: _scan(store, "data", k, steps, problems) for k in store.data
            if f"data/{k}" not in broken}
    meta = {k: _scan(store, "meta", k, episodes, problems) for k in store.meta
            if f"meta/{k}" not in broken}
    ends = meta.get("episode_ends")
    if broken or ends is None or any(v is None for v in meta.values()):
        return problems, notes
    if episodes and (ends[0] <= 0 or np.any(np.diff(ends) <= 0)):
        problems.append(f"{path}/meta/episode_ends: not strictly increasing from a positive "
                        "value")
    if (int(ends[-1]) if episodes else 0) != steps:
        problems.append(f"{path}/meta/episode_ends: last end {int(ends[-1]) if episodes else 0}"
                        f" != committed steps {steps}")
    if problems:
        return problems, notes
    starts = np.concatenate([[0], ends[:-1]]).astype(np.int64)
    lengths = ends - starts
    bad = np.flatnonzero(meta["length"] != lengths)
    if bad.size:
        problems.append(f"{path}/meta/length: episodes {bad[:5].tolist()} disagree with "
                        "episode_ends")
    if data.get("reward") is not None:
        sums = np.add.reduceat(data["reward"].astype(np.float64), starts) if steps else []
        bad = [i for i in range(episodes)
               if not math.isclose(sums[i], meta["return"][i], rel_tol=1e-4, abs_tol=1e-3)]
        if bad:
            problems.append(f"{path}/meta/return: episodes {bad[:5]} disagree with the sum of "
                            "their rewards")
    for flag in ("terminated", "truncated"):
        values = data.get(flag)
        if values is not None and steps:
            inner = np.flatnonzero(values & ~np.isin(np.arange(steps), ends - 1))
            if inner.size:
                problems.append(f"{path}/data/{flag}: set at steps {inner[:5].tolist()}, which "
                                "are not the last step of their episode")
    worlds = set(store.attrs.get("worlds") or [])
    unknown = sorted(set(str(w) for w in meta["world_id"]) - worlds)
    if unknown:
        problems.append(f"{path}/meta/world_id: {unknown} missing from the store's 'worlds' "
                        "attribute")
    for key in ("world_id", "agent"):
        empty = [i for i, v in enumerate(meta[key]) if not str(v)]
        if empty:
            problems.append(f"{path}/meta/{key}: empty for episodes {empty[:5]}")
    return problems, notes
