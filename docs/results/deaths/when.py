"""When does a policy lose health: by cause, day or night, asleep or awake (docs/policy.md entry 14;
run on tuning seeds, never the evaluation seeds). Usage: python when.py AGENT EPISODES FIRST_SEED"""
import sys, collections, numpy as np, torch
torch.set_num_threads(1)
import rig.worlds
from rig.agents import make_agents
spec, n, seed0 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
envs = [rig.worlds.make("rig/Crafter-v0") for _ in range(n)]
agents = make_agents(spec, envs, seed=seed0)
batched = not isinstance(agents, list)
if batched: agents.set_drawing(False); agents.reset_batch([seed0 + i for i in range(n)])
else:
    for i, a in enumerate(agents): a.reset(seed0 + i)
obs, infos = map(list, zip(*[e.reset(seed=seed0 + i) for i, e in enumerate(envs)]))
alive = [True] * n; table = collections.Counter(); steps = collections.Counter()
while any(alive):
    shown = [o if a else None for o, a in zip(obs, alive)]
    ds = agents.act_batch(shown, infos) if batched else [ag.act(o, i) if o is not None else None for ag, o, i in zip(agents, shown, infos)]
    for w in range(n):
        if not alive[w]: continue
        night = infos[w]["daylight"] < 0.6
        asleep = infos[w]["sleeping"]
        when = ("night" if night else "day") + (" asleep" if asleep else "")
        steps[when] += 1
        obs[w], r, term, trunc, infos[w] = envs[w].step(ds[w].action)
        for cause, amount in infos[w]["damage"].items():
            table[(cause, when)] += amount
        if term or trunc: alive[w] = False
print(spec, "steps by time:", dict(steps))
for (cause, when), amount in sorted(table.items(), key=lambda kv: -kv[1]):
    print(f"  {cause:8s} {when:12s} {amount:4d} health, {1000 * amount / steps[when]:6.1f} per 1,000 steps of that time")
