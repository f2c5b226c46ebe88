"""How the noisy teacher's episodes ended (docs/policy.md entry 21): replays each stored episode's
executed actions in its seeded world (Crafter worlds here are reproducible by seed) and reads
`info["ended_by"]`; for a death, whether the last step executed the random driver's action
(not the teacher's label). Usage: python ends.py STORE"""
import collections, sys
import rig.worlds
from rig.trajectories.store import TrajectoryStore

store = TrajectoryStore.open(sys.argv[1])
env = rig.worlds.make("rig/Crafter-v0")
causes, driven_last, mismatch = collections.Counter(), collections.Counter(), 0
for e in range(store.num_episodes):
    ep = store.episode(e, keys=["action", "action_text", "teacher_action_text", "terminated"])
    env.reset(seed=int(ep["meta"]["seed"]))
    for t, action in enumerate(ep["action"]):
        _, _, terminated, truncated, info = env.step(int(action))
        if terminated or truncated:
            break
    if t != len(ep["action"]) - 1 or terminated != bool(ep["terminated"][-1]):
        mismatch += 1  # the replay ended elsewhere, or otherwise, than the store: not reproduced
    # a stored episode that did not end in death was cut at collection's --max-steps
    cause = info["ended_by"] if terminated else "time limit"
    causes[cause] += 1
    if ep["action_text"][-1] != ep["teacher_action_text"][-1]:
        driven_last[cause] += 1
print(f"{store.num_episodes} episodes, {mismatch} not reproduced")
for cause, count in causes.most_common():
    print(f"  {cause}: {count} (last step the random driver's: {driven_last[cause]})")
