"""The trajectory store: round trips, optional keys, modes, the writer lock, and bad inputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from rig.config import RigError
from rig.trajectories import EpisodeBuilder, StoreError, TrajectoryStore, check_store
from rig.trajectories.synthetic import ACHIEVEMENTS, ITEMS, fill_store, make_episode


def test_round_trip(tmp_path):
    path = fill_store(tmp_path / "s", episodes=3, length=12)
    with TrajectoryStore.open(path) as store:
        assert (store.num_episodes, store.num_steps) == (3, 36)
        assert store.image_shape == (16, 16, 3)
        assert store.attrs["worlds"] == ["rig/Crafter-v0"]
        assert store.columns == {"inventory": ITEMS, "achievements_unlocked": ACHIEVEMENTS}
        ep = store.episode(1)
        assert ep["image"].shape == (12, 16, 16, 3) and np.all(ep["image"][:, 1:] == 1)
        assert ep["image"][5, 0, 0, 0] == 5
        assert ep["action"].tolist() == [1] * 12
        assert str(ep["reasoning"][2]) == "episode 1 step 2: é ✓"
        assert str(ep["text"][0]) == "obs 0" and str(ep["action_text"][0]) == "act 1"
        assert ep["terminated"].tolist() == [False] * 11 + [True]
        assert ep["inventory"][:, ITEMS.index("wood")].tolist() == list(range(12))
        assert ep["achievements_unlocked"][3].tolist() == [True, False, False]
        assert ep["achievements_unlocked"].sum() == 1
        meta = ep["meta"]
        assert meta["seed"] == 1 and meta["agent"] == "synthetic" and meta["length"] == 12
        assert meta["return"] == 1.0 and meta["success"] is True
        assert meta["achievements"] == "collect_wood" and meta["task_text"] == "task 1"
        assert store.episode_ends().tolist() == [12, 24, 36]
        assert store.episode(-1)["meta"]["index"] == 2
        with pytest.raises(IndexError):
            store.episode(3)
    assert check_store(path)[0] == []


def test_optional_keys_and_backfill(tmp_path):
    path = tmp_path / "s"
    with TrajectoryStore.open(path, "w") as store:
        store.append_episode(make_episode(0, crafter_info=False))
        store.append_episode(make_episode(1, imagine=True))   # new keys: earlier steps filled
        store.append_episode(make_episode(2))                 # lacks them: filled
    with TrajectoryStore.open(path) as store:
        assert {"imagined_frame", "imagined_tokens", "review", "has_imagined_frame",
                "inventory"} <= set(store.step_keys)
        first, second, third = (store.episode(i) for i in range(3))
        assert not first["has_imagined_frame"].any() and first["inventory"].sum() == 0
        assert second["has_imagined_frame"].tolist() == [t % 2 == 0 for t in range(12)]
        assert np.array_equal(second["imagined_frame"][2], second["image"][2])
        assert second["imagined_tokens"][4].tolist() == [4, 5, 6, 7]
        assert str(second["review"][2]) == "review 2" and str(second["review"][1]) == ""
        assert str(third["review"][0]) == "" and not third["has_imagined_tokens"].any()
    assert check_store(path)[0] == []


def test_columns_mapped_by_name(tmp_path):
    path = fill_store(tmp_path / "s", episodes=1)
    episode = make_episode(5).build()
    order = [2, 0, 1]
    episode["inventory"] = episode["inventory"][:, order]
    episode["meta"]["columns"]["inventory"] = [ITEMS[i] for i in order]
    with TrajectoryStore.open(path, "a") as store:
        store.append_episode(episode)
        assert store.episode(1)["inventory"][:, ITEMS.index("wood")].tolist() == list(range(12))
        bad = make_episode(6).build()
        bad["meta"]["columns"]["inventory"] = ["health", "wood", "gold"]
        with pytest.raises(StoreError, match="gold"):
            store.append_episode(bad)


def test_merge_shaped_episode_from_another_store(tmp_path):
    a = fill_store(tmp_path / "a", episodes=2)
    with TrajectoryStore.open(a) as src, TrajectoryStore.open(tmp_path / "b", "w") as out:
        out.append_episode(src.episode(1))
        assert out.episode(0)["meta"]["created"] == src.episode(1)["meta"]["created"]
        assert np.array_equal(out.episode(0)["image"], src.episode(1)["image"])


def test_episode_outcome_and_builder_checks():
    from rig.trajectories import episode_outcome
    assert episode_outcome({"achievements": {"a": 1, "b": 0}}, 0.0) == {
        "success": False, "achievements": ["a"]}
    assert episode_outcome({"success": True}, 0.0)["success"] is True
    assert episode_outcome(None, 2.0) == {"success": True, "achievements": []}
    builder = EpisodeBuilder("w", 1, "a")
    with pytest.raises(ValueError, match="at least one step"):
        builder.build()
    with pytest.raises(ValueError, match="uint8"):
        builder.add_step({"image": np.zeros((4, 4, 3), np.float32)}, None, 0, False, False)


def test_modes(tmp_path):
    path = fill_store(tmp_path / "s", episodes=1)
    with pytest.raises(StoreError, match="already holds a store"):
        TrajectoryStore.open(path, "w")
    with TrajectoryStore.open(path, "w", overwrite=True) as store:
        assert store.num_episodes == 0
    with TrajectoryStore.open(path, "r") as store:
        with pytest.raises(StoreError, match="read-only"):
            store.append_episode(make_episode(0))
    with pytest.raises(StoreError, match="mode"):
        TrajectoryStore.open(path, "x")
    with pytest.raises(StoreError, match="frames are"):
        with TrajectoryStore.open(path, "a") as store:
            store.append_episode(make_episode(0))
            store.append_episode(make_episode(1, size=8))


def test_second_writer_refused_in_process_and_across_processes(tmp_path):
    path = fill_store(tmp_path / "s", episodes=1)
    with TrajectoryStore.open(path, "a"):
        with pytest.raises(StoreError, match=f"another process \\(pid {os.getpid()}\\)"):
            TrajectoryStore.open(path, "a")
        code = ("from rig.trajectories import TrajectoryStore, StoreError\n"
                f"try:\n    TrajectoryStore.open({str(path)!r}, 'a')\n"
                "except StoreError as e:\n    print(e); raise SystemExit(3)\n")
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 3 and "open for writing" in result.stdout
        with TrajectoryStore.open(path, "r") as reader:   # readers are never locked out
            assert reader.num_episodes == 1
    with TrajectoryStore.open(path, "a") as store:       # released on close
        store.append_episode(make_episode(1))


# -- bad inputs: a clear StoreError (a RigError) naming the path, never a bare traceback ------
def test_not_a_store(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        TrajectoryStore.open(tmp_path / "missing")
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="is a file"):
        TrajectoryStore.open(tmp_path / "file")
    with pytest.raises(StoreError, match="is a file"):
        TrajectoryStore.open(tmp_path / "file", "a")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="without zarr.json"):
        TrajectoryStore.open(tmp_path / "dir")
    with pytest.raises(StoreError, match="refusing to write"):
        TrajectoryStore.open(tmp_path / "dir", "w", overwrite=True)
    assert (tmp_path / "dir" / "notes.txt").read_text() == "mine"
    import zarr
    zarr.open_group(str(tmp_path / "other"), mode="w")
    with pytest.raises(StoreError, match="not a RIG trajectory store"):
        TrajectoryStore.open(tmp_path / "other")
    with pytest.raises(StoreError, match="not a RIG trajectory store"):
        TrajectoryStore.open(tmp_path / "other", "w", overwrite=True)
    (tmp_path / "garbled").mkdir()
    (tmp_path / "garbled" / "zarr.json").write_text("{not json")
    with pytest.raises(StoreError, match="zarr.json"):
        TrajectoryStore.open(tmp_path / "garbled")
    assert issubclass(StoreError, RigError)


def _set_root_attr(path, **values):
    meta = json.loads((path / "zarr.json").read_text())
    meta["attributes"].update(values)
    (path / "zarr.json").write_text(json.dumps(meta))


def test_newer_format_version(tmp_path):
    path = fill_store(tmp_path / "s", episodes=1)
    _set_root_attr(path, format_version=99)
    with pytest.raises(StoreError, match=f"{path} has format version 99.*upgrade rig"):
        TrajectoryStore.open(path)
    with pytest.raises(StoreError, match="format version 99"):
        TrajectoryStore.open(path, "a")


def test_missing_chunk(tmp_path):
    path = fill_store(tmp_path / "s", episodes=2)
    (path / "data" / "reward" / "c" / "0").unlink()
    with pytest.raises(StoreError, match=r"data/reward: missing chunk file .*reward/c/0"):
        TrajectoryStore.open(path)
    problems, _ = check_store(path)
    assert any("data/reward: missing chunk" in p for p in problems)


def test_truncated_chunk(tmp_path):
    path = fill_store(tmp_path / "s", episodes=2)
    shard = path / "data" / "image" / "c" / "0" / "0" / "0" / "0"
    shard.write_bytes(shard.read_bytes()[:40])
    # Every file is there, but the shard's index (at its end) is gone: the cheap look on open
    # finds that, with the message `rig data check` gives.
    with pytest.raises(StoreError, match=r"damaged: data/image: chunk file .*/data/image/c/0/0/0/0"
                                         r" is truncated or corrupt \(40 bytes, shorter than its "
                                         r"index of 32 chunks\).*rig data check"):
        TrajectoryStore.open(path)
    problems, _ = check_store(path)
    assert any("data/image" in p and "truncated or corrupt" in p for p in problems)
    text = path / "data" / "reasoning" / "c" / "0"
    text.write_bytes(text.read_bytes()[:-7])
    assert any("data/reasoning" in p for p in check_store(path)[0])


def test_mismatched_lengths(tmp_path):
    path = fill_store(tmp_path / "s", episodes=2)
    _set_root_attr(path, num_steps=10_000)  # claims more steps than the arrays hold
    with pytest.raises(StoreError, match=r"damaged: data/\w+ has \d+ rows but the store "
                                         r"committed 10000 steps"):
        TrajectoryStore.open(path)
    problems, _ = check_store(path)
    assert len([p for p in problems if "mismatched length" in p]) >= 8


def test_check_finds_metadata_problems(tmp_path):
    import zarr
    path = fill_store(tmp_path / "s", episodes=3)
    group = zarr.open_group(str(path), mode="r+")
    group["meta/episode_ends"][1] = 40          # not monotone
    problems, _ = check_store(path)
    assert any("episode_ends: not strictly increasing" in p for p in problems)
    group["meta/episode_ends"][1] = 24
    group["meta/return"][0] = 5.0
    group["data/terminated"][3] = True
    group["meta/world_id"][2] = "rig/Elsewhere-v0"
    problems, _ = check_store(path)
    assert len(problems) == 3, problems
    assert any("meta/return: episodes [0]" in p for p in problems)
    assert any("data/terminated: set at steps [3]" in p for p in problems)
    assert any("rig/Elsewhere-v0" in p for p in problems)


def test_missing_array(tmp_path):
    import shutil
    path = fill_store(tmp_path / "s", episodes=2)
    shutil.rmtree(path / "data" / "action_text")
    with pytest.raises(StoreError, match="data/action_text is missing or unreadable"):
        TrajectoryStore.open(path)
    assert any("data/action_text is missing" in p for p in check_store(path)[0])
