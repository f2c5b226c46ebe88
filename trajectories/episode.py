"""Episodes in memory: what the play/collect loop builds step by step before a store writes it.

Role in the data flow: a world's observation and an agent's `Decision` go into
`EpisodeBuilder.add_step` once per step; `build()` turns the lists into one dict of time-major
arrays (`"image"`, `"text"`, `"action"`, ...) plus `"meta"` (world, seed, agent, return...),
which `TrajectoryStore.append_episode` writes whole. `TrajectoryStore.episode(i)` hands back the
same structure, so an episode read from one store can be appended to another (`rig data merge`);
`conform_episode` checks such a dict against a store before it is written.

Step `t` holds the observation the decision was made on, the decision, and what the world
answered to it: reward, terminated, truncated, and the info returned by that step (inventory
after the action, achievements unlocked by the action).
"""

from __future__ import annotations

import datetime as _dt
import time
from importlib import metadata as _metadata
from typing import Any

import numpy as np

# Step keys every episode has, and the dtype they are stored with.
REQUIRED_STEP_KEYS = {"image": np.uint8, "text": str, "action": np.int64, "action_text": str,
                      "reward": np.float32, "terminated": np.bool_, "truncated": np.bool_,
                      "reasoning": str}
# Optional step keys (present in a store once any episode had them).
OPTIONAL_STEP_KEYS = {"imagined_frame": np.uint8, "has_imagined_frame": np.bool_,
                      "imagined_tokens": np.int32, "has_imagined_tokens": np.bool_,
                      "review": str, "inventory": np.int16, "achievements_unlocked": np.bool_,
                      "lookahead_frames": np.uint8, "has_lookahead_frames": np.bool_,
                      "teacher_action_text": str}
# Keys whose second axis is named by a list of column names (recorded in the store's attrs).
COLUMN_KEYS = ("inventory", "achievements_unlocked")
# Per-episode metadata and its dtype.
META_KEYS = {"world_id": str, "world_version": str, "seed": np.int64, "agent": str,
             "task_text": str, "return": np.float64, "length": np.int64, "success": np.bool_,
             "achievements": str, "created": str}


def fill_value(dtype) -> Any:
    """What a store writes where a step has no value: "", 0 or False."""
    return "" if dtype is str else np.zeros((), dtype=dtype).item()


def world_version(world_id: str) -> str:
    """`rig X.Y.Z` plus the simulator package's version when it can be found ('crafter 1.8.3')."""
    from rig import __version__
    parts = [f"rig {__version__}"]
    try:
        from rig.worlds import WORLDS
        module = WORLDS[world_id][0].split(":")[0].rsplit(".", 1)[-1]
        parts.append(f"{module} {_metadata.version(module)}")
    except Exception:  # an unregistered world or a simulator that is not a package: rig only
        pass
    return "; ".join(parts)


def episode_outcome(info: dict[str, Any] | None, episode_return: float) -> dict[str, Any]:
    """Per-episode success and achievements from the episode's last `info`.

    success: `info["success"]` when the world reports it (goal worlds), else return > 0.
    achievements: the names whose count in `info["achievements"]` is positive (Crafter), else
    `info["achievements_unlocked"]` when it is a list, else none.
    """
    info = info or {}
    if isinstance(info.get("achievements"), dict):
        names = [name for name, count in info["achievements"].items() if count]
    else:
        names = list(info.get("achievements_unlocked") or [])
    success = bool(info["success"]) if "success" in info else bool(episode_return > 0)
    return {"success": success, "achievements": names}


def _action_id(action: Any) -> int:
    if isinstance(action, (bool, np.bool_)):
        return int(action)
    if isinstance(action, (int, np.integer)):
        return int(action)
    if isinstance(action, np.ndarray) and action.shape == () and action.dtype.kind in "iu":
        return int(action)
    return -1  # not an id (a GUI action dict...): its text form is in action_text


