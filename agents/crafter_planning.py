"""Map reading, path finding and safety checks for the Crafter expert.

Everything here works on the privileged semantic map of `info["semantic"]` (64x64 ids named by
`rig.worlds.crafter.SEMANTIC_NAMES`, indexed `[x, y]`). The hot loops (Dijkstra over the grid,
nearest-target scans, shelter search) are compiled with numba, so one decision costs well under a
millisecond of planning.

Path costs are per cell entered: 1 for grass, sand and path; 2 for a cell that must be mined or
chopped first (stone, coal, iron, diamond with the right pickaxe; trees); 4 for a cell held by a
mob (it moves, or we fight it); impassable for water, lava, tables, furnaces and plants. Lava is
never entered: the player dies on it, so no path and no move ever targets it.
"""

from __future__ import annotations

import heapq

import numpy as np
from numba import njit

from ..worlds.crafter import DIRECTIONS, SEMANTIC_IDS

NONE, WATER, GRASS, STONE, PATH, SAND, TREE, LAVA, COAL, IRON, DIAMOND, TABLE, FURNACE = (
    SEMANTIC_IDS[n] for n in ("none", "water", "grass", "stone", "path", "sand", "tree", "lava",
                              "coal", "iron", "diamond", "table", "furnace"))
PLAYER, COW, ZOMBIE, SKELETON, ARROW, PLANT = (
    SEMANTIC_IDS[n] for n in ("player", "cow", "zombie", "skeleton", "arrow", "plant"))
N_IDS = len(SEMANTIC_IDS)
INF = 1 << 30

# Directions in the order of the move actions: move_left, move_right, move_up, move_down.
DIRS = tuple(DIRECTIONS.values())  # left, right, up, down
DIR_NAMES = ("left", "right", "up", "down")
MOVE_ACTION = {d: i + 1 for i, d in enumerate(DIRS)}  # action ids 1..4
DX = np.array([-1, 1, 0, 0], np.int64)
DY = np.array([0, 0, -1, 1], np.int64)

WALKABLE_IDS = (GRASS, SAND, PATH)
MOB_IDS = (COW, ZOMBIE, SKELETON, ARROW)
# Cells a zombie or an arrow could be in or pass through (plants can be eaten away: count open;
# arrows fly over lava, so lava is no wall for a shelter).
OPEN_IDS = WALKABLE_IDS + MOB_IDS + (PLANT, PLAYER, LAVA)


def cost_grid(sem: np.ndarray, inv: dict) -> np.ndarray:
    """Per-cell entry cost for the current inventory (0 = impassable)."""
    lut = np.zeros(N_IDS, np.int64)
    for i in WALKABLE_IDS:
        lut[i] = 1
    lut[TREE] = 2
    for i in MOB_IDS:
        lut[i] = 4
    lut[ARROW] = 2
    lut[PLAYER] = 1
    if inv.get("wood_pickaxe", 0):
        lut[STONE] = lut[COAL] = 2
    if inv.get("stone_pickaxe", 0):
        lut[IRON] = 2
    if inv.get("iron_pickaxe", 0):
        lut[DIAMOND] = 2
    return lut[sem]


@njit(cache=True)
def dijkstra(cost, sx, sy):
    """Shortest path costs from (sx, sy) and, per cell, the index of the first move there."""
    w, h = cost.shape
    dist = np.full((w, h), INF, np.int64)
    first = np.full((w, h), -1, np.int64)
    dist[sx, sy] = 0
    heap = [(np.int64(0), np.int64(sx), np.int64(sy))]
    while len(heap) > 0:
        d, x, y = heapq.heappop(heap)
        if d > dist[x, y]:
            continue
        for k in range(4):
            nx, ny = x + DX[k], y + DY[k]
            if nx < 0 or ny < 0 or nx >= w or ny >= h:
                continue
            c = cost[nx, ny]
            if c <= 0:
                continue
            nd = d + c
            if nd < dist[nx, ny]:
                dist[nx, ny] = nd
                first[nx, ny] = k if (x == sx and y == sy) else first[x, y]
                heapq.heappush(heap, (nd, nx, ny))
    return dist, first


