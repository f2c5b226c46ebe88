"""Smoke tests that drive the real `rig` command with tiny budgets."""

import json

import numpy as np
import pytest

from rig.cli import COMMANDS


def _leaves(tree, prefix=()):
    for name, node in tree.items():
        if isinstance(node, dict):
            yield from _leaves(node, prefix + (name,))
        else:
            yield prefix + ((name,) if name else ())


def test_top_level_help_lists_every_command(rig_cli):
    out = rig_cli("--help")
    assert out.returncode == 0
    for name in COMMANDS:
        assert name in out.stdout


@pytest.mark.parametrize("path", list(_leaves(COMMANDS)), ids=" ".join)
def test_every_subcommand_help_shows_defaults(rig_cli, path):
    import dataclasses

    from rig.cli import _load

    out = rig_cli(*path, "--help")
    assert out.returncode == 0, out.stderr
    node = COMMANDS
    for word in path:
        node = node[word]
    node = node[""] if isinstance(node, dict) else node
    fields = dataclasses.fields(_load(node.config))
    options = [f for f in fields if not f.metadata.get("positional")]
    for f in options:
        assert "--" + f.name.replace("_", "-") in out.stdout
    help_text = " ".join(out.stdout.split())
    assert help_text.count("(default:") == len(options)


def test_play_headless_with_video_and_screenshot(rig_cli, tmp_path):
    video, shot = tmp_path / "run.gif", tmp_path / "last.png"
    out = rig_cli("play", "--agent", "random", "--episodes", "2", "--max-steps", "12",
                  "--video", str(video), "--screenshot", str(shot), "--seed", "4")
    assert out.returncode == 0, out.stderr
    assert "no display found, playing headless" in out.stdout
    assert "Crafter score" in out.stdout and "seed 5" in out.stdout
    assert "ep 1 step   12  " in out.stdout  # headless play streams every step
    import imageio.v3 as iio

    frames = iio.imread(video, index=None)
    assert frames.shape[0] == 24 and frames.shape[-1] in (3, 4)
    picture = iio.imread(shot)
    assert picture.shape[:2] == (672, 800)
    assert picture[..., :3].std() > 10  # something was drawn


def test_headless_play_streams_reasoning_and_plays_one_episode_per_world(rig_cli):
    out = rig_cli("play", "--agent", "expert:player", "--num-worlds", "2", "--max-steps", "2",
                  "--render", "none")
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if " step    2  " in line]
    assert [line[:5] for line in lines] == ["w0 ep", "w1 ep"]  # no --episodes: one per world
    assert "episode 1 (seed 1)" in out.stdout and "tile" in out.stdout  # its reasoning, shown
    quiet = rig_cli("play", "--agent", "expert:player", "--max-steps", "2", "--render", "none",
                    "--quiet")
    assert quiet.returncode == 0 and " step    1 " not in quiet.stdout
    assert "episode 0 (seed 0)" in quiet.stdout


def test_play_writes_mp4(rig_cli, tmp_path):
    video = tmp_path / "run.mp4"
    out = rig_cli("play", "--agent", "random", "--max-steps", "8", "--render", "none",
                  "--video", str(video))
    assert out.returncode == 0, out.stderr
    import imageio.v3 as iio

    assert iio.imread(video, index=None).shape[0] == 8


@pytest.mark.parametrize("args, message", [
    (("play", "--episodes", "-1"), "--episodes must be at least 1"),
    (("play", "--max-steps", "0"), "--max-steps must be at least 1"),
    (("play", "--video", "out.avi"), "must end in .mp4 or .gif"),
    (("play", "--screenshot", "/no/such/folder/x.png"), "does not exist"),
    (("eval", "--episodes", "0"), "--episodes must be at least 1"),
    (("play", "--world", "rig/Nope-v0", "--render", "none"), "rig/Crafter-v0"),
    (("play", "--world", "rig/Minecraft-v0", "--render", "none"), "rig/Minetest-v0 (3-D"),
    (("play", "--agent", "wizard", "--render", "none", "--max-steps", "1"),
     "valid agents: random, human, expert, expert:player, ppo:PATH, rig:PATH"),
    (("eval", "--agent", "human"), "rig play --agent human"),
])
def test_bad_input_is_a_clear_error_with_exit_code_2(rig_cli, args, message):
    out = rig_cli(*args)
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr


def test_human_agent_without_display_says_so(rig_cli):
    out = rig_cli("play", "--agent", "human", "--max-steps", "1")
    assert out.returncode == 2 and "needs a window" in out.stderr


def test_eval_random_in_workers_writes_json(rig_cli, tmp_path):
    report = tmp_path / "eval.json"
    out = rig_cli("eval", "--agent", "random", "--seeds", "3", "4", "5", "--max-steps", "30",
                  "--workers", "2", "--json", str(report))
    assert out.returncode == 0, out.stderr
    summary = json.loads(report.read_text())
    assert summary["seeds"] == [3, 4, 5] and summary["episodes"] == 3
    assert all(e["length"] <= 30 for e in summary["episodes_detail"])
    assert 0.0 <= summary["crafter_score"] <= 100.0


