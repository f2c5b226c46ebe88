"""The stable-baselines3 PPO baseline: trains, checkpoints, resumes, plays; bad paths are clear."""

import zipfile

from rig.train.ppo import latest_checkpoint


def test_train_resume_and_play_tiny_ppo(rig_cli, tmp_path):
    out = tmp_path / "ppo"
    common = ("train", "ppo", "--out", str(out), "--envs", "2", "--no-subprocess",
              "--n-steps", "32", "--batch-size", "32", "--checkpoint-every", "64",
              "--device", "cpu")
    first = rig_cli(*common, "--steps", "128")
    assert first.returncode == 0, first.stderr
    assert latest_checkpoint(out / "checkpoints").name == "ppo_128_steps.zip"
    second = rig_cli(*common, "--steps", "192")
    assert second.returncode == 0, second.stderr
    assert "resuming from" in second.stdout and "after 192 steps" in second.stdout
    played = rig_cli("play", "--agent", f"ppo:{out / 'model.zip'}", "--max-steps", "5",
                     "--render", "none")
    assert played.returncode == 0, played.stderr
    assert "length 5" in played.stdout


def test_ppo_agent_with_bad_paths_says_what_to_do(rig_cli, tmp_path):
    missing = rig_cli("play", "--agent", f"ppo:{tmp_path / 'nope.zip'}", "--render", "none")
    assert missing.returncode == 1 and "no PPO model" in missing.stderr
    foreign = tmp_path / "foreign.zip"
    with zipfile.ZipFile(foreign, "w") as archive:
        archive.writestr("hello.txt", "not a model")
    bad = rig_cli("play", "--agent", f"ppo:{foreign}", "--render", "none")
    assert bad.returncode == 1 and "not a stable-baselines3 PPO model" in bad.stderr
    assert "Traceback" not in bad.stderr
    empty = rig_cli("play", "--agent", "ppo", "--render", "none")
    assert empty.returncode == 2 and "ppo:PATH" in empty.stderr
