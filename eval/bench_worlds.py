"""`rig bench worlds`: what stepping and resetting a world costs.

Crafter (the default): steps raw `crafter.Env` and `rig.worlds.make("rig/Crafter-v0")` through
the same random action sequence in the same process, alternating rounds so that machine noise
hits both alike, and prints steps per second and the overhead (the target is under 10%).
Resets are timed apart.

`--world minetest`: the whole Minetest world (engine, client drawing, frame grab) pinned to
`--cores` cores: steps per second with frames for random actions beside `noop` steps (the
bridge's round trip and one drawn frame: the floor of a step), alternating rounds; reset times
(a fresh map and engine per episode); and `--episodes` consecutive short episodes, counting the
engine and screen processes left afterwards (the target: none).
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass

from rig.config import option, require


@dataclass
class BenchWorldsConfig:
    world: str = option("crafter", "the world to time: crafter, or minetest (the 3-D engine)",
                        choices=["crafter", "minetest"])
    steps: int = option(2000, "steps per round and per side (minetest: 100 is plenty)")
    rounds: int = option(5, "alternating rounds (the median is reported)")
    seed: int = option(0, "world seed and action-sequence seed")
    episodes: int = option(20, "minetest: consecutive short episodes for the process-leak count")
    cores: int = option(1, "minetest: CPU cores the world and its engine may use")

    def validate(self) -> None:
        require(self.steps >= 10, f"--steps must be at least 10, got {self.steps}")
        require(self.rounds >= 1, f"--rounds must be at least 1, got {self.rounds}")
        require(self.episodes >= 1, f"--episodes must be at least 1, got {self.episodes}")
        require(self.cores >= 1, f"--cores must be at least 1, got {self.cores}")


def _time_raw(actions, seed: int) -> float:
    import crafter

    env = crafter.Env(seed=seed)
    env.reset()
    start = time.perf_counter()
    for action in actions:
        _, _, done, _ = env.step(action)
        if done:
            env.reset()
    return time.perf_counter() - start


def _time_rig(actions, seed: int) -> float:
    import rig.worlds

    env = rig.worlds.make("rig/Crafter-v0")
    env.reset(seed=seed)
    start = time.perf_counter()
    for action in actions:
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()
    return time.perf_counter() - start


def _engine_processes() -> int:
    """Minetest engines and Xvfb screens running now (any owner)."""
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    argv0 = cmdline.read().split(b"\0")[0]
            except OSError:
                continue
            count += os.path.basename(argv0) in (b"minetest", b"Xvfb")
    return count


def _bench_minetest(config: BenchWorldsConfig) -> int:
    import numpy as np

    import rig.worlds
    from rig.worlds.minetest import MINETEST_ACTIONS

    cores = sorted(os.sched_getaffinity(0))[: config.cores]
    os.sched_setaffinity(0, cores)   # the engine processes inherit it
    before = _engine_processes()
    env = rig.worlds.make("rig/Minetest-v0", max_steps=None)
    rng = np.random.default_rng(config.seed)
    actions = rng.integers(0, len(MINETEST_ACTIONS), size=config.steps).tolist()
    noop = MINETEST_ACTIONS.index("noop")

    def run(sequence) -> float:
        start = time.perf_counter()
        for action in sequence:
            _, _, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                env.reset(seed=config.seed)
        return time.perf_counter() - start

    resets, random_times, noop_times = [], [], []
    try:
        for i in range(config.rounds):
            start = time.perf_counter()
            env.reset(seed=config.seed + i)
            resets.append(time.perf_counter() - start)
            if i == 0:
                run(actions[:10])   # warm up
            random_times.append(run(actions))
            noop_times.append(run([noop] * config.steps))
    finally:
        env.close()
    print(f"Minetest step with frames, {config.steps} steps x {config.rounds} rounds (median), "
          f"on {len(cores)} core(s):")
    random_sps = config.steps / statistics.median(random_times)
    noop_sps = config.steps / statistics.median(noop_times)
    print(f"  random actions       {random_sps:8.1f} steps/s   (target >= 10: "
          f"{'met' if random_sps >= 10 else 'NOT met'})")
    print(f"  noop (bridge floor)  {noop_sps:8.1f} steps/s   (random / noop "
          f"{random_sps / noop_sps:.2f}x)")
    print(f"  reset (fresh map and engine) median {statistics.median(resets):.2f} s, max "
          f"{max(resets):.2f} s   (target <= 5 s: {'met' if max(resets) <= 5 else 'NOT met'})")
    env = rig.worlds.make("rig/Minetest-v0", max_steps=3)
    start = time.perf_counter()
    try:
        for episode in range(config.episodes):
            env.reset(seed=config.seed + 1000 + episode)
            done = False
            while not done:
                _, _, terminated, truncated, _ = env.step(noop)
                done = terminated or truncated
    finally:
        env.close()
    left = _engine_processes() - before
    print(f"  {config.episodes} consecutive episodes of 3 steps in "
          f"{time.perf_counter() - start:.0f} s: {left} engine/screen processes left "
          f"(target 0: {'met' if left == 0 else 'NOT met'})")
    return 0


def bench_worlds(config: BenchWorldsConfig) -> int:
    if config.world == "minetest":
        return _bench_minetest(config)
    import numpy as np

    actions = np.random.default_rng(config.seed).integers(0, 17, size=config.steps).tolist()
    _time_raw(actions[:50], config.seed), _time_rig(actions[:50], config.seed)  # warm up
    raw, rig = [], []
    for _ in range(config.rounds):
        raw.append(_time_raw(actions, config.seed))
        rig.append(_time_rig(actions, config.seed))
    raw_sps = config.steps / statistics.median(raw)
    rig_sps = config.steps / statistics.median(rig)
    overhead = raw_sps / rig_sps - 1.0
    print(f"Crafter step, {config.steps} steps x {config.rounds} rounds (median):")
    print(f"  raw crafter.Env      {raw_sps:8.0f} steps/s")
    print(f"  rig/Crafter-v0       {rig_sps:8.0f} steps/s")
    print(f"  overhead             {100 * overhead:+8.1f} %   (target < 10%: "
          f"{'met' if overhead < 0.10 else 'NOT met'})")
    import rig.worlds

    env = rig.worlds.make("rig/Crafter-v0")
    resets = []
    for i in range(5):
        start = time.perf_counter()
        env.reset(seed=config.seed + i)
        resets.append(time.perf_counter() - start)
    print(f"  reset (world generation) median {1000 * statistics.median(resets):.0f} ms")
    return 0
