"""End-of-run summaries: per-episode rows, per-achievement success rates and the Crafter score.

Role in the data flow: `rig play` and `rig eval` collect `EpisodeResult`s; this module turns them
into tables on the terminal (rich) and into a JSON-able dict for reports.
"""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any, Sequence

from rig.rollout.episode import EpisodeResult
from rig.rollout.scores import (achievement_names, bootstrap_interval, crafter_score,
                                score_name, success_rates)


def summarize(results: Sequence[EpisodeResult]) -> dict[str, Any]:
    """The numbers of a run; Crafter worlds add success rates and the Crafter score."""
    if not results:
        return {"episodes": 0}
    returns = [r.episode_return for r in results]
    lengths = [r.length for r in results]
    summary: dict[str, Any] = {
        "world": results[0].world, "agent": results[0].agent, "episodes": len(results),
        "seeds": [r.seed for r in results],
        "mean_return": sum(returns) / len(returns), "mean_length": sum(lengths) / len(lengths),
        "episodes_detail": [r.to_dict() for r in results],
    }
    # how episodes ended ("killed by a zombie", "max_steps", ...) and, in worlds that say what
    # took health (Crafter's info["damage"]), how much each cause took per 1,000 steps
    summary["ends"] = dict(Counter(r.end for r in results).most_common())
    lost: Counter = Counter()
    for r in results:
        lost.update(r.extras.get("health_lost", {}))
    if lost:
        steps = max(sum(lengths), 1)
        summary["health_lost_per_1000_steps"] = {cause: 1000.0 * amount / steps
                                                 for cause, amount in lost.most_common()}
    solved = [r.success for r in results if r.success is not None]
    if solved:  # task worlds: the share of episodes that solved their task
        summary["success_rate"] = 100.0 * sum(solved) / len(results)
    names = achievement_names(results[0].world)
    if names:
        unlocked = [r.achievements for r in results]
        rates = success_rates(unlocked, names)
        summary["success_rates"] = rates
        summary["crafter_score"] = crafter_score(rates.values())
        # how fast: the median step of the first unlock, over the episodes that unlocked it
        unlock_steps = {name: [r.unlocked_at[name] for r in results if name in r.unlocked_at]
                        for name in names}
        summary["median_unlock_step"] = {name: statistics.median(at)
                                         for name, at in unlock_steps.items() if at}
        if len(results) >= 2:
            summary["crafter_score_ci95"] = bootstrap_interval(
                unlocked, lambda sample: crafter_score(success_rates(sample, names).values()))
    return summary


def print_summary(summary: dict[str, Any], console=None, per_episode_rows: int = 60) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    if not summary.get("episodes"):
        console.print("no episode finished")
        return
    table = Table(title=f"{summary['agent']} on {summary['world']}: episodes")
    # the columns a world has: achievements (Crafter) or task success (MiniWoB)
    achievements, tasks = "success_rates" in summary, "success_rate" in summary
    columns = ["#", "seed", "return", "length"] + (["achievements"] if achievements else []) \
        + (["solved"] if tasks else []) + ["ended by"]
    for column in columns:
        table.add_column(column, justify="right")
    detail = summary["episodes_detail"]
    for i, r in enumerate(detail[:per_episode_rows]):
        row = [str(i), str(r["seed"]), f"{r['episode_return']:.1f}", str(r["length"])]
        row += [str(len(set(r["achievements"])))] if achievements else []
        row += [{True: "yes", False: "no"}.get(r.get("success"), "-")] if tasks else []
        table.add_row(*row, r["end"])
    blank = [""] * (len(columns) - 4)
    if len(detail) > per_episode_rows:
        table.add_row("...", "", "", "", *blank[:-1], f"{len(detail) - per_episode_rows} more")
    table.add_row("mean", "", f"{summary['mean_return']:.2f}", f"{summary['mean_length']:.0f}",
                  *blank, style="bold")
    console.print(table)
    ends = summary.get("ends")
    if ends:
        console.print("ended by: " + ", ".join(f"{end} {count}" for end, count in ends.items()))
    lost = summary.get("health_lost_per_1000_steps")
    if lost:
        console.print("health lost per 1,000 steps: " +
                      ", ".join(f"{cause} {amount:.1f}" for cause, amount in lost.items()))
    if "success_rate" in summary:
        console.print(f"task success: [bold]{summary['success_rate']:.1f}%[/bold] of "
                      f"{summary['episodes']} episodes")
    rates = summary.get("success_rates")
    if rates:
        ach = Table(title="achievement success rates (% of episodes)")
        ach.add_column("achievement")
        ach.add_column("success %", justify="right")
        first = summary.get("median_unlock_step")  # reports written before it lack it
        if first is not None:
            ach.add_column("median first step", justify="right")
        for name, rate in sorted(rates.items(), key=lambda kv: -kv[1]):
            row = [name, f"{rate:.1f}"]
            if first is not None:
                row.append(f"{first[name]:.0f}" if name in first else "-")
            ach.add_row(*row)
        console.print(ach)
        name = score_name([summary.get("world", "")])
        line = f"{name}: [bold]{summary['crafter_score']:.1f}%[/bold] over " \
               f"{summary['episodes']} episodes"
        if "crafter_score_ci95" in summary:
            low, high = summary["crafter_score_ci95"]
            line += f" (95% bootstrap CI {low:.1f}-{high:.1f})"
        if name == "Crafter score":
            line += ("   [dim]published: human experts 50.5, DreamerV3 14.5, PPO 4.6, "
                     "random 1.6[/dim]")
        console.print(line)
