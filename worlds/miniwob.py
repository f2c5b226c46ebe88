"""MiniWoB++ web tasks (Shi et al. 2017; Liu et al. 2018) as RIG worlds, in a headless Chromium.

Wraps the `miniwob` Gymnasium envs (`miniwob/<task>-v1`) behind the RIG world interface:
- the observation is `{"image": the task area's screenshot, uint8 (210, 160, 3) (flight.*
  tasks: (667, 375, 3)), "text": the task's instruction (printable ASCII, clipped)}`. When an
  episode ends MiniWoB shows no page: the last image is black and the text stays the instruction.
- actions are pyautogui-style text (`click(80, 120)`, `type("Bob")`; see `gui_actions`), given
  either as text or as a parsed `GUIAction`. Malformed text is a no-op step whose
  `info["action_error"]` says what was wrong; it never raises.
- the action space is `gym.spaces.Text`: the language is open (coordinates, typed text), so no
  Discrete/Box space names it. Samples of that space are random strings, which step() treats as
  malformed text (a no-op with an error), so Gymnasium's env checker and random agents are safe.
- `info` carries the DOM (`info["dom"]`: one dict per element with ref, parent, tag, text, value,
  id, classes, left, top, width, height, focused, tampered, is_leaf; boxes in the image's pixels)
  and the instruction's fields (`info["fields"]`) for experts and metrics; at the end of an
  episode `info["success"]` (raw reward > 0) and `info["reason"]`.
- the reward is MiniWoB's raw reward (+1 success, -1 failure, partial credit on a few tasks,
  0 before the end), without the time discount, so that a seed and an action sequence give the
  same rewards on a slow and a fast machine. MiniWoB also ends an episode after 10 s of real time.
- `reset(seed=s)` builds task instance `s`; `reset()` without a seed draws the next instance
  from the seeded generator, so a seeded reset followed by unseeded ones is reproducible.
- a browser that dies (crash, killed process) is restarted at once: the step in flight
  returns `truncated=True` with `info["truncated_reason"]` and `info["ended_by"]` ("browser
  crashed, restarted"), which episode summaries show as how the episode ended.
- the browser starts at the first reset, not at construction, so listing or checking a world
  costs no browser. A browser cannot be deep-copied: `branch()` raises `BranchError`.
"""

from __future__ import annotations

import os
import shutil
import weakref
from typing import Any

import gymnasium as gym
import numpy as np

from .base import (ActionParseError, BranchError, TEXT_CHARSET, TEXT_MAX_LENGTH, World,
                   WorldUnavailableError, check_world_options, observation_space)
from .gui_actions import MAX_TEXT, GUIAction, GUIActions, miniwob_key
from .miniwob_tasks import MINIWOB_TASKS

TASK_SIZE = (160, 210)          # width, height of a MiniWoB task area (CSS pixels)
FLIGHT_TASK_SIZE = (375, 667)   # flight.* tasks
DEFAULT_MAX_STEPS = 50


class BrowserMissingError(WorldUnavailableError):
    """Chromium or chromedriver is not installed."""


def _browser_paths() -> tuple[str, str]:
    """Find Chromium and chromedriver, and tell miniwob to use them (so Selenium Manager never
    tries to download a browser). Raises BrowserMissingError with the fix when one is missing."""
    binary = os.environ.get("MINIWOB_CHROME_BINARY") or next(
        (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p),
        None)
    driver = os.environ.get("MINIWOB_CHROMEDRIVER") or shutil.which("chromedriver")
    missing = [name for name, path in (("chromium", binary), ("chromedriver", driver))
               if not path or not os.path.exists(path)]
    if missing:
        raise BrowserMissingError(
            f"MiniWoB worlds need a headless Chromium, but {' and '.join(missing)} was not found. "
            "Run scripts/setup.sh, or: apt-get install chromium chromium-driver (or set "
            "MINIWOB_CHROME_BINARY and MINIWOB_CHROMEDRIVER to their paths).")
    os.environ.setdefault("MINIWOB_CHROME_BINARY", binary)
    os.environ.setdefault("MINIWOB_CHROMEDRIVER", driver)
    return binary, driver


def clean_text(text: str) -> str:
    """Text an observation may hold: TEXT_CHARSET characters only ('?' for others), clipped."""
    return "".join(c if c in TEXT_CHARSET else "?" for c in text)[:TEXT_MAX_LENGTH]


def _element(e: dict) -> dict[str, Any]:
    focused, tampered, _, is_leaf = (bool(f) for f in e["flags"])
    return {"ref": int(e["ref"]), "parent": int(e["parent"]), "tag": str(e["tag"]),
            "text": str(e["text"]), "value": str(e["value"]), "id": str(e["id"]),
            "classes": str(e["classes"]), "left": float(e["left"][0]), "top": float(e["top"][0]),
            "width": float(e["width"][0]), "height": float(e["height"][0]),
            "focused": focused, "tampered": tampered, "is_leaf": is_leaf}


