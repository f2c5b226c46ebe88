"""Reading for training: windows with `<key>_is_pad`, the torch Dataset, the split by seed."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rig.config import ConfigError
from rig.trajectories import TrajectoryDataset, TrajectoryStore, collate, split_by_seed, window
from rig.trajectories.synthetic import fill_store, make_episode


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    return fill_store(tmp_path_factory.mktemp("ds") / "s", episodes=4, length=6)


def test_window_pads_at_episode_edges(store_path):
    w = window(store_path, 1, -2, 5, keys=["action", "image", "reasoning"])
    assert w["action_is_pad"].tolist() == [True, True, False, False, False]
    assert w["action"].tolist() == [1] * 5           # padding repeats the edge row, same episode
    assert w["image"][:, 0, 0, 0].tolist() == [0, 0, 0, 1, 2]
    w = window(store_path, 3, 4, 4, keys=["action"])
    assert w["action_is_pad"].tolist() == [False, False, True, True]


def test_dataset_offsets(store_path):
    ds = TrajectoryDataset(store_path, {"image": [-2, -1, 0], "action": [0, 1],
                                        "reasoning": [0]})
    assert len(ds) == 24
    sample = ds[6]                                    # first step of episode 1
    assert sample["episode"] == 1 and sample["step"] == 6
    assert sample["image"].shape == (3, 16, 16, 3) and sample["image"].dtype == torch.uint8
    assert sample["image_is_pad"].tolist() == [True, True, False]
    assert sample["action_is_pad"].tolist() == [False, False]
    assert sample["reasoning"] == ["episode 1 step 0: é ✓"]
    last = ds[11]
    assert last["action_is_pad"].tolist() == [False, True]
    assert last["image"][:, 0, 0, 0].tolist() == [3, 4, 5]
    batch = collate([ds[i] for i in range(5)])
    assert batch["image"].shape == (5, 3, 16, 16, 3) and batch["episode"].tolist() == [0] * 5
    assert len(batch["reasoning"]) == 5
    loader = torch.utils.data.DataLoader(ds, batch_size=8, shuffle=True, collate_fn=collate)
    assert sum(len(b["step"]) for b in loader) == 24


def test_frames_cached_in_memory_or_read_per_sample_give_the_same_windows(store_path):
    offsets = {"image": [-2, -1, 0], "action": [0, 1], "reasoning": [0]}
    cached = TrajectoryDataset(store_path, offsets)
    on_disk = TrajectoryDataset(store_path, offsets, cache_bytes=0)
    assert "image" in cached.cache and "image" not in on_disk.cache
    assert "action" in on_disk.cache  # small keys are always held
    for i in range(len(cached)):
        a, b = cached[i], on_disk[i]
        assert a.keys() == b.keys()
        for key in a:
            if isinstance(a[key], torch.Tensor):
                assert torch.equal(a[key], b[key]), key
            else:
                assert a[key] == b[key], key


def test_dataset_bad_config(store_path):
    with pytest.raises(ConfigError, match="no step key"):
        TrajectoryDataset(store_path, {"pixels": [0]})
    with pytest.raises(ConfigError, match="offsets"):
        TrajectoryDataset(store_path, {"image": []})
    with pytest.raises(ConfigError, match="episodes"):
        TrajectoryDataset(store_path, {"image": [0]}, episodes=[7])


def test_split_by_seed_never_shares_a_seed(tmp_path):
    path = tmp_path / "s"
    with TrajectoryStore.open(path, "w") as store:
        for i in range(40):
            store.append_episode(make_episode(i, 3, seed=i % 20))   # each seed twice
    train, val = split_by_seed(path, 0.25)
    assert sorted(train + val) == list(range(40)) and val and train
    with TrajectoryStore.open(path) as store:
        seeds = store.read_meta("seed")
    assert not set(seeds[train]) & set(seeds[val])
    assert split_by_seed(path, 0.25) == (train, val)             # stable
    ds = TrajectoryDataset(path, {"action": [0]}, episodes=val)
    assert set(ds.episode_of.tolist()) == set(val)
    assert split_by_seed(path, 0.0)[1] == []
    with pytest.raises(ConfigError):
        split_by_seed(path, 1.0)


def test_real_crafter_episode(tmp_path):
    """A short real episode: obs, decision and info from the world itself."""
    from rig.agents.random_agent import RandomAgent
    from rig.trajectories import EpisodeBuilder
    from rig.worlds import make

    env = make("rig/Crafter-v0")
    agent = RandomAgent(env, seed=0)
    obs, info = env.reset(seed=3)
    builder = EpisodeBuilder("rig/Crafter-v0", 3, agent.name, env.unwrapped.task_text())
    for _ in range(20):
        decision = agent.act(obs, info)
        next_obs, reward, terminated, truncated, info = env.step(decision.action)
        builder.add_step(obs, decision, reward, terminated, truncated, info)
        obs = next_obs
    with TrajectoryStore.open(tmp_path / "s", "w") as store:
        store.append_episode(builder)
        ep = store.episode(0)
        assert ep["image"].shape == (20, 64, 64, 3)
        assert len(store.columns["achievements_unlocked"]) == 22
        assert "crafter" in ep["meta"]["world_version"]
        assert str(ep["text"][0]).startswith("Survive")
        assert np.isclose(ep["meta"]["return"], ep["reward"].sum())
