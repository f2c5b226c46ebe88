"""Issue 22, nineteenth session: a reward reader on image codes. Crafter's reward is an unlock
(+1) and the health change (0.1 a point), and the frame shows both (the inventory and vitals
rows); the real-outcome oracle sums it over a branch. Can a small network read it from the two
frames' VQ codes (no pixel decoding: the shipped tokenizer decodes ~3 frames/s on one core)?
Trained on every stored transition of a tokenized store (frame t's and t+1's 81 codes -> the
reward of step t), held out by episode, then applied to the policy's imagined rollouts
(probe.py). Run: python reader.py STORE OUT [MINUTES]"""
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from rig.trajectories.store import TrajectoryStore

GRID, CODES = 9, 1024


class RewardReader(nn.Module):
    """Two code maps (B, 9, 9) each -> an unlock logit and the logits of the health change's
    classes (at most -2, -1, 0, +1, at least +2 points)."""

    def __init__(self, width: int = 16, hidden: int = 32, health_points=(-2.0, -1, 0, 1, 2)):
        super().__init__()
        self.embed = nn.Embedding(CODES, width)
        self.conv = nn.Sequential(
            nn.Conv2d(3 * width, hidden, 3, padding=1), nn.GELU(),
            nn.Conv2d(hidden, hidden, 3, padding=1), nn.GELU())
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(hidden * GRID * GRID, 128), nn.GELU(),
                                  nn.Linear(128, 1 + len(health_points)))
        self.register_buffer("health_points", torch.tensor(health_points, dtype=torch.float32))

    def forward(self, before, after):
        a = self.embed(before).permute(0, 3, 1, 2)
        b = self.embed(after).permute(0, 3, 1, 2)
        return self.head(self.conv(torch.cat([a, b, b - a], 1)))

    def value(self, before, after):
        """The expected reward of each transition: P(unlock) + 0.1 x health change."""
        out = self.forward(before, after)
        health = (out[:, 1:].softmax(-1) * self.health_points).sum(-1)
        return torch.sigmoid(out[:, 0]) + 0.1 * health


def load(path) -> RewardReader:
    config = json.loads((Path(path) / "config.json").read_text())
    model = RewardReader(**config)
    model.load_state_dict(load_file(str(Path(path) / "model.safetensors")))
    return model.eval()


def pairs(store_path):
    """(before codes, after codes, unlocks, health change, episode) of every transition."""
    store = TrajectoryStore.open(store_path)
    before, after, unlock, health, episode = [], [], [], [], []
    for e in range(store.num_episodes):
        ep = store.episode(e, keys=["image_tokens", "reward"])
        codes = np.asarray(ep["image_tokens"], np.int64).reshape(-1, GRID, GRID)
        reward = np.asarray(ep["reward"], np.float64)[:len(codes) - 1]
        n = np.round(reward)
        before.append(codes[:-1])
        after.append(codes[1:])
        unlock.append(n)
        health.append(np.round((reward - n) * 10))
        episode.append(np.full(len(n), e))
    return [np.concatenate(x) for x in (before, after, unlock, health, episode)]


def auc(scores, labels) -> float:
    """P(a positive scores above a negative), ties one half."""
    order = np.argsort(scores, kind="stable")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    pos = labels.astype(bool)
    return float((ranks[pos].sum() - pos.sum() * (pos.sum() + 1) / 2) / (pos.sum() * (~pos).sum()))


def main(store_path, out, minutes=10.0):
    torch.set_num_threads(1)
    torch.manual_seed(0)
    before, after, unlock, health, episode = pairs(store_path)
    held = episode >= np.quantile(episode, 0.9)  # the last tenth of the episodes
    print(f"{len(unlock)} transitions, {int(unlock.sum())} unlocks, "
          f"{int((health != 0).sum())} health changes; {int(held.sum())} held out")
    t = [torch.from_numpy(x) for x in (before, after)]
    y_unlock = torch.from_numpy((unlock > 0).astype(np.float32))
    y_health = torch.from_numpy(np.clip(health, -2, 2).astype(np.int64) + 2)  # its class
    train = np.flatnonzero(~held)
    # the first class stands for every loss of two points or more: its mean in training
    points = [float(health[train][health[train] <= -2].mean()), -1.0, 0.0, 1.0, 2.0]
    model = RewardReader(health_points=points)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    rng, start, step = np.random.default_rng(0), time.time(), 0
    while time.time() - start < minutes * 60:
        idx = torch.from_numpy(rng.choice(train, 256))
        logits = model(t[0][idx], t[1][idx])
        loss = nn.functional.binary_cross_entropy_with_logits(logits[:, 0], y_unlock[idx]) + \
            nn.functional.cross_entropy(logits[:, 1:], y_health[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % 500 == 0:
            print(f"step {step} loss {loss.item():.4f}", flush=True)
    model.eval()
    idx = torch.from_numpy(np.flatnonzero(held))
    with torch.no_grad():
        logits = model(t[0][idx], t[1][idx])
        expected = (logits[:, 1:].softmax(-1) * model.health_points).sum(-1).numpy()
        logits = logits.numpy()
    h = held
    dh = np.clip(health[h], -2, 2)
    report = {"steps": step, "minutes": minutes, "held_out": int(h.sum()),
              "unlock_auc": auc(logits[:, 0], unlock[h] > 0),
              "unlock_found_at_half": float(((logits[:, 0] > 0) & (unlock[h] > 0)).sum()
                                            / max(1, (unlock[h] > 0).sum())),
              "unlock_false_at_half": float(((logits[:, 0] > 0) & (unlock[h] == 0)).sum()
                                            / max(1, (unlock[h] == 0).sum())),
              "health_class_right_where_changed": float(
                  (logits[:, 1:].argmax(-1) - 2 == dh)[dh != 0].mean()),
              "health_class_right_where_same": float((logits[:, 1:].argmax(-1) == 2)[dh == 0]
                                                     .mean()),
              "health_mae": float(np.abs(expected - health[h]).mean()),
              "health_mae_if_zero": float(np.abs(health[h]).mean())}
    print(json.dumps(report, indent=1))
    Path(out).mkdir(parents=True, exist_ok=True)
    save_file(model.state_dict(), str(Path(out) / "model.safetensors"))
    (Path(out) / "config.json").write_text(json.dumps({"width": 16, "hidden": 32,
                                                       "health_points": points}))
    (Path(out) / "report.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 10.0)
