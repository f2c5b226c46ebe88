"""A trajectory store written as a LeRobot dataset (format v3.0), for LeRobot's tools and users.

Role in the data flow: `rig data export STORE OUT --format lerobot` reads every episode of a
store and writes the folder `LeRobotDataset(root=OUT)` reads: the layout of LeRobot's
`CODEBASE_VERSION = "v3.0"` (`lerobot/datasets/utils.py`):

    OUT/meta/info.json                            schema, fps, path templates, totals
    OUT/meta/stats.json                           min/max/mean/std/count of every number feature
    OUT/meta/tasks.parquet                        task text (the pandas index "task") -> task_index
    OUT/meta/episodes/chunk-000/file-000.parquet  one row per episode: length, tasks, where its
                                                  rows are, its own stats
    OUT/data/chunk-000/file-000.parquet           one row per step, many episodes a file

Frames are `image` features (PNG bytes in the parquet, Hugging Face `datasets`' Image struct), not
MP4 videos: lossless, and readable without a video decoder. What a step of RIG holds maps to:

    observation.image      the frame the decision was made on        (image, H x W x 3)
    observation.text       the world's observation text              (string)
    action                 the action id (-1 where the language is open)  (int64)
    action_text            the action in the world's language        (string)
    reasoning              the agent's reasoning                     (string)
    next.reward / next.done  the step's outcome                      (float32 / bool)
    observation.imagined_next_image, review   where the store has them

Only pyarrow writes here (pandas and `datasets` are not needed): the tables carry the schema
metadata those libraries read (`huggingface` features for the image struct, `pandas` for the
task index), so LeRobot's loader decodes them as it decodes its own.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np

CODEBASE_VERSION = "v3.0"
CHUNKS_SIZE = 1000           # files per chunk folder (LeRobot's DEFAULT_CHUNK_SIZE)
DATA_FILE_MB = 100           # a data file is closed past this size (DEFAULT_DATA_FILE_SIZE_IN_MB)
CHUNK_FILE = "chunk-{chunk_index:03d}/file-{file_index:03d}"
DATA_PATH = "data/" + CHUNK_FILE + ".parquet"
EPISODES_PATH = "meta/episodes/" + CHUNK_FILE + ".parquet"
# LeRobot's DEFAULT_FEATURES: every frame has them
INDEX_FEATURES = {
    "timestamp": {"dtype": "float32", "shape": [1], "names": None},
    "frame_index": {"dtype": "int64", "shape": [1], "names": None},
    "episode_index": {"dtype": "int64", "shape": [1], "names": None},
    "index": {"dtype": "int64", "shape": [1], "names": None},
    "task_index": {"dtype": "int64", "shape": [1], "names": None},
}
# store key -> (feature name, dtype); image keys are written as PNG structs
STEP_FEATURES = {
    "image": ("observation.image", "image"),
    "text": ("observation.text", "string"),
    "action": ("action", "int64"),
    "action_text": ("action_text", "string"),
    "reasoning": ("reasoning", "string"),
    "reward": ("next.reward", "float32"),
    "imagined_frame": ("observation.imagined_next_image", "image"),
    "review": ("review", "string"),
}


def _pyarrow():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        from rig.config import RigError
        raise RigError("writing a LeRobot dataset needs pyarrow: pip install pyarrow") from None
    return pa, pq


def _png(frame: np.ndarray) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(np.asarray(frame, np.uint8)).save(out, format="PNG")
    return out.getvalue()


def _hf_feature(dtype: str) -> dict:
    """The `datasets` feature spec LeRobot's loader builds for a (1,)-shaped or image feature."""
    if dtype == "image":
        return {"_type": "Image"}
    return {"dtype": dtype, "_type": "Value"}


def _number_stats(values: np.ndarray) -> dict[str, list]:
    """LeRobot's per-feature statistics of a (N, ...) array, over the first axis."""
    values = values.astype(np.float64).reshape(len(values), -1)
    return {"min": values.min(0).tolist(), "max": values.max(0).tolist(),
            "mean": values.mean(0).tolist(), "std": values.std(0).tolist(),
            "count": [len(values)]}


def _image_stats(frames: np.ndarray) -> dict[str, list]:
    """Per-channel statistics in [0, 1], shaped (3, 1, 1), as LeRobot computes for images."""
    pixels = frames.reshape(-1, frames.shape[-1]).astype(np.float64) / 255.0
    shaped = lambda v: [[[float(x)]] for x in v]  # noqa: E731
    return {"min": shaped(pixels.min(0)), "max": shaped(pixels.max(0)),
            "mean": shaped(pixels.mean(0)), "std": shaped(pixels.std(0)),
            "count": [len(frames)]}


