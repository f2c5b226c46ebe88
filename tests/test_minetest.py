"""Minetest worlds on the real engine: Debian's `minetest` under Xvfb (scripts/setup.sh installs
them, so CI runs these; elsewhere they are skipped when the engine is missing)."""

from __future__ import annotations

import os

import numpy as np
import pytest

import rig.worlds
from rig.worlds import minetest as mt

try:
    mt.engine_paths()
    ENGINE = True
except mt.MinetestMissingError:
    ENGINE = False
# on CI the engine must be there: a missing one fails instead of skipping
needs_engine = pytest.mark.skipif(not ENGINE and not os.environ.get("CI"),
                                  reason="minetest or Xvfb not installed (scripts/setup.sh)")

A = {name: i for i, name in enumerate(mt.MINETEST_ACTIONS)}


@pytest.fixture(scope="module")
def world():
    env = rig.worlds.make("rig/Minetest-v0")
    yield env
    env.close()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"   # a zombie has exited
    except FileNotFoundError:
        return False


def test_registered_tasks_are_the_worlds_tasks():
    assert rig.worlds.MINETEST_TASKS == tuple(name for name in mt.TASKS if name)
    assert "rig/Minetest-v0" in rig.worlds.world_ids()
    assert "rig/Minetest-IronIngot-v0" in rig.worlds.world_ids()
    with pytest.raises(ValueError, match="unknown Minetest task"):
        mt.MinetestWorld(task="Diamond")


def test_a_missing_engine_says_what_to_install(monkeypatch):
    monkeypatch.setenv("RIG_MINETEST", "/nonexistent/minetest")
    with pytest.raises(mt.MinetestMissingError, match="apt-get install minetest xvfb"):
        mt.MinetestWorld()


def test_minecraft_names_point_to_the_minetest_worlds():
    with pytest.raises(rig.worlds.UnknownWorldError, match="rig/Minetest-v0"):
        rig.worlds.make("rig/Minecraft-v0")


@needs_engine
def test_gymnasium_check_env_passes(world):
    from gymnasium.utils.env_checker import check_env

    check_env(world.unwrapped, skip_render_check=True)


@needs_engine
def test_a_seed_gives_the_same_start(world):
    first, info1 = world.reset(seed=7)
    second, info2 = world.reset(seed=7)
    assert info1["map_digest"] == info2["map_digest"]       # the same map, node for node
    np.testing.assert_array_equal(info1["player_pos"], info2["player_pos"])
    assert first["text"] == second["text"]
    # the same picture, up to the distant blocks the client happened to draw first
    same = np.all(first["image"] == second["image"], axis=2).mean()
    assert same > 0.9, same
    assert world.spec.nondeterministic
    other, info3 = world.reset(seed=8)
    assert info3["map_digest"] != info1["map_digest"]


@needs_engine
def test_every_turn_is_drawn(world):
    # the picture after a turn shows the new heading: the client draws a new look one frame
    # late and the look travels on another channel than the frame marker (rig_bridge's
    # YAW_TAGS); before the marker waited for the client's report, about 2% of turns returned
    # the previous picture
    obs, _ = world.reset(seed=3)
    previous = obs["image"]
    for turn in range(16):
        obs, *_ = world.step(A["turn_left"])
        assert not np.array_equal(obs["image"], previous), f"turn {turn} drew the old heading"
        previous = obs["image"]


@needs_engine
def test_actions_change_the_frame_and_follow_the_rules(world):
    obs, info = world.reset(seed=1)
    assert obs["image"].shape == (64, 64, 3) and obs["image"].dtype == np.uint8
    assert "Inventory: empty." in obs["text"] and "Health 20/20" in obs["text"]
    start = info["player_pos"].copy()

    turned, reward, terminated, truncated, info = world.step(A["turn_left"])
    assert info["yaw"] == pytest.approx((45 * (1 % 8) + 45) % 360)
    assert np.abs(turned["image"].astype(int) - obs["image"]).mean() > 5   # a new view

    # look straight down and dig the node underfoot with bare hands: it takes several digs
    world.step(A["look_down"])
    obs, _, _, _, info = world.step(A["look_down"])
    assert info["pitch"] == 90
    below = info["pointed"]
    assert below is not None and below["pos"][1] == round(start[1] - 0.5)
    messages = []
    for _ in range(12):
        obs, reward, terminated, truncated, info = world.step(A["dig"])
        messages.append(info["message"])
        if info["message"].startswith("dug"):
            break
    assert messages[0] == "digging" and messages[-1].startswith("dug"), messages
    assert sum(info["items"].values()) == 1                  # the node's drop, in the inventory
    assert info["player_pos"][1] < start[1]                  # and the player fell into the hole
    assert "Inventory: " in obs["text"] and "empty" not in obs["text"]
    assert ".0" not in obs["text"]                            # counts are whole numbers

    # crafting needs ingredients; the refusal says what is missing and changes nothing
    obs, reward, _, _, info = world.step(A["craft_planks"])
    assert info["message"] == "missing default:tree" and reward == 0.0
    assert info["achievements"]["craft_planks"] == 0
    obs, _, _, _, info = world.step(A["smelt_iron"])
    assert info["message"] == "needs a furnace nearby"


