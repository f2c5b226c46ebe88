"""`rig collect` and `rig play --record`: episodes land in stores whole, runs resume."""

import numpy as np

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