@njit(cache=True)
def best_adjacent(dist, mask, px, py):
    """The target cell in `mask` that is cheapest to stand next to: (tx, ty, sx, sy, cost).

    Ties go to the target nearest the player in straight-line terms."""
    w, h = mask.shape
    best, bt, bs, bm = INF, (-1, -1), (-1, -1), INF
    for x in range(w):
        for y in range(h):
            if not mask[x, y]:
                continue
            for k in range(4):
                nx, ny = x + DX[k], y + DY[k]
                if nx < 0 or ny < 0 or nx >= w or ny >= h:
                    continue
                d = dist[nx, ny]
                m = abs(x - px) + abs(y - py)
                if d < best or (d == best and m < bm):
                    best, bt, bs, bm = d, (x, y), (nx, ny), m
    return bt[0], bt[1], bs[0], bs[1], best


@njit(cache=True)
def best_near(dist, mask_a, mask_b, use_b):
    """The cheapest cell whose 3x3 square holds a cell of mask_a (and of mask_b if use_b)."""
    w, h = mask_a.shape
    best, bx, by = INF, -1, -1
    for x in range(w):
        for y in range(h):
            d = dist[x, y]
            if d >= best:
                continue
            ha, hb = False, not use_b
            for i in range(max(0, x - 1), min(w, x + 2)):
                for j in range(max(0, y - 1), min(h, y + 2)):
                    ha = ha or mask_a[i, j]
                    hb = hb or mask_b[i, j]
            if ha and hb:
                best, bx, by = d, x, y
    return bx, by, best


@njit(cache=True)
def best_face_open(dist, tmask, smask, px, py, fx, fy):
    """Plan to face an open target cell T (one we could walk onto, so we cannot just turn to it).

    We must arrive at a stand cell S = T - d by moving d from pre = S - d. Returns
    (tx, ty, sx, sy, qx, qy, cost); cost 0 means we already stand at S facing T."""
    w, h = tmask.shape
    best = INF
    out = (-1, -1, -1, -1, -1, -1)
    for x in range(w):
        for y in range(h):
            if not tmask[x, y]:
                continue
            for k in range(4):
                sx, sy = x - DX[k], y - DY[k]
                qx, qy = sx - DX[k], sy - DY[k]
                if sx < 0 or sy < 0 or sx >= w or sy >= h:
                    continue
                if sx == px and sy == py and fx == DX[k] and fy == DY[k]:
                    return x, y, sx, sy, qx, qy, 0
                if not smask[sx, sy]:
                    continue
                if qx < 0 or qy < 0 or qx >= w or qy >= h or not smask[qx, qy]:
                    if not (qx == px and qy == py):
                        continue
                d = dist[qx, qy] + 1
                if d < best:
                    best = d
                    out = (x, y, sx, sy, qx, qy)
    return out[0], out[1], out[2], out[3], out[4], out[5], best


@njit(cache=True)
def flood(open_, hostile, px, py, bx, by, limit):
    """Flood from (px, py) over open cells, never through (bx, by). Returns (size, farthest
    manhattan distance, hostile inside); stops once size exceeds `limit`."""
    w, h = open_.shape
    seen = np.zeros((w, h), np.bool_)
    stack = [(px, py)]
    seen[px, py] = True
    size, far, bad = 0, 0, False
    while len(stack) > 0:
        x, y = stack.pop()
        size += 1
        far = max(far, abs(x - px) + abs(y - py))
        bad = bad or hostile[x, y]
        if size > limit:
            return size, far, bad
        for k in range(4):
            nx, ny = x + DX[k], y + DY[k]
            if nx < 0 or ny < 0 or nx >= w or ny >= h or seen[nx, ny]:
                continue
            if nx == bx and ny == by:
                continue
            if open_[nx, ny]:
                seen[nx, ny] = True
                stack.append((nx, ny))
    return size, far, bad