def test_eval_says_how_episodes_ended_and_what_took_health(rig_cli, tmp_path):
    """Random play to the end: each death is named by what dealt the last blow, and the health
    each cause took is summed per episode and per 1,000 steps over the run."""
    from rig.worlds.crafter import DAMAGE_CAUSES

    report = tmp_path / "eval.json"
    out = rig_cli("eval", "--agent", "random", "--seeds", "5000", "5001", "5002",
                  "--workers", "1", "--json", str(report))
    assert out.returncode == 0, out.stderr
    summary = json.loads(report.read_text())
    detail = summary["episodes_detail"]
    assert sum(summary["ends"].values()) == 3
    assert all(e["end"] in DAMAGE_CAUSES.values() for e in detail)  # random play dies
    assert "killed by a zombie" in summary["ends"]
    steps = sum(e["length"] for e in detail)
    for cause, rate in summary["health_lost_per_1000_steps"].items():
        taken = sum(e["extras"]["health_lost"].get(cause, 0) for e in detail)
        assert rate == pytest.approx(1000 * taken / steps) and taken > 0
    # a player starts with 9 health and regains some: every death took at least that
    assert all(sum(e["extras"]["health_lost"].values()) >= 9 for e in detail)
    assert "ended by: killed by a zombie" in out.stdout
    assert "health lost per 1,000 steps: zombie" in out.stdout


def test_eval_says_when_each_achievement_was_first_unlocked(rig_cli, tmp_path):
    """The teacher climbs the tech tree: each episode records the step of every first unlock,
    in the order the tree allows, and the summary gives each achievement's median over the
    episodes that unlocked it."""
    import statistics

    report = tmp_path / "eval.json"
    out = rig_cli("eval", "--agent", "expert:player", "--seeds", "5000", "5001",
                  "--max-steps", "300", "--workers", "1", "--json", str(report))
    assert out.returncode == 0, out.stderr
    summary = json.loads(report.read_text())
    for e in summary["episodes_detail"]:
        at = e["unlocked_at"]
        assert set(at) == set(e["achievements"]) and all(1 <= s <= e["length"] for s in at.values())
        assert at["collect_wood"] < at["place_table"] < at["make_wood_pickaxe"]
    medians = summary["median_unlock_step"]
    assert set(medians) == {a for e in summary["episodes_detail"] for a in e["achievements"]}
    assert medians["place_table"] == statistics.median(
        e["unlocked_at"]["place_table"] for e in summary["episodes_detail"])
    assert "median first step" in out.stdout


def test_eval_results_do_not_depend_on_workers_or_batching(rig_cli, tmp_path):
    runs = []
    for workers, worlds in (("1", "1"), ("2", "1"), ("1", "2")):
        path = tmp_path / f"w{workers}-{worlds}.json"
        out = rig_cli("eval", "--agent", "random", "--seeds", "8", "9", "--max-steps", "60",
                      "--workers", workers, "--num-worlds", worlds, "--json", str(path))
        assert out.returncode == 0, out.stderr
        runs.append([(e["episode_return"], e["length"], e["achievements"])
                     for e in json.loads(path.read_text())["episodes_detail"]])
    assert runs[0] == runs[1] == runs[2]


def test_bench_worlds_prints_overhead(rig_cli):
    out = rig_cli("bench", "worlds", "--steps", "50", "--rounds", "1")
    assert out.returncode == 0, out.stderr
    assert "overhead" in out.stdout and "steps/s" in out.stdout


def test_worlds_lists_ids_and_agents(rig_cli):
    out = rig_cli("worlds")
    assert "rig/Crafter-v0" in out.stdout and "expert" in out.stdout


def test_a_closed_pipe_ends_quietly():
    """`rig worlds | head -1`: the reader goes away before rig writes; no traceback."""
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-m", "rig", "worlds"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    process.stdout.close()  # before rig has written anything: its first write hits a dead pipe
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141 and stderr == ""


