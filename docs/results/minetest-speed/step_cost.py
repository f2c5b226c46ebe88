"""Where a Minetest step's time goes on one core (issue 24's >= 10 steps/s with frames;
docs/minetest.md, 2026-12-07). First one profiled run: of 100 random actions and 100 noops
(the bench's sequence, seed 0), the ms a step spent waiting for the marker's frame, for a
still picture, and the rest (the mod's answer). Then the same steps with one setting changed
at a time (the client's frame cap, the server step), in alternating rounds, pinned to one core
like `rig bench worlds`. (The mod's own share, its resource scan, was timed with
`minetest.get_us_time` in the mod, not here.) Run: python step_cost.py [CORE] [ROUNDS]"""
import os
import statistics
import sys
import time

import numpy as np

import rig.worlds
from rig.worlds import minetest as mt

core = int(sys.argv[1]) if len(sys.argv) > 1 else 0
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
os.sched_setaffinity(0, [core])
actions = np.random.default_rng(0).integers(0, len(mt.MINETEST_ACTIONS), size=100).tolist()
noop = mt.MINETEST_ACTIONS.index("noop")
still = mt.MinetestWorld._still_frame


VARIANTS = {"as shipped": {}, "client fps_max 30": {"fps": 30}, "client fps_max 120": {"fps": 120},
            "server step 5 ms": {"server": 0.005}}


SHIPPED = {"fps": mt.CLIENT_FPS_MAX, "server": mt.SERVER_STEP_S}


def timed(variant):
    settings = {**SHIPPED, **VARIANTS[variant]}
    mt.CLIENT_FPS_MAX, mt.SERVER_STEP_S = settings["fps"], settings["server"]
    env = rig.worlds.make("rig/Minetest-v0", max_steps=None)
    try:
        env.reset(seed=0)
        out = {}
        for name, sequence in (("random", actions), ("noop", [noop] * 100)):
            start = time.perf_counter()
            for a in sequence:
                _, _, term, trunc, _ = env.step(a)
                if term or trunc:
                    env.reset(seed=0)
            out[name] = len(sequence) / (time.perf_counter() - start)
        return out
    finally:
        env.close()


spent = {"frame": 0.0, "still": 0.0}


def timer(name, fn):
    def wrapped(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - start
    return wrapped


# one profiled run, as shipped: how much of a step waits for the marker and for a still picture
frame_after = mt.MinetestWorld._frame_after
mt.MinetestWorld._frame_after = timer("frame", frame_after)
mt.MinetestWorld._still_frame = timer("still", still)
for name, sequence in (("random", actions), ("noop", [noop] * 100)):
    env = rig.worlds.make("rig/Minetest-v0", max_steps=None)
    env.reset(seed=0)
    spent.update(frame=0.0, still=0.0)
    start = time.perf_counter()
    for a in sequence:
        env.step(a)
    total = time.perf_counter() - start
    env.close()
    print(f"{name}: {1000 * total / 100:.1f} ms a step: the marker's frame "
          f"{1000 * spent['frame'] / 100:.1f} ms, the still picture "
          f"{1000 * spent['still'] / 100:.1f} ms, the rest (command, reply, observation) "
          f"{1000 * (total - spent['frame'] - spent['still']) / 100:.1f} ms", flush=True)
mt.MinetestWorld._frame_after, mt.MinetestWorld._still_frame = frame_after, still

results = {v: [] for v in VARIANTS}
for r in range(rounds):
    for v in VARIANTS:
        results[v].append(timed(v))
        print(r, v, results[v][-1], flush=True)
for v, runs in results.items():
    print(f"{v:24s} random {statistics.median(x['random'] for x in runs):5.1f} steps/s, "
          f"noop {statistics.median(x['noop'] for x in runs):5.1f}")
