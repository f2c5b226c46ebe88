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


# -- two writers on one path ------------------------------------------------------------------
# A process that opens a store for writing at a signal (a file appearing), appends one episode
# with its own id, and holds the lock for a moment: N of them race to create the same store.
RACER = """
import sys, time
from pathlib import Path
from rig.trajectories import TrajectoryStore, StoreError
from rig.trajectories.synthetic import make_episode
path, go, me = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
while not go.exists():
    time.sleep(0.001)
try:
    store = TrajectoryStore.open(path, "a")
except StoreError as error:
    print("REFUSED", error, flush=True)
    sys.exit(1)
store.append_episode(make_episode(me, length=12))
time.sleep(1.5)
store.close()
print("WROTE", me, flush=True)
"""


def test_writers_racing_to_create_a_store(tmp_path):
    """The old store creation (zarr's mode "w") deleted the lock file it had just taken, so a
    second writer locked a new file and wrote beside the first."""
    for round_ in range(3):
        path, go = tmp_path / f"s{round_}", tmp_path / f"go{round_}"
        racers = [subprocess.Popen([sys.executable, "-c", RACER, str(path), str(go), str(me)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                  for me in range(1, 5)]
        time.sleep(3.0)  # imports done: all wait on the signal
        go.touch()
        outs = [p.communicate(timeout=60) for p in racers]
        winners = [me for me, p in zip(range(1, 5), racers) if p.returncode == 0]
        assert len(winners) == 1, outs
        for p, (out, err) in zip(racers, outs):
            if p.returncode:
                assert "open for writing by another process (pid" in out, (out, err)
        with TrajectoryStore.open(path) as store:
            assert store.num_episodes == 1
            ep = store.episode(0)
            assert np.all(ep["action"] == winners[0]) and np.all(ep["image"][:, 1:] == winners[0])
        assert check_store(path)[0] == []


def _collect(path, seed: int, episodes: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "rig", "collect", "--out", str(path), "--agent", "random",
         "--episodes", str(episodes), "--seed", str(seed), "--max-steps", "40", "--workers", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _assert_episodes_are_their_seeds(path, seeds: set[int]) -> None:
    """The store holds exactly these seeds, each with its own first frame (nothing mixed in)."""
    import rig.worlds

    assert check_store(path)[0] == []
    env = rig.worlds.make("rig/Crafter-v0")
    with TrajectoryStore.open(path) as store:
        stored = [int(s) for s in store.read_meta("seed")]
        assert sorted(stored) == sorted(seeds)
        for i, seed in enumerate(stored):
            obs, _ = env.reset(seed=seed)
            assert np.array_equal(store.episode(i, keys=["image"])["image"][0], obs["image"])
    env.close()


def test_second_rig_collect_is_refused_on_a_new_store(tmp_path):
    """Two `rig collect --out P` on a path that did not exist: the second, started while the
    first holds the new store (stopped with SIGSTOP there, so the order is certain), is refused
    with the holder's pid, in both orders, and the first's episodes are all there, unmixed."""
    for first_seed, second_seed in ((0, 100), (100, 0)):
        path = tmp_path / f"store-{first_seed}"
        first = _collect(path, first_seed, episodes=3)
        deadline = time.time() + 120
        while not (path / "zarr.json").exists():
            assert first.poll() is None and time.time() < deadline, first.communicate()
            time.sleep(0.01)
        os.kill(first.pid, signal.SIGSTOP)
        try:
            second = _collect(path, second_seed, episodes=3)
            out, err = second.communicate(timeout=120)
        finally:
            os.kill(first.pid, signal.SIGCONT)
        assert second.returncode == 1, (out, err)
        assert f"is open for writing by another process (pid {first.pid})" in out + err
        assert "Traceback" not in out + err
        out, err = first.communicate(timeout=180)
        assert first.returncode == 0, (out, err)
        _assert_episodes_are_their_seeds(path, set(range(first_seed, first_seed + 3)))


def test_rig_collects_started_together(tmp_path):
    """Both started at once on a new path: one collects, the other is refused."""
    path = tmp_path / "store"
    a, b = _collect(path, 0, episodes=12), _collect(path, 100, episodes=12)
    results = [(p,) + p.communicate(timeout=240) for p in (a, b)]
    codes = sorted(p.returncode for p, _, _ in results)
    assert codes == [0, 1], results
    for p, out, err in results:
        if p.returncode == 1:
            assert "is open for writing by another process (pid" in out + err, (out, err)
            assert "Traceback" not in out + err
    winner = 0 if a.returncode == 0 else 100
    _assert_episodes_are_their_seeds(path, set(range(winner, winner + 12)))


def test_creation_killed_midway_leaves_no_store_and_is_redone(tmp_path):
    """What a writer killed while creating a store leaves (the staging folder, arrays moved
    in, no zarr.json) is not a store, and the next writer builds a fresh one."""
    from rig.trajectories.store import STAGING_NAME, StoreError

    path = fill_store(tmp_path / "done", episodes=1)   # a store's files, to play the leftovers
    half = tmp_path / "half"
    half.mkdir()
    (half / STAGING_NAME).mkdir()
    for name in ("data", "meta"):
        os.rename(path / name, half / name)
    try:
        TrajectoryStore.open(half)
        raise AssertionError("a half-created store opened for reading")
    except StoreError as error:
        assert "without zarr.json" in str(error)
    with TrajectoryStore.open(half, "a") as store:
        assert store.num_episodes == 0
        store.append_episode(make_episode(5, length=9))
    assert sorted(p.name for p in half.iterdir()) == [".writer.lock", "data", "meta", "zarr.json"]
    with TrajectoryStore.open(half) as store:
        assert store.num_episodes == 1 and np.all(store.episode(0)["action"] == 5)