def _merge_stats(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Whole-dataset statistics from per-episode ones (pooled mean and variance)."""
    counts = np.array([p["count"][0] for p in parts], np.float64)
    means = np.stack([np.asarray(p["mean"], np.float64) for p in parts])
    stds = np.stack([np.asarray(p["std"], np.float64) for p in parts])
    w = (counts / counts.sum()).reshape((-1,) + (1,) * (means.ndim - 1))
    mean = (w * means).sum(0)
    var = (w * (stds ** 2 + (means - mean) ** 2)).sum(0)
    return {"min": np.min([np.asarray(p["min"]) for p in parts], 0).tolist(),
            "max": np.max([np.asarray(p["max"]) for p in parts], 0).tolist(),
            "mean": mean.tolist(), "std": np.sqrt(var).tolist(),
            "count": [int(counts.sum())]}


def export_lerobot(store, out: Path, fps: float = 10.0, overwrite: bool = False,
                   progress: bool = True) -> dict[str, Any]:
    """Write every episode of `store` (an open `TrajectoryStore`) under `out` as a LeRobot v3.0
    dataset; returns its info.json. The folder is built beside `out` and moved into place when
    complete, so an interrupted export leaves no half dataset under that name."""
    from tqdm import tqdm

    from rig.config import RigError

    pa, pq = _pyarrow()
    fps = int(fps) if float(fps).is_integer() else float(fps)  # LeRobot writes whole fps as int
    out = Path(out)
    occupied = out.is_file() or (out.is_dir() and any(out.iterdir()))
    if occupied and not overwrite:
        raise RigError(f"{out} exists and is not empty: choose a new folder or pass --overwrite")
    if not store.num_episodes:
        raise RigError("the store holds no episodes")
    present = [k for k in STEP_FEATURES if k in store.data]
    source = {STEP_FEATURES[k][0]: k for k in present}  # feature name -> its store key
    height, width, channels = store.image_shape
    features: dict[str, dict] = {}
    for key in present:
        name, dtype = STEP_FEATURES[key]
        if dtype == "image":
            shape = ([height, width, channels] if key == "image"
                     else list(store.data[key].shape[1:]))
            features[name] = {"dtype": "image", "shape": shape,
                              "names": ["height", "width", "channels"]}
        else:
            features[name] = {"dtype": dtype, "shape": [1], "names": None}
    features["next.done"] = {"dtype": "bool", "shape": [1], "names": None}
    features.update(INDEX_FEATURES)
    for spec in features.values():
        spec["fps"] = fps

    tasks: dict[str, int] = {}
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    (partial / "meta").mkdir(parents=True)

    arrow_types = {"string": pa.string(), "int64": pa.int64(), "float32": pa.float32(),
                   "bool": pa.bool_(),
                   "image": pa.struct([("bytes", pa.binary()), ("path", pa.string())])}
    schema = pa.schema(
        [(name, arrow_types[spec["dtype"]]) for name, spec in features.items()],
        metadata={"huggingface": json.dumps(
            {"info": {"features": {n: _hf_feature(s["dtype"]) for n, s in features.items()}}})})

    file_at = {"chunk_index": 0, "file_index": 0}
    writer, written_mb = None, 0.0
    episode_rows, stats_parts = [], {name: [] for name, s in features.items()
                                      if s["dtype"] in ("image", "int64", "float32")}
    index = 0
    try:
        for e in tqdm(range(store.num_episodes), desc="episodes", unit="ep", disable=not progress):
            ep = store.episode(e, keys=present + ["terminated", "truncated"])
            length = len(ep["image"])
            task = str(ep["meta"].get("task_text") or "")
            task_index = tasks.setdefault(task, len(tasks))
            columns: dict[str, Any] = {}
            for key in present:
                name, dtype = STEP_FEATURES[key]
                values = ep[key]
                if dtype == "image":
                    columns[name] = [{"bytes": _png(f), "path": None} for f in values]
                elif dtype == "string":
                    columns[name] = [str(v) for v in values]
                else:
                    columns[name] = np.asarray(values).astype(dtype)
            done = np.zeros(length, bool)
            done[-1] = bool(ep["terminated"][-1] or ep["truncated"][-1])
            columns["next.done"] = done
            frame_index = np.arange(length, dtype=np.int64)
            columns["timestamp"] = (frame_index / fps).astype(np.float32)
            columns["frame_index"] = frame_index
            columns["episode_index"] = np.full(length, e, np.int64)
            columns["index"] = np.arange(index, index + length, dtype=np.int64)
            columns["task_index"] = np.full(length, task_index, np.int64)
            table = pa.Table.from_pydict({n: columns[n] for n in features}, schema=schema)

            # a data file holds whole episodes; a new one starts past DATA_FILE_MB
            if writer is not None and written_mb >= DATA_FILE_MB:
                writer.close()
                writer, written_mb = None, 0.0
                file_at["file_index"] += 1
                if file_at["file_index"] == CHUNKS_SIZE:
                    file_at = {"chunk_index": file_at["chunk_index"] + 1, "file_index": 0}
            if writer is None:
                path = partial / DATA_PATH.format(**file_at)
                path.parent.mkdir(parents=True, exist_ok=True)
                writer = pq.ParquetWriter(path, schema)
            writer.write_table(table)
            written_mb += table.nbytes / 2 ** 20

            row: dict[str, Any] = {
                "episode_index": e, "tasks": [task], "length": length,
                "data/chunk_index": file_at["chunk_index"],
                "data/file_index": file_at["file_index"],
                "dataset_from_index": index, "dataset_to_index": index + length,
                "meta/episodes/chunk_index": 0, "meta/episodes/file_index": 0}
            for name in stats_parts:
                if features[name]["dtype"] == "image":
                    part = _image_stats(np.asarray(ep[source[name]]))
                else:
                    part = _number_stats(np.asarray(columns[name]).reshape(length, -1))
                stats_parts[name].append(part)
                for stat, value in part.items():
                    row[f"stats/{name}/{stat}"] = value
            episode_rows.append(row)
            index += length
    finally:
        if writer is not None:
            writer.close()

    _write_episodes(pa, pq, partial / EPISODES_PATH.format(chunk_index=0, file_index=0),
                    episode_rows)
    _write_tasks(pa, pq, partial / "meta" / "tasks.parquet", tasks)
    stats = {name: _merge_stats(parts) for name, parts in stats_parts.items()}
    (partial / "meta" / "stats.json").write_text(json.dumps(stats, indent=4))
    worlds = sorted({str(w) for w in store.read_meta("world_id")})
    info = {
        "codebase_version": CODEBASE_VERSION,
        "robot_type": ",".join(worlds),
        "total_episodes": store.num_episodes, "total_frames": index,
        "total_tasks": len(tasks), "chunks_size": CHUNKS_SIZE,
        "data_files_size_in_mb": DATA_FILE_MB, "video_files_size_in_mb": 500,
        "fps": fps, "splits": {"train": f"0:{store.num_episodes}"},
        "data_path": DATA_PATH, "video_path": None, "features": features,
    }
    (partial / "meta" / "info.json").write_text(json.dumps(info, indent=4))
    if out.exists():
        shutil.rmtree(out) if out.is_dir() else out.unlink()
    partial.rename(out)
    return info


def _write_episodes(pa, pq, path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist(rows)
    pq.write_table(table, path)


def _write_tasks(pa, pq, path: Path, tasks: dict[str, int]) -> None:
    """tasks.parquet as pandas writes `DataFrame({"task_index": ...}, index=Index(tasks,
    name="task"))`: LeRobot looks a task up by that index."""
    table = pa.table({"task_index": pa.array(list(tasks.values()), pa.int64()),
                      "task": pa.array(list(tasks), pa.string())})
    pandas_meta = {
        "index_columns": ["task"],
        "column_indexes": [{"name": None, "field_name": None, "pandas_type": "unicode",
                            "numpy_type": "object", "metadata": {"encoding": "UTF-8"}}],
        "columns": [
            {"name": "task_index", "field_name": "task_index", "pandas_type": "int64",
             "numpy_type": "int64", "metadata": None},
            {"name": "task", "field_name": "task", "pandas_type": "unicode",
             "numpy_type": "object", "metadata": None}],
        "creator": {"library": "pyarrow", "version": pa.__version__},
        "pandas_version": "2.2.3",
    }
    pq.write_table(table.replace_schema_metadata({"pandas": json.dumps(pandas_meta)}), path)


def read_frame(root: Path, index: int) -> dict[str, Any]:
    """One row of an exported dataset by its global `index`, found through info.json and the
    episodes table as LeRobot finds it (for checks and for users without LeRobot)."""
    _, pq = _pyarrow()
    from PIL import Image

    root = Path(root)
    info = json.loads((root / "meta" / "info.json").read_text())
    episodes = pq.read_table(root / EPISODES_PATH.format(chunk_index=0, file_index=0))
    starts = episodes.column("dataset_from_index").to_pylist()
    ends = episodes.column("dataset_to_index").to_pylist()
    e = next(i for i, (a, b) in enumerate(zip(starts, ends)) if a <= index < b)
    path = root / info["data_path"].format(
        chunk_index=episodes.column("data/chunk_index")[e].as_py(),
        file_index=episodes.column("data/file_index")[e].as_py())
    table = pq.read_table(path)
    rows = table.column("index").to_pylist()
    row = {name: table.column(name)[rows.index(index)].as_py() for name in table.column_names}
    for name, spec in info["features"].items():
        if spec["dtype"] == "image":
            row[name] = np.asarray(Image.open(io.BytesIO(row[name]["bytes"])))
    return row