@njit(cache=True)
def find_shelter(dist, open_, hostile, placeable, diggable, allowed, water, max_cost):
    # P and B must be cells we can stand on (or dig out): never lava or water.
    """Find a two-cell pocket to sleep in: stand cell P, door D = P + f to seal with a stone,
    back cell B = P - f. P and B may still be solid (we dig them). After sealing D the open
    region around P must be tiny and free of hostiles. Returns (px, py, k, cost) or k = -1."""
    w, h = open_.shape
    best, bp, bk = max_cost, (-1, -1), -1
    work = open_.copy()
    for x in range(1, w - 1):
        for y in range(1, h - 1):
            if not (placeable[x, y] or diggable[x, y] or dist[x, y] == 0) or not allowed[x, y]:
                continue
            for k in range(4):
                dx, dy = x + DX[k], y + DY[k]
                bx, by = x - DX[k], y - DY[k]
                if not placeable[dx, dy] or dist[dx, dy] >= best:
                    continue
                if not (placeable[bx, by] or diggable[bx, by] or dist[bx, by] == 0):
                    continue
                extra = (2 if diggable[x, y] else 0) + (2 if diggable[bx, by] else 0)
                # A pocket beside water lets us drink without leaving it.
                for j in range(4):
                    if water[x + DX[j], y + DY[j]]:
                        extra -= 8
                        break
                c = dist[dx, dy] + 11 + extra
                if c >= best:
                    continue
                work[x, y] = True
                work[bx, by] = True
                size, far, bad = flood(work, hostile, x, y, dx, dy, 6)
                work[x, y] = open_[x, y]
                work[bx, by] = open_[bx, by]
                if size <= 6 and far <= 4 and not bad:
                    best, bp, bk = c, (x, y), k
    return bp[0], bp[1], bk, best


