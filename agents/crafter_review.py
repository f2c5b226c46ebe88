"""Crafter's review of a branch: what one candidate action really did, measured in the world.

Role in the data flow: `rig data review` (trajectories/review.py) branches the world once per
candidate action at a reviewed state; `branch` plays a candidate and then the Crafter expert for
the rest of the horizon, `measure` turns what happened into facts (moves, blocks, damage, death,
inventory, achievements, distance to the expert's target), `compare` finds where a candidate did
worse than the expert's own choice, and `review_text` words the verdict from those facts alone.
It sits beside the Crafter expert because it reads the same privileged state (`info`) and
speaks its language (`crafter_phrases`).
"""

from __future__ import annotations

from rig.worlds.crafter import DIRECTIONS as DIRS
from rig.worlds.crafter import VITALS

from .crafter_phrases import SIDE

# Targets whose distance means progress (walkable ground is everywhere: no measure there).
TARGETS = ("water", "stone", "tree", "coal", "iron", "diamond", "table", "furnace", "cow",
           "zombie", "skeleton", "plant")
DO_VERB = {"tree": "chop", "water": "drink", "grass": "search", "stone": "mine", "coal": "mine",
           "iron": "mine", "diamond": "mine", "plant": "eat"}   # else "hit"
PLACED = {"stone": ("stone", "stone"), "table": ("a table", "a table"),
          "furnace": ("a furnace", "a furnace"), "plant": ("a sapling", "a plant")}


# -- measuring a branch ---------------------------------------------------------------------------
def _material(sem, cell) -> str:
    from rig.worlds.crafter import SEMANTIC_NAMES
    x, y = int(cell[0]), int(cell[1])
    if not (0 <= x < sem.shape[0] and 0 <= y < sem.shape[1]):
        return "edge of the world"
    return SEMANTIC_NAMES[int(sem[x, y])]


def _distance(info, target: str | None) -> int | None:
    import numpy as np
    from rig.worlds.crafter import SEMANTIC_IDS
    if target not in TARGETS:
        return None
    cells = np.argwhere(info["semantic"] == SEMANTIC_IDS[target])
    if not len(cells):
        return None
    return int(np.abs(cells - np.asarray(info["player_pos"])).sum(axis=1).min())


def _near(info, names, reach: int = 1) -> list[str]:
    pos = info["player_pos"]
    sem = info["semantic"]
    return sorted({m for dx in range(-reach, reach + 1) for dy in range(-reach, reach + 1)
                   if abs(dx) + abs(dy) <= reach and (m := _material(sem, (pos[0] + dx,
                                                                          pos[1] + dy))) in names})


