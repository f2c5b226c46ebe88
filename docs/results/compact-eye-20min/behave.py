"""(A record of docs/policy.md entry 5.) Closed-loop habits of an agent: how often it repeats its
action, and the share of its moves that leave the player where it was (walked into something),
over 6 episodes of 300 steps on seeds 300000+. Usage: python behave.py AGENT"""
import sys, numpy as np, torch, collections
torch.set_num_threads(1)
import rig.worlds
from rig.agents import make_agent
spec = sys.argv[1]; eps = 6; H = 300
rep = tot = stuck = moves = 0; counts = collections.Counter(); lengths = []
for s in range(eps):
    env = rig.worlds.make("rig/Crafter-v0")
    obs, info = env.reset(seed=300000 + s)
    agent = make_agent(spec, env, seed=s, imagine=False)
    prev = None; pos = info.get("player_pos")
    for t in range(H):
        d = agent.act(obs, info)
        a = d.action_text; counts[a] += 1; tot += 1; rep += a == prev; prev = a
        obs, r, term, trunc, info = env.step(d.action)
        if a.startswith("move"):
            moves += 1; stuck += np.array_equal(info.get("player_pos"), pos)
        pos = info.get("player_pos")
        if term or trunc: break
    lengths.append(t + 1); env.close()
print(spec, f"repeat {rep/tot:.2f} stuck-moves {stuck/max(moves,1):.2f} moves {moves/tot:.2f} len {np.mean(lengths):.0f}", counts.most_common(6))
