"""`rig eval scaling`: how the score grows with test-time compute (lookahead and candidates).

Role in the data flow: for every (lookahead, candidates) setting it runs `rig eval`'s episode
loop (`evaluate.run_evaluation`) with the RIG policy reviewing its imagined outcomes that far
ahead, on the same seeds, and records the Crafter score with its bootstrap interval,
per-achievement rates, each episode's seed, length and unlocks, generated tokens and wall time
per environment step, and how often the policy revised itself. `--modes imagined real` adds,
at the same settings, the same policy's proposals judged on their *real* outcome in branches of
the world (`--agent oracle:`, issue 22's decomposition (b)): the ceiling of what review can
add, one line beside RIG-lookahead's; `--modes judged` the same proposals judged by the policy's
own review of their imagined outcome (`--agent judge:`, agents/judge_review.py: best-of-N
without corrections); `weighted` and `valued` the same with the judge-weighted and judge-value
pick rules; `expected` the oracle on re-drawn futures (`--oracle-futures`: the real outcome's
ceiling without foresight of the world's luck).
It writes `scaling.json` (the whole record; a rerun skips the settings it already holds, so a
long run killed midway resumes), `scaling.csv` (one row per setting) and three plots: score
against lookahead, against generated tokens per step and against seconds per step.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from rig.config import option, require

from .evaluate import EvalConfig

MODES = ("imagined", "real", "expected", "judged", "weighted", "valued")
# each mode's agent (the plain row, lookahead 0, is always the policy itself) and its line
MODE_AGENTS = {"imagined": "rig", "real": "oracle", "expected": "oracle", "judged": "judge",
               "weighted": "judge-weighted", "valued": "judge-value"}
MODE_LABELS = {"imagined": "imagined outcome, corrections (RIG-lookahead)",
               "real": "real outcome, best of N (oracle)",
               "expected": "mean outcome of re-drawn futures, best of N (oracle)",
               "judged": "imagined outcome, best of N (judge)",
               "weighted": "imagined outcome x proposal share, best of N (judge-weighted)",
               "valued": "imagined outcome's expected value, best of N (judge-value)"}
MODE_MARKERS = {"real": "s", "expected": "P", "judged": "^", "weighted": "v", "valued": "D"}
MODE_LINES = {"real": "--", "expected": (0, (5, 1)), "judged": ":", "weighted": "-.",
              "valued": (0, (1, 1))}


def setting_key(mode: str, lookahead: int, candidates: int) -> str:
    """A setting's key in scaling.json (the imagined mode keeps the keys of older records)."""
    key = f"lookahead={lookahead},candidates={candidates}"
    return key if mode == "imagined" else f"{mode}:{key}"


