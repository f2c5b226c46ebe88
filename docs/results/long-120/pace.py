"""How fast agents climb Crafter's tech tree (docs/policy.md entry 16), from `rig eval --json`
reports: for each achievement, in how many episodes it was unlocked by step 50, 100, 150, 200
and 300 (the episodes' `unlocked_at`). Unlike the median first step over the episodes that
reached it, an episode that died first counts as not there yet.
Usage: python pace.py REPORT.json [REPORT.json ...]"""
import json, sys
from pathlib import Path

BY = (50, 100, 150, 200, 300)
TREE = ("make_wood_pickaxe", "collect_stone", "place_stone", "make_stone_pickaxe", "collect_coal",
        "place_furnace", "eat_cow", "collect_drink")
print("| report | episodes alive at step " + " / ".join(map(str, BY)) + " | " + " | ".join(TREE) + " |")
print("|---" * (len(TREE) + 2) + "|")
for path in sys.argv[1:]:
    episodes = json.loads(Path(path).read_text())["episodes_detail"]
    alive = " / ".join(str(sum(e["length"] >= t for e in episodes)) for t in BY)
    cells = [" / ".join(str(sum(e["unlocked_at"].get(name, 1 << 30) <= t for e in episodes))
                        for t in BY) for name in TREE]
    print(f"| {Path(path).stem} ({len(episodes)}) | {alive} | " + " | ".join(cells) + " |")
