"""When does a policy lose health: by cause, day or night, asleep or awake (docs/policy.md entry 14;
run on tuning seeds, never the evaluation seeds). Usage: python when.py AGENT EPISODES FIRST_SEED"""
import sys, collections, numpy as np, torch
torch.set_num_threads(1)
import rig.worlds
from rig.agents import make_agents
from rig.rollout.episode import run_batch
from rig.worlds.crafter import NIGHT_DAYLIGHT
spec, n, seed0 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
envs = [rig.worlds.make("rig/Crafter-v0") for _ in range(n)]
agents = make_agents(spec, envs, seed=seed0)
if not isinstance(agents, list): agents.set_drawing(False)
table = collections.Counter(); steps = collections.Counter()
before = [None] * n   # each world's info at the state its agent decided in


def on_reset(w, obs, info):
    before[w] = info


def on_step(w, length, obs, decision, reward, terminated, truncated, info_after, result):
    night = before[w]["daylight"] < NIGHT_DAYLIGHT
    when = ("night" if night else "day") + (" asleep" if before[w]["sleeping"] else "")
    steps[when] += 1
    for cause, amount in info_after["damage"].items():
        table[(cause, when)] += amount
    before[w] = info_after


run_batch(envs, agents, [seed0 + i for i in range(n)], on_reset=on_reset, on_step=on_step)
print(spec, "steps by time:", dict(steps))
for (cause, when), amount in sorted(table.items(), key=lambda kv: -kv[1]):
    print(f"  {cause:8s} {when:12s} {amount:4d} health, {1000 * amount / steps[when]:6.1f} per 1,000 steps of that time")
