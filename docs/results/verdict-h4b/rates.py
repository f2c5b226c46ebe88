"""Issue 22, fourteenth session: each closed-loop setting's score, length and the achievement
rates that moved (from `rig eval scaling`'s scaling.json). Run from the data folder:
python rates.py v23/reports/scaling-label/scaling.json ..."""
import json
import sys

for path in sys.argv[1:]:
    settings = json.load(open(path))["settings"]
    print(path)
    for key, r in settings.items():
        rates = r["success_rates"]
        shown = " ".join(f"{a.replace('collect_', '').replace('make_', '')} {rates[a]:.1f}"
                         for a in ("wake_up", "collect_stone", "place_stone",
                                   "make_stone_pickaxe", "collect_coal", "eat_cow",
                                   "collect_drink") if a in rates)
        print(f"  {key}: {r['crafter_score']:.2f}% ({r['ci95_low']:.2f}-{r['ci95_high']:.2f}), "
              f"length {r['mean_length']:.0f}, changed {100 * r['changed_share']:.1f}%; {shown}")