@dataclass
class EvalScalingConfig:
    agent: str = option("", "the policy: rig:OUT/final")
    world: str = option("rig/Crafter-v0", "world id")
    lookahead: list[int] = option(None, "lookahead settings: imagined steps before a review "
                                  "(0: act without reviewing)", factory=lambda: [0, 1, 2, 3, 5])
    candidates: list[int] = option(None, "proposal budgets per step to try with each lookahead",
                                   factory=lambda: [1])
    episodes: int = option(20, "episodes per setting, one per seed, from --seed upward")
    seed: int = option(2000, "first seed (keep away from training seeds)")
    seeds: list[int] | None = option(None, "explicit seeds (overrides --episodes and --seed)")
    max_steps: int | None = option(1000, "horizon per episode")
    workers: int = option(0, "worker processes (0: one per CPU core)")
    threads: int = option(0, "torch CPU threads of each worker (0: the cores shared out)")
    num_worlds: int = option(1, "worlds each worker plays in lockstep")
    device: str = option("cpu", "where the policy runs: cpu | cuda | auto")
    temperature: float = option(1.0, "sampling temperature of reasoning, actions and reviews")
    imagine: bool = option(False, "draw each step's imagined next frame where nothing reviews "
                           "it (lookahead 0); reviews imagine their rollouts either way. Off "
                           "by default: the plain row then costs what acting needs (--imagine "
                           "and --no-imagine, as rig play and rig eval take)")
    modes: list[str] = option(None, "how proposals are judged: imagined (RIG-lookahead: the "
                              "policy reviews its imagined outcome) and/or real (the same "
                              "proposals tried in branches of the real world, the best by "
                              "reward: the ceiling of review; context-1 policies) and/or "
                              "expected (the same, each proposal valued over --futures branches "
                              "with re-drawn chance: the ceiling without the world's luck) "
                              "and/or judged "
                              "(the same proposals judged by the policy's own review of their "
                              "imagined outcomes, no corrections; context-1 policies) and/or "
                              "weighted (the judge, each review weighed by how often the policy "
                              "proposed that action) and/or valued (judge-value: the proposal "
                              "of highest expected outcome, for reviewers trained with "
                              "--verdict-target value)",
                              factory=lambda: ["imagined"])
    judge_margin: float | None = option(None, "valued mode: how far (in P(accept) share) the "
                                        "best proposal must beat the first sample's to be "
                                        "acted on (default 0.05); choose it with `rig eval "
                                        "verdict` on validation seeds")
    futures: int = option(4, "expected mode: re-drawn futures each proposal is valued over "
                          "(rig eval's --oracle-futures)")
    out: str = option("runs/scaling", "folder for scaling.json, scaling.csv and the PNG plots")

    def validate(self) -> None:
        from rig.agents import rig_checkpoint

        require(rig_checkpoint(self.agent) is not None,
                "--agent must name a RIG policy checkpoint: rig:OUT/final")
        require(self.lookahead and all(n >= 0 for n in self.lookahead),
                "--lookahead takes settings >= 0")
        require(self.candidates and all(c >= 1 for c in self.candidates),
                "--candidates takes settings >= 1")
        require(self.modes and all(m in MODES for m in self.modes),
                f"--modes takes {' and/or '.join(MODES)}")
        require(self.judge_margin is None or ("valued" in self.modes
                                              and 0 <= self.judge_margin < 1),
                "--judge-margin is the valued mode's switching margin, a share in [0, 1): "
                "--modes valued --judge-margin 0.02")
        require(self.futures >= 1, f"--futures must be >= 1, got {self.futures}")
        self.eval_config(0, 1).validate()

    def settings(self) -> list[tuple[str, int, int]]:
        """(mode, lookahead, candidates); lookahead 0 reviews nothing, so it runs once (as the
        imagined mode: the plain policy)."""
        triples = []
        for mode in self.modes:
            for n in self.lookahead:
                if n == 0 and mode != "imagined" and "imagined" in self.modes:
                    continue  # the plain row is measured once
                for c in ([1] if n == 0 else self.candidates):
                    key = ("imagined" if n == 0 else mode, n, c)
                    if key not in triples:
                        triples.append(key)
        return triples

    def eval_config(self, lookahead: int, candidates: int, mode: str = "imagined") -> EvalConfig:
        from rig.agents import rig_checkpoint

        agent = self.agent if mode == "imagined" or lookahead == 0 else \
            f"{MODE_AGENTS[mode]}:{rig_checkpoint(self.agent)}"
        return EvalConfig(world=self.world, agent=agent, episodes=self.episodes,
                          seed=self.seed, seeds=self.seeds, max_steps=self.max_steps,
                          workers=self.workers, num_worlds=self.num_worlds, imagine=self.imagine,
                          device=self.device, temperature=self.temperature,
                          lookahead=lookahead, candidates=candidates, threads=self.threads,
                          # the value rule's margin: only the valued mode has one
                          judge_margin=self.judge_margin if mode == "valued" and lookahead
                          else None,
                          oracle_futures=self.futures if mode == "expected" and lookahead else 0)


def _row(lookahead: int, candidates: int, summary: dict, mode: str = "imagined") -> dict:
    """One setting's figures from its evaluation summary."""
    episodes = summary["episodes_detail"]
    steps = sum(e["length"] for e in episodes) or 1
    tokens = sum(e["extras"].get("generated_tokens", 0) for e in episodes)
    low, high = summary.get("crafter_score_ci95", (None, None))
    return {"mode": mode, "lookahead": lookahead, "candidates": candidates,
            # Crafter score, or the task success rate for worlds with tasks (MiniWoB)
            "crafter_score": summary.get("crafter_score", summary.get("success_rate", 0.0)),
            "ci95_low": low, "ci95_high": high,
            "episodes": summary["episodes"], "mean_length": summary["mean_length"],
            "tokens_per_step": tokens / steps,
            "ms_per_step": 1000 * summary["wall_seconds"] / steps,
            "reviewed_share": sum(e["extras"].get("reviewed_steps", 0) for e in episodes) / steps,
            "revised_share": sum(e["extras"].get("revised_steps", 0) for e in episodes) / steps,
            # best of N (real or judged): steps where it changed the policy's action; the
            # real-outcome judge's world steps in branches, per environment step
            "changed_share": sum(e["extras"].get("oracle_changed", 0)
                                 + e["extras"].get("judge_changed", 0) for e in episodes) / steps,
            "branch_steps_per_step": sum(e["extras"].get("oracle_branch_steps", 0)
                                         for e in episodes) / steps,
            "success_rates": summary.get("success_rates", {}),
            # each episode's seed, length, end and unlocks: a paired comparison of two settings
            # (or a horizon cut afterwards) needs them; the figures above average them away
            "episodes_detail": [{k: e[k] for k in ("seed", "length", "end", "achievements",
                                                   "unlocked_at")} for e in episodes]}


CSV_COLUMNS = ["mode", "lookahead", "candidates", "crafter_score", "ci95_low", "ci95_high",
               "episodes", "mean_length", "tokens_per_step", "ms_per_step", "reviewed_share",
               "revised_share", "changed_share", "branch_steps_per_step"]


