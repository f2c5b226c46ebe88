"""What a policy does when night falls (docs/policy.md entry 15): at the first step of each night
phase, what it holds; over the night, how often it stands walled in (the teacher's test: the open
cells around it form a pocket of at most 6 with no zombie, skeleton or arrow), how often it
sleeps, and where (walled in or in the open), and which actions it takes. Played by the rollout
loop (`run_batch`), read through its callbacks. Tuning seeds only, never the evaluation seeds.
Usage: python dusk.py AGENT EPISODES FIRST_SEED"""
import sys, collections, numpy as np, torch
torch.set_num_threads(1)
import rig.worlds
from rig.agents import make_agents
from rig.agents.crafter_planning import Scene, visible_part
from rig.rollout.episode import run_batch
from rig.worlds.crafter import ACTION_NAMES, NIGHT_DAYLIGHT, SEMANTIC_IDS
spec, n, seed0 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
envs = [rig.worlds.make("rig/Crafter-v0") for _ in range(n)]
agents = make_agents(spec, envs, seed=seed0)
if not isinstance(agents, list): agents.set_drawing(False)
dusk = collections.Counter(); night = collections.Counter(); acts = collections.Counter()
before = [None] * n   # each world's info at the state its agent decided in
was_night = [False] * n


def walled_in(info):
    # the teacher's own test: the open cells around us form a pocket of at most 6 with no hostile
    return Scene(info).enclosed()


REACH = tuple(k // 2 for k in envs[0].get_wrapper_attr("view_grid"))  # (4, 3): the frame's 9x7


def stone_in_view(info):
    pos = tuple(int(v) for v in info["player_pos"])
    return bool((visible_part(np.asarray(info["semantic"]), pos, REACH) == SEMANTIC_IDS["stone"]).any())


def on_reset(w, obs, info):
    before[w] = info


def on_step(w, length, obs, decision, reward, terminated, truncated, info_after, result):
    info = before[w]; inv = info["inventory"]
    is_night = info["daylight"] < NIGHT_DAYLIGHT
    wi = is_night and walled_in(info)  # the pocket test runs a path search: once a step
    if is_night and not was_night[w]:
        dusk["nights begun"] += 1
        dusk["with stone"] += inv.get("stone", 0) > 0
        dusk["with wood pickaxe"] += inv.get("wood_pickaxe", 0) > 0
        dusk["walled in already"] += wi
        dusk["had collected stone"] += info["achievements"].get("collect_stone", 0) > 0
        dusk["stone in view"] += stone_in_view(info)
    was_night[w] = is_night
    if is_night:
        night["steps"] += 1
        night["walled in"] += wi
        night["asleep"] += bool(info["sleeping"])
        night["asleep walled in"] += bool(info["sleeping"]) and wi
        night["holding stone"] += inv.get("stone", 0) > 0
        acts[ACTION_NAMES[decision.action]] += 1
    if (terminated or truncated) and is_night:
        dusk["died at night"] += 1
    before[w] = info_after


run_batch(envs, agents, [seed0 + i for i in range(n)], on_reset=on_reset, on_step=on_step)
print(spec, dict(dusk))
s = night["steps"]
print(f"  night steps {s}: " + ", ".join(f"{k} {100 * v / s:.0f}%" for k, v in night.items() if k != "steps"))
print("  night actions:", ", ".join(f"{a} {100 * c / s:.0f}%" for a, c in acts.most_common(10)))
