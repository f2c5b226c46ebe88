"""Underground frame brightness of the Minetest expert (the lamp test's probe), several seeds."""
import sys
import rig.worlds
from rig.agents import make_agent

env = rig.worlds.make("rig/Minetest-v0")
try:
    for seed in [int(s) for s in sys.argv[1:]] or [0]:
        agent = make_agent("expert", env, seed=seed)
        obs, info = env.reset(seed=seed)
        agent.reset(seed)
        surface, below = info["player_pos"][1], []
        for _ in range(300):
            obs, _, terminated, truncated, info = env.step(agent.act(obs, info).action)
            if info["player_pos"][1] <= surface - 3:
                below.append(float(obs["image"].mean()))
            if terminated or truncated or len(below) >= 60:
                break
        dark = [round(m, 1) for m in below if m <= 20]
        print(f"seed {seed}: {len(below)} underground, {len(dark)} dark {dark}, "
              f"median {sorted(below)[len(below)//2] if below else float('nan'):.1f}", flush=True)
finally:
    env.close()
