"""rig.rollout: agents playing worlds, one episode or many.

- `episode`: `run_episode` / `run_batch`, the one episode loop under play, eval, collect and
  the MiniWoB tables, and `EpisodeResult`, what a finished episode reports;
- `pool`: `RolloutPool`, the one pool of workers (local processes or a Ray cluster) that
  `rig eval`, `rig collect`, `rig data review` and `rig eval miniwob` run their jobs on.

Below `eval/` and `trajectories/`, above `agents/` and `worlds/`: it knows how to play, not what
the results are for.
"""

from .episode import EpisodeResult, run_batch, run_episode
from .pool import RolloutPool, progress_bar, single_threaded_worker

__all__ = ["EpisodeResult", "run_batch", "run_episode", "RolloutPool", "progress_bar",
           "single_threaded_worker"]
