"""(A record of docs/policy.md entry 5.) The acting path against training's windows: replays a
held-out teacher episode in the real world and diffs the decoder's context ids with
`window_case` of the same step (they differ only in the previous action, the agent's own).
Reads /work/data/heldout.zarr. Usage: python diffctx.py rig:RUN/final"""
import sys, numpy as np, torch
torch.set_num_threads(1)
import rig.worlds
from rig.trajectories.store import TrajectoryStore
from rig.trajectories.dataset import TrajectoryDataset
from rig.agents import make_agent
from rig.policy.sequence import IMAGE_KEY
from rig.train.free_running import window_case
spec = sys.argv[1]
store = TrajectoryStore.open("/work/data/heldout.zarr", "r")
env = rig.worlds.make("rig/Crafter-v0")
ep = store.episode(0, ["action_text"])
obs, info = env.reset(seed=int(ep["meta"]["seed"]))
agent = make_agent(spec, env, seed=0, temperature=0, imagine=False)
b, v = agent.builder, agent.vocab
ds = TrajectoryDataset(store, b.config.offsets(), [0])
ds.cache[IMAGE_KEY] = store.read(IMAGE_KEY).astype(np.int64)
task = str(ep["meta"]["task_text"])
name = lambda i: (v.action_name(i) if i in v.actions else (v.decode_text([i]) if i >= 0 else '?'))
for t in range(6):
    d = agent.act(obs, info)
    dec = agent.decoder
    got = list(dec.prefixes[0]) + [x for s in dec.steps[0] for x in s]
    case = window_case(b, v, ds[t], task)
    want = list(case[0]) + list(case[1])
    got = got[:len(want)] if len(got) >= len(want) else got
    diff = [i for i, (x, y) in enumerate(zip(got, want)) if x != y]
    print(t, "len got/want", len(got), len(want), "diffs at", diff[:10], [(name(got[i]), name(want[i])) for i in diff[:6]], "teacher", ep["action_text"][t], "agent", d.action_text)
    agent.overrule(str(ep["action_text"][t]))
    obs, r, term, trunc, info = env.step(env.get_wrapper_attr("action_language").parse(str(ep["action_text"][t])))
