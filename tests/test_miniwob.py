"""MiniWoB++ worlds: the GUI action language, the world on a real headless Chromium, the expert.

One browser (click-button) is shared by most tests through a module-scoped fixture; the whole
file takes well under a minute.
"""

import ast
import builtins
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

from rig.worlds import ActionParseError, WORLDS
from rig.worlds.gui_actions import KEY_NAMES, GUIAction, GUIActions, miniwob_key
from rig.worlds.miniwob_tasks import MINIWOB_SUITE, MINIWOB_TASKS

needs_browser = pytest.mark.skipif(
    not (shutil.which("chromium") or os.environ.get("MINIWOB_CHROME_BINARY"))
    or not (shutil.which("chromedriver") or os.environ.get("MINIWOB_CHROMEDRIVER")),
    reason="Chromium and chromedriver are not installed (scripts/setup.sh installs them)")

LANG = GUIActions(160, 210)


# -- the action language (no browser) -------------------------------------------------------

def _random_actions(rng, n):
    printable = [chr(c) for c in range(32, 127)]
    keys = list(KEY_NAMES) + printable
    for _ in range(n):
        kind = rng.choice(["click", "double_click", "type", "press", "hotkey", "scroll", "drag",
                           "wait"])
        x, y = int(rng.integers(160)), int(rng.integers(210))
        if kind in ("click", "double_click"):
            yield GUIAction(kind, (x, y))
        elif kind == "type":
            yield GUIAction(kind, ("".join(rng.choice(printable, int(rng.integers(1, 30)))),))
        elif kind == "press":
            yield GUIAction(kind, (str(rng.choice(keys)),))
        elif kind == "hotkey":
            mods = list(rng.choice(["ctrl", "shift", "alt", "meta"], int(rng.integers(1, 4)),
                                   replace=False))
            yield GUIAction(kind, (*sorted(mods, key=["alt", "ctrl", "meta", "shift"].index),
                                   str(rng.choice(keys))))
        elif kind == "scroll":
            yield GUIAction(kind, (x, y, str(rng.choice(["up", "down"]))))
        elif kind == "drag":
            yield GUIAction(kind, (x, y, int(rng.integers(160)), int(rng.integers(210))))
        else:
            yield GUIAction("wait")


def test_action_language_round_trips():
    rng = np.random.default_rng(0)
    for action in _random_actions(rng, 500):
        text = LANG.format(action)
        assert LANG.parse(text) == action, text
        assert LANG.format(LANG.parse(text)) == text
    assert LANG.vocabulary() is None
    # tricky strings: quotes, backslashes, parentheses and commas inside the literal
    for s in ['say "hi"', "back\\slash", "a, b)", "it's", '\\"', " "]:
        action = GUIAction("type", (s,))
        assert LANG.parse(LANG.format(action)) == action
    # other spellings parse to the canonical action
    assert LANG.parse("  click( 3 ,4 ) ") == GUIAction("click", (3, 4))
    assert LANG.parse("press('return')") == GUIAction("press", ("Enter",))
    assert LANG.parse('hotkey("Shift", "control", "a")') == GUIAction("hotkey",
                                                                      ("ctrl", "shift", "a"))


