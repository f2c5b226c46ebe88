"""`rig collect` and `rig play --record`: episodes land in stores whole, runs resume."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from rig.trajectories.store import TrajectoryStore


def test_collect_in_workers_then_resume_without_clobbering(rig_cli, tmp_path):
    store_path = tmp_path / "random.zarr"
    first = rig_cli("collect", "--out", str(store_path), "--agent", "random", "--episodes", "3",
                    "--max-steps", "25", "--workers", "2", "--seed", "10")
    assert first.returncode == 0, first.stderr
    with TrajectoryStore.open(store_path) as store:
        before = store.episode(0)
        assert store.num_episodes == 3
    again = rig_cli("collect", "--out", str(store_path), "--agent", "random", "--episodes", "5",
                    "--max-steps", "25", "--workers", "2", "--seed", "10")
    assert again.returncode == 0, again.stderr
    assert "3 of these seeds are already" in again.stdout
    with TrajectoryStore.open(store_path) as store:
        assert store.num_episodes == 5
        assert sorted(int(s) for s in store.read_meta("seed")) == [10, 11, 12, 13, 14]
        after = store.episode(0)
        assert np.array_equal(before["image"], after["image"])  # never overwritten
        assert all(len(store.episode(i)["action"]) == 25 for i in range(5))


def test_play_record_keeps_reasoning_and_actions(rig_cli, tmp_path):
    store_path = tmp_path / "played.zarr"
    out = rig_cli("play", "--agent", "random", "--episodes", "2", "--max-steps", "7",
                  "--render", "none", "--record", str(store_path), "--seed", "3")
    assert out.returncode == 0, out.stderr
    with TrajectoryStore.open(store_path) as store:
        assert store.num_episodes == 2
        episode = store.episode(1)
        assert len(episode["action"]) == 7
        assert str(episode["reasoning"][0]) == "I pick an action uniformly at random."
        assert int(episode["meta"]["seed"]) == 4
        names = [str(t) for t in episode["action_text"]]
        import rig.worlds

        language = rig.worlds.make("rig/Crafter-v0").unwrapped.action_language
        assert [language.parse(n) for n in names] == [int(a) for a in episode["action"]]


def test_collect_bad_input(rig_cli, tmp_path):
    out = rig_cli("collect", "--out", str(tmp_path / "x.zarr"), "--agent", "human")
    assert out.returncode == 2 and "rig play --agent human --record" in out.stderr
    out = rig_cli("collect", "--out", str(tmp_path / "x.zarr"), "--world", "rig/Nope-v1")
    assert out.returncode == 2 and "valid worlds" in out.stderr


def _live_children(parent_pid: int) -> list[int]:
    """Processes whose parent is `parent_pid`, zombies left out (Linux /proc)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            state, ppid = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[:2]
        except (OSError, ValueError):
            continue
        if int(ppid) == parent_pid and state != "Z":
            found.append(int(pid))
    return found


def _alive(pid: int) -> bool:
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killing_collect_ends_its_workers(tmp_path):
    """A `kill` of `rig collect` must not leave workers playing out their episodes."""
    # expert episodes at the world's own limit: thousands of steps each, so the worker is busy
    parent = subprocess.Popen([sys.executable, "-m", "rig", "collect", "--out",
                               str(tmp_path / "long.zarr"), "--agent", "expert", "--episodes",
                               "3", "--workers", "1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while len(_live_children(parent.pid)) < 2 and time.time() < deadline:
        time.sleep(0.2)  # the resource tracker, then the worker
    children = _live_children(parent.pid)
    assert len(children) >= 2, "rig collect started no worker"
    time.sleep(3)  # the worker is inside an episode now
    parent.send_signal(signal.SIGTERM)
    parent.wait(timeout=30)
    deadline = time.time() + 20
    while any(map(_alive, children)) and time.time() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in children if _alive(pid)], "workers outlived rig collect"
