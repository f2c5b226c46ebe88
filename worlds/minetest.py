"""Minetest (a 3-D voxel sandbox, Debian's `minetest` 5.6) as RIG worlds: Minecraft's tech tree
in first person, on a laptop CPU.

Role in the data flow: like every world, it turns an action into the next `Observation`
(`{"image": uint8 (size, size, 3), "text": vitals, inventory and the task}`) on the Gymnasium
API, with privileged state for experts and metrics in `info`. Per world:
- a virtual X screen (`Xvfb`, one per world, its display number chosen by Xvfb itself), kept
  for the world's life;
- at each `reset(seed=s)`, a fresh map from seed `s` and two engine processes: the server
  (`minetest --server`, listening on 127.0.0.1 only, on a free port), which generates the map
  around the start before anyone joins, then the client, which draws the player's first-person
  view with Mesa's software renderer. The server starts at a fixed fake time (libfaketime,
  Debian's `faketime`, when installed): the engine seeds the random numbers of its tree
  schematics from the clock, and a seed then gives the same map every time;
- `rig_bridge`, a server-side Lua mod (worlds/minetest_mod/): it reads one command at a time
  from a file in the world folder, performs it for the player with the engine's own rules, and
  answers with the state. A strip of HUD colour under the picture names the command's id, so
  the frame returned is one the client drew after the command took effect: a step that moves
  or turns the player holds the marker until the client reports drawing the new pose, and one
  that changes nodes is returned once the picture has settled. The sky is plain (its colour
  set from the time of day) and liquids are not animated, so a frame depends on the state,
  not on how fast the machine draws.

Actions are a closed set of names (`MINETEST_ACTIONS`, one token each, parsed by the world's
`DiscreteActions` grammar): moves of one node (stepping up one node or down up to three),
45-degree turns and looks, `dig` (repeated: each adds half a second of the engine's digging
time, so a stone pickaxe digs stone faster than a wooden one), placing a crafting table, a
furnace or a building block against the pointed node, crafting by product (`craft_sticks`;
3x3 recipes need a placed crafting table within 4 nodes, as in Minecraft; the table is this
mod's node, minetest_game has none), and `smelt_iron` next to a furnace with fuel.

Achievements follow MineRL's tech tree (`ACHIEVEMENTS`); reward is +1 per new achievement.
`rig/Minetest-v0` is the open tech tree (the score is Crafter's: the geometric mean of the
achievements' success rates); `rig/Minetest-<Task>-v0` ends with success at the task's
achievement. Time of day advances with steps, not wall-clock time, so a seed and an action
sequence replay the same way; the engine's own timers (leaf decay, water flow) still run in real
time, a known source of small differences. The engine's state cannot be copied: `branch()`
raises `BranchError`, which lookahead reports. A dead engine is restarted at the next reset, and
the step in flight ends the episode with `truncated=True` and `info["ended_by"]`.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from rig.config import RigError

from .base import (BranchError, DiscreteActions, World, WorldUnavailableError,
                   check_world_options, observation_space)

MOD_DIR = Path(__file__).parent / "minetest_mod"

MINETEST_ACTIONS: tuple[str, ...] = (
    "noop", "forward", "back", "strafe_left", "strafe_right", "turn_left", "turn_right",
    "look_up", "look_down", "dig", "place_block", "place_table", "place_furnace",
    "craft_planks", "craft_sticks", "craft_table", "craft_wooden_pickaxe",
    "craft_stone_pickaxe", "craft_furnace", "smelt_iron")

# MineRL's tech tree, in order (the Lua mod unlocks them; this is their order in `info`)
ACHIEVEMENTS: tuple[str, ...] = (
    "collect_log", "craft_planks", "craft_sticks", "craft_table", "place_table",
    "craft_wooden_pickaxe", "collect_cobblestone", "craft_stone_pickaxe", "collect_coal",
    "craft_furnace", "place_furnace", "collect_iron", "smelt_iron")


@dataclass(frozen=True)
class MinetestTask:
    name: str          # the <Task> of rig/Minetest-<Task>-v0 ("" for the open tech tree)
    goal: str | None   # the achievement that ends the episode with success
    text: str          # the task in words


TASKS: dict[str, MinetestTask] = {t.name: t for t in (
    MinetestTask("", None, "Climb the tech tree: logs, planks, sticks, a crafting table, "
                 "pickaxes, stone, coal, a furnace, iron."),
    MinetestTask("Log", "collect_log", "Collect a log."),
    MinetestTask("Planks", "craft_planks", "Craft planks."),
    MinetestTask("Sticks", "craft_sticks", "Craft sticks."),
    MinetestTask("Table", "craft_table", "Craft a crafting table."),
    MinetestTask("WoodenPickaxe", "craft_wooden_pickaxe", "Craft a wooden pickaxe."),
    MinetestTask("Stone", "collect_cobblestone", "Collect cobblestone."),
    MinetestTask("StonePickaxe", "craft_stone_pickaxe", "Craft a stone pickaxe."),
    MinetestTask("Coal", "collect_coal", "Collect coal."),
    MinetestTask("Furnace", "craft_furnace", "Craft a furnace."),
    MinetestTask("IronIngot", "smelt_iron", "Smelt an iron ingot."),
)}

# item ids -> the words the observation text uses
ITEM_WORDS = {
    "default:tree": "log", "default:jungletree": "jungle log", "default:pine_tree": "pine log",
    "default:acacia_tree": "acacia log", "default:aspen_tree": "aspen log",
    "default:wood": "planks", "default:junglewood": "jungle planks",
    "default:pine_wood": "pine planks", "default:acacia_wood": "acacia planks",
    "default:aspen_wood": "aspen planks", "default:stick": "stick",
    "rig_bridge:crafting_table": "crafting table", "default:pick_wood": "wooden pickaxe",
    "default:cobble": "cobblestone", "default:pick_stone": "stone pickaxe",
    "default:coal_lump": "coal", "default:furnace": "furnace", "default:iron_lump": "iron ore",
    "default:steel_ingot": "iron ingot", "default:dirt": "dirt",
}
# info["inventory"]: a fixed list of counts (stores keep one column per name), the kinds of log
# and of planks counted together and anything off the tech tree as "other"
INVENTORY = ("log", "planks", "stick", "crafting table", "wooden pickaxe", "cobblestone",
             "stone pickaxe", "coal", "furnace", "iron ore", "iron ingot", "dirt", "other")


def inventory_counts(items: dict[str, int]) -> dict[str, int]:
    counts = dict.fromkeys(INVENTORY, 0)
    for name, count in items.items():
        words = item_words(name)
        key = ("log" if words.endswith(" log") else "planks" if words.endswith(" planks")
               else words if words in counts else "other")
        counts[key] += int(count)
    return counts


HP_MAX = 20
MARKER_ROWS = 4          # the strip under the picture that shows the command id's colour
MARKER_COLOURS = np.array([(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (255, 0, 255),
                           (0, 255, 255), (255, 255, 255), (0, 0, 0)], np.int32)
STEPS_PER_DAY = 1200     # a Minetest day in steps (time does not follow the wall clock)
START_TIME_OF_DAY = 0.3  # an episode starts in the morning (0 = midnight, 0.5 = noon)
SERVER_STEP_S = 0.01     # the server's step: the mod reads a command and answers a step later
CLIENT_FPS_MAX = 60      # the client's frame cap (it draws all the time, beside the server)


class MinetestMissingError(WorldUnavailableError):
    """The engine or the virtual screen is not installed."""


class EngineError(RigError, RuntimeError):
    """The engine died or stopped answering."""


def item_words(item: str) -> str:
    return ITEM_WORDS.get(item, item.split(":")[-1].replace("_", " "))


def _executable(name: str) -> str | None:
    # Debian puts games in /usr/games, which is not on every PATH
    return shutil.which(name) or next(
        (p for p in (f"/usr/games/{name}", f"/usr/bin/{name}") if os.access(p, os.X_OK)), None)


def engine_paths() -> tuple[str, str]:
    """The engine and Xvfb; raises MinetestMissingError with the fix when either is missing."""
    engine = os.environ.get("RIG_MINETEST") or _executable("minetest")
    xvfb = _executable("Xvfb")
    missing = [name for name, path in (("minetest", engine), ("Xvfb", xvfb))
               if not path or not os.access(path, os.X_OK)]
    if missing:
        raise MinetestMissingError(
            f"Minetest worlds need {' and '.join(missing)}, which was not found. Run "
            "scripts/setup.sh, or: apt-get install minetest xvfb (Debian/Ubuntu; the engine "
            "brings minetest_game). Without them the Minecraft-like world is rig/Crafter-v0.")
    return engine, xvfb


def _faketime_library() -> str | None:
    """libfaketime (Debian's `faketime`), if installed: it fixes the time the server starts at."""
    for path in ("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
                 "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1",
                 "/usr/lib/faketime/libfaketimeMT.so.1"):
        if os.path.exists(path):
            return path
    return None


def _die_with_parent() -> None:
    """Run in the child before exec: the kernel sends it SIGTERM when the Python process that
    started it dies, however it dies (a killed Python runs no finalizer)."""
    import ctypes
    import signal

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:   # not Linux/glibc: the finalizers are the only guard
        pass


def _remove_orphaned_folders() -> None:
    """Remove world folders left by a Python that was killed (its finalizer never ran): they
    are named rig-minetest-<pid>-..., and their pid is no longer running."""
    root = Path(tempfile.gettempdir())
    for folder in root.glob("rig-minetest-*-*"):
        pid = folder.name.split("-")[2]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(folder, ignore_errors=True)


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop_processes(processes: list[subprocess.Popen], folder: str | None) -> None:
    """Terminate the engine and the screen (kill after 5 s) and remove the world folder."""
    for proc in processes:
        if proc.poll() is None:
            proc.terminate()
    for proc in processes:
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


class _Display:
    """A virtual X screen of one world (Xvfb), and grabs of it through XShm (mss)."""

    def __init__(self, xvfb: str, width: int, height: int):
        read, write = os.pipe()
        self.process = subprocess.Popen(
            [xvfb, "-displayfd", str(write), "-screen", "0", f"{width}x{height}x24",
             "-nolisten", "tcp"],
            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=_die_with_parent)
        os.close(write)
        number = b""
        deadline = time.monotonic() + 20
        with os.fdopen(read, "rb") as pipe:
            while not number.endswith(b"\n") and time.monotonic() < deadline:
                chunk = pipe.read(1)
                if not chunk:
                    break
                number += chunk
        if not number.strip().isdigit():
            self.process.kill()
            raise EngineError("Xvfb did not start (no display number)")
        self.name = f":{int(number)}"
        self.width, self.height = width, height
        self._grabber = None

    def grab(self) -> np.ndarray:
        """The screen as uint8 RGB (height, width, 3)."""
        if self._grabber is None:
            import mss

            self._grabber = mss.MSS(display=self.name)
        shot = self._grabber.grab({"left": 0, "top": 0, "width": self.width,
                                   "height": self.height})
        return np.asarray(shot)[:, :, 2::-1]   # BGRA -> RGB

    def close(self) -> None:
        if self._grabber is not None:
            try:
                self._grabber.close()
            except Exception:
                pass
            self._grabber = None


class MinetestWorld(World):
    """A Minetest task behind the RIG world interface (see the module docstring)."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}
    branchable = False

    def __init__(self, task: str = "", size: int = 64, max_steps: int | None = 1000,
                 render_mode: str | None = None, viewing_range: int = 32,
                 start_timeout: float = 60.0, step_timeout: float = 20.0):
        if task not in TASKS:
            raise ValueError(f"unknown Minetest task {task!r}; tasks: "
                             f"{', '.join(t or '(tech tree)' for t in TASKS)}")
        if not 16 <= size <= 512:
            raise ValueError(f"size must be between 16 and 512 pixels, got {size}")
        check_world_options(render_mode, max_steps=max_steps)
        engine_paths()
        self.task = TASKS[task]
        self.size, self.max_steps, self.render_mode = size, max_steps, render_mode
        self.viewing_range, self.start_timeout, self.step_timeout = (
            viewing_range, start_timeout, step_timeout)
        self.action_language = DiscreteActions(MINETEST_ACTIONS)
        self.action_space = gym.spaces.Discrete(len(MINETEST_ACTIONS))
        self.observation_space = observation_space((size, size, 3))
        self._display: _Display | None = None
        self._display_finalizer = None
        self._engine: subprocess.Popen | None = None     # the server (map, rules, rig_bridge)
        self._client: subprocess.Popen | None = None     # draws the player's view
        self._processes: list[subprocess.Popen] = []
        self._folder: str | None = None
        self._finalizer = None
        self._command_id = 0
        self._state: dict[str, Any] | None = None
        self._image = np.zeros((size, size, 3), np.uint8)
        self._steps, self._done, self._episode_seed = 0, True, None
        self.restarts = 0         # engines restarted after they died
        self.timings: dict[str, float] = {}   # seconds of the last reset's phases

    # -- processes --------------------------------------------------------------------------
    def _start(self, seed: int) -> None:
        """A fresh map from `seed` and an engine on it (the screen is kept between episodes)."""
        engine, xvfb = engine_paths()
        self._stop_engine()
        if self._display is None or self._display.process.poll() is not None:
            self._close_display()
            self._display = _Display(xvfb, self.size, self.size + MARKER_ROWS)
            self._display_finalizer = weakref.finalize(self, _stop_processes,
                                                       [self._display.process], None)
        _remove_orphaned_folders()
        folder = tempfile.mkdtemp(prefix=f"rig-minetest-{os.getpid()}-")
        world = Path(folder) / "world"
        (world / "worldmods").mkdir(parents=True)
        shutil.copytree(MOD_DIR / "rig_bridge", world / "worldmods" / "rig_bridge")
        (world / "world.mt").write_text(
            "gameid = minetest_game\nbackend = sqlite3\nplayer_backend = sqlite3\n"
            "auth_backend = sqlite3\nmod_storage_backend = sqlite3\ncreative_mode = false\n"
            "enable_damage = true\n")
        (world / "map_meta.txt").write_text(f"seed = {seed}\nmg_name = v7\n[end_of_params]\n")
        # the episode's first time of day from the start, so the client's sky does not ease
        # towards it from another
        (world / "env_meta.txt").write_text(
            f"time_of_day = {int(START_TIME_OF_DAY * 24000)}\ngame_time = 0\n"
            "EnvArgsEnd\n")
        marker_percent = 100.0 * MARKER_ROWS / (self.size + MARKER_ROWS)
        common = [
            "bind_address = 127.0.0.1", "server_announce = false", "enable_damage = true",
            f"dedicated_server_step = {SERVER_STEP_S}", "time_speed = 0",
            "server_map_save_interval = 60",
            # one map generator thread, working alone (the client joins after it is done):
            # the same seed then gives the same map, trees included
            "num_emerge_threads = 1",
            # every block in view is sent, whatever the timing of the occlusion test
            "server_side_occlusion_culling = false", "block_send_optimize_distance = 12",
            # blocks are sent and generated only as far as the client can see, all of them
            # generated before it joins
            f"max_block_send_distance = {self.viewing_range // 16 + 1}",
            f"max_block_generate_distance = {self.viewing_range // 16 + 1}",
            f"rig_emerge_radius = {self.viewing_range + 24}",
            f"rig_marker_percent = {marker_percent:.4f}", f"rig_steps_per_day = {STEPS_PER_DAY}"]
        client = [
            f"screen_w = {self.size}", f"screen_h = {self.size + MARKER_ROWS}",
            "fullscreen = false", "autosave_screensize = false", "enable_shaders = false",
            f"viewing_range = {self.viewing_range}", "show_debug = false",
            "enable_sound = false", "pause_on_lost_focus = false", "enable_clouds = false",
            "menu_clouds = false", f"fps_max = {CLIENT_FPS_MAX}",
            f"fps_max_unfocused = {CLIENT_FPS_MAX}",
            "enable_minimap = false", "enable_particles = false", "view_bobbing_amount = 0",
            "fall_bobbing_amount = 0", "enable_fog = true", "smooth_lighting = true"]
        folder_path = Path(folder)
        (folder_path / "server.conf").write_text("\n".join(common) + "\n")
        (folder_path / "client.conf").write_text("\n".join(client) + "\n")
        self._folder, self._world_dir = folder, world
        port = _free_udp_port()
        self._engine = self._spawn(
            engine, "server", ["--server", "--world", str(world), "--port", str(port)])
        self._processes = [self._engine]   # the client joins this list once it starts
        # stop the engine when the world is dropped or Python exits unclosed
        self._finalizer = weakref.finalize(self, _stop_processes, self._processes, folder)
        self._command_id = 0
        # the client joins once the map around the start is generated (rig_bridge writes
        # rig_ready): blocks it asked for earlier would be generated in the network's order
        ready = world / "rig_ready"
        deadline = time.monotonic() + self.start_timeout
        while not ready.exists():
            if self._engine.poll() is not None:
                raise EngineError(f"the Minetest server exited (code {self._engine.returncode})"
                                  f" while generating the map; its log ends:\n"
                                  f"{self._engine_log()}")
            if time.monotonic() > deadline:
                raise EngineError(f"the Minetest server did not generate the map within "
                                  f"{self.start_timeout} s; its log ends:\n{self._engine_log()}")
            time.sleep(0.01)
        self._client = self._spawn(
            engine, "client", ["--go", "--address", "127.0.0.1", "--port", str(port),
                               "--name", "rig", "--password", ""])
        self._processes.append(self._client)

    def _spawn(self, engine: str, role: str, args: list[str]) -> subprocess.Popen:
        env = dict(os.environ, DISPLAY=self._display.name)
        env.pop("WAYLAND_DISPLAY", None)
        faketime = _faketime_library() if role == "server" else None
        if faketime:
            # The engine seeds the random numbers its map generator draws (the leaves and
            # branches of tree schematics) from the wall clock at start: a fixed start time
            # makes a seed give the same map every time.
            env.update(LD_PRELOAD=faketime, FAKETIME="@2000-01-01 00:00:00",
                       FAKETIME_DONT_FAKE_MONOTONIC="1")
        folder = Path(self._folder)
        with open(folder / f"{role}.out", "wb") as out:
            process = subprocess.Popen(
                [engine, *args, "--config", str(folder / f"{role}.conf"),
                 "--logfile", str(folder / f"{role}.log")],
                stdout=out, stderr=subprocess.STDOUT, env=env, cwd=folder,
                start_new_session=True, preexec_fn=_die_with_parent)
        return process

    def _stop_engine(self) -> None:
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if self._engine is not None:
            _stop_processes(self._processes, self._folder)
        self._engine, self._client, self._folder, self._processes = None, None, None, []

    def _close_display(self) -> None:
        if self._display is not None:
            self._display.close()
            self._display = None
        if self._display_finalizer is not None:
            self._display_finalizer()   # stops Xvfb
            self._display_finalizer = None

    def close(self):
        self._stop_engine()
        self._close_display()

    def _engine_log(self, lines: int = 8) -> str:
        try:
            text = "\n".join((Path(self._folder) / f"{role}.log").read_text(errors="replace")
                             for role in ("server", "client")
                             if (Path(self._folder) / f"{role}.log").exists())
        except (OSError, TypeError):
            return ""
        errors = [line for line in text.splitlines() if "ERROR" in line]
        return "\n".join((errors or text.splitlines())[-lines:])

    def _dead_process(self) -> str | None:
        for name, process in (("server", self._engine), ("client", self._client)):
            if process is not None and process.poll() is not None:
                return f"{name} exited (code {process.returncode})"
        return None

    def _call(self, op: str, timeout: float, **fields) -> dict[str, Any]:
        """Send one command to the mod and wait for its answer and for a frame drawn after it."""
        self._command_id += 1
        command_id = self._command_id
        world = self._world_dir
        out = world / "rig_out.json"
        tmp = world / "rig_cmd.json.tmp"
        tmp.write_text(json.dumps({"id": command_id, "op": op, **fields}))
        os.replace(tmp, world / "rig_cmd.json")
        deadline = time.monotonic() + timeout
        while True:
            try:
                reply = json.loads(out.read_text())
                if reply.get("id") == command_id:
                    out.unlink()
                    break
            except (FileNotFoundError, json.JSONDecodeError):
                pass
            dead = self._dead_process()
            if dead:
                raise EngineError(f"the Minetest {dead} during {op!r}; its log ends:\n"
                                  f"{self._engine_log()}")
            if time.monotonic() > deadline:
                raise EngineError(f"the Minetest engine did not answer {op!r} within {timeout} s;"
                                  f" its log ends:\n{self._engine_log()}")
            time.sleep(0.001)
        if "error" in reply:
            raise EngineError(f"rig_bridge refused {op!r}: {reply['error']}")
        self._image = self._frame_after(command_id, deadline)
        if reply.get("remeshed"):
            # a dig, a placement or the lamp moving with the player: the client re-meshes and
            # re-lights their blocks after the marker's frame (measured on moves: 38 of 90 such
            # frames changed afterwards, up to 55% of the pixels, 34 of them within 60 ms)
            self._image = self._still_frame(interval=0.005, stable=8, timeout=0.25)
        return reply

    def _frame_after(self, command_id: int, deadline: float) -> np.ndarray:
        """The first frame whose marker strip shows `command_id`'s colour."""
        want = MARKER_COLOURS[command_id % len(MARKER_COLOURS)]
        while True:
            screen = self._display.grab()
            strip = screen[self.size + MARKER_ROWS // 2, :: max(1, self.size // 8)].astype(np.int32)
            if np.abs(np.median(strip, axis=0) - want).max() < 48:
                return np.ascontiguousarray(screen[: self.size])
            dead = self._dead_process()
            if dead:
                raise EngineError(f"the Minetest {dead} while drawing")
            if time.monotonic() > deadline:
                raise EngineError("the Minetest client drew no frame after the command")
            time.sleep(0.002)

    def _still_frame(self, interval: float, stable: int, timeout: float) -> np.ndarray:
        """The picture once `stable` grabs `interval` apart have all shown the same (or the
        last grab after `timeout`): the client draws some changes in the background, after
        the frame that answered the command."""
        deadline = time.monotonic() + timeout
        frame, same = self._image, 0
        while same < stable and time.monotonic() < deadline:
            time.sleep(interval)
            grab = np.ascontiguousarray(self._display.grab()[: self.size])
            same = same + 1 if np.array_equal(grab, frame) else 0
            frame = grab
        return frame

    # -- Gymnasium API ----------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        episode_seed = int(seed) if seed is not None else int(self.np_random.integers(2**31 - 1))
        started = time.monotonic()
        for attempt in range(2):
            try:
                self._start(episode_seed)
                launched = time.monotonic()
                # the first answer comes once the player has joined and the map around it emerged
                reply = self._call("reset", self.start_timeout, heading=episode_seed % 8,
                                   time_of_day=START_TIME_OF_DAY, settle=0.2)
                # the first frame once the client has drawn the blocks it was sent (liquids
                # are drawn without animation and the sky is plain: a finished view is still)
                self._image = self._still_frame(interval=0.1, stable=4, timeout=8.0)
                break
            except EngineError as error:
                self._stop_engine()
                if attempt == 1:
                    raise EngineError(f"Minetest could not start a world for seed {episode_seed}:"
                                      f" {error}") from error
                self.restarts += 1
        self.timings = {"launch_s": launched - started, "ready_s": time.monotonic() - launched}
        self._steps, self._done, self._episode_seed = 0, False, episode_seed
        self._state = reply
        return self._observation(), self._info(reply, unlocked=[])

    def step(self, action):
        if self._done:
            raise RuntimeError("call reset() before step() (the episode has ended)")
        index = int(action)
        if not 0 <= index < len(MINETEST_ACTIONS):
            raise ValueError(f"action {index} is outside 0..{len(MINETEST_ACTIONS) - 1}")
        self._steps += 1
        try:
            reply = self._call("step", self.step_timeout, action=MINETEST_ACTIONS[index])
        except EngineError as error:
            # a dead or stuck engine ends the episode; the next reset starts a new one
            self._stop_engine()
            self.restarts += 1
            self._done = True
            info = self._info(self._state or {}, unlocked=[])
            info.update(ended_by="engine crashed, restarted at the next reset",
                        truncated_reason=str(error))
            return self._observation(), 0.0, False, True, info
        self._state = reply
        unlocked = [name for name in (reply.get("unlocked") or []) if name in ACHIEVEMENTS]
        reward = float(len(unlocked))
        dead = int(reply.get("hp", 1)) <= 0
        success = self.task.goal is not None and bool((reply.get("achievements") or {}).get(self.task.goal))
        terminated = dead or success
        truncated = not terminated and self.max_steps is not None and self._steps >= self.max_steps
        self._done = terminated or truncated
        info = self._info(reply, unlocked)
        if self.task.goal is not None:
            info["success"] = success
        if dead:
            info["ended_by"] = "died"
        return self._observation(), reward, terminated, truncated, info

    def render(self):
        return None if self.render_mode is None else self._image.copy()

    def branch(self):
        raise BranchError("Minetest worlds cannot branch: the world's state lives in the "
                          "engine process, which cannot be copied")

    def task_text(self) -> str:
        return self.task.text

    # -- helpers ----------------------------------------------------------------------------
    def _observation(self) -> dict[str, Any]:
        return {"image": self._image.copy(), "text": self._text(self._state or {})}

    def _text(self, state: dict[str, Any]) -> str:
        items = [f"{item_words(name)} {int(count)}" for name, count in
                 sorted((state.get("inventory") or {}).items())]
        return (f"{self.task.text}\nHealth {int(state.get('hp', HP_MAX))}/{HP_MAX}.\n"
                f"Inventory: {', '.join(items) if items else 'empty'}.")

    def _info(self, state: dict[str, Any], unlocked: list[str]) -> dict[str, Any]:
        achievements = state.get("achievements") or {}   # those unlocked, name -> true
        pointed = state.get("pointed")
        items = {name: int(count) for name, count in (state.get("inventory") or {}).items()}
        return {
            "inventory": inventory_counts(items),
            "items": items,
            "achievements": {name: int(achievements.get(name, 0)) for name in ACHIEVEMENTS},
            "achievements_unlocked": list(unlocked),
            "player_pos": np.array(state.get("pos", (0.0, 0.0, 0.0)), np.float64),
            "yaw": float(state.get("yaw", 0.0)),
            "pitch": float(state.get("pitch", 0.0)),
            "health": int(state.get("hp", HP_MAX)),
            "breath": int(state.get("breath", 10)),
            "pointed": (None if not pointed else
                        {"name": pointed["name"], "pos": np.array(pointed["pos"], np.int64)}),
            "nearest": {name: np.array(pos, np.int64)
                        for name, pos in (state.get("nearest") or {}).items()},
            "time_of_day": float(state.get("time_of_day", START_TIME_OF_DAY)),
            "message": str(state.get("message", "")),
            "step": self._steps,
            "seed": self._episode_seed,
            "map_digest": state.get("map_digest"),
        }
