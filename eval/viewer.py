"""The live viewer of `rig play`: the real frame, the imagined next frame, and what the agent said.

Role in the data flow: `rig play` hands the viewer each step's frame, `Decision` and running
totals; the viewer draws them with pygame into one canvas. The canvas is shown in a window, or
drawn off-screen (SDL's dummy driver) when there is no display, so that screenshots and videos
look exactly like the window. The human agent reads its keys from this window.

Layout: [ real frame | imagined next frame ] on top, a text panel below (step, action, return,
achievements, then the reasoning and the review, wrapped). With RIG-lookahead (`rollouts=(C, N)`)
a strip at the bottom shows every reviewed proposal of the step: its imagined actions, its N
imagined frames (marked as imagined, never as observations) and its verdict.
"""

from __future__ import annotations

import os
import sys
import textwrap

import numpy as np

FRAME_PX = 384          # each frame is scaled (nearest) to this many pixels a side
PAD = 8
BACKGROUND = (24, 26, 30)
TEXT = (230, 230, 230)
DIM = (140, 146, 156)
ACCENT = (120, 200, 255)
PANEL_BOTTOM = 672      # the text panel ends here; the lookahead strip starts
THUMB_PX = 72           # an imagined rollout frame in the lookahead strip
ROLLOUT_ROW_H = THUMB_PX + 26
VERDICT_COLOR = {"accept": (120, 220, 140), "revise": (255, 170, 90)}


def display_available() -> bool:
    """Whether a real window can be opened (X11 or Wayland on Linux; always elsewhere)."""
    if os.environ.get("SDL_VIDEODRIVER") in ("dummy", "offscreen"):
        return False
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


