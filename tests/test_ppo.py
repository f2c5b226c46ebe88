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
    for name in ("model", "checkpoints/ppo_64_steps", "checkpoints/ppo_192_steps"):
        assert (out / f"{name}.safetensors").is_file(), name
    _assert_same_policy_as_sb3(out / "model.zip")
    # a checkpoint zip cut short (SB3 writes it in place: a kill mid-save): named, set aside,
    # and the run resumes from the one before
    newest = out / "checkpoints" / "ppo_192_steps.zip"
    newest.write_bytes(newest.read_bytes()[:1000])
    third = rig_cli(*common, "--steps", "256")
    assert third.returncode == 0 and "Traceback" not in third.stderr, third.stderr
    assert f"cannot resume from {newest}: it is damaged" in third.stdout
    assert "resuming from" in third.stdout and "ppo_128_steps.zip" in third.stdout
    assert "after 256 steps" in third.stdout
    assert (out / "checkpoints" / "ppo_192_steps.zip.damaged").exists()


def _assert_same_policy_as_sb3(zip_path):
    """The policy RIG rebuilds from safetensors acts as SB3's own load of the zip does."""
    import numpy as np
    import torch
    from stable_baselines3 import PPO

    from rig.agents.ppo_agent import load_policy

    ours, meta = load_policy(zip_path)
    theirs = PPO.load(zip_path, device="cpu").policy
    assert meta["world"] == "rig/Crafter-v0" and meta["actions"] == "17"
    frame = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    with torch.no_grad():
        probs = [p.get_distribution(p.obs_to_tensor(frame)[0]).distribution.probs
                 for p in (ours, theirs)]
    assert torch.equal(probs[0], probs[1])


def test_ppo_agent_never_unpickles_a_zip(rig_cli, tmp_path, monkeypatch):
    """A zip without the safetensors file `rig train ppo` writes is refused before anything
    reads it (a zip may carry a pickle that runs code); --convert is the explicit way in."""
    import base64
    import json
    import pickle
    import subprocess
    import sys
    import zipfile

    out = tmp_path / "ppo"
    assert rig_cli("train", "ppo", "--out", str(out), "--envs", "1", "--no-subprocess",
                   "--n-steps", "32", "--batch-size", "32", "--steps", "32",
                   "--device", "cpu").returncode == 0
    marker = tmp_path / "pwned"

    class Payload:  # unpickling this runs `touch marker`
        def __reduce__(self):
            return (__import__("os").system, (f"touch {marker}",))

    # SB3 keeps objects in the zip's "data" JSON as base64 pickles and unpickles them on load
    hostile = tmp_path / "hostile.zip"
    with zipfile.ZipFile(out / "model.zip") as source, zipfile.ZipFile(hostile, "w") as target:
        for item in source.namelist():
            content = source.read(item)
            if item == "data":
                data = json.loads(content)
                data["observation_space"][":serialized:"] = base64.b64encode(
                    pickle.dumps(Payload())).decode()
                content = json.dumps(data).encode()
            target.writestr(item, content)
    sb3 = subprocess.run([sys.executable, "-c", "import sys; from stable_baselines3 import PPO; "
                          "PPO.load(sys.argv[1], device='cpu')", str(hostile)],
                         capture_output=True, text=True)
    assert marker.exists(), sb3.stderr  # the payload is real: SB3's own load runs it
    marker.unlink()
    refused = rig_cli("play", "--agent", f"ppo:{hostile}", "--render", "none", "--max-steps", "2")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "does not load zips it did not write" in refused.stderr
    assert "rig train ppo --convert" in refused.stderr
    assert not marker.exists()
    # a safetensors file of someone else's, renamed beside the zip: refused too
    from safetensors.torch import save_file
    import torch

    save_file({"w": torch.zeros(2)}, str(tmp_path / "hostile.safetensors"))
    foreign = rig_cli("play", "--agent", f"ppo:{hostile}", "--render", "none")
    assert foreign.returncode == 1 and "was not written by `rig train ppo`" in foreign.stderr
    # a zip you trained yourself: converted once, on your word, then played
    mine = tmp_path / "mine.zip"
    mine.write_bytes((out / "model.zip").read_bytes())
    converted = rig_cli("train", "ppo", "--convert", str(mine))
    assert converted.returncode == 0, converted.stderr
    assert rig_cli("play", "--agent", f"ppo:{mine}", "--render", "none",
                   "--max-steps", "2").returncode == 0
    wrong = rig_cli("play", "--agent", f"ppo:{mine}", "--world",
                    "rig/MiniWoB-click-button-v0", "--render", "none")
    assert wrong.returncode == 1 and "which this world does not match" in wrong.stderr


def test_ppo_agent_with_bad_paths_says_what_to_do(rig_cli, tmp_path):
    missing = rig_cli("play", "--agent", f"ppo:{tmp_path / 'nope.zip'}", "--render", "none")
    assert missing.returncode == 1 and "no PPO model" in missing.stderr
    foreign = tmp_path / "foreign.zip"
    with zipfile.ZipFile(foreign, "w") as archive:
        archive.writestr("hello.txt", "not a model")
    bad = rig_cli("play", "--agent", f"ppo:{foreign}", "--render", "none")
    assert bad.returncode == 1 and "has no foreign.safetensors beside it" in bad.stderr
    assert "Traceback" not in bad.stderr
    converted = rig_cli("train", "ppo", "--convert", str(foreign))
    assert converted.returncode == 1 and "not a stable-baselines3 PPO model" in converted.stderr
    assert "Traceback" not in converted.stderr
    (tmp_path / "damaged.safetensors").write_bytes(b"\x10\x00garbage")
    damaged = rig_cli("play", "--agent", f"ppo:{tmp_path / 'damaged.safetensors'}",
                      "--render", "none")
    assert damaged.returncode == 1 and "is not a safetensors file" in damaged.stderr
    empty = rig_cli("play", "--agent", "ppo", "--render", "none")
    assert empty.returncode == 2 and "ppo:PATH" in empty.stderr