class EpisodeBuilder:
    """Collects one episode's steps; see the module docstring for what a step holds."""

    def __init__(self, world_id: str, seed: int | None, agent: str, task_text: str = "",
                 world_version_text: str | None = None):
        self.meta: dict[str, Any] = {
            "world_id": str(world_id), "seed": -1 if seed is None else int(seed),
            "agent": str(agent), "task_text": str(task_text or ""),
            "world_version": world_version_text if world_version_text is not None
            else world_version(world_id)}
        self.steps: dict[str, list] = {key: [] for key in REQUIRED_STEP_KEYS}
        self.optional: dict[str, dict[int, Any]] = {}
        self.columns: dict[str, list[str]] = {}
        self.last_info: dict[str, Any] | None = None

    def __len__(self) -> int:
        return len(self.steps["action"])

    def add_step(self, obs: dict[str, Any], decision, reward: float, terminated: bool,
                 truncated: bool, info: dict[str, Any] | None = None) -> None:
        """Record one step: `obs` is the observation `decision` was made on."""
        t = len(self)
        image = np.asarray(obs["image"])
        if image.dtype != np.uint8 or image.ndim != 3:
            raise ValueError(f"obs['image'] must be uint8 (H, W, C), got {image.dtype} "
                             f"{image.shape}")
        s = self.steps
        s["image"].append(image)
        s["text"].append(str(obs.get("text") or ""))
        s["action"].append(_action_id(decision.action))
        s["action_text"].append(str(decision.action_text))
        s["reward"].append(float(reward))
        s["terminated"].append(bool(terminated))
        s["truncated"].append(bool(truncated))
        s["reasoning"].append(str(decision.reasoning or ""))
        for key in ("imagined_frame", "imagined_tokens", "review", "lookahead_frames",
                    "teacher_action_text"):
            value = getattr(decision, key, None)
            if value is not None:
                self.optional.setdefault(key, {})[t] = value
        info = info or {}
        if isinstance(info.get("inventory"), dict):
            self._columns("inventory", info["inventory"])
            self.optional.setdefault("inventory", {})[t] = dict(info["inventory"])
        if isinstance(info.get("achievements"), dict):
            self._columns("achievements_unlocked", info["achievements"])
            self.optional.setdefault("achievements_unlocked", {})[t] = set(
                info.get("achievements_unlocked") or [])
        self.last_info = info

    def _columns(self, key: str, names: dict) -> None:
        known = self.columns.setdefault(key, [])
        known.extend(name for name in names if name not in known)

    def build(self) -> dict[str, Any]:
        """The episode as time-major arrays plus `"meta"` (see `TrajectoryStore.episode`)."""
        n = len(self)
        if n == 0:
            raise ValueError("an episode needs at least one step")
        data: dict[str, Any] = {k: np.array(v, dtype=REQUIRED_STEP_KEYS[k])
                                for k, v in self.steps.items() if k != "image"}
        data["image"] = np.stack(self.steps["image"])
        for key, by_step in self.optional.items():
            if OPTIONAL_STEP_KEYS[key] is str:  # review, teacher_action_text: "" where absent
                data[key] = np.array([str(by_step.get(t, "")) for t in range(n)], dtype=str)
            elif key in COLUMN_KEYS:
                names = self.columns[key]
                dtype = OPTIONAL_STEP_KEYS[key]
                rows = np.zeros((n, len(names)), dtype=dtype)
                for t, value in by_step.items():
                    if key == "inventory":
                        rows[t] = [value.get(name, 0) for name in names]
                    else:
                        rows[t] = [name in value for name in names]
                data[key] = rows
            else:  # imagined_frame / _tokens, lookahead_frames: zero-filled where absent, + mask
                first = np.asarray(next(iter(by_step.values())))
                dtype = OPTIONAL_STEP_KEYS[key]
                rows = np.zeros((n,) + first.shape, dtype=dtype)
                for t, value in by_step.items():
                    rows[t] = np.asarray(value).reshape(first.shape)
                data[key] = rows
                data["has_" + key] = np.array([t in by_step for t in range(n)])
        episode_return = float(np.sum(data["reward"], dtype=np.float64))
        outcome = episode_outcome(self.last_info, episode_return)
        meta = dict(self.meta, length=n, **{"return": episode_return},
                    success=outcome["success"], achievements=",".join(outcome["achievements"]),
                    created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                    columns={k: list(v) for k, v in self.columns.items()})
        data["meta"] = meta
        return data


def conform_episode(episode: dict[str, Any], image_shape, columns: dict[str, list[str]],
                    arrays: dict[str, tuple[tuple, Any]]):
    """(steps, meta, columns): `episode` checked against a store whose frames are `image_shape`,
    whose column names are `columns` and whose step arrays have `arrays` (key -> row shape,
    dtype); columns mapped by name, missing keys filled. Raises ValueError saying what is wrong."""
    meta = dict(episode.get("meta") or {})
    steps = {k: np.asarray(v) for k, v in episode.items() if k != "meta"}
    missing = [k for k in REQUIRED_STEP_KEYS if k not in steps]
    missing += [k for k in ("world_id", "seed", "agent") if k not in meta]
    if missing:
        raise ValueError(f"episode lacks {', '.join(missing)}")
    n = len(steps["action"])
    if n == 0 or any(len(v) != n for v in steps.values()):
        raise ValueError(f"episode arrays must have one equal, positive length; "
                         + ", ".join(f"{k}={len(v)}" for k, v in steps.items()))
    if image_shape and steps["image"].shape[1:] != image_shape:
        raise ValueError(f"episode frames are {steps['image'].shape[1:]}, the "
                         f"store holds {image_shape}")
    columns = dict(columns)
    given = meta.get("columns") or {}
    for key in COLUMN_KEYS:
        if key not in steps:
            continue
        names, known = list(given.get(key) or []), list(columns.get(key) or [])
        if len(names) != steps[key].shape[1]:
            raise ValueError(f"episode's {key} has {steps[key].shape[1]} columns "
                             f"but {len(names)} names")
        if not known:
            columns[key] = known = names
        extra = [name for name in names if name not in known]
        if extra:
            raise ValueError(f"{key} names {extra} are not in the store's list")
        mapped = np.zeros((n, len(known)), dtype=OPTIONAL_STEP_KEYS[key])
        mapped[:, [known.index(name) for name in names]] = steps[key]
        steps[key] = mapped
    for key, (row_shape, array_dtype) in arrays.items():
        if key not in steps:
            dtype = str if array_dtype.kind in "TUO" else array_dtype
            steps[key] = np.full((n,) + row_shape, fill_value(dtype), dtype=dtype)
        elif steps[key].shape[1:] != row_shape:
            raise ValueError(f"episode's {key} rows are {steps[key].shape[1:]}, "
                             f"the store's are {row_shape}")
    for key in steps:
        dtype = REQUIRED_STEP_KEYS.get(key, OPTIONAL_STEP_KEYS.get(key))
        if steps[key].dtype.kind == "T":
            continue
        if dtype is str or steps[key].dtype.kind in "UO":
            steps[key] = steps[key].astype(str)
        elif dtype is not None:
            steps[key] = steps[key].astype(dtype)
    meta.setdefault("task_text", "")
    meta.setdefault("world_version", "")
    meta["length"] = n
    meta.setdefault("return", float(np.sum(steps["reward"], dtype=np.float64)))
    meta.setdefault("success", bool(meta["return"] > 0))
    meta.setdefault("achievements", "")
    meta.setdefault("created", time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    return steps, meta, columns