def measure(action: str, info0, infos, rewards, died: bool, target: str | None) -> dict:
    """Facts of one branch: what its first step did, and where the whole branch ended."""
    p0, f0 = tuple(int(v) for v in info0["player_pos"]), tuple(int(v) for v in info0["facing"])
    first, last = infos[0], infos[-1]
    inv0, inv1, inv_n = info0["inventory"], first["inventory"], last["inventory"]
    facts = {"action": action, "steps": len(infos), "start": list(p0),
             "pos_after_first": [int(v) for v in first["player_pos"]],
             "moved": tuple(int(v) for v in first["player_pos"]) != p0,
             "asleep_after_first": bool(first["sleeping"]),
             "first_delta": {k: int(inv1[k] - inv0[k]) for k in inv0 if inv1[k] != inv0[k]},
             "delta": {k: int(inv_n[k] - inv0[k]) for k in inv0 if inv_n[k] != inv0[k]},
             "vitals": {v: [int(inv0[v]), int(inv_n[v])] for v in VITALS},
             "achievements": [a for info in infos for a in info["achievements_unlocked"]],
             "reward": round(float(sum(rewards)), 3),
             "died": len(infos) if died else None,
             "next_to": _near(first, {"water", "lava", "tree", "stone", "zombie", "skeleton",
                                      "cow", "table", "furnace"}),
             "target": target, "damage": []}
    facts["facing_before"] = next((n for n, v in DIRS.items() if v == f0), "")
    if action.startswith("move_"):
        d = DIRS[action[5:]]
        facts["toward"] = _material(info0["semantic"], (p0[0] + d[0], p0[1] + d[1]))
        facts["turned_to"] = next((n for n, v in DIRS.items()
                                   if v == tuple(int(x) for x in first["facing"])), "")
    else:
        cell = (p0[0] + f0[0], p0[1] + f0[1])
        facts["front"] = [_material(info0["semantic"], cell), _material(first["semantic"], cell)]
        facts["front_side"] = next((n for n, v in DIRS.items() if v == f0), "")
    previous = info0
    for k, info in enumerate(infos):
        lost = int(previous["inventory"]["health"] - info["inventory"]["health"])
        if lost > 0:
            mobs = _near(info, {"zombie"}, 1) + _near(info, {"skeleton", "arrow"}, 2)
            facts["damage"].append([k + 1, lost, mobs[0] if mobs else ""])
        previous = info
    d = [_distance(info0, target), _distance(first, target), _distance(last, target)]
    # Nearest target tile: a jump larger than two tiles a step means the target went away
    # (a mob killed, a cow eaten) and another one, elsewhere, is now the nearest: no measure.
    facts["distance"] = d if None not in d and abs(d[2] - d[0]) <= 2 * len(infos) else None
    facts["first_effect"] = bool(
        facts["moved"] or facts.get("turned_to", facts["facing_before"]) != facts["facing_before"]
        or any(k not in VITALS or (k in ("food", "drink") and v > 0)
                for k, v in facts["first_delta"].items())
        or len(set(facts.get("front", ()))) > 1 or facts["asleep_after_first"]
        or first["achievements_unlocked"])
    return facts


def branch(env, obs, info, action: int, agent, horizon: int, target: str | None,
           reasoning: str = ""):
    """Branch the world, take `action` (proposed with `reasoning`, stored on the first step),
    then let `agent` act for the rest of the horizon; (steps, facts). The caller hands each
    branch its own agent: a copy of the shadow expert (its plan state must not leak between
    branches) or the reviewed policy reset to a common seed."""
    import rig.worlds
    world = rig.worlds.branch(env)
    names = env.get_wrapper_attr("action_language")
    steps, infos, rewards, died = [], [], [], False
    info0 = info
    for k in range(horizon):
        if k:
            decision = agent.act(obs, info)
            action, reasoning = int(decision.action), decision.reasoning
        next_obs, reward, terminated, truncated, next_info = world.step(action)
        steps.append((obs, action, names.format(action), reasoning, reward, terminated,
                      truncated, next_info, next_obs["image"]))
        infos.append(next_info)
        rewards.append(reward)
        obs, info = next_obs, next_info
        if terminated or truncated:
            died = bool(terminated)
            break
    return steps, measure(names.format(steps[0][1]), info0, infos, rewards, died, target)


# -- verdict and words ----------------------------------------------------------------------------
def compare(c: dict, e: dict, tolerance: int) -> list[list]:
    """Ways the candidate's branch `c` did worse than the expert's `e` (empty: as well)."""
    worse = []
    if not c["first_effect"] and e["first_effect"]:
        worse.append(["idle"])
    elif c["action"].startswith("move_") and not c["moved"] and e["moved"]:
        worse.append(["blocked"])
    if c["died"] and not e["died"]:
        worse.append(["died", c["died"]])
    elif c["vitals"]["health"][1] < e["vitals"]["health"][1]:
        worse.append(["health", c["vitals"]["health"][1], e["vitals"]["health"][1]])
    missed = [a for a in e["achievements"] if a not in c["achievements"]]
    if missed:
        worse.append(["achievements", missed])
    for item in sorted(set(c["delta"]) | set(e["delta"])):
        if item != "health" and c["delta"].get(item, 0) < e["delta"].get(item, 0):
            worse.append(["item", item, c["delta"].get(item, 0), e["delta"].get(item, 0)])
    if c["distance"] and e["distance"] and c["distance"][2] > e["distance"][2] + tolerance:
        worse.append(["distance", c["distance"][0], c["distance"][2], e["distance"][2]])
    if not worse and c["reward"] < e["reward"] - 1e-6:
        worse.append(["reward", c["reward"], e["reward"]])
    return worse


