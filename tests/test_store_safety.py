"""Crash safety and concurrency with real processes: SIGKILL mid-episode, a reader during appends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np

from rig.trajectories import TrajectoryStore, check_store
from rig.trajectories.synthetic import fill_store, make_episode

# A writer process. Episode i (its index in the store) has frames filled with i and actions i.
WRITER = """
import sys, time
from rig.trajectories import TrajectoryStore
from rig.trajectories.synthetic import make_episode
path, how, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = TrajectoryStore.open(path, "a")
for k in range(count):
    i = store.num_episodes
    if how == "hang" and k == count - 1:
        def hang(update):            # the data is written; stop right before the commit
            print("WRITTEN", flush=True)
            time.sleep(120)
        store._publish = hang
    # every third episode brings new optional keys (arrays created inside the append)
    store.append_episode(make_episode(i, length=8 + (i * 7) % 40, imagine=i % 3 == 2))
    print("COMMITTED", i, flush=True)
"""


def _writer(path, how: str, count: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), how, str(count)],
                            stdout=subprocess.PIPE, text=True)


def _assert_sound(path, expected: int | None = None) -> int:
    """Every committed episode is whole and is the episode it claims to be."""
    problems, _ = check_store(path)
    assert problems == []
    with TrajectoryStore.open(path) as store:
        if expected is not None:
            assert store.num_episodes == expected
        for i in range(store.num_episodes):
            ep = store.episode(i)
            assert len(ep["action"]) == 8 + (i * 7) % 40
            assert np.all(ep["action"] == i) and np.all(ep["image"][:, 1:] == i % 251)
        return store.num_episodes


def test_sigkill_between_data_and_commit(tmp_path):
    path = tmp_path / "s"
    proc = _writer(path, "hang", 3)
    lines = []
    for line in proc.stdout:
        lines.append(line.strip())
        if line.startswith("WRITTEN"):
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert lines == ["COMMITTED 0", "COMMITTED 1", "WRITTEN"]
    _assert_sound(path, expected=2)   # the killed episode is lost, nothing else
    with TrajectoryStore.open(path) as store:   # the killed episode's new arrays: not there
        assert "imagined_frame" not in store.step_keys
    # The lock died with the writer; the next writer overwrites the uncommitted rows.
    with TrajectoryStore.open(path, "a") as store:
        store.append_episode(make_episode(2, length=8 + (2 * 7) % 40, imagine=True))
    _assert_sound(path, expected=3)
    with TrajectoryStore.open(path) as store:
        assert store.episode(2)["has_imagined_frame"].any()


def test_sigkill_at_random_moments(tmp_path):
    path = tmp_path / "s"
    rng = np.random.default_rng(0)
    for _ in range(3):
        proc = _writer(path, "loop", 10_000)
        proc.stdout.readline()   # at least one commit of this writer
        time.sleep(float(rng.uniform(0.0, 0.3)))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        _assert_sound(path)
    assert _assert_sound(path) >= 3


def test_reader_while_writer_appends(tmp_path):
    path = fill_store(tmp_path / "s", episodes=0)
    proc = _writer(path, "loop", 60)
    seen, checks = 0, 0
    with TrajectoryStore.open(path) as reader:
        while True:
            done = proc.poll() is not None
            reader.refresh()
            for i in range(seen, reader.num_episodes):   # every new episode, whole and right
                ep = reader.episode(i)
                assert len(ep["action"]) == 8 + (i * 7) % 40
                assert np.all(ep["action"] == i) and np.all(ep["image"][:, 1:] == i % 251)
                assert reader.episode_bounds(i)[1] <= reader.num_steps
            if reader.num_episodes:                      # and re-read an older one
                j = reader.num_episodes - 1
                assert np.all(reader.episode(j, keys=["image"])["image"][:, 1:] == j % 251)
            seen, checks = reader.num_episodes, checks + 1
            if done:
                break
    assert proc.returncode == 0 and seen == 60 and checks > 3
    _assert_sound(path, expected=60)