def test_action_language_rejects_malformed_text_without_eval(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("the parser must not evaluate model text")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(ast, "literal_eval", forbidden)
    bad = ["", "click", "click(", "click(1)", "click(1, 2, 3)", "click(160, 5)", "click(5, 210)",
           "click(-1, 5)", "click(1.5, 2)", "click(1,2,)", "click(1 2)", "click(1, 2) extra",
           "clack(1, 2)", '__import__("os").system("ls")', "click(x, y)", 'type("")',
           'type("unterminated)', 'type("bad \\q escape")', 'type("caf\u00e9")', "type(5)",
           'press("NoSuchKey")', 'press("")', 'hotkey("a")', 'hotkey("ctrl", "ctrl", "a")',
           'hotkey("hyper", "a")', 'scroll(1, 2, "left")', "drag(1, 2, 3)", "wait(1)",
           "click((1), 2)", 'type("tab\\t")', 'type("' + "a" * 300 + '")', "x" * 5000, None, 12]
    for text in bad:
        with pytest.raises(ActionParseError):
            LANG.parse(text)
    with pytest.raises(ActionParseError):
        LANG.format(GUIAction("click", (500, 1)))


def test_miniwob_key_syntax():
    assert miniwob_key(LANG.parse('press("Enter")')) == "<Enter>"
    assert miniwob_key(LANG.parse('hotkey("ctrl", "a")')) == "C-a"
    assert miniwob_key(LANG.parse('hotkey("shift", "alt", "Tab")')) == "A-S-<Tab>"
    from miniwob.constants import ALL_POSSIBLE_KEYS

    keys = set(ALL_POSSIBLE_KEYS)
    for action in _random_actions(np.random.default_rng(1), 300):
        if action.kind in ("press", "hotkey"):
            assert miniwob_key(action) in keys, action


def test_registry_lists_every_miniwob_task():
    import gymnasium as gym
    import miniwob  # noqa: F401  (registers miniwob/*)

    registered = sorted(i[len("miniwob/"):-len("-v1")] for i in gym.registry
                        if i.startswith("miniwob/"))
    assert list(MINIWOB_TASKS) == registered
    for task in MINIWOB_TASKS:
        assert f"rig/MiniWoB-{task}-v0" in WORLDS
    assert len(MINIWOB_SUITE) >= 20 and set(MINIWOB_SUITE) <= set(MINIWOB_TASKS)
    from rig.agents import _EXPERTS
    from rig.agents.miniwob_expert import SOLVERS

    for task in MINIWOB_SUITE:
        world_id = f"rig/MiniWoB-{task}-v0"
        assert _EXPERTS[world_id.split("-v")[0]].endswith("MiniWoBExpert")
        assert task in SOLVERS


# -- the world on a real browser ------------------------------------------------------------

@pytest.fixture(scope="module")
def world():
    import rig.worlds

    env = rig.worlds.make("rig/MiniWoB-click-button-v0")
    yield env
    env.close()


def _button(info, text):
    return next(e for e in info["dom"] if e["tag"] == "button" and e["text"] == text)


@needs_browser
def test_check_env_passes(world):
    from gymnasium.utils.env_checker import check_env

    check_env(world.unwrapped)
    obs, info = world.reset(seed=5)
    assert obs["image"].shape == (210, 160, 3) and obs["image"].dtype == np.uint8
    assert obs in world.observation_space
    assert obs["text"].startswith("Click on the") and obs["text"] == world.unwrapped.task_text()
    assert any(e["tag"] == "button" for e in info["dom"])


@needs_browser
def test_malformed_action_is_a_noop_with_an_error(world):
    obs, info = world.reset(seed=3)
    for text in ["click(999, 5)", "rm -rf /", 'type("x"', world.action_space.sample()]:
        obs2, reward, terminated, truncated, info2 = world.step(text)
        assert "action_error" in info2 and info2["action"] == "wait()"
        assert (reward, terminated, truncated) == (0.0, False, False)
        assert [(e["ref"], e["value"], e["tampered"]) for e in info2["dom"]] == \
               [(e["ref"], e["value"], e["tampered"]) for e in info["dom"]]
        np.testing.assert_array_equal(obs2["image"], obs["image"])
    target = obs["text"].split('"')[1]
    b = _button(info2, target)
    action = GUIAction("click", (int(b["left"] + b["width"] / 2), int(b["top"] + b["height"] / 2)))
    _, reward, terminated, _, info3 = world.step(action)
    assert terminated and reward == 1.0 and info3["success"] and "action_error" not in info3


@needs_browser
def test_branch_is_refused(world):
    from rig.worlds import branch
    from rig.worlds.miniwob import BranchError

    with pytest.raises(BranchError, match="cannot branch"):
        world.unwrapped.branch()
    with pytest.raises(TypeError):
        branch(world)


@needs_browser
def test_expert_solves_click_button(world):
    from rig.agents import make_agent

    agent = make_agent("expert", world)
    for seed in (7, 8, 9):
        obs, info = world.reset(seed=seed)
        agent.reset(seed)
        decision = agent.act(obs, info)
        target = obs["text"].split('"')[1]
        assert f'"{target}"' in decision.reasoning and decision.action_text.startswith("click(")
        x, y = decision.action.args
        b = _button(info, target) if sum(
            e["text"] == target for e in info["dom"] if e["tag"] == "button") == 1 else None
        if b is not None:  # the click lands inside the named button
            assert b["left"] <= x <= b["left"] + b["width"] and b["top"] <= y <= b["top"] + b["height"]
        _, reward, terminated, _, info = world.step(decision.action_text)
        assert terminated and info["success"] and reward == 1.0


@needs_browser
def test_expert_solves_enter_text_and_keys_reach_the_page():
    import rig.worlds
    from rig.agents import make_agent

    env = rig.worlds.make("rig/MiniWoB-enter-text-v0")
    try:
        # typing, select-all and typing over it land in the focused field
        obs, info = env.reset(seed=0)
        field = next(e for e in info["dom"] if e["tag"] == "input_text")
        env.step(f"click({int(field['left'] + 5)}, {int(field['top'] + 5)})")
        env.step('type("wrong")')
        env.step('hotkey("ctrl", "a")')
        _, _, _, _, info = env.step('type("Bob")')
        assert next(e for e in info["dom"] if e["tag"] == "input_text")["value"] == "Bob"

        agent = make_agent("expert", env)
        for seed in (11, 12):
            obs, info = env.reset(seed=seed)
            agent.reset(seed)
            target = dict(info["fields"])["target"]
            for _ in range(10):
                decision = agent.act(obs, info)
                obs, reward, terminated, truncated, info = env.step(decision.action)
                if terminated or truncated:
                    break
            assert terminated and info["success"], (seed, target)
    finally:
        env.close()


@needs_browser
def test_dead_browser_truncates_and_restarts(world):
    import psutil

    world.reset(seed=1)
    inner = world.unwrapped
    driver = psutil.Process(inner._env.instance.driver.service.process.pid)
    victims = [driver] + driver.children(recursive=True)
    assert any("chrom" in p.name() for p in victims[1:])
    for proc in victims:
        proc.kill()
    obs, reward, terminated, truncated, info = world.step("click(10, 10)")
    assert truncated and not terminated and reward == 0.0
    assert "browser died" in info["truncated_reason"]
    assert info["ended_by"] == "browser crashed, restarted"
    assert obs in world.observation_space
    assert inner._env.instance.driver.service.process.pid != driver.pid  # restarted at once
    obs, info = world.reset(seed=1)
    assert info["restarts"] >= 1 and obs["text"].startswith("Click on the")
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in victims)
    _, _, terminated, truncated, _ = world.step("wait()")
    assert not truncated


