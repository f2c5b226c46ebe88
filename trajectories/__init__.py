"""rig.trajectories: the episode store, its checks and tools, and the training Dataset.

Data flow: play/collect loops build episodes (`EpisodeBuilder`) and append them whole to a
`TrajectoryStore` (a zarr 3 directory, format in docs/trajectory-store.md); training reads
windows of steps through `TrajectoryDataset`; `rig data info|check|show|export|merge` inspect
and maintain stores. Names load lazily so that importing this package (which `rig --help` does
through `rig.trajectories.data_cli`) pulls in neither zarr nor torch.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "TrajectoryStore": "store", "StoreError": "store", "FORMAT_VERSION": "store",
    "EpisodeBuilder": "episode", "episode_outcome": "episode",
    "check_store": "check",
    "TrajectoryDataset": "dataset", "split_by_seed": "dataset", "window": "dataset",
    "collate": "dataset",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'rig.trajectories' has no attribute {name!r}")
    return getattr(importlib.import_module(f"rig.trajectories.{_EXPORTS[name]}"), name)
