"""The trajectory store: a zarr 3 directory of whole episodes (format: docs/trajectory-store.md).

Role in the data flow: play/collect loops append episodes built by `EpisodeBuilder`; training
(`dataset.py`), the `rig data` tools and the evaluation read them back.

Safety rules, in the order the writer follows them:
1. one writer at a time: `mode="a"`/`"w"` takes an flock on `<store>/.writer.lock` (released by
   the kernel even on SIGKILL); a second writer is refused with the pid of the first;
2. an episode's arrays are all written first (`data/*`, then `meta/*`);
3. only then the root attributes `num_episodes`/`num_steps` are rewritten (one atomic file
   replace by zarr's LocalStore): that is the commit. Readers trust only these counts, so they
   never see a partial episode. Arrays grow in steps of whole chunk files, so they are usually
   longer than the committed counts: rows past them are free capacity, or what a killed writer
   left, and the next append overwrites them.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import zarr
from zarr.codecs import BloscCodec
from zarr.core.sync import sync
from zarr.storage import LocalStore

from rig.config import RigError

from .episode import META_KEYS, conform_episode, fill_value

FORMAT = "rig-trajectories"
FORMAT_VERSION = 1
LOCK_NAME = ".writer.lock"
STAGING_NAME = ".creating"  # a new store is built here, then moved in (see _create)
IMAGE_CHUNK, IMAGE_SHARD = 32, 1024   # frames per chunk / per shard file (see the docs' table)
TEXT_CHUNK, SCALAR_CHUNK, META_CHUNK = 1024, 4096, 512


async def _write_rows(writes: list[tuple[zarr.Array, int, np.ndarray]]) -> None:
    """Write rows into several arrays concurrently, growing their capacity first.

    Arrays grow by half their size (whole chunk files) at a time, not by one episode, so most
    appends write data and no array metadata; rows past the committed counts are free capacity
    (or the leftovers of a killed writer), which readers never look at and the next append
    overwrites. One event-loop round for all arrays costs about half of one call per array.
    """
    grow = []
    for array, at, values in writes:
        need = at + len(values)
        if array.shape[0] < need:
            per_file = (array.shards or array.chunks)[0]
            rows = max(need, array.shape[0] + array.shape[0] // 2)
            grow.append(array._async_array.resize((-(-rows // per_file) * per_file,)
                                                  + array.shape[1:]))
    await asyncio.gather(*grow)
    await asyncio.gather(*(array._async_array.setitem(slice(at, at + len(values)), values)
                           for array, at, values in writes))


class StoreError(RigError):
    """A store that cannot be opened, read or written as asked; the message names the path."""


def compressor() -> BloscCodec:
    return BloscCodec(cname="zstd", clevel=3, shuffle="noshuffle")


def chunking(key: str, shape: tuple[int, ...], dtype, per_episode: bool = False) -> dict:
    """Chunk (and shard) shapes for an array of per-step or per-episode rows."""
    if per_episode:
        return {"chunks": (META_CHUNK,) + shape}
    if len(shape) >= 3:   # frames: 32 per chunk, 1024 per shard file
        return {"chunks": (IMAGE_CHUNK,) + shape, "shards": (IMAGE_SHARD,) + shape}
    rows = TEXT_CHUNK if dtype is str else SCALAR_CHUNK
    return {"chunks": (rows,) + shape}


def chunk_files(array: zarr.Array, rows: int) -> list[str]:
    """Relative paths of the chunk (or shard) files that must exist to hold `rows` rows."""
    per_file = (array.shards or array.chunks)[0]
    tail = "/0" * (array.ndim - 1)
    return [f"{array.path}/c/{i}{tail}" for i in range(-(-rows // per_file))]


def not_a_store(path: Path) -> str | None:
    """None for a path that holds a zarr store, else what the path is instead ("does not
    exist", "is a file, ..."): the words after the path in the error a command prints."""
    if not path.exists():
        return "does not exist"
    if not path.is_dir():
        return "is a file, not a store directory"
    if not (path / "zarr.json").exists():
        return "is a directory without zarr.json: not a trajectory store"
    return None


class TrajectoryStore:
    """Open with `TrajectoryStore.open(path, mode)`; see the module docstring."""

    def __init__(self, path: Path, mode: str):
        self.path, self.mode = path, mode
        self._lock_fd: int | None = None
        self.group: zarr.Group
        self.data: dict[str, zarr.Array] = {}
        self.meta: dict[str, zarr.Array] = {}
        self._tails: dict[str, tuple[int, np.ndarray]] = {}  # see _aligned

    # -- opening --------------------------------------------------------------------------
    @classmethod
    def open(cls, path, mode: str = "r", overwrite: bool = False,
             check: bool = True) -> "TrajectoryStore":
        """"r" read-only, "a" create or append (takes the writer lock), "w" create new.
        `check=False` (read-only) skips the structural check of every open, for `rig data
        check`, which reports each problem itself."""
        if mode not in ("r", "a", "w"):
            raise StoreError(f"{path}: mode must be 'r', 'a' or 'w', got {mode!r}")
        store = cls(Path(path), mode)
        try:
            store._open(overwrite, check)
        except BaseException:
            store.close()
            raise
        return store

    def _open(self, overwrite: bool, check: bool = True) -> None:
        path = self.path
        if self.mode == "r":
            problem = not_a_store(path)
            if problem:
                raise StoreError(f"{path} {problem}")
            self._load(read_only=True, verify=check)
            return
        self._refuse_foreign()  # before taking the lock: leave a foreign folder untouched
        path.mkdir(parents=True, exist_ok=True)
        # The lock comes first and is never removed while held: every decision below is made
        # by the one writer, so two writers racing to create a store cannot both get one.
        self._take_lock()
        self._finish_interrupted_creation()
        problem = not_a_store(path)
        if problem is None and self.mode == "w" and not overwrite:
            raise StoreError(f"{path} already holds a store; choose another path or overwrite")
        self._refuse_foreign()
        if problem is None and self.mode == "w":
            self._load(read_only=False, verify=False)  # refuse to wipe what is not a store
            for child in path.iterdir():
                if child.name != LOCK_NAME:
                    shutil.rmtree(child) if child.is_dir() else child.unlink()
            problem = "new"
        if problem:
            self._create()
        self._load(read_only=False)

    def _refuse_foreign(self) -> None:
        """Refuse to write into a file, or into a folder that holds something but no store."""
        path, problem = self.path, not_a_store(self.path)
        if problem and path.exists():
            ours = {LOCK_NAME, STAGING_NAME}
            if (path / STAGING_NAME).is_dir():  # a creation under way, or a killed one's
                ours |= {"data", "meta"}
            if not path.is_dir() or any(p.name not in ours for p in path.iterdir()):
                raise StoreError(f"{path} {problem}; refusing to write there")

    def _take_lock(self) -> None:
        fd = os.open(self.path / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = ""
            for _ in range(20):  # the holder writes its pid just after it takes the lock
                holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
                if holder:
                    break
                time.sleep(0.01)
            os.close(fd)
            raise StoreError(f"{self.path} is open for writing by another process (pid "
                             f"{holder or 'unknown'}); wait for it to finish, or write to "
                             f"another store and `rig data merge` them") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._lock_fd = fd

    def _finish_interrupted_creation(self) -> None:
        """Remove what a writer killed while creating the store left (lock held). A store is
        built in STAGING_NAME and its root zarr.json is moved in last, so a folder without
        zarr.json but with the staging folder holds only such leftovers."""
        staging = self.path / STAGING_NAME
        if not staging.exists():
            return
        if not (self.path / "zarr.json").exists():
            for name in ("data", "meta"):
                shutil.rmtree(self.path / name, ignore_errors=True)
        shutil.rmtree(staging)

    def _create(self) -> None:
        """A new, empty store, built in a staging folder and moved in with zarr.json last (one
        rename): a writer killed mid-way leaves no zarr.json, so nothing reads as a store.
        zarr's mode "w" clears the folder it creates in, so it must not run on the store's
        own folder: that would delete the held lock file, and the next writer would lock a
        new file and write beside this one."""
        staging = self.path / STAGING_NAME
        shutil.rmtree(staging, ignore_errors=True)
        group = zarr.open_group(LocalStore(staging), mode="w", attributes={
            "format": FORMAT, "format_version": FORMAT_VERSION, "num_episodes": 0,
            "num_steps": 0, "image_shape": None, "worlds": [], "columns": {}, "step_keys": [],
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
        group.create_group("data")
        meta = group.create_group("meta")
        self._new_array(meta, "episode_ends", (), np.int64, 0)
        for key, dtype in META_KEYS.items():
            self._new_array(meta, key, (), dtype, 0)
        for name in ("data", "meta", "zarr.json"):
            (staging / name).rename(self.path / name)
        staging.rmdir()

    def _load(self, read_only: bool, verify: bool = True) -> None:
        try:
            self.group = zarr.open_group(LocalStore(self.path, read_only=read_only), mode="r"
                                         if read_only else "r+")
            attrs = dict(self.group.attrs)
        except Exception as error:
            raise StoreError(f"{self.path}: cannot read the store's zarr.json ({error})") from None
        if attrs.get("format") != FORMAT:
            raise StoreError(f"{self.path} is a zarr group but not a RIG trajectory store "
                             f"(attribute 'format' is {attrs.get('format')!r})")
        version = attrs.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise StoreError(f"{self.path} has format version {version}; this rig reads "
                             f"versions up to {FORMAT_VERSION}: upgrade rig to read it")
        self.attrs = attrs
        self.missing: list[str] = []
        self.data = self._arrays("data", list(attrs.get("step_keys") or []))
        self.meta = self._arrays("meta", ["episode_ends", *META_KEYS])
        self._tails.clear()
        if verify:
            self._verify()

    def _arrays(self, group: str, keys: list[str]) -> dict[str, zarr.Array]:
        """The committed arrays by name (never by listing: a writer may be creating others).
        write_empty_chunks is not kept in an array's metadata: it is set on every open, so an
        all-zero chunk is written too and a missing chunk file always means damage."""
        arrays = {}
        for key in keys:
            try:
                array = self.group[f"{group}/{key}"]
                assert isinstance(array, zarr.Array), "not an array"
                arrays[key] = array.with_config({"write_empty_chunks": True})
            except Exception as error:
                self.missing.append(f"{group}/{key} is missing or unreadable ({error})")
        return arrays

    def _verify(self) -> None:
        """The cheap structural check (`check.structure_problems`) of the committed rows;
        raises StoreError with the problems `rig data check` names, each naming its array."""
        from .check import structure_problems
        problems = structure_problems(self)
        if problems:
            raise StoreError(f"{self.path} is damaged: " + "; ".join(problems)
                             + " (run `rig data check` for the full list)")

    def refresh(self) -> None:
        """Re-read the committed counts and arrays (a reader following a live writer)."""
        self._load(read_only=self.mode == "r")

    # -- reading ----------------------------------------------------------------------------
    @property
    def num_episodes(self) -> int:
        return int(self.attrs["num_episodes"])

    @property
    def num_steps(self) -> int:
        return int(self.attrs["num_steps"])

    @property
    def image_shape(self) -> tuple[int, ...] | None:
        shape = self.attrs.get("image_shape")
        return tuple(shape) if shape else None

    @property
    def columns(self) -> dict[str, list[str]]:
        return dict(self.attrs.get("columns") or {})

    @property
    def step_keys(self) -> list[str]:
        return sorted(self.data)

    def episode_ends(self) -> np.ndarray:
        return self.read_meta("episode_ends")

    def episode_bounds(self, index: int) -> tuple[int, int]:
        if not -self.num_episodes <= index < self.num_episodes:
            raise IndexError(f"{self.path}: episode {index} out of range "
                             f"(the store has {self.num_episodes})")
        index %= self.num_episodes
        ends = self.episode_ends()
        return (int(ends[index - 1]) if index else 0), int(ends[index])

    def read(self, key: str, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Steps [start, stop) of `data/<key>`, within the committed steps."""
        stop = self.num_steps if stop is None else min(stop, self.num_steps)
        if key not in self.data:
            raise KeyError(f"{self.path}: no step key {key!r} (keys: {', '.join(self.data)})")
        return self._read(self.data[key], slice(max(start, 0), max(stop, start, 0)))

    def read_meta(self, key: str) -> np.ndarray:
        """The committed rows of `meta/<key>`."""
        return self._read(self.meta[key], slice(0, self.num_episodes))

    def read_rows(self, group: str, key: str, start: int, stop: int) -> np.ndarray:
        """Rows [start, stop) of the array `<group>/<key>` ("data" or "meta") as stored, past
        the committed rows too (checks read what is on disk); a chunk that does not decode is
        a StoreError that names it."""
        arrays = self.data if group == "data" else self.meta
        return self._read(arrays[key], slice(start, stop))

    def _read(self, array: zarr.Array, selection) -> np.ndarray:
        # A sharded read is an index read plus a range read; a writer replacing the shard in
        # between makes the range decode fail once. Retry before calling the chunk broken.
        for attempt in range(4):
            try:
                return array[selection]
            except Exception as error:
                if attempt == 3:
                    raise StoreError(f"{self.path}/{array.path}: cannot read rows {selection.start}"
                                     f":{selection.stop} ({type(error).__name__}: {error}); a "
                                     f"chunk is truncated or corrupt: run `rig data check`") from None
                time.sleep(0.02 * (attempt + 1))

    def episode(self, index: int, keys: list[str] | None = None) -> dict[str, Any]:
        """Episode `index`: step arrays by key, plus `"meta"` (the same shape `build()` gives)."""
        start, stop = self.episode_bounds(index)
        index %= self.num_episodes
        out: dict[str, Any] = {k: self.read(k, start, stop) for k in (keys or self.data)}
        meta = {k: self._read(a, slice(index, index + 1))[0] for k, a in self.meta.items()
                if k != "episode_ends"}
        meta = {k: (v.item() if isinstance(v, np.generic) else str(v)) for k, v in meta.items()}
        meta["columns"] = self.columns
        meta["index"], meta["start"] = index, start
        out["meta"] = meta
        return out

    def disk_bytes(self) -> int:
        return sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file())

    # -- writing ----------------------------------------------------------------------------
    def _new_array(self, group, key: str, row_shape: tuple, dtype, rows: int) -> zarr.Array:
        return group.create_array(
            key, shape=(rows,) + tuple(row_shape), dtype=dtype, compressors=compressor(),
            fill_value=fill_value(dtype), config={"write_empty_chunks": True}, overwrite=True,
            **chunking(key, tuple(row_shape), dtype, per_episode=group.basename == "meta"))

    def append_episode(self, episode) -> int:
        """Write one whole episode (an `EpisodeBuilder` or an `episode()` dict); returns its index."""
        if self.mode == "r":
            raise StoreError(f"{self.path} is open read-only; open it with mode='a' to append")
        if hasattr(episode, "build"):
            episode = episode.build()
        try:
            steps, meta, self._new_columns = conform_episode(
                episode, self.image_shape, self.columns,
                {k: (a.shape[1:], a.dtype) for k, a in self.data.items()})
        except ValueError as error:
            raise StoreError(f"{self.path}: {error}") from None
        n, start = len(steps["action"]), self.num_steps
        for key, values in steps.items():
            if key not in self.data:  # a key new to this store: back-fill earlier steps
                dtype = str if values.dtype.kind in "TUO" else values.dtype
                array = self._new_array(self.group["data"], key, values.shape[1:], dtype, start)
                for i in range(0, start, 4096):
                    rows = min(4096, start - i)
                    array[i:i + rows] = np.full((rows,) + values.shape[1:], fill_value(dtype),
                                                dtype=values.dtype)
                self.data[key] = array
        writes = [self._aligned("data/" + key, self.data[key], start, values)
                  for key, values in steps.items()]
        e = self.num_episodes
        for key, array in self.meta.items():
            value = start + n if key == "episode_ends" else meta[key]
            dtype = str if META_KEYS.get(key) is str else array.dtype
            writes.append(self._aligned("meta/" + key, array, e, np.array([value], dtype=dtype)))
        try:
            sync(_write_rows(writes))
        except BaseException:
            self._tails.clear()
            raise
        worlds = list(self.attrs.get("worlds") or [])
        if meta["world_id"] not in worlds:
            worlds.append(meta["world_id"])
        update = {"num_episodes": self.num_episodes + 1, "num_steps": start + n, "worlds": worlds,
                  "image_shape": list(steps["image"].shape[1:]), "columns": self._new_columns,
                  "step_keys": sorted(self.data)}
        self._publish(update)
        return self.num_episodes - 1

    def _aligned(self, name: str, array: zarr.Array, at: int, values: np.ndarray):
        """(array, row, values) to write, extended to whole chunks when the array is not
        sharded: the rows already in the first chunk (cached from the previous append) before,
        fill values after. zarr then writes whole chunks without reading them back first."""
        if array.shards:
            return array, at, values
        rows = array.chunks[0]
        first = at - at % rows
        cached = self._tails.get(name)
        if cached is not None and cached[0] == first and cached[0] + len(cached[1]) == at:
            head = cached[1]
        else:
            head = self._read(array, slice(first, at))
        if values.dtype.kind in "TU":
            values = values.astype(np.dtypes.StringDType())
            head = head.astype(np.dtypes.StringDType())
        end = at + len(values)
        pad = -(end - first) % rows
        fill = np.full((pad,) + values.shape[1:], fill_value(str if values.dtype.kind == "T"
                                                             else values.dtype), values.dtype)
        block = np.concatenate([head.astype(values.dtype, copy=False), values, fill])
        last = end - end % rows
        self._tails[name] = (last, block[last - first:end - first])
        return array, first, block

    def _publish(self, update: dict[str, Any]) -> None:
        """The commit: one atomic rewrite of the root zarr.json with the new counts."""
        self.group.update_attributes(update)
        self.attrs.update(update)

    # -- derived step keys (`rig data tokenize`) ---------------------------------------------------
    def _writable(self) -> None:
        if self.mode == "r":
            raise StoreError(f"{self.path} is open read-only; open it with mode='a'")

    def set_attrs(self, update: dict[str, Any]) -> None:
        """Commit attributes that describe derived data (e.g. `image_tokens`: which tokenizer,
        how many steps hold its tokens); the counts of episodes and steps are not for this."""
        self._writable()
        reserved = {"format", "format_version", "num_episodes", "num_steps", "step_keys"}
        if reserved & set(update):
            raise StoreError(f"{sorted(reserved & set(update))} are the store's own attributes")
        self._publish(update)

    def add_step_key(self, key: str, row_shape: tuple, dtype) -> None:
        """Create the per-step array `data/<key>`, as long as the committed steps (zero-filled)
        and chunked like the store's own keys, and list it in `step_keys`, so that later
        appends fill and extend it like any other key. An existing key is left alone."""
        self._writable()
        if key in self.data:
            return
        rows, dtype = self.num_steps, np.dtype(dtype)
        array = self._new_array(self.group["data"], key, tuple(row_shape), dtype, rows)
        array = array.with_config({"write_empty_chunks": True})
        for i in range(0, rows, 65536):   # every chunk file exists before the key is listed
            stop = min(rows, i + 65536)
            array[i:stop] = np.zeros((stop - i,) + tuple(row_shape), dtype)
        self.data[key] = array
        self._publish({"step_keys": sorted(self.data)})

    def remove_step_key(self, key: str) -> None:
        """Unlist `data/<key>` (committed first: readers stop seeing it), then delete it."""
        self._writable()
        if key not in self.data:
            return
        del self.data[key]
        self._publish({"step_keys": sorted(self.data)})
        del self.group["data"][key]

    def write_rows(self, key: str, start: int, values) -> None:
        """Write rows [start, start + len(values)) of a derived step key (`add_step_key`)."""
        self._writable()
        array = self.data[key]
        stop = start + len(values)
        if array.shape[0] < stop:
            array.resize((stop,) + array.shape[1:])
        array[start:stop] = values

    # -- closing ----------------------------------------------------------------------------
    def close(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> "TrajectoryStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"TrajectoryStore({str(self.path)!r}, mode={self.mode!r}, "
                f"episodes={self.num_episodes}, steps={self.num_steps})")
