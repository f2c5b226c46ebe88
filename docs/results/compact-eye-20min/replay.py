"""(A record of docs/policy.md entry 5; stores in /work/data.) Acting-path agreement: replay held-out teacher episodes in the real world (teacher's actions),
ask the agent at every state (own context; history overruled to the executed action)."""
import sys, numpy as np, torch
torch.set_num_threads(1)
import rig.worlds
from rig.trajectories.store import TrajectoryStore
from rig.agents import make_agent
spec, temp, limit = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
store = TrajectoryStore.open("/work/data/heldout.zarr", "r")
agree, total, drift = 0, 0, 0
for e in range(store.num_episodes):
    ep = store.episode(e, ["image", "action_text"])
    env = rig.worlds.make("rig/Crafter-v0")
    obs, info = env.reset(seed=int(ep["meta"]["seed"]))
    agent = make_agent(spec, env, seed=0, temperature=temp, imagine=False)
    for t in range(min(limit, len(ep["action_text"]))):
        drift += int(not np.array_equal(obs["image"], ep["image"][t]))
        d = agent.act(obs, info)
        teacher = str(ep["action_text"][t])
        agree += d.action_text == teacher; total += 1
        if hasattr(agent, "overrule"): agent.overrule(teacher)
        obs, r, term, trunc, info = env.step(env.get_wrapper_attr("action_language").parse(teacher))
        if term or trunc: break
    env.close()
print(f"{spec} T={temp}: agreement {agree/total:.3f} over {total} states; frames differing from the store: {drift}")
