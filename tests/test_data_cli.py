"""`rig data info | check | show | export | merge` through the real `rig` command."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from rig.cli import main
from rig.trajectories import TrajectoryStore
from rig.trajectories.synthetic import fill_store


@pytest.fixture()
def store_path(tmp_path):
    return fill_store(tmp_path / "s", episodes=3, length=10, imagine=True)


def test_info_subprocess(store_path):
    result = subprocess.run([sys.executable, "-m", "rig", "data", "info", str(store_path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "episodes 3   steps 30" in out and "rig/Crafter-v0 (3)" in out
    assert "synthetic (3)" in out and "return   mean 1.00" in out
    assert "Crafter score" in out and "bytes per frame" in out and "collect_wood 100%" in out


def test_check_ok_and_damaged(store_path, capsys):
    assert main(["data", "check", str(store_path)]) == 0
    assert "ok, 3 episodes, 30 steps" in capsys.readouterr().out
    (store_path / "data" / "action" / "c" / "0").unlink()
    text = store_path / "data" / "reasoning" / "c" / "0"
    text.write_bytes(text.read_bytes()[:-5])
    assert main(["data", "check", str(store_path)]) == 1
    out = capsys.readouterr().out
    assert "problem:" in out and "data/action: missing chunk" in out
    assert "2 problems found" in out


def test_not_a_store_is_one_clear_line(tmp_path, capsys):
    for verb in ("info", "show", "check"):
        code = main(["data", verb, str(tmp_path / "nothing")])
        captured = capsys.readouterr()
        assert code == 1
        assert "does not exist" in captured.out + captured.err
        assert "Traceback" not in captured.err


def test_show(store_path, capsys):
    assert main(["data", "show", str(store_path), "--episode", "-1", "--max-steps", "4"]) == 0
    out = capsys.readouterr().out
    assert "episode 2: synthetic on rig/Crafter-v0" in out and "seed 2" in out
    assert "episode 2 step 3: é ✓" in out and "act 2" in out and "review: review 2" in out
    assert "6 more steps" in out
    assert main(["data", "show", str(store_path), "--episode", "9"]) == 1
    assert "out of range" in capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".gif", ".mp4", ".png"])
def test_export(store_path, tmp_path, suffix, capsys):
    import imageio.v3 as iio
    out = tmp_path / f"ep{suffix}"
    assert main(["data", "export", str(store_path), str(out), "--episode", "1"]) == 0
    assert out.stat().st_size > 1000
    if suffix == ".png":
        sheet = iio.imread(out)
        assert sheet.shape == (2 * (128 + 16), 8 * 128, 3)
    else:
        frames = iio.imread(out, index=None)
        assert len(frames) == 10 and frames.shape[1:3] == (256, 512)
    assert main(["data", "export", str(store_path), str(tmp_path / "x.avi")]) == 2
    assert main(["data", "export", str(store_path), str(tmp_path / "no" / "x.gif")]) == 1


def test_merge(store_path, tmp_path, capsys):
    other = fill_store(tmp_path / "o", episodes=2, length=5)
    out = tmp_path / "merged"
    assert main(["data", "merge", str(store_path), str(other), "--output", str(out)]) == 0
    with TrajectoryStore.open(out) as merged, TrajectoryStore.open(other) as b:
        assert (merged.num_episodes, merged.num_steps) == (5, 40)
        assert np.array_equal(merged.episode(4)["image"], b.episode(1)["image"])
        assert not merged.episode(4)["has_imagined_frame"].any()
    assert main(["data", "check", str(out)]) == 0
    assert main(["data", "merge", str(store_path), "--output", str(out)]) == 1   # exists
    assert "already holds a store" in capsys.readouterr().err
    assert main(["data", "merge", str(store_path), "--output", str(out), "--overwrite"]) == 0
    assert main(["data", "merge", str(store_path), "--output", str(store_path)]) == 2
    small = fill_store(tmp_path / "small", episodes=1, size=8)
    assert main(["data", "merge", str(store_path), str(small), "--output",
                 str(tmp_path / "m2")]) == 1
    assert "different shapes" in capsys.readouterr().err


def test_bench_store_runs(capsys):
    assert main(["bench", "store", "--frames", "100", "--windows", "10", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    for figure in ("append", "random 16-step windows", "sequential scan", "bytes on disk"):
        assert figure in out


def test_help_stays_light():
    code = ("import sys; from rig.cli import build_parser; build_parser(); "
            "print(any(m in sys.modules for m in ('zarr', 'torch')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.strip() == "False", result.stderr


def _damage_ends(path) -> None:
    import zarr
    group = zarr.open_group(str(path), mode="r+")
    group["meta/episode_ends"][1] = 40          # after the next episode's end: out of order


def _truncate_image_shard(path) -> None:
    shard = path / "data" / "image" / "c" / "0" / "0" / "0" / "0"
    shard.write_bytes(shard.read_bytes()[:-100])  # the tail, where the shard's index lives


@pytest.mark.parametrize("damage, commands", [
    (_damage_ends, ("info", "show", "export", "tokenize", "train")),
    # a key that training does not itself read (it reads image tokens, not frames)
    (_truncate_image_shard, ("info", "train")),
])
def test_damaged_store_is_refused_by_every_command(tmp_path, rig_cli, damage, commands):
    """Each command refuses what `rig data check` names, with the same message, exit 1, no
    traceback: a cheap structural look on open, whatever keys the command reads."""
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    tokenizer = Path(__file__).resolve().parents[1] / "pretrained" / "crafter-tokenizer"
    path = fill_store(tmp_path / "s", episodes=3, length=10)
    damage(path)
    check = rig_cli("data", "check", str(path))
    assert check.returncode == 1
    found = [line.removeprefix(f"problem: {path}: ") for line in check.stdout.splitlines()
             if line.startswith("problem: ")]
    assert found, check.stdout
    argv = {"info": ("data", "info", str(path)),
            "show": ("data", "show", str(path), "--episode", "1"),
            "export": ("data", "export", str(path), str(tmp_path / "e.png")),
            "tokenize": ("data", "tokenize", "--data", str(path), "--tokenizer",
                         str(tokenizer), "--device", "cpu"),
            "train": ("train", "policy", str(path), "--out", str(tmp_path / "run"),
                      "--steps", "2", "--device", "cpu")}
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda c: rig_cli(*argv[c], timeout=240), commands))
    for command, result in zip(commands, results):
        said = result.stdout + result.stderr
        assert result.returncode == 1, (command, said)
        assert "Traceback" not in said, (command, said)
        assert f"{path} is damaged: {found[0]}" in said, (command, said)
    assert not (tmp_path / "e.png").exists()