@needs_engine
def test_underground_frames_are_lit_by_the_headlamp(world):
    """Minetest draws light level 0 pitch black: without the headlamp (rig_bridge's lamp in the
    player's head cell) the expert's frames went black once it dug into stone (58% of them)."""
    from rig.agents import make_agent

    agent = make_agent("expert", world, seed=0)
    obs, info = world.reset(seed=0)
    agent.reset(0)
    surface, below = info["player_pos"][1], []
    for _ in range(150):
        obs, _, terminated, truncated, info = world.step(agent.act(obs, info).action)
        if info["player_pos"][1] <= surface - 3:
            below.append(float(obs["image"].mean()))
        if terminated or truncated or len(below) >= 20:
            break
    assert len(below) >= 20, "the expert did not go underground on this seed"
    # lit: without the lamp most underground frames are black (58% over 300 steps, seeds
    # 0-19). Every one: the lamp is lit in the new head cell before the old one is put out, so
    # a frame the client draws between the two updates still has a light (when the old one went
    # out first, 7 of 360 underground frames were dark on a loaded machine, 0 of 360 since;
    # the frame-sync race of issue 24)
    dark = [mean for mean in below if mean <= 20]
    assert not dark and sorted(below)[len(below) // 2] > 25, (dark, below)


@needs_engine
def test_branching_is_refused_with_the_reason(world):
    world.reset(seed=2)
    with pytest.raises(rig.worlds.BranchError, match="engine process"):
        rig.worlds.branch(world)


@needs_engine
def test_a_killed_engine_ends_the_episode_and_the_next_reset_restarts_it():
    env = rig.worlds.make("rig/Minetest-Log-v0")
    try:
        env.reset(seed=3)
        inner = env.unwrapped
        inner._engine.kill()
        obs, reward, terminated, truncated, info = env.step(A["noop"])
        assert truncated and not terminated
        assert "engine crashed" in info["ended_by"] and "server exited" in info["truncated_reason"]
        obs, info = env.reset(seed=3)
        assert inner.restarts == 1 and obs["image"].std() > 0
        obs, reward, terminated, truncated, info = env.step(A["noop"])
        assert not truncated and info["success"] is False
    finally:
        env.close()


@needs_engine
def test_close_leaves_no_process_behind():
    env = mt.MinetestWorld()
    env.reset(seed=4)
    pids = [env._engine.pid, env._client.pid, env._display.process.pid]
    folder = env._folder
    assert all(_alive(pid) for pid in pids)
    env.close()
    assert not any(_alive(pid) for pid in pids)
    assert not os.path.exists(folder)


@needs_engine
def test_a_killed_python_takes_its_engine_along(tmp_path):
    """A world's Python killed outright (no finalizer runs) leaves no engine or screen behind."""
    import signal
    import subprocess
    import sys
    import time

    code = ("import rig.worlds, time\n"
            "env = rig.worlds.make('rig/Minetest-v0').unwrapped\n"
            "env.reset(seed=1)\n"
            "print(env._engine.pid, env._client.pid, env._display.process.pid, flush=True)\n"
            "time.sleep(120)\n")
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    pids = [int(pid) for pid in process.stdout.readline().split()]
    assert len(pids) == 3 and all(_alive(pid) for pid in pids)
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in pids)
    # its world folder stays behind until the next world starts, which removes it
    import glob
    import tempfile

    left = glob.glob(os.path.join(tempfile.gettempdir(), f"rig-minetest-{process.pid}-*"))
    assert left
    env = mt.MinetestWorld()
    try:
        env.reset(seed=1)
        assert not any(os.path.exists(folder) for folder in left)
    finally:
        env.close()


