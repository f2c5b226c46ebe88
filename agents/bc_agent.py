"""The behaviour-cloning baseline as an agent: `--agent bc:DIR` (a folder of `rig train bc`).

Role in the data flow: the frame, the observation text's numbers and the last executed actions
go through the `BCNet` of policy/bc.py, one forward for all K worlds played in lockstep; the
action is sampled from its distribution (`temperature`; 0: argmax). No reasoning, no imagined
frame: this is the anchor every RIG policy figure stands beside.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Agent, Decision


class BCPolicy(Agent):
    name = "bc"
    batched = True

    def __init__(self, env, path: str, seed: int | None = None, device: str = "cpu",
                 temperature: float = 1.0, **_):
        import torch

        from rig.config import RigError
        from rig.policy import bc

        self.torch = torch
        checkpoint = bc.load(path)
        self.config = checkpoint.config
        self.net = checkpoint.net(device)
        self.device = device
        self.features = checkpoint.text_features()
        self.language = env.get_wrapper_attr("action_language")
        legal = self.language.vocabulary() or []
        missing = [a for a in self.config.actions if a not in legal]
        if missing:
            world = env.spec.id if env.spec is not None else "this world"
            raise RigError(f"{path} was trained on actions {world} does not have "
                           f"({', '.join(missing[:5])}); its worlds: "
                           f"{', '.join(checkpoint.meta.get('worlds') or [])}")
        self.index = {name: i for i, name in enumerate(self.config.actions)}
        self.task_text = env.get_wrapper_attr("task_text")()
        self.temperature = float(temperature)
        self.generator = torch.Generator().manual_seed(int(seed or 0))
        self.reset(seed)

    def reset(self, seed: int | None = None) -> None:
        self.reset_batch([seed])

    def reset_batch(self, seeds: list[int | None]) -> None:
        if seeds and seeds[0] is not None:
            self.generator.manual_seed(int(seeds[0]))
        self.history: list[list[int]] = [[] for _ in seeds]

    def overrule(self, action_text: str, world: int = 0) -> None:
        if self.history[world]:
            self.history[world][-1] = self.index.get(action_text, -1)

    def act(self, obs: dict[str, Any], info: dict[str, Any]) -> Decision:
        return self.act_batch([obs], [info])[0]

    def act_batch(self, observations: list, infos: list) -> list[Decision | None]:
        from rig.policy.bc import step_inputs

        torch = self.torch
        active = [w for w, obs in enumerate(observations) if obs is not None]
        if not active:
            return [None] * len(observations)
        frames = np.stack([np.asarray(observations[w]["image"]) for w in active])
        extra = np.stack([step_inputs(self.features, observations[w].get("text", ""),
                                      self.task_text, self.history[w],
                                      len(self.config.actions), self.config.history)
                          for w in active])
        with torch.no_grad():
            logits = self.net(torch.from_numpy(frames).to(self.device),
                              torch.from_numpy(extra).to(self.device)).float().cpu()
        if self.temperature <= 0:
            chosen = logits.argmax(-1)
        else:
            probs = torch.softmax(logits / self.temperature, -1)
            chosen = torch.multinomial(probs, 1, generator=self.generator)[:, 0]
        probs = torch.softmax(logits, -1)
        decisions: list[Decision | None] = [None] * len(observations)
        for row, w in enumerate(active):
            index = int(chosen[row])
            action_text = self.config.actions[index]
            self.history[w].append(index)
            decisions[w] = Decision(action=self.language.parse(action_text),
                                    action_text=action_text,
                                    extras={"probability": round(float(probs[row, index]), 4)})
        return decisions
