"""`rig bench worlds`: what the RIG world interface costs over the raw simulator.

Steps raw `crafter.Env` and `rig.worlds.make("rig/Crafter-v0")` through the same random action
sequence in the same process, alternating rounds so that machine noise hits both alike, and
prints steps per second and the overhead (the target is under 10%). Resets are timed apart.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from rig.config import option, require


@dataclass
class BenchWorldsConfig:
    steps: int = option(2000, "steps per round and per side")
    rounds: int = option(5, "alternating rounds (the median is reported)")
    seed: int = option(0, "world seed and action-sequence seed")

    def validate(self) -> None:
        require(self.steps >= 10, f"--steps must be at least 10, got {self.steps}")
        require(self.rounds >= 1, f"--rounds must be at least 1, got {self.rounds}")


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


def bench_worlds(config: BenchWorldsConfig) -> int:
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
