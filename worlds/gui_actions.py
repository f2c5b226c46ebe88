"""The pyautogui-style action language of GUI worlds: `click(34, 120)`, `type("hello")`, ...

Grammar (whitespace allowed between tokens, nothing after the closing parenthesis):

    action  := NAME "(" [arg ("," arg)*] ")"
    arg     := INT | STRING
    INT     := "-"? [0-9]+
    STRING  := '"' (char | "\\" escape)* '"'  |  "'" (char | "\\" escape)* "'"
    escape  := "\\" | '"' | "'" | "n" | "t"

| action                   | meaning                                                    |
|--------------------------|------------------------------------------------------------|
| click(x, y)              | left click at screen pixel (x, y)                          |
| double_click(x, y)       | double click at (x, y)                                     |
| type("text")             | type the text into the focused element (printable ASCII)   |
| press("Enter")           | press one key: a character or a named key (`KEY_NAMES`)    |
| hotkey("ctrl", "a")      | hold modifiers (ctrl, shift, alt, meta), press the last key |
| scroll(x, y, "down")     | turn the mouse wheel at (x, y), "up" or "down"             |
| drag(x1, y1, x2, y2)     | press the button at (x1, y1), move, release at (x2, y2)    |
| wait()                   | do nothing this step                                       |

Coordinates are integer pixels of the observation image (x right, y down) and must lie inside
the screen. The text is tokenized by one regular expression and parsed by hand: model output is
never evaluated as Python. `format()` writes the canonical text, which `parse()` reads back to
the same `GUIAction`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .base import ActionParseError

MAX_TYPE_LENGTH = 256
TYPABLE = frozenset(chr(c) for c in range(32, 127))  # printable ASCII, space included

# Canonical key names (what format() writes) -> MiniWoB/WebDriver key names.
KEY_NAMES: dict[str, str] = {
    "Enter": "<Enter>", "Tab": "<Tab>", "Backspace": "<Backspace>", "Delete": "<Delete>",
    "Escape": "<Escape>", "Space": "<Space>", "Insert": "<Insert>", "Home": "<Home>",
    "End": "<End>", "PageUp": "<PageUp>", "PageDown": "<PageDown>", "ArrowUp": "<ArrowUp>",
    "ArrowDown": "<ArrowDown>", "ArrowLeft": "<ArrowLeft>", "ArrowRight": "<ArrowRight>",
    **{f"F{i}": f"<F{i}>" for i in range(1, 13)},
}
# Other spellings (pyautogui's among them), matched case-insensitively.
_KEY_ALIASES = {
    "return": "Enter", "esc": "Escape", "del": "Delete", "up": "ArrowUp", "down": "ArrowDown",
    "left": "ArrowLeft", "right": "ArrowRight", "pgup": "PageUp", "pgdn": "PageDown",
    "pageup": "PageUp", "pagedown": "PageDown", "space": "Space", "backspace": "Backspace",
}
_KEY_LOOKUP = {**{name.lower(): name for name in KEY_NAMES}, **_KEY_ALIASES}
# Canonical modifier names -> MiniWoB prefixes, in MiniWoB's combination order (A-C-M-S-).
MODIFIERS = {"alt": "A-", "ctrl": "C-", "meta": "M-", "shift": "S-"}
_MODIFIER_LOOKUP = {"alt": "alt", "option": "alt", "ctrl": "ctrl", "control": "ctrl",
                    "meta": "meta", "cmd": "meta", "command": "meta", "win": "meta",
                    "super": "meta", "shift": "shift"}

# kind -> argument types ("i" = int coordinate x, "j" = int coordinate y, "s" = string)
SIGNATURES = {
    "click": "ij", "double_click": "ij", "type": "s", "press": "s", "hotkey": "s+",
    "scroll": "ijs", "drag": "ijij", "wait": "",
}

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<int>-?[0-9]+(?![0-9A-Za-z_.]))
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<punct>[(),])
""", re.VERBOSE | re.DOTALL)
_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t"}
MAX_TEXT = 1024  # longer action text is rejected before tokenizing


@dataclass(frozen=True)
class GUIAction:
    """One GUI action: its kind (`click`, `type`, ...) and its arguments, already validated."""

    kind: str
    args: tuple = ()


