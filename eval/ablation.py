"""`rig eval ablation`: the RIG paper's Table 1 on our data, trained and measured by one command.

Role in the data flow: trains one policy per variant on the same stores with the same budget
(`rig train policy` with the ablation switches), then evaluates each on the same held-out seeds
(`evaluate.run_evaluation`) and writes the table:

| variant        | reasoning | imagination | review lookahead |
|----------------|-----------|-------------|------------------|
| action only    | -         | -           | -                |
| + imagination  | -         | yes         | -                |
| + reasoning    | yes       | -           | -                |
| RIG-basic      | yes       | yes         | -                |
| RIG-lookahead  | yes       | yes         | yes (the RIG-basic weights, reviewed at test time) |

Beside the variants stand their anchors, measured on the same seeds and horizon: random, the
stores' teacher (the agent that collected them) and the plain behaviour-cloning baseline
(`rig train bc`) trained on the same stores for the same minutes (`--max-minutes`, or as long
as RIG-basic trained).

Review stores (`rig data review`) among the data train every variant that imagines and reasons,
so RIG-basic and RIG-lookahead are one checkpoint evaluated two ways, as in the paper. Each
variant's training resumes from its checkpoints and each finished evaluation is kept in
`OUT/ablation.json`, so a killed run continues where it stopped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rig.config import option, require

# name -> (reasoning, imagination, lookahead at test time)
VARIANTS = {
    "action only": (False, False, 0),
    "+ imagination": (False, True, 0),
    "+ reasoning": (True, False, 0),
    "RIG-basic": (True, True, 0),
    "RIG-lookahead": (True, True, None),  # None: --lookahead
}


@dataclass
class EvalAblationConfig:
    data: list[str] = option(None, "tokenized stores to train every variant on (review stores "
                             "from `rig data review` included)", positional=True)
    out: str = option("runs/ablation", "folder: one training run per variant and ablation.json")
    preset: str = option("tiny", "model size of every variant")
    steps: int = option(2000, "optimizer steps per variant (the same budget for all)")
    max_minutes: float = option(0.0, "and at most this many minutes of training per variant")
    batch_size: int = option(8, "sequences per step")
    lr: float = option(1e-3, "peak learning rate of every variant")
    imagine_rate: float = option(1.0, "share of training batches that keep the imagined frame, "
                                 "in the variants that imagine")
    context_steps: int = option(1, "episode steps per sequence")
    free_running: int = option(64, "held-out teacher states on which each variant's "
                               "validations let it write its own reasoning and act (rig train "
                               "policy --free-running; 0: off)")
    lookahead: int = option(1, "imagined steps RIG-lookahead reviews before acting")
    candidates: int = option(2, "proposals RIG-lookahead may review per step")
    episodes: int = option(20, "evaluation episodes per variant, one per seed")
    seed: int = option(2000, "first evaluation seed (keep away from the training seeds)")
    max_steps: int | None = option(1000, "evaluation horizon per episode")
    workers: int = option(0, "evaluation worker processes (0: one per CPU core)")
    num_worlds: int = option(1, "worlds each evaluation worker plays in lockstep")
    device: str = option("auto", "auto | cpu | cuda (training and evaluation)")
    threads: int = option(0, "CPU threads for training (0: torch's default)")
    anchors: bool = option(True, "also measure the anchors on the same seeds: random, the "
                           "stores' teacher and the bc baseline trained on the same stores for "
                           "the same minutes (--no-anchors: the variants only)")

    def validate(self) -> None:
        require(bool(self.data), "name at least one tokenized trajectory store")
        for store in self.data:
            require(Path(store).exists(), f"no trajectory store at {store!r}")
        require(self.steps >= 1 and self.episodes >= 1 and self.batch_size >= 1,
                "--steps, --episodes and --batch-size must be >= 1")
        require(self.lookahead >= 1 and self.candidates >= 1,
                "--lookahead and --candidates must be >= 1")
        require(self.free_running >= 0, "--free-running must be >= 0")


def _is_review_store(path: str) -> bool:
    from rig.policy.sequence import is_review_store
    from rig.trajectories.store import TrajectoryStore

    return is_review_store(TrajectoryStore.open(path, "r"))


def _run_name(reasoning: bool, imagination: bool) -> str:
    return f"reasoning-{int(reasoning)}-imagination-{int(imagination)}"


def _training_minutes(run: Path) -> float:
    """Minutes a variant's training took (its newest checkpoint's trainer state)."""
    from rig.config import RigError
    from rig.policy import checkpoint

    newest = checkpoint.latest_checkpoint(run)
    if newest is None:
        return 0.0
    try:
        return float(checkpoint.load(newest, whole=True).trainer.get("minutes", 0.0))
    except RigError:
        return 0.0


def _teacher(paths: list[str]) -> str | None:
    """The agent that collected most episodes of the stores, if it is one rig can play."""
    from collections import Counter

    from rig.agents import UnknownAgentError, parse_agent
    from rig.trajectories.store import TrajectoryStore

    counts = Counter(str(a) for p in paths
                     for a in TrajectoryStore.open(p, "r").read_meta("agent"))
    for agent, _ in counts.most_common():
        try:
            if not parse_agent(agent).kind.interactive:
                return agent
        except UnknownAgentError:
            continue
    return None


def _anchors(config: EvalAblationConfig, out: Path, data: list[str], minutes: float,
             results: dict, console, save) -> None:
    """Random, the teacher and the bc baseline on the evaluation's seeds (each kept once
    measured, like the variants)."""
    from rig.policy import bc
    from rig.train.bc import TrainBCConfig, train_bc

    from .evaluate import EvalConfig, run_evaluation

    teacher = _teacher(data)
    wanted = {"random": "random", "bc baseline": None}
    if teacher is not None:
        wanted[f"teacher ({teacher})"] = teacher
    for name, agent in wanted.items():
        if name in results:
            console.print(f"{name}: already measured, skipped")
            continue
        steps = None
        if agent is None:  # the bc baseline: trained here, on the same stores and minutes
            run = out / "bc"
            if not bc.is_bc_folder(run / "final"):
                console.print(f"[bold]{name}[/bold]: training {run} for {minutes:.1f} minutes")
                train = TrainBCConfig(data=data, out=str(run), steps=10**7,
                                      max_minutes=max(minutes, 1e-4), device=config.device,
                                      threads=config.threads)
                train.validate()
                train_bc(train)
            agent = f"bc:{run / 'final'}"
            steps = int(bc.load(run / "final").meta.get("step", 0))
        evaluation = EvalConfig(agent=agent, episodes=config.episodes, seed=config.seed,
                                max_steps=config.max_steps, workers=config.workers,
                                num_worlds=config.num_worlds, imagine=False,
                                device="cpu" if config.device == "auto" else config.device)
        evaluation.validate()
        summary = run_evaluation(evaluation, console, label=name)
        results[name] = {
            "agent": agent, "reasoning": False, "imagination": False, "lookahead": 0,
            "crafter_score": summary.get("crafter_score"),
            "ci95": summary.get("crafter_score_ci95"), "mean_length": summary["mean_length"],
            "success_rates": summary.get("success_rates", {}), "train_steps": steps,
            "train_minutes": round(minutes, 2) if steps is not None else None}
        save()


def eval_ablation(config: EvalAblationConfig) -> int:
    from rich.console import Console
    from rich.table import Table

    from rig.policy import checkpoint
    from rig.train.train_policy import PolicyTrainConfig, train_policy

    from .evaluate import EvalConfig, run_evaluation

    console = Console()
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    record_path = out / "ablation.json"
    record = json.loads(record_path.read_text()) if record_path.is_file() else {}
    results = record.setdefault("variants", {})

    def save() -> None:
        tmp = record_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=2))
        tmp.replace(record_path)

    device = config.device
    review_stores = {path for path in config.data if _is_review_store(path)}
    for name, (reasoning, imagination, lookahead) in VARIANTS.items():
        if name in results:
            console.print(f"{name}: already measured, skipped")
            continue
        run = out / _run_name(reasoning, imagination)
        if not checkpoint.is_policy_folder(run / "final"):
            console.print(f"[bold]{name}[/bold]: training {run}")
            data = [p for p in config.data  # a review needs the reasoning and the imagination
                    if reasoning and imagination or p not in review_stores]
            train = PolicyTrainConfig(
                data=data, out=str(run), preset=config.preset, steps=config.steps,
                max_minutes=config.max_minutes, batch_size=config.batch_size, lr=config.lr,
                imagine_rate=config.imagine_rate if imagination else 1.0,
                context_steps=config.context_steps, free_running=config.free_running,
                reasoning=reasoning,
                imagination=imagination, device=device, threads=config.threads)
            train.validate()
            train_policy(train)
        n = config.lookahead if lookahead is None else lookahead
        # the steps this variant reached: under --max-minutes they differ between variants
        trained = checkpoint.read_meta(run / "final")
        evaluation = EvalConfig(
            agent=f"rig:{run / 'final'}", episodes=config.episodes, seed=config.seed,
            max_steps=config.max_steps, workers=config.workers, num_worlds=config.num_worlds,
            imagine=False, device="cpu" if device == "auto" else device, lookahead=n,
            candidates=config.candidates if n else 1)
        evaluation.validate()
        summary = run_evaluation(evaluation, console, label=name)
        results[name] = {
            "reasoning": reasoning, "imagination": imagination, "lookahead": n,
            "crafter_score": summary.get("crafter_score"),
            "ci95": summary.get("crafter_score_ci95"), "mean_length": summary["mean_length"],
            "success_rates": summary.get("success_rates", {}), "checkpoint": str(run / "final"),
            "train_steps": int(trained.get("step", 0))}
        save()
    anchors = record.setdefault("anchors", {})
    if config.anchors:
        basic = out / _run_name(True, True)
        minutes = config.max_minutes or _training_minutes(basic)
        _anchors(config, out, [p for p in config.data if p not in review_stores], minutes,
                 anchors, console, save)
    table = Table(title=f"RIG ablation: {config.episodes} episodes from seed {config.seed}, "
                        f"horizon {config.max_steps}, {config.steps} steps of {config.preset}")
    lines = ["| variant | reasoning | imagination | lookahead | training steps | Crafter score % "
             "| 95% CI |", "|---|---|---|---|---|---|---|"]
    for column in ("variant", "reasoning", "imagination", "lookahead", "steps", "score %",
                   "95% CI"):
        table.add_column(column, justify="right")
    rows = [(name, anchors[name]) for name in anchors] + \
        [(name, results[name]) for name in VARIANTS]
    for name, r in rows:
        ci = f"{r['ci95'][0]:.1f}-{r['ci95'][1]:.1f}" if r["ci95"] else "-"
        steps = r.get("train_steps")
        cells = [name, "yes" if r["reasoning"] else "-", "yes" if r["imagination"] else "-",
                 str(r["lookahead"] or "-"), "-" if steps is None else str(steps),
                 f"{r['crafter_score']:.2f}", ci]
        table.add_row(*cells)
        lines.append("| " + " | ".join(cells) + " |")
    console.print(table)
    (out / "ablation.md").write_text("\n".join(lines) + "\n")
    console.print(f"wrote {record_path} and {out / 'ablation.md'}")
    return 0