def _w(name: str) -> str:
    return name.replace("_", " ")


def _a(thing: str) -> str:
    return f"a{'n' * (thing[0] in 'aeiou')} {thing}"


def _n(count: int, unit: str) -> str:
    return f"{count} {unit}{'s' if count != 1 and unit == 'tile' else ''}"


def _items(delta: dict) -> str:
    return " and ".join(_n(abs(v), _w(k)) for k, v in delta.items())


def _do(material: str, ing: bool = False) -> str:
    verb = DO_VERB.get(material, "hit")
    if ing:
        verb = {"chop": "chopping", "hit": "hitting", "mine": "mining"}.get(verb, verb + "ing")
    return f"{verb} the {material}"


def first_sentence(c: dict, pick) -> str:
    """What the candidate's own step did, from its measured facts only."""
    a = c["action"]
    gains = {k: v for k, v in c["first_delta"].items() if v > 0 and k not in ("health", "energy")}
    used = {k: v for k, v in c["first_delta"].items() if v < 0 and k not in VITALS}
    if a.startswith("move_"):
        d, m = a[5:], c["toward"]
        if c["died"] == 1:
            return f"Moving {d} takes me onto the {m} and I die."
        if c["moved"]:
            return pick(f"Moving {d} takes me one tile {d}, onto {m}.",
                        f"I step one tile {d}, onto {m}.")
        turn = c["turned_to"] == d != c["facing_before"]
        return pick(f"Moving {d} runs into the {m}: I would not move"
                    + (f", only turn {d}." if turn else "."),
                    f"The {m} {SIDE[d]} blocks the way, so I would not move"
                    + (" and only turn to face it." if turn else "."))
    if a == "noop":
        return pick("Waiting, I stay where I am.", "If I wait, I do not move.")
    if a == "sleep":
        return ("I fall asleep here." if c["asleep_after_first"]
                else "Trying to sleep does nothing now.")
    before, after = c["front"]
    side = SIDE.get(c["front_side"], "in front of me")
    if a == "do":
        if gains:
            return f"{_do(before, True).capitalize()} {side} gives me {_items(gains)}."
        if before != after:
            return f"After I hit the {before} {side}, that tile shows {after}."
        return pick(f"Hitting the {before} {side} gains me nothing this step.",
                    f"Acting on the {before} {side} gets me nothing this step.")
    thing = a.split("_", 1)[1]
    if a.startswith("place_"):
        what, put = PLACED.get(thing, (_a(_w(thing)), _a(_w(thing))))
        if used or before != after:
            cost = f" uses {_items(used)} and" if used else ""
            return f"Placing {what} here{cost} puts {put} on the {before} {side}."
        return f"Trying to place {what} does nothing here."
    if a.startswith("make_"):
        if gains:
            cost = f" uses {_items(used)} and" if used else ""
            return f"Making {_a(_w(thing))}{cost} gives me {_items(gains)}."
        return f"Trying to make {_a(_w(thing))} does nothing here."
    return f"I try {_w(a)}."


def _cause(c: dict) -> str:
    """Only what the map showed when health dropped: a mob beside (or an arrow near) me."""
    causes = [cause for _, _, cause in c["damage"] if cause]
    if not causes:
        return ""
    return f", with {_a(causes[0])} {'next to me' if causes[0] == 'zombie' else 'close by'}"