class Viewer:
    """Draws play steps; `window=False` renders off-screen only (for videos and screenshots)."""

    def __init__(self, window: bool, title: str = "RIG", fps: float = 0.0,
                 rollouts: tuple[int, int] | None = None):
        """rollouts: (C, N) to make room for C reviewed proposals of N imagined frames each
        (RIG-lookahead); the canvas keeps one size for a whole video."""
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        if not window:
            os.environ["SDL_VIDEODRIVER"] = "dummy"
        import pygame

        self.pygame = pygame
        pygame.display.init()
        pygame.font.init()
        self.window = window
        self.fps = fps
        self.rollouts = rollouts
        extra = 0 if not rollouts else 24 + rollouts[0] * ROLLOUT_ROW_H
        # multiples of 16, so MP4 encoders take frames unscaled
        self.size = (800, PANEL_BOTTOM + (extra + 15) // 16 * 16)
        if window:
            self.screen = pygame.display.set_mode(self.size)
            pygame.display.set_caption(title)
        else:
            self.screen = pygame.Surface(self.size)
        self.font = pygame.font.Font(None, 22)
        self.small = pygame.font.Font(None, 19)
        self.clock = pygame.time.Clock()
        self.closed = False
        # Enter pauses and resumes; "." while paused plays one step (keys no agent uses)
        self.paused, self._one_step = False, False
        self.title = title

    # -- drawing ----------------------------------------------------------------------------
    def draw(self, frame: np.ndarray, decision=None, *, step: int = 0, episode_return: float = 0.0,
             achievements: list[str] | tuple = (), world: str = "", agent: str = "",
             episode: int = 0, status: str = "", observation_text: str = "") -> None:
        pg = self.pygame
        self.screen.fill(BACKGROUND)
        top = PAD + 20
        self._label("real frame", (PAD, PAD))
        self._blit_frame(frame, (PAD, top))
        self._pointer(decision, frame.shape, (PAD, top))
        left2 = 2 * PAD + FRAME_PX
        imagined = getattr(decision, "imagined_frame", None) if decision is not None else None
        if imagined is not None:
            self._label("imagined next frame", (left2, PAD))
            self._blit_frame(imagined, (left2, top))
        else:
            self._label("imagined next frame", (left2, PAD))
            pg.draw.rect(self.screen, (40, 43, 50), (left2, top, FRAME_PX, FRAME_PX))
            note = self.small.render("this agent does not imagine", True, DIM)
            self.screen.blit(note, note.get_rect(center=(left2 + FRAME_PX // 2,
                                                         top + FRAME_PX // 2)))
        y = top + FRAME_PX + PAD
        header = f"{world}   agent: {agent}   episode {episode}   step {step}   " \
                 f"return {episode_return:.1f}"
        self._text(header, (PAD, y), ACCENT)
        y += 22
        action = decision.action_text if decision is not None else "-"
        self._text(f"action: {action}" + (f"   [{status}]" if status else ""), (PAD, y))
        y += 22
        unlocked = ", ".join(a.replace("_", " ") for a in achievements) or "none yet"
        for line in textwrap.wrap(f"achievements ({len(achievements)}): {unlocked}", 110)[:2]:
            self._text(line, (PAD, y), DIM, self.small)
            y += 18
        y += 4
        reasoning = decision.reasoning if decision is not None and decision.reasoning else ""
        review = getattr(decision, "review", None) if decision is not None else None
        lines = textwrap.wrap(f"reasoning: {reasoning or '(none)'}", 95)
        if review:
            lines += textwrap.wrap(f"review: {review}", 95)
        for line in lines[:6]:
            self._text(line, (PAD, y))
            y += 21
        if observation_text:
            y += 6
            self._text("the agent reads:", (PAD, y), DIM, self.small)
            y += 18
            for line in observation_text.splitlines()[:5]:
                for wrapped in textwrap.wrap(line, 110)[:2]:
                    if y + 17 > PANEL_BOTTOM:   # never into the lookahead strip below
                        break
                    self._text(wrapped, (PAD, y), DIM, self.small)
                    y += 17
        if self.rollouts:
            self._rollout_strip(decision, PANEL_BOTTOM)

    def _rollout_strip(self, decision, top: int) -> None:
        """Each reviewed proposal: its imagined actions and verdict, then its imagined frames."""
        pg = self.pygame
        candidates, lookahead = self.rollouts
        frames = getattr(decision, "lookahead_frames", None) if decision is not None else None
        extras = getattr(decision, "extras", {}) if decision is not None else {}
        # one "proposal -> imagined action -> ..." chain per reviewed proposal (RigPolicy)
        chains, verdicts = extras.get("imagined_actions", []), extras.get("verdicts", [])
        pg.draw.line(self.screen, (60, 64, 72), (PAD, top), (self.size[0] - PAD, top), 1)
        self._label(f"imagined before acting: up to {candidates} proposal(s), {lookahead} "
                    "step(s) ahead each (imagined frames, not observations)", (PAD, top + 4))
        if frames is None:
            return
        for c, chain in enumerate(chains[:candidates]):
            y = top + 24 + c * ROLLOUT_ROW_H
            self._text(f"{c + 1}. {chain}", (PAD, y), TEXT, self.small)
            verdict = verdicts[c] if c < len(verdicts) else ""
            if verdict:
                self._text(verdict, (self.size[0] - PAD - 60, y), VERDICT_COLOR.get(verdict, DIM),
                           self.small)
            for n in range(min(lookahead, (self.size[0] - PAD) // (THUMB_PX + PAD))):
                self._blit_frame(frames[c, n], (PAD + n * (THUMB_PX + PAD), y + 18), THUMB_PX)

    def _label(self, text: str, pos) -> None:
        self.screen.blit(self.small.render(text, True, DIM), pos)

    def _text(self, text: str, pos, color=TEXT, font=None) -> None:
        # model output is data: control characters (SDL refuses NUL) are shown as spaces
        text = "".join(ch if ch.isprintable() else " " for ch in text)
        self.screen.blit((font or self.font).render(text, True, color), pos)

    @staticmethod
    def _fit(shape, px: int = FRAME_PX) -> float:
        """Scale of a frame in its px square (aspect kept: GUI screenshots are tall)."""
        return px / max(shape[0], shape[1])

    def _blit_frame(self, frame: np.ndarray, pos, px: int = FRAME_PX) -> None:
        pg = self.pygame
        frame = np.ascontiguousarray(frame[..., :3], dtype=np.uint8)
        surface = pg.surfarray.make_surface(frame.transpose(1, 0, 2))
        scale = self._fit(frame.shape, px)
        size = (round(frame.shape[1] * scale), round(frame.shape[0] * scale))
        if surface.get_size() != size:
            surface = pg.transform.scale(surface, size)
        self.screen.blit(surface, pos)

    def _pointer(self, decision, shape, pos) -> None:
        """Draw where a GUI action points (click, double click, scroll, drag) on the frame."""
        action = getattr(decision, "action", None)
        args = getattr(action, "args", None)
        if getattr(action, "kind", None) not in ("click", "double_click", "scroll", "drag"):
            return
        scale = self._fit(shape)
        points = [(pos[0] + args[i] * scale, pos[1] + args[i + 1] * scale)
                  for i in range(0, 4 if action.kind == "drag" else 2, 2)]
        for x, y in points:
            self.pygame.draw.circle(self.screen, ACCENT, (x, y), 9, 2)
            self.pygame.draw.line(self.screen, ACCENT, (x - 13, y), (x + 13, y), 1)
            self.pygame.draw.line(self.screen, ACCENT, (x, y - 13), (x, y + 13), 1)
        if len(points) == 2:
            self.pygame.draw.line(self.screen, ACCENT, points[0], points[1], 2)

    # -- output -----------------------------------------------------------------------------
    def show(self) -> None:
        """Put the canvas on screen (window mode), pace to `fps`, and handle window events."""
        if not self.window:
            return
        self.pygame.display.flip()
        self.poll()
        while self.paused and not self._one_step and not self.closed:
            self.pygame.time.wait(20)  # the episode waits here; the window stays responsive
            self.poll()
        self._one_step = False
        if self.fps > 0:
            self.clock.tick(self.fps)

    def poll(self) -> list:
        """Handle pending window events; returns the key-down events (for the human agent)."""
        if not self.window:
            return []
        keys = []
        for event in self.pygame.event.get():
            if event.type == self.pygame.QUIT:
                self.closed = True
            elif event.type == self.pygame.KEYDOWN:
                if event.key == self.pygame.K_ESCAPE:
                    self.closed = True
                elif event.key == self.pygame.K_RETURN:
                    self._pause(not self.paused)
                elif event.key == self.pygame.K_PERIOD:
                    self._pause(True)
                    self._one_step = True
                keys.append(event)
        return keys

    def _pause(self, paused: bool) -> None:
        self.paused = paused
        hint = "  [paused: Enter resumes, . plays one step]" if paused else ""
        self.pygame.display.set_caption(self.title + hint)

    def canvas(self) -> np.ndarray:
        """The current canvas as an (H, W, 3) uint8 array (what a video frame records)."""
        return self.pygame.surfarray.array3d(self.screen).transpose(1, 0, 2).copy()

    def screenshot(self, path: str) -> None:
        self.pygame.image.save(self.screen, path)

    def close(self) -> None:
        self.pygame.display.quit()
