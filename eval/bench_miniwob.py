"""MiniWoB++ measurements: world latency, expert throughput with K browsers, expert success.

- `run(...)`: reset and step latency (median ms) of `rig/MiniWoB-<task>-v0` in this process,
  then episodes per minute of the expert with K worker processes (spawn), each owning one
  headless Chromium, for each K in `workers`.
- `success(...)`: the expert's success rate per task over given seeds (K workers).

    python -m rig.eval.bench_miniwob                      # latency + throughput, defaults
    python -m rig.eval.bench_miniwob success 1000 50      # success per suite task, seeds 1000..1049
    python -m rig.eval.bench_miniwob success 1000 50 click-button,enter-text 2   # 2 browsers

Worker processes (spawn start method) each own one browser and keep it across jobs of a task.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass
from typing import Sequence

from rig.config import option, require

DEFAULT_TASKS = ("click-button", "enter-text", "click-checkboxes", "login-user")


def play(env, agent, seed: int, max_steps: int = 50) -> dict:
    """One expert episode through the shared episode loop (`rollout.run_episode`); returns
    success, steps, how it ended, the seconds it took and the last reasoning."""
    from rig.rollout import run_episode

    last: dict = {}

    def remember(step, obs, decision, reward, terminated, truncated, info, result):
        last.update(reasoning=decision.reasoning, reason=info.get("reason"),
                    truncated_reason=info.get("truncated_reason"))

    result = run_episode(env, agent, seed, max_steps=max_steps, on_step=remember)
    end = result.end
    if end == "truncated":
        end = f"truncated: {last.get('truncated_reason')}"
    return {"seed": seed, "success": bool(result.success), "steps": result.length, "end": end,
            "seconds": result.seconds, "last_reasoning": last.get("reasoning", ""),
            "reason": last.get("reason")}


def miniwob_worker(warm_task: str | None = None) -> dict:
    """A worker's state: one browser, kept across the jobs of a task. With `warm_task` the
    browser starts now (one episode of that task), before any clock runs."""
    worker: dict = {}
    if warm_task is not None:
        miniwob_episodes(worker, warm_task, [10**6])
    return worker


def miniwob_episodes(worker: dict, task: str, seeds: list[int], agent: str = "expert",
                     options: dict | None = None, max_steps: int = 50) -> list[dict]:
    """A pool job: play `seeds` of `task` with `agent` in this worker's browser (world and
    agent are kept for the next job of the same task and agent). `rig eval miniwob` runs it too."""
    import rig.worlds
    from rig.agents import make_agent

    if worker.get("key") != (agent, task):
        if worker.get("env") is not None:
            worker["env"].close()
        env = rig.worlds.make(f"rig/MiniWoB-{task}-v0")
        worker.update(key=(agent, task), env=env,
                      agent=make_agent(agent, env, seed=seeds[0], **(options or {})))
    rows = [play(worker["env"], worker["agent"], s, max_steps=max_steps) for s in seeds]
    return [{**r, "task": task, "agent": agent} for r in rows]


def _pool_run(jobs: list[tuple[str, list[int]]], workers: int, warm_task: str):
    """Run (task, seeds) jobs on `workers` pool workers, each with its own browser, started
    before the clock runs; returns (results, wall seconds of the jobs)."""
    from rig.rollout import RolloutPool

    with RolloutPool(miniwob_worker, (warm_task,), workers=workers) as pool:
        pool.start()  # every browser up before the clock runs
        start = time.perf_counter()
        results = [r for batch in pool.map(miniwob_episodes, jobs) for r in batch]
        return results, time.perf_counter() - start


def latency(task: str = "click-button", resets: int = 20, steps: int = 100,
            seed: int = 0) -> dict[str, float]:
    """Median reset and step (a no-op `wait()` and a `click`) latency of one world, in ms."""
    import rig.worlds

    env = rig.worlds.make(f"rig/MiniWoB-{task}-v0", max_steps=None)
    try:
        start = time.perf_counter()
        env.reset(seed=seed)
        first = time.perf_counter() - start
        reset_ms = []
        for i in range(resets):
            start = time.perf_counter()
            env.reset(seed=seed + i)
            reset_ms.append(1000 * (time.perf_counter() - start))
        env.reset(seed=seed)
        step_ms, click_ms = [], []
        for i in range(steps):
            start = time.perf_counter()
            _, _, terminated, truncated, _ = env.step("wait()")
            step_ms.append(1000 * (time.perf_counter() - start))
            if terminated or truncated:
                env.reset(seed=seed + i)
        for i in range(steps // 4):  # a click at an empty corner: a real browser input event
            env.reset(seed=seed + i)
            start = time.perf_counter()
            env.step("click(159, 209)")
            click_ms.append(1000 * (time.perf_counter() - start))
    finally:
        env.close()
    return {"first_reset_ms": 1000 * first, "reset_ms": statistics.median(reset_ms),
            "step_wait_ms": statistics.median(step_ms), "step_click_ms": statistics.median(click_ms)}


def run(tasks: Sequence[str] = DEFAULT_TASKS, episodes: int = 40,
        workers: Sequence[int] = (1, 2), seed: int = 1000, latency_task: str = "click-button",
        resets: int = 20, steps: int = 100) -> dict:
    """Print (and return) world latency, then the expert's episodes per minute on each task with
    K parallel browsers (K spawned worker processes, each owning one headless Chromium).

    Each task plays `episodes` episodes (seeds from `seed`), split evenly over the K workers.
    Browser start-up is excluded (each worker starts its browser before the clock runs).
    """
    lat = latency(latency_task, resets, steps, seed)
    out: dict = {"latency": lat, "throughput": {}}
    print(f"MiniWoB world latency on {latency_task} (median over {resets} resets, {steps} steps):")
    print(f"  first reset (browser start) {lat['first_reset_ms']:8.0f} ms")
    print(f"  reset                       {lat['reset_ms']:8.1f} ms")
    print(f"  step wait()                 {lat['step_wait_ms']:8.1f} ms")
    print(f"  step click(x, y)            {lat['step_click_ms']:8.1f} ms")
    print(f"expert episodes per minute ({episodes} episodes per task, seeds {seed}..):")
    print(f"  {'task':24s}" + "".join(f"{f'K={k}':>12s}" for k in workers) + "   steps/episode")
    for task in tasks:
        seeds = list(range(seed, seed + episodes))
        row, mean_steps = {}, 0.0
        for k in workers:
            chunk = -(-episodes // k)
            jobs = [(task, seeds[i:i + chunk]) for i in range(0, episodes, chunk)]
            results, seconds = _pool_run(jobs, k, task)
            mean_steps = statistics.mean(r["steps"] for r in results)
            row[k] = {"episodes_per_minute": 60.0 * len(results) / seconds, "seconds": seconds,
                      "episodes": len(results),
                      "success": sum(r["success"] for r in results) / len(results)}
        out["throughput"][task] = row
        print(f"  {task:24s}" + "".join(f"{row[k]['episodes_per_minute']:12.1f}"
                                        for k in workers) + f"   {mean_steps:.1f}", flush=True)
    return out


def success(tasks: Sequence[str] | None = None, seed: int = 1000, episodes: int = 50,
            workers: int = 1, verbose: bool = True) -> dict[str, dict]:
    """The expert's success rate per task over seeds seed..seed+episodes-1."""
    from rig.worlds.miniwob_tasks import MINIWOB_SUITE

    tasks = list(tasks or MINIWOB_SUITE)
    seeds = list(range(seed, seed + episodes))
    chunk = max(1, -(-episodes // workers))
    jobs = [(t, seeds[i:i + chunk]) for t in tasks for i in range(0, episodes, chunk)]
    results, seconds = _pool_run(jobs, workers, tasks[0])
    table = {}
    for task in tasks:
        rows = [r for r in results if r["task"] == task]
        wins = sum(r["success"] for r in rows)
        table[task] = {"success": wins / len(rows), "episodes": len(rows),
                       "mean_steps": statistics.mean(r["steps"] for r in rows),
                       "failures": [r for r in rows if not r["success"]]}
        if verbose:
            print(f"{task:32s} {100 * wins / len(rows):6.1f}%  ({wins}/{len(rows)}, "
                  f"{table[task]['mean_steps']:.1f} steps)", flush=True)
            for r in table[task]["failures"][:3]:
                print(f"    seed {r['seed']}: {r['end']} after {r['steps']} steps; last: "
                      f"{r['last_reasoning'][:150]}")
    if verbose:
        print(f"{len(results)} episodes in {seconds:.0f} s with {workers} worker(s)")
    return table


@dataclass
class BenchMiniWoBConfig:
    tasks: list[str] = option(None, "tasks to time (names after rig/MiniWoB-)",
                              factory=lambda: list(DEFAULT_TASKS))
    episodes: int = option(40, "expert episodes per task and K")
    workers: list[int] = option(None, "K: parallel browsers (one worker process each)",
                                factory=lambda: [1, 2])
    seed: int = option(1000, "first seed")
    success: bool = option(False, "instead: the expert's success rate per task (--tasks; "
                           "the whole suite when --all-suite)")
    all_suite: bool = option(False, "with --success: every task of the default suite")

    def validate(self) -> None:
        require(self.episodes >= 1 and all(k >= 1 for k in self.workers),
                "--episodes and --workers must be >= 1")
        from rig.worlds.miniwob_tasks import MINIWOB_TASKS

        unknown = [t for t in self.tasks if t not in MINIWOB_TASKS]
        require(not unknown, f"unknown MiniWoB task(s) {unknown}; `rig worlds` lists them")


def bench_miniwob(config: BenchMiniWoBConfig) -> int:
    if config.success:
        success(None if config.all_suite else config.tasks, config.seed, config.episodes,
                max(config.workers))
    else:
        run(config.tasks, config.episodes, config.workers, config.seed)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "success":
        first = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
        count = int(sys.argv[3]) if len(sys.argv) > 3 else 50
        names = [n for n in sys.argv[4].split(",") if n] if len(sys.argv) > 4 else None
        success(names, first, count, workers=int(sys.argv[5]) if len(sys.argv) > 5 else 1)
    else:
        run()