class Scene:
    """One step's view of the world: maps, inventory, and shortest paths from the player."""

    def __init__(self, info: dict, protect=(), reach: tuple[int, int] | None = None):
        self.sem = np.asarray(info["semantic"])
        self.inv = info["inventory"]
        self.ach = info["achievements"]
        self.pos = (int(info["player_pos"][0]), int(info["player_pos"][1]))
        if reach is not None:  # only the cells the player's frame shows
            self.sem = visible_part(self.sem, self.pos, reach)
        self.facing = (int(info["facing"][0]), int(info["facing"][1]))
        self.sleeping = bool(info.get("sleeping", False))
        self.daylight = float(info.get("daylight", 1.0))
        self.step = int(info.get("step", 0))
        self.cost = cost_grid(self.sem, self.inv)
        for x, y in protect:  # walls we built (around plants): dig through them only if needed
            if 0 <= x < self.sem.shape[0] and 0 <= y < self.sem.shape[1] and self.cost[x, y] > 1:
                self.cost[x, y] += 12
        self.dist, self.first = dijkstra(self.cost, self.pos[0], self.pos[1])
        self._open = None

    # -- cells --------------------------------------------------------------------------------
    def at(self, cell) -> int:
        x, y = cell
        if 0 <= x < self.sem.shape[0] and 0 <= y < self.sem.shape[1]:
            return int(self.sem[x, y])
        return NONE

    @property
    def front(self):
        return (self.pos[0] + self.facing[0], self.pos[1] + self.facing[1])

    def mask(self, *ids) -> np.ndarray:
        return np.isin(self.sem, ids)

    @property
    def open_(self) -> np.ndarray:
        if self._open is None:
            self._open = self.mask(*OPEN_IDS)
        return self._open

    def manhattan(self, cell) -> int:
        return abs(cell[0] - self.pos[0]) + abs(cell[1] - self.pos[1])

    def mobs_within(self, kind: int, radius: int) -> list[tuple[int, int]]:
        """Cells of mobs of `kind` within manhattan `radius`, nearest first."""
        x0, y0 = self.pos
        xs, ys = np.nonzero(self.sem[max(0, x0 - radius):x0 + radius + 1,
                                     max(0, y0 - radius):y0 + radius + 1] == kind)
        cells = [(int(x) + max(0, x0 - radius), int(y) + max(0, y0 - radius))
                 for x, y in zip(xs, ys)]
        cells = [c for c in cells if self.manhattan(c) <= radius]
        return sorted(cells, key=self.manhattan)

    # -- queries ------------------------------------------------------------------------------
    def nearest_adjacent(self, mask):
        """(target, stand, cost) for the cheapest mask cell to stand next to, or None."""
        tx, ty, sx, sy, c = best_adjacent(self.dist, mask, self.pos[0], self.pos[1])
        if c >= INF:
            return None
        return (tx, ty), (sx, sy), int(c)

    def nearest_station(self, need_furnace: bool):
        """(stand, cost) of the cheapest cell next to a table (and a furnace), or None."""
        bx, by, c = best_near(self.dist, self.sem == TABLE, self.sem == FURNACE, need_furnace)
        if c >= INF:
            return None
        return (bx, by), int(c)

    def face_open(self, tmask, smask=None):
        """Plan to face an open cell of tmask: (target, stand, pre, cost) or None."""
        if smask is None:
            smask = self.mask(*WALKABLE_IDS)
        tx, ty, sx, sy, qx, qy, c = best_face_open(
            self.dist, tmask, smask, self.pos[0], self.pos[1], self.facing[0], self.facing[1])
        if c >= INF:
            return None
        return (tx, ty), (sx, sy), (qx, qy), int(c)

    def enclosed(self) -> bool:
        """True when no zombie or skeleton can reach us and none can spawn next to us."""
        hostile = self.mask(ZOMBIE, SKELETON, ARROW)
        size, far, bad = flood(self.open_, hostile, self.pos[0], self.pos[1], -1, -1, 6)
        return size <= 6 and far <= 4 and not bad

    def shelter(self, max_cost: int = 70, near=None, radius: int = 12):
        """A pocket to dig or walk into and seal: (stand, door direction, cost) or None.
        With `near`, the pocket must lie within `radius` steps of that cell."""
        hostile = self.mask(ZOMBIE, SKELETON, ARROW)
        placeable = self.mask(*WALKABLE_IDS)
        digs = [STONE, COAL] if self.inv.get("wood_pickaxe", 0) else []
        diggable = self.mask(*digs) if digs else np.zeros_like(placeable)
        allowed = np.ones_like(placeable)
        if near is not None:
            xs, ys = np.indices(self.sem.shape)
            allowed = np.abs(xs - near[0]) + np.abs(ys - near[1]) <= radius
        px, py, k, c = find_shelter(self.dist, self.open_, hostile, placeable, diggable,
                                    allowed, self.sem == WATER, max_cost)
        if k < 0:
            return None
        return (px, py), DIRS[k], int(c)

    def step_toward(self, cell):
        """The first move direction on the cheapest path to `cell`, or None."""
        k = int(self.first[cell[0], cell[1]])
        return DIRS[k] if k >= 0 else None


def visible_part(sem: np.ndarray, pos: tuple[int, int], reach: tuple[int, int]) -> np.ndarray:
    """The map with every cell outside the player's view set to "none" (unknown, impassable).

    `reach` is how far the view extends from the player, (4, 3) for the default frame, which
    draws the 9x7 cells around the player: what is left is what the frame shows."""
    seen = np.zeros_like(sem)
    x0, x1 = max(0, pos[0] - reach[0]), pos[0] + reach[0] + 1
    y0, y1 = max(0, pos[1] - reach[1]), pos[1] + reach[1] + 1
    seen[x0:x1, y0:y1] = sem[x0:x1, y0:y1]
    return seen


def describe_offset(dx: int, dy: int) -> str:
    """Plain words for a grid offset, e.g. '3 tiles left and 1 up'."""
    parts = []
    if dx:
        parts.append(f"{abs(dx)} {'left' if dx < 0 else 'right'}")
    if dy:
        parts.append(f"{abs(dy)} {'up' if dy < 0 else 'down'}")
    if not parts:
        return "right here"
    first, *rest = parts
    n, word = first.split()
    text = f"{n} tile{'s' if n != '1' else ''} {word}"
    return text + (f" and {rest[0]}" if rest else "")