@needs_engine
def test_rig_eval_runs_the_expert_to_its_first_log(rig_cli, tmp_path):
    """The real command: the expert collects a log on the Log task and `rig eval` reports it."""
    import json

    out = tmp_path / "log.json"
    result = rig_cli("eval", "--world", "rig/Minetest-Log-v0", "--agent", "expert",
                     "--episodes", "1", "--seed", "1", "--max-steps", "200", "--workers", "1",
                     "--json", str(out))
    assert result.returncode == 0, result.stderr
    summary = json.loads(out.read_text())
    assert summary["success_rate"] == 100.0
    assert summary["success_rates"]["collect_log"] == 100.0
    assert "geometric mean" in result.stdout


@needs_engine
def test_the_whole_loop_runs_on_minetest(rig_cli, tmp_path):
    """collect -> tokenize with the shipped Minetest tokenizer -> train a policy (cnn eye,
    action and imagined frame) -> play it with the viewer's imagining -> evaluate: the real
    commands at a tiny scale (the measured run is in docs/minetest.md)."""
    store, run = tmp_path / "mt.zarr", tmp_path / "run"
    for seeds in (("--episodes", "2", "--seed", "0"), ("--episodes", "1", "--seed", "1000")):
        result = rig_cli("collect", "--out", str(store), "--world", "rig/Minetest-v0", "--agent",
                         "expert", "--max-steps", "12", "--workers", "1", *seeds)
        assert result.returncode == 0, result.stderr
    result = rig_cli("data", "tokenize", "--data", str(store), "--tokenizer", "minetest",
                     "--device", "cpu", "--threads", "1")
    assert result.returncode == 0 and "8x8 ids per frame" in result.stdout, result.stderr
    result = rig_cli("train", "policy", str(store), "--out", str(run), "--image-input", "cnn",
                     "--eye-tokens", "2", "--preset", "micro", "--no-reasoning", "--steps", "3",
                     "--batch-size", "4", "--warmup", "1", "--checkpoint-every", "3",
                     "--eval-every", "3", "--text-vocab", "300", "--val-fraction", "0.34",
                     "--device", "cpu", "--threads", "1")
    assert result.returncode == 0, result.stderr
    shot = tmp_path / "viewer.png"
    result = rig_cli("play", "--world", "rig/Minetest-v0", "--agent", f"rig:{run / 'final'}",
                     "--max-steps", "3", "--render", "none", "--screenshot", str(shot),
                     "--threads", "1", "--seed", "7")
    assert result.returncode == 0, result.stderr
    import imageio.v2 as imageio

    picture = imageio.imread(shot)
    assert picture.shape[0] > 300 and picture.std() > 10          # a real screenshot, drawn
    result = rig_cli("eval", "--world", "rig/Minetest-v0", "--agent", f"rig:{run / 'final'}",
                     "--episodes", "1", "--seed", "2000", "--max-steps", "3", "--workers", "1",
                     "--no-imagine", "--threads", "1")
    assert result.returncode == 0 and "geometric mean" in result.stdout, result.stderr


@needs_engine
def test_the_nearest_resources_follow_digging_and_stay_while_standing(world):
    """`info["nearest"]` comes from a scan the mod keeps while the player stands still and no
    node changed (it costs half a step): a trunk node the expert has just dug is never still
    reported as the nearest tree, and steps that change nothing report the same."""
    from rig.agents.minetest_expert import MinetestExpert

    expert = MinetestExpert(world, seed=1)
    obs, info = world.reset(seed=1)
    expert.reset(seed=1)
    for _ in range(200):
        pointed = info["pointed"]
        obs, _, _, _, info = world.step(expert.act(obs, info).action)
        if info["message"].startswith("dug") and pointed and "tree" in pointed["name"]:
            break
    else:
        pytest.fail("the expert dug no trunk node in 200 steps")
    tree = info["nearest"].get("tree")
    assert tree is None or not np.array_equal(tree, pointed["pos"])
    kept = info["nearest"]
    for _ in range(3):
        _, _, _, _, info = world.step(A["noop"])
        assert info["nearest"].keys() == kept.keys()
        assert all(np.array_equal(info["nearest"][k], kept[k]) for k in kept)
