"""The world interface every RIG world follows, and the action language that names actions.

Role in the data flow: a world turns an action into the next `Observation`
(`{"image": uint8 (H, W, 3), "text": str}`) on the Gymnasium API; privileged state for experts
and metrics travels in `info`. Agents and models never see a world's internal action type
directly: every action has a canonical text form, and an `ActionLanguage` formats and parses it
both ways. Crafter's language is a closed set of names (`move_left`, `do`, ...); GUI worlds speak
an open, pyautogui-style language (`click(34, 120)`) behind the same interface.
"""

from __future__ import annotations

import copy
import re
import string
from typing import Any, Protocol, runtime_checkable

import gymnasium as gym
import numpy as np

from rig.config import RigError

# Characters an observation's text may hold. Gymnasium's Text space defaults to alphanumerics
# only, which would reject "Health 9/9, wood 2."; printable ASCII covers what worlds write.
TEXT_CHARSET = frozenset(string.printable)
TEXT_MAX_LENGTH = 1024


class WorldUnavailableError(RigError, RuntimeError):
    """Software a world needs (a browser, a game engine, Java) is not installed; the message says
    what to install. The CLI prints it without a traceback."""


class BranchError(TypeError):
    """A world whose state lives outside Python (a browser, a game engine) cannot be branched."""


class ActionParseError(ValueError):
    """Action text that does not belong to a world's action language."""


@runtime_checkable
class ActionLanguage(Protocol):
    """Formats a world's actions as canonical text and parses text back into actions."""

    def format(self, action: Any) -> str: ...

    def parse(self, text: str) -> Any:
        """Return the action named by `text`; raise `ActionParseError` when it names none."""
        ...

    def vocabulary(self) -> list[str] | None:
        """Every legal action text for closed languages (one token each); None for open ones."""
        ...


# A discrete action name: lowercase words joined by underscores, optionally written as a call
# with no arguments (`do()`), which models that learned GUI syntax tend to produce.
_NAME = re.compile(r"\s*([a-z][a-z0-9_]*)\s*(?:\(\s*\))?\s*\Z")


class DiscreteActions:
    """The action language of a world whose actions are a fixed list of names (ids 0..n-1)."""

    def __init__(self, names: list[str] | tuple[str, ...]):
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate action names in {names}")
        self.names = tuple(names)
        self._ids = {name: i for i, name in enumerate(self.names)}

    def format(self, action: Any) -> str:
        index = int(action)
        if not 0 <= index < len(self.names):
            raise ActionParseError(f"action id {index} is outside 0..{len(self.names) - 1}")
        return self.names[index]

    def parse(self, text: str) -> int:
        if not isinstance(text, str):
            raise ActionParseError(f"action text must be a string, got {type(text).__name__}")
        match = _NAME.match(text.lower())
        if not match or match.group(1) not in self._ids:
            shown = text if len(text) <= 40 else text[:37] + "..."
            raise ActionParseError(
                f"unknown action {shown!r}; legal actions: {', '.join(self.names)}")
        return self._ids[match.group(1)]

    def vocabulary(self) -> list[str]:
        return list(self.names)

    def __len__(self) -> int:
        return len(self.names)


def observation_space(image_shape: tuple[int, int, int]) -> gym.spaces.Dict:
    """The observation space shared by all worlds: a frame and the text a person would read."""
    return gym.spaces.Dict({
        "image": gym.spaces.Box(0, 255, image_shape, np.uint8),
        "text": gym.spaces.Text(max_length=TEXT_MAX_LENGTH, min_length=0, charset=TEXT_CHARSET),
    })


def check_world_options(render_mode: str | None, **step_limits: int | None) -> None:
    """The checks every world makes of its shared options: each step limit (`max_steps`, or
    Crafter's `length`) a positive number of steps or None, and `render_mode` None or
    'rgb_array'. Raises ValueError naming the option."""
    for name, value in step_limits.items():
        if value is not None and value < 1:
            raise ValueError(f"{name} must be a positive number of steps or None, got {value}")
    if render_mode not in (None, "rgb_array"):
        raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")


class World(gym.Env):
    """Base class of RIG worlds: a Gymnasium env with an action language and a branch operation.

    Subclasses set `action_language` and implement the Gymnasium methods. `branch()` returns an
    independent copy whose future does not touch the original: stepping the copy never changes
    what the original will do. Subclasses name attributes that are immutable and large (textures)
    in `_shared_on_branch` so that branching is cheap.
    """

    action_language: ActionLanguage
    _shared_on_branch: tuple[str, ...] = ()
    # False for worlds whose state lives in another process: `branch()` raises BranchError
    branchable = True

    def branch(self) -> "World":
        memo = {id(getattr(self, name)): getattr(self, name) for name in self._shared_on_branch}
        return copy.deepcopy(self, memo)

    def redraw_future(self, seed: int) -> None:
        """Re-draw this world's chance from `seed` (creatures' moves, spawns): called on a
        branch, it gives the branch the original's rules and state but other dice, so the
        original's luck stays unseen (`--oracle-futures`). Worlds without a random state of
        their own raise BranchError."""
        raise BranchError(f"{type(self).__name__} cannot re-draw its future")

    def task_text(self) -> str:
        """The task in words, as shown to agents and people."""
        return ""


def branch(env: gym.Env) -> gym.Env:
    """Branch a (possibly wrapped) world: the copy and the original then evolve independently.

    Copies the whole wrapper stack, so episode statistics and time limits carry over too.
    """
    inner = env.unwrapped
    if not isinstance(inner, World):
        raise TypeError(f"{type(inner).__name__} is not a RIG world and cannot be branched")
    if not inner.branchable:
        inner.branch()  # raises the world's own BranchError, which says why
        raise BranchError(f"{type(inner).__name__} cannot be branched")
    memo = {id(getattr(inner, name)): getattr(inner, name) for name in inner._shared_on_branch}
    return copy.deepcopy(env, memo)