def _shown(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _unquote(token: str) -> str:
    body, out, i = token[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1]  # the token regex guarantees a character after a backslash
            if nxt not in _ESCAPES:
                raise ActionParseError(f"unknown escape \\{nxt} in string {token}")
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def tokenize(text: str) -> list[tuple[str, str]]:
    """Split action text into (kind, token) pairs; raise ActionParseError on a stray character."""
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ActionParseError(f"unexpected character {text[pos]!r} at {pos} in {_shown(text)}")
        if match.lastgroup != "space":
            tokens.append((match.lastgroup, match.group()))
        pos = match.end()
    return tokens


def normalize_key(name: str) -> str:
    """The canonical name of a key: a single character as is, or one of `KEY_NAMES`."""
    if len(name) == 1:
        if name not in TYPABLE:
            raise ActionParseError(f"key {name!r} is not a printable ASCII character")
        return name
    canonical = _KEY_LOOKUP.get(name.lower())
    if canonical is None:
        raise ActionParseError(f"unknown key {name!r}; keys are single characters or one of "
                               f"{', '.join(KEY_NAMES)}")
    return canonical


class GUIActions:
    """The open, pyautogui-style action language of a `width` x `height` screen."""

    def __init__(self, width: int, height: int):
        self.width, self.height = int(width), int(height)

    # -- text -> action ---------------------------------------------------------------------
    def parse(self, text: str) -> GUIAction:
        if not isinstance(text, str):
            raise ActionParseError(f"action text must be a string, got {type(text).__name__}")
        if len(text) > MAX_TEXT:
            raise ActionParseError(f"action text is longer than {MAX_TEXT} characters")
        tokens = tokenize(text)
        if len(tokens) < 3 or tokens[0][0] != "name" or tokens[1] != ("punct", "("):
            raise ActionParseError(f"expected NAME(arguments...), got {_shown(text)}")
        kind = tokens[0][1].lower()
        if kind not in SIGNATURES:
            raise ActionParseError(f"unknown action {tokens[0][1]!r}; actions: "
                                   f"{', '.join(SIGNATURES)}")
        close = tokens.index(("punct", ")")) if ("punct", ")") in tokens else -1
        if close == -1:
            raise ActionParseError(f"missing ')' at the end of {_shown(text)}")
        if close != len(tokens) - 1:
            raise ActionParseError(f"unexpected {tokens[close + 1][1]!r} after ')' in "
                                   f"{_shown(text)}: one action per step")
        args, body = [], tokens[2:-1]
        for i, (tok_kind, tok) in enumerate(body):
            if i % 2 == 1:
                if (tok_kind, tok) != ("punct", ","):
                    raise ActionParseError(f"expected ',' between arguments, got {tok!r}")
                continue
            if tok_kind == "int":
                args.append(int(tok))
            elif tok_kind == "string":
                args.append(_unquote(tok))
            else:
                raise ActionParseError(f"expected a number or a quoted string, got {tok!r}")
        if body and len(body) % 2 == 0:
            raise ActionParseError(f"trailing ',' in {_shown(text)}")
        return self.validate(GUIAction(kind, tuple(args)))

    def validate(self, action: GUIAction) -> GUIAction:
        """Check argument count, types and ranges; return the action in canonical form."""
        if not isinstance(action, GUIAction):
            raise ActionParseError(f"not a GUIAction: {action!r}")
        kind, args = action.kind, tuple(action.args)
        signature = SIGNATURES.get(kind)
        if signature is None:
            raise ActionParseError(f"unknown action {kind!r}")
        if signature == "s+":
            if len(args) < 2:
                raise ActionParseError("hotkey needs at least one modifier and a key: "
                                       'hotkey("ctrl", "a")')
            if not all(isinstance(a, str) for a in args):
                raise ActionParseError("hotkey takes quoted key names only")
            mods = []
            for name in args[:-1]:
                mod = _MODIFIER_LOOKUP.get(name.lower())
                if mod is None:
                    raise ActionParseError(f"unknown modifier {name!r}; modifiers: "
                                           f"{', '.join(MODIFIERS)}")
                if mod in mods:
                    raise ActionParseError(f"modifier {mod!r} given twice")
                mods.append(mod)
            mods.sort(key=list(MODIFIERS).index)
            return GUIAction(kind, (*mods, normalize_key(args[-1])))
        if len(args) != len(signature):
            raise ActionParseError(f"{kind} takes {len(signature)} argument(s), got {len(args)}")
        out = []
        for arg, typ in zip(args, signature):
            if typ in "ij":
                if isinstance(arg, bool) or not isinstance(arg, int):
                    raise ActionParseError(f"{kind}: coordinates are integers, got {arg!r}")
                limit = self.width if typ == "i" else self.height
                if not 0 <= arg < limit:
                    axis = "x" if typ == "i" else "y"
                    raise ActionParseError(f"{kind}: {axis}={arg} is outside the screen "
                                           f"(0 <= {axis} < {limit})")
                out.append(int(arg))
            elif not isinstance(arg, str):
                raise ActionParseError(f"{kind}: expected a quoted string, got {arg!r}")
            else:
                out.append(arg)
        if kind == "type":
            bad = sorted(set(out[0]) - TYPABLE)
            if bad:
                raise ActionParseError(f"type: only printable ASCII can be typed, got {bad[0]!r}")
            if not 0 < len(out[0]) <= MAX_TYPE_LENGTH:
                raise ActionParseError(f"type: text must have 1 to {MAX_TYPE_LENGTH} characters")
        elif kind == "press":
            out[0] = normalize_key(out[0])
        elif kind == "scroll":
            if out[2].lower() not in ("up", "down"):
                raise ActionParseError(f'scroll: direction must be "up" or "down", got {out[2]!r}')
            out[2] = out[2].lower()
        return GUIAction(kind, tuple(out))

    # -- action -> text ---------------------------------------------------------------------
    def format(self, action: Any) -> str:
        action = self.validate(action)
        parts = [str(a) if isinstance(a, int) else _quote(a) for a in action.args]
        return f"{action.kind}({', '.join(parts)})"

    def vocabulary(self) -> None:
        return None  # open language: coordinates and typed text have no finite list


def miniwob_key(action: GUIAction) -> str:
    """The MiniWoB key string (`C-a`, `<Enter>`, `x`) of a validated press or hotkey action."""
    *mods, key = action.args
    prefix = "".join(MODIFIERS[m] for m in mods)
    return prefix + KEY_NAMES.get(key, key)