def _shutdown(env, pids: list) -> None:
    """Quit a miniwob env's browser; kill what is left of it (a killed driver leaves Chromium)."""
    try:
        env.instance.driver.quit()
    except Exception:
        pass
    for proc in pids:
        try:
            for child in proc.children(recursive=True):
                child.kill()
            proc.kill()
        except Exception:
            pass
    try:
        env.instance.driver.service.process.wait(timeout=5)  # reap the driver (no zombie)
    except Exception:
        pass


class MiniWoBWorld(World):
    """One MiniWoB++ task behind the RIG world interface (see the module docstring)."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 4}
    branchable = False

    def __init__(self, task: str = "click-button", max_steps: int | None = DEFAULT_MAX_STEPS,
                 render_mode: str | None = None, wait_ms: float = 0.0):
        if task not in MINIWOB_TASKS:
            raise ValueError(f"unknown MiniWoB task {task!r}; tasks: {', '.join(MINIWOB_TASKS)}")
        check_world_options(render_mode, max_steps=max_steps)
        _browser_paths()
        self.task, self.max_steps, self.render_mode, self.wait_ms = task, max_steps, render_mode, wait_ms
        self.width, self.height = FLIGHT_TASK_SIZE if task.startswith("flight.") else TASK_SIZE
        self.action_language = GUIActions(self.width, self.height)
        self.action_space = gym.spaces.Text(max_length=MAX_TEXT, min_length=0, charset=TEXT_CHARSET)
        self.observation_space = observation_space((self.height, self.width, 3))
        self._env = None            # the miniwob env (and its browser), started at first reset
        self._finalizer = None
        self._config = None
        self._pids: list = []       # psutil.Process objects of the browser, to clean up a dead one
        self._utterance = ""
        self._image = np.zeros((self.height, self.width, 3), np.uint8)
        self._dom: list[dict] = []
        self._fields: list[tuple[str, str]] = []
        self._steps, self._done, self._episode_seed = 0, True, None
        self.restarts = 0           # browsers restarted after a crash

    # -- browser lifetime -------------------------------------------------------------------
    def _start(self) -> None:
        import miniwob  # noqa: F401  (registers miniwob/* ids)
        from miniwob.action import ActionSpaceConfig, ActionTypes
        from miniwob.constants import ALL_POSSIBLE_KEYS

        _browser_paths()
        self._types = ActionTypes
        self._config = ActionSpaceConfig(
            action_types=[ActionTypes.NONE, ActionTypes.CLICK_COORDS, ActionTypes.DBLCLICK_COORDS,
                          ActionTypes.MOUSEDOWN_COORDS, ActionTypes.MOUSEUP_COORDS,
                          ActionTypes.SCROLL_UP_COORDS, ActionTypes.SCROLL_DOWN_COORDS,
                          ActionTypes.PRESS_KEY, ActionTypes.TYPE_TEXT],
            allowed_keys=ALL_POSSIBLE_KEYS)
        self._key_index = {key: i for i, key in enumerate(ALL_POSSIBLE_KEYS)}
        self._env = gym.make(f"miniwob/{self.task}-v1", action_space_config=self._config,
                             wait_ms=self.wait_ms, disable_env_checker=True).unwrapped
        self._pids = self._browser_processes()
        # quit the browser when the world is dropped or the interpreter exits without close()
        # (worker processes, tests): an orphaned chromedriver would otherwise outlive us
        self._finalizer = weakref.finalize(self, _shutdown, self._env, self._pids)

    def _browser_processes(self) -> list:
        try:
            import psutil

            driver = psutil.Process(self._env.instance.driver.service.process.pid)
            return [driver] + driver.children(recursive=False)
        except Exception:  # psutil missing or the driver already gone: nothing to track
            return []

    def _stop(self) -> None:
        """Close the browser; kill what is left of it if it died."""
        finalizer, self._finalizer, self._env, self._pids = self._finalizer, None, None, []
        if finalizer is not None:
            finalizer()

    def close(self):
        self._stop()

    def branch(self):
        raise BranchError("GUI worlds cannot branch: a MiniWoB world's state lives in a "
                          "browser, which cannot be copied")

    # -- Gymnasium API ----------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        episode_seed = int(seed) if seed is not None else int(self.np_random.integers(2**31 - 1))
        for attempt in range(2):
            try:
                if self._env is None:
                    self._start()
                raw, raw_info = self._env.reset(seed=episode_seed)
                break
            except Exception as error:  # a dead browser: start a new one, once
                self._stop()
                if attempt == 1:
                    raise RuntimeError(f"MiniWoB task {self.task!r} could not be reset in a "
                                       f"fresh browser: {error}") from error
                self.restarts += 1
        self._steps, self._done, self._episode_seed = 0, False, episode_seed
        obs, info = self._observe(raw, raw_info)
        return obs, info

    def step(self, action):
        if self._done:
            raise RuntimeError("the episode is over: call reset() before step()")
        self._steps += 1
        error = None
        try:
            if isinstance(action, GUIAction):
                action = self.action_language.validate(action)
            else:
                action = self.action_language.parse(action)
        except ActionParseError as parse_error:
            error, action = str(parse_error), GUIAction("wait")
        try:
            raw, _, done, _, raw_info = self._perform(action)
        except Exception as crash:  # the browser died under us
            self._stop()
            self.restarts += 1
            self._done = True
            first_line = (str(crash).strip().splitlines() or [""])[0][:200]
            try:  # a new browser now, so the next episode starts as fast as any
                self._start()
                ended_by = "browser crashed, restarted"
            except Exception as again:
                self._stop()
                ended_by = (f"browser crashed; restarting it failed ({type(again).__name__}), "
                            "tried again at the next reset")
            reason = f"the browser died ({type(crash).__name__}: {first_line}); {ended_by}"
            obs = {"image": self._image.copy(), "text": clean_text(self._utterance)}
            info = self._base_info()
            info.update(truncated_reason=reason, ended_by=ended_by, success=False,
                        action=self._text(action))
            if error:
                info["action_error"] = error
            return obs, 0.0, False, True, info
        obs, info = self._observe(raw, raw_info, done=done)
        reward = float(raw_info["raw_reward"]) if done else 0.0
        truncated = False
        if done:
            info.update(success=reward > 0, reason=str(raw_info.get("reason")))
        elif self.max_steps is not None and self._steps >= self.max_steps:
            truncated = True
            info.update(success=False, truncated_reason=f"step limit ({self.max_steps}) reached")
        self._done = bool(done or truncated)
        info["action"] = self._text(action)
        if error:
            info["action_error"] = error
        return obs, reward, bool(done), truncated, info

    def render(self):
        return self._image.copy() if self.render_mode == "rgb_array" else None

    def task_text(self) -> str:
        return clean_text(self._utterance)

    # -- helpers ----------------------------------------------------------------------------
    def _text(self, action: GUIAction) -> str:
        return self.action_language.format(action)

    def _make(self, kind, **kwargs):
        return self._env.create_action(kind, **kwargs)

    def _coords(self, x, y):
        return np.array([x, y], dtype=np.float32)

    def _perform(self, action: GUIAction):
        """Run a GUIAction in the browser; returns miniwob's 5-tuple of the last sub-action."""
        T, a = self._types, action.args
        if action.kind == "drag":  # press, move (the release moves), release
            self._env.instance.perform(self._make(T.MOUSEDOWN_COORDS, coords=self._coords(a[0], a[1])),
                                       self._config)
            return self._env.step(self._make(T.MOUSEUP_COORDS, coords=self._coords(a[2], a[3])))
        if action.kind in ("click", "double_click"):
            kind = T.CLICK_COORDS if action.kind == "click" else T.DBLCLICK_COORDS
            raw_action = self._make(kind, coords=self._coords(*a))
        elif action.kind == "scroll":
            kind = T.SCROLL_DOWN_COORDS if a[2] == "down" else T.SCROLL_UP_COORDS
            raw_action = self._make(kind, coords=self._coords(a[0], a[1]))
        elif action.kind == "type":
            raw_action = self._make(T.TYPE_TEXT, text=a[0])
        elif action.kind in ("press", "hotkey"):
            raw_action = self._make(T.PRESS_KEY, key=self._key_index[miniwob_key(action)])
        else:  # wait
            raw_action = self._make(T.NONE)
        return self._env.step(raw_action)

    def _observe(self, raw: dict, raw_info: dict, done: bool = False):
        if not done:
            self._utterance = str(raw["utterance"])
            self._dom = [_element(e) for e in raw["dom_elements"]]
            self._fields = [(str(k), str(v)) for k, v in raw["fields"]]
            image = np.asarray(raw["screenshot"], dtype=np.uint8)
            fixed = np.zeros((self.height, self.width, 3), np.uint8)  # crop or pad to the space
            h, w = min(self.height, image.shape[0]), min(self.width, image.shape[1])
            fixed[:h, :w] = image[:h, :w, :3]
            self._image = fixed
        else:
            self._dom, self._image = [], np.zeros((self.height, self.width, 3), np.uint8)
        obs = {"image": self._image.copy(), "text": clean_text(self._utterance)}
        return obs, self._base_info()

    def _base_info(self) -> dict[str, Any]:
        return {"task": self.task, "utterance": self._utterance,
                "fields": [tuple(f) for f in self._fields],
                "dom": [dict(e) for e in self._dom], "step": self._steps,
                "episode_seed": self._episode_seed, "restarts": self.restarts}