def test_viewer_draws_the_imagined_frame_beside_the_real_one():
    from rig.agents import Decision
    from rig.eval.viewer import FRAME_PX, PAD, Viewer

    viewer = Viewer(window=False)
    real = np.zeros((64, 64, 3), np.uint8)
    imagined = np.full((64, 64, 3), (200, 30, 90), np.uint8)
    decision = Decision(action=5, action_text="do", reasoning="A tree is in front of me.",
                        imagined_frame=imagined)
    viewer.draw(real, decision, step=3)
    canvas = viewer.canvas()
    centre_y = PAD + 20 + FRAME_PX // 2
    assert tuple(canvas[centre_y, 2 * PAD + FRAME_PX + FRAME_PX // 2]) == (200, 30, 90)
    assert tuple(canvas[centre_y, PAD + FRAME_PX // 2]) == (0, 0, 0)
    viewer.draw(real, Decision(action=0, action_text="noop"), step=4)
    assert tuple(viewer.canvas()[centre_y, 2 * PAD + FRAME_PX + FRAME_PX // 2]) != (200, 30, 90)
    viewer.close()


def test_viewer_keeps_a_screenshot_aspect_and_marks_the_click_point():
    from rig.agents import Decision
    from rig.eval.viewer import ACCENT, FRAME_PX, PAD, Viewer
    from rig.worlds.gui_actions import GUIActions

    viewer = Viewer(window=False)
    screen = np.full((210, 160, 3), 255, np.uint8)  # a tall white MiniWoB screenshot
    click = GUIActions(160, 210).parse("click(80, 105)")
    viewer.draw(screen, Decision(action=click, action_text="click(80, 105)"), step=1)
    canvas, top, scale = viewer.canvas(), PAD + 20, FRAME_PX / 210
    assert tuple(canvas[top + 10, PAD + round(150 * scale)]) == (255, 255, 255)  # inside
    assert tuple(canvas[top + 10, PAD + round(170 * scale)]) != (255, 255, 255)  # past its width
    x, y = PAD + round(80 * scale), top + round(105 * scale)
    ring = canvas[y - 12:y + 13, x - 12:x + 13].reshape(-1, 3)
    assert any(tuple(c) == ACCENT for c in ring)  # the pointer is drawn where it clicks
    viewer.close()


def test_bench_policy_prints_both_decoders(rig_cli):
    out = rig_cli("bench", "policy", "--steps", "2", "--grid", "2", "--reasoning", "3",
                  "--worlds", "2", "--threads", "1", "--text-vocab", "100", "--codebook", "8")
    assert out.returncode == 0, out.stderr
    assert "generate() (batch 1)" in out.stdout and "ours, 2 world(s)" in out.stdout


def test_bench_policy_sizes_the_model_for_a_big_grid():
    """A 46x46 grid (the 53x40 screen tokenizer's scale) spans more than the default 2,048
    positions; the bench builds its model with as many positions as `rig train policy` would,
    so it times the policy a user would train, not one run past its positions."""
    from rig.eval.bench_policy import BenchPolicyConfig, _setup
    from rig.policy.sequence import SequenceConfig

    config = BenchPolicyConfig(grid=46, steps=2, reasoning=3, text_vocab=100, codebook=8)
    _, model, builder, observations = _setup(config)
    need = SequenceConfig(context_steps=1, max_reasoning_tokens=3).positions_needed(46 * 46)
    assert need > 2048 and model.config.max_position_embeddings >= need
    assert len(observations[0]) > 46 * 46


def test_one_device_helper_for_every_command():
    """`--device auto` is CUDA only where torch sees a device; CUDA asked for where there is
    none is a ConfigError (exit 2, one line), the same for every command that takes --device."""
    import torch

    from rig.config import ConfigError, pick_device

    assert pick_device("cpu") == "cpu"
    assert pick_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="no CUDA device is available here"):
            pick_device("cuda:0")


def test_options_are_spelled_alike_across_commands():
    """--imagine/--no-imagine on every command that plays the policy (scaling too), and one
    spelling, --json, for every command that writes its figures."""
    import dataclasses

    from rig.cli import COMMANDS, _load, build_parser

    args = build_parser(["eval", "scaling"]).parse_args(
        ["eval", "scaling", "--agent", "rig:x", "--no-imagine"])
    assert args.imagine is False

    def commands(tree):
        for entry in tree.values():
            yield from commands(entry) if isinstance(entry, dict) else [entry]

    fields = {f.name for command in commands(COMMANDS)
              for f in dataclasses.fields(_load(command.config))}
    assert "json" in fields and "json_out" not in fields


def test_viewer_pauses_and_plays_one_step_at_a_time():
    """Enter pauses (and resumes), "." plays one step while paused: keys posted to a window
    on SDL's dummy video driver, as a person would press them."""
    import threading

    from rig.eval.viewer import Viewer

    viewer = Viewer(window=True, title="RIG test")  # SDL_VIDEODRIVER=dummy (conftest)
    pg = viewer.pygame

    def press(key):
        pg.event.post(pg.event.Event(pg.KEYDOWN, key=key, mod=0, unicode="", scancode=0))

    press(pg.K_RETURN)
    press(pg.K_PERIOD)
    viewer.show()  # paused, then one step allowed: returns
    assert viewer.paused and "paused" in pg.display.get_caption()[0]
    waiting = threading.Thread(target=viewer.show)  # paused: this step waits for a key
    waiting.start()
    waiting.join(0.3)
    assert waiting.is_alive()
    press(pg.K_RETURN)  # resume
    waiting.join(5)
    assert not waiting.is_alive() and not viewer.paused
    viewer.close()