def worse_sentences(c: dict, worse: list, pick) -> list[str]:
    out, n = [], c["steps"]
    for kind, *v in worse:
        if kind in ("idle", "blocked"):
            out.append(pick("That wastes a step.", "That costs me a step."))
        elif kind == "died" and v[0] > 1:
            out.append(pick(f"I die within {v[0]} steps.", f"{v[0]} steps later I am dead."))
        elif kind == "died" and not c["action"].startswith("move_"):
            out.append("I die at once.")
        elif kind == "health":
            lost = c["vitals"]["health"][0] - v[0]
            out.append(pick(f"Doing this loses {lost} health{_cause(c)}.",
                            f"I lose {lost} health{_cause(c)}.") if lost > 0 else
                       f"I end with {v[0]}/9 health instead of {v[1]}/9.")
        elif kind == "achievements":
            names = " and ".join(_w(a) for a in v[0])
            out.append(f"I miss {names}, which my plan unlocks within {n} steps."
                       if n > 1 else f"I miss {names}, which my plan unlocks.")
        elif kind == "item" and v[0] in VITALS:
            out.append(f"My {v[0]} ends at {c['vitals'][v[0]][1]}/9 instead of "
                       f"{c['vitals'][v[0]][1] - v[1] + v[2]}/9.")
        elif kind == "item" and v[1] < 0:
            out.append(f"After {n} steps I have {_n(v[2] - v[1], _w(v[0]))} less than on my "
                       "plan.")
        elif kind == "item":
            out.append(f"I gain {v[1] or 'no'} {_w(v[0])} where my plan gains {v[2]}.")
        elif kind == "distance":
            start, mine, plan = v
            t = c["target"]
            if mine == start:
                out.append(pick(f"The {t} gets no closer: {_n(mine, 'tile')} away after {n} "
                                f"steps, against {plan} on my plan.",
                                f"After {n} steps the {t} is still {_n(mine, 'tile')} away; "
                                f"my plan gets within {plan}."))
            elif mine > start:
                out.append(f"The {t} ends farther away: {_n(mine, 'tile')} instead of {plan}.")
            else:
                out.append(f"After {n} steps the {t} is {_n(mine, 'tile')} away instead of "
                           f"{plan}.")
        elif kind == "reward":
            out.append(f"It earns {v[0]:g} reward instead of {v[1]:g}.")
    return out


def _imperative(e: dict) -> str:
    a = e["action"]
    if a.startswith("move_"):
        d = e["distance"]
        toward = f" toward the {e['target']}" if d and d[1] < d[0] else ""
        return f"move {a[5:]}{toward}"
    if a == "do":
        return _do(e["front"][0])
    if a in ("noop", "sleep"):
        return {"noop": "wait", "sleep": "go to sleep"}[a]
    thing = a.split("_", 1)[-1]
    if a.startswith("place_"):
        return "place " + PLACED.get(thing, (_a(_w(thing)),))[0]
    if a.startswith("make_"):
        return "make " + _a(_w(thing))
    return _w(a)


def _plan_fact(e: dict) -> str:
    n = e["steps"]
    if e["achievements"]:
        return f"; that way I unlock {' and '.join(_w(a) for a in e['achievements'])}"
    gains = {k: v for k, v in e["delta"].items() if v > 0 and k not in VITALS}
    if gains:
        return f"; that way I gain {_items(gains)} within {n} steps"
    d = e["distance"]
    if d and d[2] < d[0]:
        return f"; that way the {e['target']} is {_n(d[2], 'tile')} away after {n} steps"
    return ""


def review_text(kind: str, c: dict, e: dict, worse: list, rng) -> str:
    """The review of candidate branch `c` against the expert's `e`: measured facts only."""
    def pick(*options):
        return options[int(rng.integers(len(options)))]

    first = first_sentence(c, pick)
    d = c["distance"]
    if kind == "expert":
        parts = [first]
        if c["achievements"]:
            parts.append(f"Within {c['steps']} steps I unlock "
                         f"{' and '.join(_w(a) for a in c['achievements'])}.")
        if d and d[2] < d[0]:
            parts.append(f"The {c['target']} comes from {_n(d[0], 'tile')} to {d[2]} away.")
        lost = c["vitals"]["health"][0] - c["vitals"]["health"][1]
        if lost > 0:
            parts.append(f"I lose {lost} health on the way{_cause(c)}.")
        parts.append(pick("This keeps to my plan.", "I keep to this plan."))
        return " ".join(parts)
    if not worse:
        where = f" The {c['target']} comes within {_n(d[2], 'tile')}." if d and d[2] < d[0] else ""
        return " ".join([first, pick(f"It does as well as my plan over the next {c['steps']} "
                                     "steps.", f"Over {c['steps']} steps this ends no worse "
                                     "than my plan.") + where])
    better = pick("Better: {}{}.", "I should {} instead{}.").format(_imperative(e), _plan_fact(e))
    return " ".join([first, *worse_sentences(c, worse, pick), better])
