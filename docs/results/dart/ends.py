"""How the noisy teacher's episodes ended (docs/policy.md entry 21): replays each stored episode's
executed actions in its seeded world (Crafter worlds here are reproducible by seed) and reads
`info["ended_by"]`; for a death, whether the last step executed the random driver's action
(not the teacher's label). Usage: python ends.py STORE"""
import collections, sys
import numpy as np, zarr
import rig.worlds
from rig.worlds.crafter import ACTION_NAMES

g = zarr.open_group(sys.argv[1], mode="r")
count = int(g.attrs["num_episodes"])  # the arrays may hold more rows than are committed
ends = np.asarray(g["meta/episode_ends"][:count]).astype(int)
seeds = np.asarray(g["meta/seed"][:count]).astype(int)
n = int(ends[-1])
executed = np.asarray(g["data/action_text"][:n])
label = np.asarray(g["data/teacher_action_text"][:n])
env = rig.worlds.make("rig/Crafter-v0")
causes, driven_last, mismatch = collections.Counter(), collections.Counter(), 0
for e, (start, stop) in enumerate(zip([0, *ends[:-1]], ends)):
    env.reset(seed=int(seeds[e]))
    info = {}
    for t in range(start, stop):
        action = ACTION_NAMES.index(str(executed[t]))
        _, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            break
    if t != stop - 1:
        mismatch += 1  # the replay ended elsewhere than the store: not reproduced
    cause = info.get("ended_by", "time limit" if not info.get("terminated") else "?")
    causes[cause] += 1
    if executed[stop - 1] != label[stop - 1]:
        driven_last[cause] += 1
print(f"{len(ends)} episodes, {mismatch} not reproduced")
for cause, count in causes.most_common():
    print(f"  {cause}: {count} (last step the random driver's: {driven_last[cause]})")