def write_reports(rows: list[dict], out: Path) -> list[Path]:
    """`scaling.csv` (one row per setting) and the plots in `out` from scaling.json's rows;
    returns the plots' paths. Also for redrawing a record from every row it holds, when a run
    measured only some of them."""
    with (out / "scaling.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return _plots(rows, out)


def _plots(rows: list[dict], out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    for x_key, name, label in (("lookahead", "score_vs_lookahead.png", "lookahead (steps)"),
                               ("tokens_per_step", "score_vs_compute.png",
                                "generated tokens per environment step"),
                               ("ms_per_step", "score_vs_seconds.png",
                                "milliseconds per environment step (wall)")):
        fig, ax = plt.subplots(figsize=(6, 4))
        modes = sorted({r["mode"] for r in rows if r["lookahead"]}) or ["imagined"]
        for mode in modes:
            if x_key == "tokens_per_step" and mode in ("real", "expected"):
                continue  # the real-outcome judge's cost is world steps, not tokens
            for c in sorted({r["candidates"] for r in rows}):
                line = sorted((r for r in rows if r["lookahead"] == 0 or (
                    r["candidates"] == c and r["mode"] == mode)),
                    key=lambda r: r[x_key])
                if len(line) < 2 and len(rows) > 1:
                    continue
                x = [r[x_key] for r in line]
                y = [r["crafter_score"] for r in line]
                err = [[max(0.0, r["crafter_score"] - (r["ci95_low"] or r["crafter_score"]))
                        for r in line],
                       [max(0.0, (r["ci95_high"] or r["crafter_score"]) - r["crafter_score"])
                        for r in line]]
                ax.errorbar(x, y, yerr=err,
                            marker=MODE_MARKERS.get(mode, "o"),
                            linestyle=MODE_LINES.get(mode, "-"),
                            capsize=3,
                            label=f"{MODE_LABELS[mode]}, {c} proposal(s)")
        ax.set_xlabel(label)
        ax.set_ylabel("Crafter score (%)")
        ax.set_title("Review: score against test-time compute")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / name, dpi=120)
        plt.close(fig)
        paths.append(out / name)
    return paths


def eval_scaling(config: EvalScalingConfig) -> int:
    from rich.console import Console
    from rich.table import Table

    from rig.agents import check_world_and_agent

    from .evaluate import run_evaluation

    check_world_and_agent(config.world, config.agent)
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    record_path = out / "scaling.json"
    record = json.loads(record_path.read_text()) if record_path.is_file() else {}
    same_run = {k: getattr(config, k) for k in ("agent", "world", "episodes", "seed", "seeds",
                                                 "max_steps", "temperature")}
    if config.judge_margin is not None:  # (records from before the option hold no key)
        same_run["judge_margin"] = config.judge_margin
    if "expected" in config.modes:  # (likewise)
        same_run["futures"] = config.futures
    if record and record.get("run") != same_run:
        from rig.config import RigError

        raise RigError(f"{record_path} holds a different run ({record.get('run')}); use another "
                       "--out or delete it")
    record["run"] = same_run
    done = record.setdefault("settings", {})
    console = Console()
    if not console.is_terminal:  # a log file: rich's 80 columns would cut the table's headers
        console = Console(width=120)
    settings = config.settings()
    for i, (mode, n, c) in enumerate(settings):
        key = setting_key(mode, n, c)
        if key in done:
            console.print(f"[{i + 1}/{len(settings)}] {key}: already measured, skipped")
            continue
        summary = run_evaluation(config.eval_config(n, c, mode), console,
                                 label=f"[{i + 1}/{len(settings)}] {key}")
        done[key] = _row(n, c, summary, mode)
        tmp = record_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=2))
        tmp.replace(record_path)  # written after every setting: a killed run resumes here
    rows = [done[setting_key(m, n, c)] for m, n, c in settings]
    for row, (mode, _, _) in zip(rows, settings):
        row.setdefault("mode", mode)  # records from before modes existed
    plots = write_reports(rows, out)
    table = Table(title=f"{config.agent} on {config.world}: test-time scaling "
                        f"({config.episodes} episodes a setting, horizon {config.max_steps})")
    for name in ("judged on", "lookahead", "candidates", "score %", "95% CI", "tokens/step",
                 "ms/step", "revised"):
        table.add_column(name, justify="right")
    for r in rows:
        ci = f"{r['ci95_low']:.1f}-{r['ci95_high']:.1f}" if r["ci95_low"] is not None else "-"
        judged = "-" if not r["lookahead"] else r["mode"]
        changed = r["revised_share"] if r["mode"] == "imagined" else r.get("changed_share", 0)
        table.add_row(judged, str(r["lookahead"]), str(r["candidates"]),
                      f"{r['crafter_score']:.2f}", ci, f"{r['tokens_per_step']:.0f}",
                      f"{r['ms_per_step']:.0f}", f"{100 * changed:.0f}%")
    console.print(table)
    console.print(f"wrote {record_path}, {out / 'scaling.csv'}, " + ", ".join(map(str, plots)))
    return 0
