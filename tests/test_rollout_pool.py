"""The one rollout pool: inline, local worker processes and a Ray cluster give the same results;
`rig collect` and `rig eval` on a local Ray head give the same episodes as local workers."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rig.rollout import RolloutPool


def test_inline_and_local_pools_play_the_same_episodes():
    """The pool's jobs are real: evaluate's worker state and job, inline and on 2 workers."""
    from rig.rollout.episode import play_seeds, worlds_and_agents

    setup = ("rig/Crafter-v0", "random", 2)
    items = [([40, 41], 12), ([42, 43], 12), ([44], 12)]
    runs = {}
    for name, options in (("inline", {"inline": True}), ("local", {"workers": 2})):
        with RolloutPool(worlds_and_agents, setup, **options) as pool:
            pool.start()
            ordered = pool.map(play_seeds, items)
            unordered = list(pool.imap_unordered(play_seeds, items))
        runs[name] = [{k: v for k, v in r.to_dict().items() if k != "seconds"}
                      for batch in ordered for r in batch]
        assert sorted(r.seed for batch in unordered for r in batch) == [40, 41, 42, 43, 44]
    assert [r["seed"] for r in runs["local"]] == [40, 41, 42, 43, 44]  # map keeps the order
    assert runs["inline"] == runs["local"]


def test_workers_get_the_threads_asked_or_the_cores_shared_out():
    from rig.rollout.pool import threads_per_worker, torch_threads

    cores = os.cpu_count() or 1
    assert threads_per_worker(cores) == 1 and threads_per_worker(1) == cores
    assert threads_per_worker(4 * cores) == 1
    with RolloutPool(workers=2, threads=3) as pool:
        assert pool.map(torch_threads, [()] * 2) == [3, 3]
    with RolloutPool(workers=2) as pool:
        assert pool.threads == threads_per_worker(2)
        assert set(pool.map(torch_threads, [()] * 2)) == {threads_per_worker(2)}


def test_ray_without_a_cluster_is_a_clear_error(rig_cli):
    pytest.importorskip("ray")
    result = rig_cli("eval", "--agent", "random", "--episodes", "1", "--max-steps", "2",
                     "--ray", f"127.0.0.1:{_free_port()}", timeout=120)
    assert result.returncode == 1, result.stderr
    assert "cannot reach the Ray cluster" in result.stderr and "Traceback" not in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def ray_head():
    """A local Ray head on 127.0.0.1 for this module's tests, stopped afterwards."""
    pytest.importorskip("ray")
    ray_cli = Path(sys.executable).with_name("ray")
    port = _free_port()
    temp = Path(f"/tmp/rig-ray-{os.getpid()}")  # short: Ray's socket paths have a length limit
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    started = subprocess.run([str(ray_cli), "start", "--head", "--node-ip-address=127.0.0.1",
                              f"--port={port}", "--num-cpus=2", "--include-dashboard=false",
                              "--disable-usage-stats", f"--temp-dir={temp}"],
                             capture_output=True, text=True, timeout=120, env=env)
    assert started.returncode == 0, started.stderr
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([str(ray_cli), "stop", "--force"], capture_output=True, timeout=120,
                       env=env)
        shutil.rmtree(temp, ignore_errors=True)


def _episodes_by_seed(path: Path) -> dict[int, dict]:
    from rig.trajectories.store import TrajectoryStore

    with TrajectoryStore.open(path, "r") as store:
        return {int(ep["meta"]["seed"]): ep for ep in
                (store.episode(i) for i in range(store.num_episodes))}


def test_collect_and_eval_on_ray_give_the_local_episodes(ray_head, tmp_path, rig_cli):
    common = ["--agent", "random", "--episodes", "4", "--seed", "30", "--max-steps", "15"]
    local = rig_cli("collect", "--out", str(tmp_path / "local.zarr"), *common, "--workers", "2")
    assert local.returncode == 0, local.stderr
    on_ray = rig_cli("collect", "--out", str(tmp_path / "ray.zarr"), *common, "--ray", ray_head,
                     timeout=300)
    assert on_ray.returncode == 0, on_ray.stderr
    assert "2 Ray worker(s) at" in " ".join(on_ray.stdout.split())
    mine, theirs = (_episodes_by_seed(tmp_path / f"{n}.zarr") for n in ("local", "ray"))
    assert sorted(mine) == sorted(theirs) == [30, 31, 32, 33]
    for seed, episode in mine.items():
        other = theirs[seed]
        for key in ("image", "action", "reward", "text", "reasoning"):
            assert np.array_equal(episode[key], other[key]), (seed, key)
        assert episode["meta"]["length"] == other["meta"]["length"]

    reports = {}
    for name, where in (("local", ["--workers", "2"]), ("ray", ["--ray", ray_head])):
        out = tmp_path / f"{name}.json"
        result = rig_cli("eval", "--agent", "expert", "--episodes", "3", "--seed", "1000",
                         "--max-steps", "40", "--json", str(out), *where, timeout=300)
        assert result.returncode == 0, result.stderr
        reports[name] = [{k: v for k, v in e.items() if k != "seconds"}
                         for e in json.loads(out.read_text())["episodes_detail"]]
    assert reports["local"] == reports["ray"]
    assert [e["seed"] for e in reports["ray"]] == [1000, 1001, 1002]


def test_progress_in_a_log_file_is_plain_lines_as_it_goes():
    """Where the console is not a terminal (a background run's log), rich would draw nothing
    until the end: the pool commands' progress is one line each twentieth of the way instead."""
    import io

    from rich.console import Console

    from rig.rollout import progress_bar

    log = io.StringIO()
    progress, task = progress_bar(Console(file=log, width=200), "episodes", 40)
    with progress:
        for i in range(40):
            progress.update(task, advance=1, status=f"last: seed {i}")
            if i == 9:
                assert "episodes 10/40 last: seed 9" in log.getvalue()  # before the end
    lines = log.getvalue().splitlines()
    assert len(lines) == 20 and lines[-1].startswith("episodes 40/40 last: seed 39")
    assert "min left" in lines[0]


def test_an_inline_pool_takes_the_threads_it_is_given():
    """One worker runs in the command's own process: --threads must reach it there too (torch's
    default threads beside a busy core made `rig data review --workers 1 --policy` ~20x
    slower), and a pool given no count leaves the process's threads alone."""
    import torch

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        with RolloutPool(None, inline=True) as pool:
            assert list(pool.imap_unordered(_threads, [()])) == [2]
        with RolloutPool(None, inline=True, threads=1) as pool:
            assert list(pool.imap_unordered(_threads, [()])) == [1]
    finally:
        torch.set_num_threads(before)


def _threads(_state) -> int:
    import torch

    return torch.get_num_threads()
