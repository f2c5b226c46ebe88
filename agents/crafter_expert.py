"""The Crafter expert: a replanning planner over privileged state that explains every step.

Each step it reads `info` (semantic map, inventory, position, facing) into a `Scene`, then picks
the first subgoal that applies, in this order: keep sleeping; fight a zombie or skeleton next to
it; restore a low vital (drink, food, energy: sleep sealed inside a stone pocket); craft what it
can; gather what the tech tree needs next (wood, sapling and plant, stone, furnace, coal, iron,
diamond); hunt a zombie or skeleton; grow a walled-in plant and eat it when ripe; else rest in a
shelter. Paths are recomputed every step (mobs move), and a path may dig through stone.

With `view="player"` (`--agent expert:player`) it reads only the 9x7 cells its frame shows and
explores along a kept heading for what is out of view: the same planner as a teacher that a
policy reading only the frame can imitate. By day it also takes the cheapest first achievements
as soon as they are at hand (a nap once energy drops: wake_up; a near first drink and cow), so
those routines come early in an episode, where a young policy still lives.

The reasoning is built from several phrasings per situation (chosen with the agent's seeded RNG),
filled only with facts read from the state: counts, directions and distances. The subgoal and its
target go to `Decision.extras` so tests can check the words against the map. Styles
(`expert:player,act-first,short`) change the wording only: the move before its reason, or the
shortest phrasing of each situation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from crafter import constants

from ..worlds.crafter import ACTION_NAMES, NIGHT_DAYLIGHT, SEMANTIC_NAMES
from .base import Agent, Decision
from .crafter_phrases import ACT_FIRST, PHRASES, SIDE
from .crafter_planning import (COAL, COW, DIAMOND, DIR_NAMES, DIRS, GRASS, INF, IRON, LAVA,
                               MOVE_ACTION, PLANT, PLAYER, SKELETON, STONE, TABLE, TREE,
                               WALKABLE_IDS, WATER, ZOMBIE, Scene, describe_offset)

A = {name: i for i, name in enumerate(ACTION_NAMES)}
TOOLS = ("wood_pickaxe", "wood_sword", "stone_pickaxe", "stone_sword", "iron_pickaxe",
         "iron_sword")
MAKE, PLACE = constants.make, constants.place
SOLID_ON_PATH = (STONE, COAL, IRON, DIAMOND, TREE)
NIGHT = NIGHT_DAYLIGHT  # daylight below which zombies crowd the grass: we shelter
EXPLORE_TURN_AFTER = 24  # steps on one exploring heading before it turns to a side
# What the expert may read of the map: all of it, or what the player's frame shows (the 9x7
# cells around it by default): the teacher a policy that sees only the frame can imitate.
VIEWS = ("world", "player")
# How it words its reasoning (the same decisions and trajectories either way: the phrasing draw
# from the RNG happens in every style). "act-first" states the move before its reason, so a
# policy that learns to write it decides from the frame first and explains after; "goal-first"
# keeps the reason first and then words the move as act-first does ("Wood comes first: 0 in
# hand, 9 wanted. I step up: the tree is 1 tile right and 2 up."), so the words before the move
# hold the subgoal (what to do, read from the inventory and vitals) but not the target's offset;
# "short" keeps the shortest phrasing of each situation, fewer tokens to learn and to sample.
STYLES = ("act-first", "goal-first", "short")
RIPE_AFTER = 310  # plant updates (steps with us within 17 tiles) before we try to eat it
FIRSTS_REACH = 8  # steps to water or a cow worth a detour by day for a first drink or meal


def style_problem(styles) -> str | None:
    """What is wrong with a list of wording styles, or None: the one check behind `expert:...`
    specs and the class itself."""
    unknown = [style for style in styles if style not in STYLES]
    if unknown:
        return (f"unknown expert style {unknown[0]!r}; after the view, add any of: "
                f"{', '.join(STYLES)} (e.g. expert:player,act-first)")
    if "act-first" in styles and "goal-first" in styles:
        return ("expert styles act-first and goal-first exclude each other (the move before "
                "its reason, or the reason first): pick one")
    return None


def _add(a, b):
    return (a[0] + b[0], a[1] + b[1])


def _sub(a, b):
    return (a[0] - b[0], a[1] - b[1])


class CrafterExpert(Agent):
    """Scripted planner for Crafter's 22 achievements (see the module docstring)."""

    name = "expert"

    def __init__(self, env, seed: int | None = None, view: str = "world",
                 styles: tuple[str, ...] = ()):
        if view not in VIEWS:
            raise ValueError(f"unknown expert view {view!r}; choose one of {', '.join(VIEWS)}")
        problem = style_problem(styles)
        if problem:
            raise ValueError(problem)
        self.act_first = "act-first" in styles
        self.move_first = self.act_first or "goal-first" in styles  # the move leads its sentence
        self.short = "short" in styles
        self.language = env.get_wrapper_attr("action_language")
        self.seed = seed
        self.view = view
        # how far the frame reaches from the player (4, 3), read from the world it plays
        self.reach = (None if view == "world" else
                      tuple(n // 2 for n in env.get_wrapper_attr("view_grid")))
        words = ([view] if view != "world" or styles else []) + list(styles)
        self.name = "expert:" + ",".join(words) if words else "expert"
        self.reset(seed)

    def reset(self, seed: int | None = None) -> None:
        if seed is not None:
            self.seed = seed
        self.rng = np.random.default_rng(self.seed)
        self.need: str | None = None          # a vital being restored: drink, food or sleep
        self.shelter_plan = None              # (stand, door direction) being built
        self.plants: dict[tuple, int] = {}    # our plants -> updates they got while we were near
        self.last = None                      # (action, front cell) of the previous step
        self.eaten = 0
        self.healing = False                  # resting until health is back up
        self.explore_dir: tuple | None = None # heading while nothing needed is in view
        self.explore_steps = 0                # steps taken on that heading

    # -- the step -------------------------------------------------------------------------------
    def act(self, obs: dict[str, Any], info: dict[str, Any]) -> Decision:
        s = Scene(info, protect=[_add(p, d) for p in self.plants for d in DIRS],
                  reach=self.reach)
        self._track_plants(s)
        action, subgoal, text, extras = self._decide(s)
        action = self._safe(s, action)
        self.last = (action, s.front)
        extras = {"subgoal": subgoal, **extras}
        return Decision(action=action, action_text=self.language.format(action),
                        reasoning=text, extras=extras)

    def _say(self, key: str, **kw) -> str:
        options = PHRASES[key]
        if "dir" in kw:
            kw["side"] = SIDE.get(kw["dir"], kw["dir"])
        index = int(self.rng.integers(len(options)))  # drawn in every style: same trajectories
        if self.move_first and key in ACT_FIRST:
            options = ACT_FIRST[key]
        if self.short:
            return min((option.format(**kw) for option in options), key=len)
        return options[index].format(**kw)

    def _join(self, why: str, how: str) -> str:
        """One step's reasoning: the reason, then the move it leads to (act-first: the move, then
        its reason)."""
        return f"{how} {why}" if self.act_first else f"{why} {how}"

    @staticmethod
    def _safe(s: Scene, action: int) -> int:
        """Never step onto lava: a move toward lava would walk onto it, not just turn."""
        for d, a in MOVE_ACTION.items():
            if action == a and s.at(_add(s.pos, d)) == LAVA:
                return A["noop"]
        return action

    def _track_plants(self, s: Scene) -> None:
        if self.last and self.last[0] == A["do"] and s.ach["eat_plant"] > self.eaten:
            self.plants[self.last[1]] = 0  # eating resets the plant's growth
        self.eaten = s.ach["eat_plant"]
        xs, ys = np.nonzero(s.sem == PLANT)
        alive = {(int(x), int(y)) for x, y in zip(xs, ys)}
        self.plants = {p: n for p, n in self.plants.items() if p in alive}
        for p in alive:
            self.plants[p] = self.plants.get(p, 0) + (s.manhattan(p) < 18)

    # -- choosing a subgoal ---------------------------------------------------------------------
    def _decide(self, s: Scene):
        inv = s.inv
        if s.sleeping:
            return (A["sleep"], "sleep", self._say("asleep", energy=inv["energy"]), {})
        for kind in (ZOMBIE, SKELETON):
            for cell in s.mobs_within(kind, 1):
                return self._fight(s, cell, kind, "defend")
        if self.view == "world":
            steps = (self._needs, self._progress, self._idle)
        else:  # what it needs may be out of view: by day it explores before it idles
            day = s.daylight >= NIGHT
            steps = ((self._needs, self._firsts, self._progress, self._explore, self._idle)
                     if day else (self._needs, self._progress, self._idle, self._explore))
            if self._vital_out_of_view(s):  # a vital running out beats any progress in view
                steps = (self._needs, self._explore)
        for step in steps:
            plan = step(s)
            if plan is not None:
                if step != self._explore:
                    self.explore_steps = 0
                return plan
        return (A["noop"], "wait", self._say("nothing"), {})

    # -- first achievements -------------------------------------------------------------------
    def _firsts(self, s: Scene):
        """By day, take the achievements that cost a few steps as soon as they are at hand: a
        nap once energy first drops below 9 (about step 31; waking rested unlocks wake_up), a
        first drink and a first cow within a short walk. View "player" only (the teacher of the
        policy): short routines early in the episode, inside the window a young policy
        survives, instead of hundreds of steps later. Its own score is unchanged within noise
        (40.4% vs 41.4% on seeds 5000-5039)."""
        inv, ach = s.inv, s.ach
        if s.daylight < NIGHT:
            return None
        if (ach["wake_up"] == 0 and inv["energy"] < 9 and inv["health"] >= 5
                and not s.mobs_within(ZOMBIE, 6) and not s.mobs_within(SKELETON, 6)):
            return (A["sleep"], "nap", self._say("why_nap", energy=inv["energy"]),
                    {"claims": {"energy": inv["energy"]}})
        if ach["collect_drink"] == 0:
            water = s.nearest_adjacent(s.sem == WATER)
            if water and water[2] <= FIRSTS_REACH:
                return self._collect(s, water, "drink", "water",
                                     why=self._say("why_first_drink", drink=inv["drink"]),
                                     claims={"drink": inv["drink"]})
        if ach["eat_cow"] == 0:
            cow = s.nearest_adjacent(s.sem == COW)
            if cow and cow[2] <= FIRSTS_REACH:
                return self._eat(s, cow, why=self._say("why_first_cow", food=inv["food"]))
        return None

    # -- exploring (view "player" only) ---------------------------------------------------------
    def _explore(self, s: Scene):
        """Walk on along one heading until it is blocked (or long), then take the most open
        side: a plan a policy can follow from the frame and its last actions alone."""
        runs = {d: self._open_run(s, d) for d in DIRS}
        heading = self.explore_dir
        if heading is None or runs[heading] == 0 or self.explore_steps >= EXPLORE_TURN_AFTER:
            back = _sub((0, 0), heading) if heading else None
            sides = [d for d in DIRS if runs[d] > 0 and d != heading and d != back]
            if not sides:
                sides = [d for d in DIRS if runs[d] > 0]
            if not sides:
                return None
            best = max(runs[d] for d in sides)
            options = [d for d in sides if runs[d] == best]
            heading = options[int(self.rng.integers(len(options)))]
            self.explore_dir, self.explore_steps = heading, 0
        self.explore_steps += 1
        inv = s.inv
        if inv["drink"] <= 5:
            what = "water"
        elif inv["food"] <= 5:
            what = "cows"
        elif inv["wood"] < 5 and not inv["stone_pickaxe"]:
            what = "trees"
        elif inv["wood_pickaxe"] and inv["stone"] < 5:
            what = "stone"
        else:
            what = None
        direction = DIR_NAMES[DIRS.index(heading)]
        return (MOVE_ACTION[heading], "explore",
                self._say("explore", what=what, dir=direction) if what else
                self._say("explore_any", dir=direction),
                {"target": _add(s.pos, heading), "target_name": "explore"})

    def _vital_out_of_view(self, s: Scene) -> bool:
        """Drink or food low with none of it in view."""
        inv = s.inv
        return ((inv["drink"] <= 3 and not (s.sem == WATER).any())
                or (inv["food"] <= 3 and self._food_source(s) is None))

    @staticmethod
    def _open_run(s: Scene, d) -> int:
        """How many walkable cells lie in a row from the player toward `d`, within view (the
        cells beyond it read as "none")."""
        n, cell = 0, _add(s.pos, d)
        while s.at(cell) in WALKABLE_IDS:
            n, cell = n + 1, _add(cell, d)
        return n

    def _needs(self, s: Scene):
        inv = s.inv
        water = s.nearest_adjacent(s.sem == WATER)
        food = self._food_source(s)
        if self.need == "drink" and inv["drink"] >= 9:
            self.need = None
        if self.need == "food" and inv["food"] >= 8:
            self.need = None
        # By day keep the vitals high (trips at night meet zombies); by night go only when low.
        day = s.daylight >= NIGHT
        if water and (inv["drink"] <= (4 if day else 3) or (inv["drink"] <= 6 and (
                water[2] <= 3 or (day and water[2] <= 20)))):
            self.need = self.need or "drink"
        if food and (inv["food"] <= (4 if day else 3) or (inv["food"] <= 6 and (
                food[2] <= 4 or (day and food[2] <= 20)))):
            self.need = self.need or "food"
        if inv["health"] <= 4:
            self.healing = True
        elif inv["health"] >= 7:
            self.healing = False
        # The lowest vital wins when it is critical.
        urgent = sorted((inv[v], v) for v in ("drink", "food") if inv[v] <= 2)
        for _, v in urgent:
            if v == "drink" and water:
                return self._collect(s, water, "drink", "water")
            if v == "food" and food:
                return self._eat(s, food)
        tired = inv["energy"] <= 3
        night = s.daylight < NIGHT and inv["wood_pickaxe"]
        if tired or night or self.healing:
            # Top up before a long rest, when water or food is close.
            if not s.enclosed() and inv["health"] > 3:
                if inv["drink"] <= 4 and water and water[2] <= 12:
                    return self._collect(s, water, "drink", "water")
                if inv["food"] <= 3 and food and food[2] <= 12:
                    return self._eat(s, food)
            if self.healing:
                why = self._say("why_hurt", health=inv["health"])
                claims = {"health": inv["health"]}
            elif tired:
                why = self._say("why_sleep", energy=inv["energy"])
                claims = {"energy": inv["energy"]}
            else:
                why, claims = self._say("why_night"), {}
            plan = self._rest(s, why, claims)
            if plan is not None:
                return plan
        if self.need == "drink" and water:
            return self._collect(s, water, "drink", "water")
        if self.need == "food" and food:
            return self._eat(s, food)
        return None

    def _food_source(self, s: Scene):
        ripe = np.zeros(s.sem.shape, bool)
        for p, n in self.plants.items():
            if n >= RIPE_AFTER:
                ripe[p] = True
        best = None
        for mask in (ripe, s.sem == COW):
            found = mask.any() and s.nearest_adjacent(mask)
            if found and found[2] < INF and (best is None or found[2] < best[2] - 4 * (
                    mask is ripe)):
                best = found
        return best

    def _progress(self, s: Scene):
        inv, ach = s.inv, s.ach
        pending = [t for t in TOOLS if ach["make_" + t] == 0]
        plan = self._craft(s, pending)
        if plan:
            return plan
        # Wood: tools still to make, a first table, and a spare table for the iron tools.
        wood_want = sum(MAKE[t]["uses"].get("wood", 0) for t in pending)
        wood_want += 2 * (ach["place_table"] == 0) + 2 * ("iron_pickaxe" in pending)
        wood_next = (2 if ach["place_table"] == 0 else 0) + (1 if pending else 0)
        if pending and inv["wood"] < min(9, wood_want):
            trees = s.nearest_adjacent(s.sem == TREE)
            if trees and (inv["wood"] < wood_next + 1 or trees[2] <= 12):
                return self._collect(s, trees, "collect_wood", "tree",
                                     why=self._say("why_wood", wood=inv["wood"],
                                                   want=min(9, wood_want)),
                                     claims={"wood": inv["wood"]})
        if ach["collect_sapling"] == 0 or (ach["place_plant"] == 0 and inv["sapling"] == 0):
            plan = self._get_sapling(s)
            if plan:
                return plan
        if ach["place_plant"] == 0 and inv["sapling"] > 0:
            plan = self._place_open(s, "place_plant", s.sem == GRASS, "sapling")
            if plan:
                return plan
        zombie = s.mobs_within(ZOMBIE, 8)
        if zombie and inv["health"] >= 5 and ach["defeat_zombie"] == 0:
            return self._fight(s, zombie[0], ZOMBIE, "hunt_zombie")
        if not inv["wood_pickaxe"]:
            return None
        stone_want = (2 * ("stone_pickaxe" in pending) + ("stone_sword" in pending) + 3
                      + PLACE["furnace"]["uses"]["stone"] * (1 + ("iron_pickaxe" in pending)))
        stones = None
        if inv["stone"] < min(9, stone_want):
            stones = s.nearest_adjacent(self._minable(s, STONE))
            if stones and (inv["stone"] < 3 or stones[2] <= 8):
                return self._collect(s, stones, "collect_stone", "stone",
                                     why=self._say("why_stone", stone=inv["stone"]),
                                     claims={"stone": inv["stone"]})
        if ach["place_stone"] == 0 and inv["stone"] > 0:
            plan = self._place_open(s, "place_stone", s.mask(*WALKABLE_IDS, WATER), "stone")
            if plan:
                return plan
        if ach["place_furnace"] == 0 and inv["stone"] >= PLACE["furnace"]["uses"]["stone"]:
            plan = self._place_station(s, "furnace")
            if plan:
                return plan
        if ("iron_pickaxe" in pending or "iron_sword" in pending) and inv["stone_pickaxe"]:
            n_iron = ("iron_pickaxe" in pending) + ("iron_sword" in pending)
            for mat, name in ((COAL, "coal"), (IRON, "iron")):
                if inv[name] < n_iron:
                    found = s.nearest_adjacent(s.sem == mat)
                    if found:
                        return self._collect(s, found, "collect_" + name, name,
                                             why=self._say("why_ore", have=inv[name],
                                                           ore=name, want=n_iron),
                                             claims={name: inv[name]})
        elif "iron_pickaxe" in pending and inv["coal"] < 1:
            found = s.nearest_adjacent(s.sem == COAL)
            if found:
                return self._collect(s, found, "collect_coal", "coal",
                                     why=self._say("why_ore", have=inv["coal"], ore="coal",
                                                   want=1), claims={"coal": inv["coal"]})
        if inv["iron_pickaxe"] and ach["collect_diamond"] == 0:
            found = s.nearest_adjacent(s.sem == DIAMOND)
            if found:
                return self._collect(s, found, "collect_diamond", "diamond",
                                     why=self._say("why_diamond"))
        if ach["collect_coal"] == 0:
            found = s.nearest_adjacent(s.sem == COAL)
            if found:
                return self._collect(s, found, "collect_coal", "coal",
                                     why=self._say("why_ore", have=inv["coal"], ore="coal",
                                                   want=1), claims={"coal": inv["coal"]})
        if ach["defeat_skeleton"] == 0 and inv["health"] >= 6 and (
                inv["stone_sword"] or inv["health"] >= 8):
            found = s.nearest_adjacent(s.sem == SKELETON)
            if found and found[2] <= 40:
                return self._fight(s, found[0], SKELETON, "hunt_skeleton", found)
        return self._farm(s)

    # -- crafting -------------------------------------------------------------------------------
    def _craft(self, s: Scene, pending):
        inv = s.inv
        for tool in pending:
            uses = MAKE[tool]["uses"]
            if any(inv[k] < v for k, v in uses.items()):
                continue
            furnace = "furnace" in MAKE[tool]["nearby"]
            station = s.nearest_station(furnace)
            if station and station[1] <= (25 if furnace else 12):
                stand, cost = station
                table = self._cell_near(s, stand, TABLE)
                if cost == 0:
                    return (A["make_" + tool], "make_" + tool,
                            self._say("craft", tool=tool.replace("_", " ")),
                            {"target": table, "target_name": "table"})
                return self._walk(s, stand, "make_" + tool, "table", table,
                                  self._say("why_craft", tool=tool.replace("_", " ")))
            spare_wood = inv["wood"] - uses.get("wood", 0)
            if not (station and station[1] <= 12) and spare_wood >= PLACE["table"]["uses"]["wood"]:
                near_table = s.nearest_station(False)
                if not (near_table and near_table[1] <= 12):
                    return self._place_open(s, "place_table", s.mask(*WALKABLE_IDS), "table")
            if furnace and inv["stone"] >= PLACE["furnace"]["uses"]["stone"]:
                plan = self._place_station(s, "furnace")
                if plan:
                    return plan
        return None

    def _place_station(self, s: Scene, what: str):
        """Place a furnace within two tiles of a reachable table, so one spot reaches both."""
        station = s.nearest_station(False)
        free = s.mask(*WALKABLE_IDS)
        if station is None or station[1] > 12:
            if s.inv["wood"] >= PLACE["table"]["uses"]["wood"] + 1:
                return self._place_open(s, "place_table", free, "table")
            if s.ach["place_" + what] > 0:
                return None
            return self._place_open(s, "place_" + what, free, what)
        table = s.sem == TABLE
        near = table.copy()
        for _ in range(2):  # grow the table cells by one tile in all eight directions
            grown = near.copy()
            grown[1:] |= near[:-1]
            grown[:-1] |= near[1:]
            grown[:, 1:] |= grown[:, :-1]
            grown[:, :-1] |= grown[:, 1:]
            near = grown
        plan = self._place_open(s, "place_" + what, free & near, what)
        if plan is None and s.ach["place_" + what] == 0:
            plan = self._place_open(s, "place_" + what, free, what)
        return plan

    @staticmethod
    def _cell_near(s: Scene, stand, kind):
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                cell = (stand[0] + dx, stand[1] + dy)
                if s.at(cell) == kind:
                    return cell
        return stand

    # -- primitive behaviours -------------------------------------------------------------------
    def _walk(self, s: Scene, goal, subgoal, noun, target, why, claims=None):
        """One step along the cheapest path to stand on `goal` (digging when needed)."""
        extras = {"target": target, "target_name": SEMANTIC_NAMES[s.at(target)], "stand": goal}
        if claims:
            extras["claims"] = claims
        d = s.step_toward(goal)
        if d is None:
            return (A["noop"], subgoal, self._join(why, self._say('stuck')), extras)
        nxt, dname = _add(s.pos, d), DIR_NAMES[DIRS.index(d)]
        m = s.at(nxt)
        where = describe_offset(*_sub(target, s.pos))
        if m in SOLID_ON_PATH or m in (COW, ZOMBIE, SKELETON):
            block = SEMANTIC_NAMES[m]
            if s.facing == d:
                how = self._say("dig" if m in SOLID_ON_PATH else "clear", block=block,
                                dir=dname)
                return (A["do"], subgoal, self._join(why, how), extras)
            how = self._say("turn_block", block=block, dir=dname)
            return (MOVE_ACTION[d], subgoal, self._join(why, how), extras)
        if m not in WALKABLE_IDS:
            return (A["noop"], subgoal, self._join(why, self._say('wait_path', dir=dname)), extras)
        how = self._say("walk", noun=noun, where=where, dir=dname)
        return (MOVE_ACTION[d], subgoal, self._join(why, how), extras)

    def _interact(self, s: Scene, target, subgoal, noun, verb, why, claims=None):
        """Walk next to `target`, face it (it blocks, so moving toward it only turns) and use it."""
        d = _sub(target, s.pos)
        extras = {"target": target, "target_name": SEMANTIC_NAMES[s.at(target)]}
        if claims:
            extras["claims"] = claims
        dname = DIR_NAMES[DIRS.index(d)]
        if s.facing == d:
            how = self._say("use", noun=noun, verb=verb, dir=dname)
            return (A["do"], subgoal, self._join(why, how), extras)
        return (MOVE_ACTION[d], subgoal,
                self._join(why, self._say('face', noun=noun, dir=dname)), extras)

    def _collect(self, s: Scene, found, subgoal, noun, why=None, claims=None):
        target, stand, _ = found
        verb = {"tree": "chop it", "water": "drink", "cow": "hit it"}.get(noun, "mine it")
        if why is None:
            why = self._say("why_" + subgoal, drink=s.inv["drink"], food=s.inv["food"])
            if subgoal in s.inv:
                claims = {subgoal: s.inv[subgoal]}
        if s.pos == stand:
            return self._interact(s, target, subgoal, noun, verb, why, claims)
        return self._walk(s, stand, subgoal, noun, target, why, claims)

    def _eat(self, s: Scene, found, why=None):
        target, stand, _ = found
        kind = "cow" if s.at(target) == COW else "plant"
        why = why or self._say("why_food", food=s.inv["food"])
        sub = "eat_" + kind
        if s.pos == stand:
            return self._interact(s, target, sub, kind, "hit it" if kind == "cow" else "eat it",
                                  why, {"food": s.inv["food"]})
        return self._walk(s, stand, sub, kind, target, why, {"food": s.inv["food"]})

    def _fight(self, s: Scene, cell, kind, subgoal, found=None):
        noun = SEMANTIC_NAMES[kind]
        why = self._say("why_" + subgoal, noun=noun, health=s.inv["health"])
        claims = {"health": s.inv["health"]}
        if s.manhattan(cell) == 1:
            return self._interact(s, cell, subgoal, noun, "strike it", why, claims)
        found = found or s.nearest_adjacent(s.sem == kind)
        if not found or found[2] >= INF:
            return None
        return self._walk(s, found[1], subgoal, noun, found[0], why, claims)

    def _place_open(self, s: Scene, subgoal, tmask, item, why=None, target_fixed=False,
                    action=None):
        """Face a free cell of tmask (approaching in a straight line) and place `item` on it."""
        tmask = tmask & ~s.mask(*range(13, 19)) if not target_fixed else tmask
        plan = s.face_open(tmask)
        if plan is None:
            return None
        target, stand, pre, cost = plan
        counted = {"table": "wood", "furnace": "stone"}.get(item, item)
        why = why or self._say("why_" + subgoal, n=s.inv.get(counted, 0), item=item)
        extras = {"target": target, "target_name": SEMANTIC_NAMES[s.at(target)],
                  "claims": {counted: s.inv[counted]} if counted in s.inv else {}}
        if cost == 0:
            how = self._say("place", item=item, dir=DIR_NAMES[DIRS.index(s.facing)])
            return (A[action or subgoal], subgoal, self._join(why, how), extras)
        if s.pos == pre:
            d = _sub(stand, pre)
            how = self._say("line_up", dir=DIR_NAMES[DIRS.index(d)])
            return (MOVE_ACTION[d], subgoal, self._join(why, how), extras)
        plan = self._walk(s, pre, subgoal, "spot", target, why)
        return plan[0], plan[1], plan[2], {**extras, **plan[3], "target": target,
                                           "target_name": extras["target_name"]}

    def _get_sapling(self, s: Scene):
        front = s.front
        why = self._say("why_sapling")
        if s.at(front) == GRASS:
            how = self._say("search_grass", dir=DIR_NAMES[DIRS.index(s.facing)])
            return (A["do"], "collect_sapling", self._join(why, how),
                    {"target": front, "target_name": "grass"})
        plan = s.face_open(s.sem == GRASS)
        if plan is None or plan[3] > 10:
            return None
        return self._place_open(s, "collect_sapling", s.sem == GRASS, "sapling", why=why,
                                action="do")

    # -- sleep ----------------------------------------------------------------------------------
    def _rest(self, s: Scene, why: str, claims: dict, near=None):
        """Sleep (or wait, if rested) sealed in a pocket; build the pocket first if needed."""
        inv = s.inv
        if s.enclosed():
            self.shelter_plan = None
            water = s.nearest_adjacent(s.sem == WATER)
            if water and water[2] <= 1 and inv["drink"] < 9 and s.at(water[1]) in (
                    WALKABLE_IDS + (PLAYER,)):
                return self._collect(s, water, "drink", "water")
            if inv["energy"] < 9:
                return (A["sleep"], "sleep", self._join(why, self._say('sleep_safe')),
                        {"claims": claims})
            return (A["noop"], "rest", self._join(why, self._say('rest_wait')), {"claims": claims})
        if inv["stone"] < 1:
            if inv["wood_pickaxe"]:
                stones = s.nearest_adjacent(self._minable(s, STONE))
                if stones:
                    return self._collect(s, stones, "collect_stone", "stone",
                                         why=self._say("why_shelter_stone"))
            if inv["energy"] <= 0 and not s.mobs_within(ZOMBIE, 8):
                return (A["sleep"], "sleep", self._join(why, self._say('sleep_open')),
                        {"claims": claims})
            return None
        plan = self.shelter_plan
        if plan is None or not self._shelter_valid(s, plan):
            found = s.shelter(near=near)
            plan = self.shelter_plan = (found[0], found[1]) if found else None
        if plan is None:
            if inv["energy"] <= 0 and not s.mobs_within(ZOMBIE, 8):
                return (A["sleep"], "sleep", self._join(why, self._say('sleep_open')),
                        {"claims": claims})
            return None
        stand, f = plan
        door, back = _add(stand, f), _sub(stand, f)
        extras = {"target": stand, "target_name": SEMANTIC_NAMES[s.at(stand)],
                  "door": door, "claims": claims}
        why = why or self._say("why_shelter")
        if s.pos == stand and s.facing == f:
            if s.at(door) in (ZOMBIE, SKELETON, COW):
                return self._interact(s, door, "shelter", SEMANTIC_NAMES[s.at(door)],
                                      "strike it", why)
            return (A["place_stone"], "shelter", self._join(why, self._say('seal')), extras)
        if s.pos == back:
            return (MOVE_ACTION[f], "shelter", self._join(why, self._say('step_in')), extras)
        if s.pos == stand or s.pos == door:
            goal = back if s.pos == stand else stand
            plan = self._walk(s, goal, "shelter", "pocket", goal, why)
            return plan[0], plan[1], plan[2], {**extras, **plan[3]}
        plan = self._walk(s, door, "shelter", "shelter entrance", door, why)
        return plan[0], plan[1], plan[2], {**extras, **plan[3]}

    @staticmethod
    def _shelter_valid(s: Scene, plan) -> bool:
        stand, f = plan
        door, back = _add(stand, f), _sub(stand, f)
        solid_ok = (STONE, COAL) if s.inv["wood_pickaxe"] else ()
        okay = WALKABLE_IDS + (13,) + solid_ok
        return (s.at(door) in WALKABLE_IDS + (13, ZOMBIE, COW) and s.at(stand) in okay
                and s.at(back) in okay and s.dist[door] < INF)

    # -- plants and idling ----------------------------------------------------------------------
    def _farm(self, s: Scene):
        """Keep one walled-in plant growing near us; eat it once it has had time to ripen."""
        inv = s.inv
        if not self.plants:
            if inv["stone"] < 4 or not inv["stone_pickaxe"]:
                return None
            if inv["sapling"] == 0:
                return self._get_sapling(s)
            return self._place_open(s, "place_plant", s.sem == GRASS, "sapling",
                                    why=self._say("why_farm"))
        plant = min(self.plants, key=s.manhattan)
        grown = self.plants[plant]
        if grown >= RIPE_AFTER and s.ach["eat_plant"] == 0:
            found = s.nearest_adjacent(self._only(s, plant))
            if found:
                return self._eat(s, found)
        gaps = self._only(s, *[_add(plant, d) for d in DIRS
                               if s.at(_add(plant, d)) in WALKABLE_IDS])
        if gaps.any() and inv["stone"] > 0:
            why = self._say("why_protect", grown=grown)
            return self._place_open(s, "protect_plant", gaps, "stone", why=why,
                                    target_fixed=True, action="place_stone")
        return None

    def _minable(self, s: Scene, kind):
        """Cells of `kind`, leaving alone the walls that protect our plants."""
        mask = s.sem == kind
        for p in self.plants:
            for d in DIRS:
                c = _add(p, d)
                if 0 <= c[0] < 64 and 0 <= c[1] < 64:
                    mask[c] = False
        return mask

    @staticmethod
    def _only(s: Scene, *cells):
        mask = np.zeros(s.sem.shape, bool)
        for c in cells:
            mask[c] = True
        return mask

    def _idle(self, s: Scene):
        """Nothing left to pursue now: stay near the plant, sealed in, and rest."""
        near = None
        if self.plants:
            plant = min(self.plants, key=s.manhattan)
            near = plant
            if s.manhattan(plant) > 14:
                found = s.nearest_adjacent(self._only(s, plant))
                if found:
                    return self._walk(s, found[1], "wait_plant", "plant", plant,
                                      self._say("why_return_plant"))
        return self._rest(s, self._say("why_idle"), {}, near=near)
