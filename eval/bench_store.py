"""`rig bench store`: the trajectory store's speed and size on real Crafter frames, against numpy.

Collects real episodes (`--agent`, by default the policy's teacher `expert:player`, whose frames
are what training stores hold; `random` for the old figures; collection is not timed), then times
in the same process, each beside the same work on in-memory numpy arrays:
- append: whole episodes into a fresh, empty store, each committed on its own (numpy: copying
  them into preallocated arrays);
- random windows: K-step windows of image, action, reward and reasoning through
  `TrajectoryDataset`, which holds them in memory by default (numpy: the same clamped fancy
  indexing on arrays in memory; the issue's target is >= 0.5x);
- sequential scan: every step of image, action and reward in blocks of 1,024;
- bytes on disk per frame, against a raw uint8 frame;
- opening the store read-only with the structural check every command runs on open
  (`check.structure_problems`), against the same open without it.
Targets (issue: the trajectory store): append >= 4,000 frames/s, windows >= 5,000 frames/s,
scan >= 10,000 frames/s, bytes per frame <= 1/5 of raw. Figures, not a pass/fail test.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rig.config import option, require


@dataclass
class BenchStoreConfig:
    frames: int = option(4000, "real Crafter frames to collect (whole episodes, at least this many)")
    agent: str = option("expert:player", "the agent whose episodes are stored (expert frames: "
                        "what training stores hold; random frames compress better)")
    window: int = option(16, "steps per random window")
    windows: int = option(600, "random windows per round")
    rounds: int = option(3, "rounds of each timing (the median is reported)")
    max_episode_steps: int = option(400, "cut collected episodes at this many steps")
    seed: int = option(0, "first world seed and the sampling seed")
    path: str | None = option(None, "store directory to write; none writes a temporary one")

    def validate(self) -> None:
        require(self.frames >= 100, "--frames must be at least 100")
        require(self.window >= 1, "--window must be at least 1")
        require(self.windows >= 10 and self.rounds >= 1, "--windows >= 10 and --rounds >= 1")
        require(self.max_episode_steps >= 10, "--max-episode-steps must be at least 10")
        from rig.agents import parse_agent

        require(not parse_agent(self.agent).kind.interactive, "--agent must play by itself")


def _collect(config: BenchStoreConfig) -> list[dict]:
    import rig.worlds
    from rig.agents import make_agent
    from rig.trajectories import EpisodeBuilder

    env = rig.worlds.make("rig/Crafter-v0")
    agent = make_agent(config.agent, env, seed=config.seed)
    episodes, frames, seed = [], 0, config.seed
    while frames < config.frames:
        obs, info = env.reset(seed=seed)
        agent.reset(seed)
        builder = EpisodeBuilder("rig/Crafter-v0", seed, config.agent,
                                 env.get_wrapper_attr("task_text")())
        while True:
            decision = agent.act(obs, info)
            next_obs, reward, terminated, truncated, info = env.step(decision.action)
            builder.add_step(obs, decision, reward, terminated, truncated, info)
            obs = next_obs
            if terminated or truncated or len(builder) >= config.max_episode_steps:
                break
        episodes.append(builder.build())
        frames += len(builder)
        seed += 1
    return episodes


def _median_time(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_store(config: BenchStoreConfig) -> int:
    import numpy as np

    from rig.trajectories import TrajectoryDataset, TrajectoryStore

    import os

    load_before = os.getloadavg()[0]
    print(f"collecting >= {config.frames} real Crafter frames ({config.agent}, not timed)...")
    episodes = _collect(config)
    n = sum(len(e["action"]) for e in episodes)
    keys = ["image", "action", "reward", "reasoning"]
    frame_bytes = int(np.prod(episodes[0]["image"].shape[1:]))

    # append ------------------------------------------------------------------------------
    def numpy_append():
        out = {k: np.empty((n,) + episodes[0][k].shape[1:], episodes[0][k].dtype)
               for k in episodes[0] if k != "meta"}
        at = 0
        for e in episodes:
            m = len(e["action"])
            for k in out:
                out[k][at:at + m] = e[k]
            at += m
        return out

    arrays = numpy_append()
    np_append = _median_time(numpy_append, config.rounds)
    with tempfile.TemporaryDirectory(prefix="rig-bench-store-") as tmp:
        path = config.path or f"{tmp}/store"
        append_times = []
        for _ in range(config.rounds):   # a fresh store each round; creating it is not timed
            with TrajectoryStore.open(path, "w", overwrite=True) as store:
                start = time.perf_counter()
                for e in episodes:
                    store.append_episode(e)
                append_times.append(time.perf_counter() - start)
        st_append = statistics.median(append_times)

        # random windows --------------------------------------------------------------------
        offsets = {k: list(range(config.window)) for k in keys}
        dataset = TrajectoryDataset(path, offsets)
        rng = np.random.default_rng(config.seed)
        picks = rng.integers(0, len(dataset), size=config.windows)
        ends = dataset.ends
        starts = dataset.starts
        episode_of = dataset.episode_of
        offs = np.arange(config.window)

        def numpy_windows():
            for i in picks:
                e = episode_of[i]
                idx = i + offs
                pad = idx >= ends[e]
                idx = np.clip(idx, starts[e], ends[e] - 1)
                sample = {k: arrays[k][idx] for k in keys}
                sample["reasoning"] = [str(r) for r in sample["reasoning"]]
                sample["pad"] = pad

        def store_windows():
            for i in picks:
                dataset[int(i)]

        np_windows = _median_time(numpy_windows, config.rounds)
        st_windows = _median_time(store_windows, config.rounds)

        # sequential scan -------------------------------------------------------------------
        scan_keys = ["image", "action", "reward"]

        def numpy_scan():
            for s in range(0, n, 1024):
                for k in scan_keys:
                    np.array(arrays[k][s:s + 1024])

        reader = TrajectoryStore.open(path, "r")

        def store_scan():
            for s in range(0, n, 1024):
                for k in scan_keys:
                    reader.read(k, s, s + 1024)

        np_scan = _median_time(numpy_scan, config.rounds)
        st_scan = _median_time(store_scan, config.rounds)

        # open: with the structural check every command runs, and without it -----------------
        def open_checked():
            for _ in range(10):
                TrajectoryStore.open(path, "r").close()

        def open_unchecked():
            for _ in range(10):
                TrajectoryStore(Path(path), "r")._load(read_only=True, verify=False)

        open_ms = [1000 * _median_time(f, config.rounds) / 10 for f in (open_checked,
                                                                       open_unchecked)]
        disk = reader.disk_bytes()
        image_disk = sum(f.stat().st_size for f in (reader.path / "data" / "image").rglob("*")
                         if f.is_file())
        reader.close()

    wf = config.windows * config.window
    rows = [
        ("append", n / st_append, n / np_append, 4000),
        (f"random {config.window}-step windows", wf / st_windows, wf / np_windows, 5000),
        ("sequential scan", n / st_scan, n / np_scan, 10000),
    ]
    print(f"{n} frames in {len(episodes)} real Crafter episodes, frames "
          f"{'x'.join(map(str, episodes[0]['image'].shape[1:]))} uint8; median of "
          f"{config.rounds} rounds")
    print(f"{'':32}{'store':>12}{'numpy':>14}{'ratio':>9}   target")
    for name, store_rate, numpy_rate, target in rows:
        verdict = "met" if store_rate >= target else "NOT met"
        print(f"{name + ' (frames/s)':32}{store_rate:12,.0f}{numpy_rate:14,.0f}"
              f"{store_rate / numpy_rate:9.4f}   >= {target:,} ({verdict})")
    per_frame = disk / n
    print(f"{'bytes on disk per frame':32}{per_frame:12,.0f}{frame_bytes:14,}"
          f"{per_frame / frame_bytes:9.4f}   <= 0.2 of raw "
          f"({'met' if per_frame <= frame_bytes / 5 else 'NOT met'})")
    print(f"{'  of which frames alone':32}{image_disk / n:12,.0f}{frame_bytes:14,}"
          f"{image_disk / n / frame_bytes:9.4f}")
    print(f"{'open (ms, structural check)':32}{open_ms[0]:12.1f}{open_ms[1]:14.1f}"
          f"{open_ms[0] / open_ms[1]:9.2f}   (numpy column: the same open without the check)")
    print("windows: keys " + ", ".join(keys) + " through TrajectoryDataset (every key held in "
          "memory: its default cache); scan: " + ", ".join(scan_keys)
          + " in blocks of 1,024; numpy = the same work on in-memory arrays.")
    print(f"machine: {os.cpu_count()} cores, 1-minute load average {load_before:.2f} before and "
          f"{os.getloadavg()[0]:.2f} after (above ~1, other processes shared the cores)")
    return 0