def test_missing_browser_error_says_how_to_install(monkeypatch):
    from rig.worlds.miniwob import BrowserMissingError, MiniWoBWorld

    monkeypatch.setenv("MINIWOB_CHROME_BINARY", "/nonexistent/chromium")
    with pytest.raises(BrowserMissingError, match="scripts/setup.sh"):
        MiniWoBWorld("click-button")


@needs_browser
def test_rig_play_says_when_a_browser_crashed(tmp_path):
    """The real `rig play`: Chromium killed mid-episode; the episode's summary line says how it
    ended, and the next episode plays in the restarted browser. The random agent never ends a
    drag-items episode before its 50-step limit (~4 s), so a kill 1.5 s after episode 0 is
    recorded lands inside episode 1."""
    import psutil

    from rig.trajectories import TrajectoryStore

    record = tmp_path / "played.zarr"
    process = subprocess.Popen(
        [sys.executable, "-m", "rig", "play", "--world", "rig/MiniWoB-drag-items-v0", "--agent",
         "random", "--episodes", "3", "--render", "none", "--record", str(record)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=dict(os.environ, COLUMNS="200"))  # one line per episode
    try:
        deadline = time.time() + 120
        while True:
            assert process.poll() is None and time.time() < deadline
            if (record / "zarr.json").exists():
                with TrajectoryStore.open(record) as store:
                    if store.num_episodes:
                        break
            time.sleep(0.05)
        time.sleep(1.5)
        killed = [p for p in psutil.Process(process.pid).children(recursive=True)
                  if "chrom" in p.name()]
        assert killed
        for proc in killed:
            proc.kill()
        out, _ = process.communicate(timeout=180)
    finally:
        process.kill()
    assert process.returncode == 0, out
    assert "episode 0 (seed 0): return 0.0, length 50" in out, out
    assert "episode 1 (seed 1)" in out and "ended by browser crashed, restarted" in out, out
    assert "episode 2 (seed 2): return 0.0, length 50" in out and "Traceback" not in out, out
    with TrajectoryStore.open(record) as store:
        assert store.num_episodes == 3
