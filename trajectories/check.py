"""Validation of a trajectory store: every problem found, each named with its array path.

Role in the data flow: `TrajectoryStore.open` runs the cheap `structure_problems` (arrays,
lengths, episode ends, frame and column shapes, chunk files and their headers) so that every
command refuses a damaged store on open, with the message `rig data check` prints for it;
`rig data check` runs `check_store`, which also decodes every chunk and cross-checks episode
metadata against the steps.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from .episode import REQUIRED_STEP_KEYS

BLOCK = 4096  # rows decoded per read while scanning
BLOSC_HEADER = 16  # a Blosc frame starts with 16 bytes; bytes 12-15: the frame's whole size
EMPTY = 2**64 - 1  # a shard index's offset and size of a chunk that was never written


def _blosc_frame_size(header: bytes) -> int | None:
    return int.from_bytes(header[12:16], "little") if len(header) == BLOSC_HEADER else None


def chunk_file_problem(file: Path, array) -> str | None:
    """Why a chunk (or shard) file cannot be whole, read from its headers alone (a file cut
    short or overwritten), or None. Knows the codecs a RIG store writes (Blosc last; shards
    with a crc32c-checked index at the end); other codecs are left to the full decode."""
    from zarr.codecs import BloscCodec, Crc32cCodec, ShardingCodec

    codecs = array.metadata.codecs
    sharded = isinstance(codecs[0], ShardingCodec)
    inner = codecs[0].codecs if sharded else codecs
    if not isinstance(inner[-1], BloscCodec):
        return None
    fd = os.open(file, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        if not sharded:
            declared = _blosc_frame_size(os.pread(fd, BLOSC_HEADER, 0))
            return (None if declared == size else
                    f"{size} bytes, its header declares {declared}")
        shard = codecs[0]
        if (shard.index_location.value != "end"
                or not isinstance(shard.index_codecs[-1], Crc32cCodec)):
            return None
        import google_crc32c

        count = int(np.prod([s // c for s, c in zip(array.shards, shard.chunk_shape)]))
        index_bytes = 16 * count
        if size < index_bytes + 4:
            return f"{size} bytes, shorter than its index of {count} chunks"
        tail = os.pread(fd, index_bytes + 4, size - index_bytes - 4)
        if google_crc32c.value(tail[:-4]) != int.from_bytes(tail[-4:], "little"):
            return "its shard index fails its checksum (cut short or overwritten)"
        index = np.frombuffer(tail[:-4], dtype="<u8").reshape(count, 2)
        for offset, nbytes in index:
            if offset == EMPTY and nbytes == EMPTY:
                continue
            if offset + nbytes > size - index_bytes - 4:
                return f"a chunk at byte {offset} runs past the file's end"
            if _blosc_frame_size(os.pread(fd, BLOSC_HEADER, int(offset))) != nbytes:
                return f"the chunk at byte {offset} does not hold the {nbytes} bytes indexed"
        return None
    finally:
        os.close(fd)


def structure_problems(store) -> list[str]:
    """What a cheap look finds wrong: missing arrays, arrays shorter than the committed counts,
    missing or cut-short chunk files, episode ends out of order or not ending at the committed
    steps, frames or columns of another shape than the attributes say. Each problem starts
    with the array it names ("data/image: ...")."""
    from .store import StoreError, chunk_files
    problems = list(store.missing)
    steps, episodes = store.num_steps, store.num_episodes
    listed = store.attrs.get("step_keys") or []
    for key in REQUIRED_STEP_KEYS:
        if key not in listed and steps:
            problems.append(f"data/{key} is missing from the store's step_keys")
    sound = set()
    for group, arrays, rows in (("data", store.data, steps), ("meta", store.meta, episodes)):
        for key, array in arrays.items():
            if array.shape[0] < rows:
                unit = "steps" if group == "data" else "episodes"
                problems.append(f"{group}/{key} has {array.shape[0]} rows but the store "
                                f"committed {rows} {unit} (mismatched length)")
                continue
            files = chunk_files(array, rows)
            missing = [f for f in files if not (store.path / f).exists()]
            if missing:
                problems.append(f"{group}/{key}: missing chunk file{'s' * (len(missing) > 1)} "
                                + ", ".join(str(store.path / f) for f in missing[:3])
                                + (f" and {len(missing) - 3} more" if len(missing) > 3 else ""))
                continue
            damaged = [(f, why) for f in files
                       if (why := chunk_file_problem(store.path / f, array))]
            if damaged:
                problems.append(f"{group}/{key}: chunk file {store.path / damaged[0][0]} is "
                                f"truncated or corrupt ({damaged[0][1]})"
                                + (f", and {len(damaged) - 1} more" if len(damaged) > 1 else ""))
                continue
            sound.add(f"{group}/{key}")
    shape = store.image_shape
    if steps and "data/image" in sound and shape and store.data["image"].shape[1:] != shape:
        problems.append(f"data/image: frames are {store.data['image'].shape[1:]}, the "
                        f"attributes say {shape}")
    for key, names in store.columns.items():
        if f"data/{key}" in sound and store.data[key].shape[1:] != (len(names),):
            problems.append(f"data/{key}: rows of {store.data[key].shape[1:]} but "
                            f"{len(names)} column names")
    if "meta/episode_ends" in sound:
        try:
            ends = store.read_rows("meta", "episode_ends", 0, episodes)
        except StoreError as error:
            return problems + [str(error)]
        if episodes and (ends[0] <= 0 or np.any(np.diff(ends) <= 0)):
            problems.append("meta/episode_ends: not strictly increasing from a positive value")
        last = int(ends[-1]) if episodes else 0
        if last != steps:
            problems.append(f"meta/episode_ends: last end {last} != committed steps {steps}")
    return problems


def _scan(store, group: str, key: str, rows: int, problems: list[str]):
    """Decode every chunk of one array; return it whole (None for frames, or on failure)."""
    from .store import StoreError
    array = (store.data if group == "data" else store.meta)[key]
    keep = array.ndim < 3
    parts = []
    for start in range(0, rows, BLOCK):
        try:
            part = store.read_rows(group, key, start, min(rows, start + BLOCK))
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
    try:
        store = TrajectoryStore.open(Path(path), "r", check=False)
    except StoreError as error:
        return [str(error)], []
    structure = structure_problems(store)
    problems = [f"{path}: {p}" for p in structure]
    broken = {p.split(" ")[0].rstrip(":") for p in structure}   # "data/key" of damaged arrays
    notes: list[str] = []
    steps, episodes = store.num_steps, store.num_episodes
    data = {k: _scan(store, "data", k, steps, problems) for k in store.data
            if f"data/{k}" not in broken}
    meta = {k: _scan(store, "meta", k, episodes, problems) for k in store.meta
            if f"meta/{k}" not in broken}
    ends = meta.get("episode_ends")
    if problems or ends is None or any(v is None for v in meta.values()):
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
