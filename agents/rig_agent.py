"""The RIG policy as an agent: reads the frame, writes its reasoning, acts, imagines the next frame.

Role in the data flow: `--agent rig:CKPT` loads a folder written by `rig train policy`
(through `rig.policy.checkpoint.load`: the transformer, the vocabulary, `rig_policy.json` and
the image tokenizer). At each step the frame is encoded to image tokens, the observation is laid
out as in training (`SequenceBuilder.observation`), and `IncrementalDecoder` writes reasoning,
action and imagined tokens under the grammar; the imagined tokens are decoded to pixels for the
viewer and stores when someone looks (`set_drawing`; `rig eval` does not).

A policy trained with a plan (`--plan-actions P`) writes, after its action, the P actions it
expects to take next; `follow_plan` says what acting does with them: `first` acts on the step's
own action alone, `commit` takes the planned actions on the next P steps without deciding again
(one decision per P + 1 steps), `vote` decides every step and acts on the action named most
often for this step by this decision and the plans of the last P (ties: this decision's).

Model output is data: the action token is mapped to its name and parsed by the world's action
language; anything that does not parse becomes a legal fallback action, counted, never a crash.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rig.config import ConfigError

from .base import Agent, Decision


FOLLOW_PLAN = ("first", "commit", "vote")  # what acting does with a policy's plan


class RigPolicy(Agent):
    name = "rig"

    def __init__(self, env, path: str, seed: int | None = None, device: str = "cpu",
                 temperature: float = 1.0, imagine: bool = True, lookahead: int = 0,
                 candidates: int = 1, votes: int = 1, correct: bool = True,
                 follow_plan: str = "first"):
        from rig.policy import checkpoint
        from rig.policy.decoder import IncrementalDecoder
        from rig.policy.sequence import SequenceBuilder, SequenceConfig

        world_id = env.spec.id if env.spec is not None else None
        policy = checkpoint.load(path)
        self.vocab, self.meta = policy.vocab, policy.meta
        self.model = policy.model(device)
        self.tokenizer, codec = policy.image_tokenizer(world_id, device)
        self.sequence = SequenceConfig(**self.meta["sequence"])
        self.builder = SequenceBuilder(self.vocab, self.sequence)
        # self-consistency: each world's step is decoded `votes` times (as that many rows of
        # the decoder's batch) and the most chosen action is acted on. Every sample must see
        # the same context, so only policies that see one step at a time vote
        self.votes = int(votes)
        if self.votes < 1:
            raise ValueError(f"votes must be >= 1, got {votes}")
        if self.votes > 1 and (self.sequence.context_steps > 1 or lookahead):
            raise ConfigError(f"--votes {votes} needs a policy that sees one step at a time "
                              f"(this one sees {self.sequence.context_steps}) and no "
                              "--lookahead: each sample must decide from the same context")
        self.plan_actions, self.follow_plan = self.sequence.plan_actions, follow_plan
        if follow_plan not in FOLLOW_PLAN:
            raise ConfigError(f"--follow-plan must be one of {', '.join(FOLLOW_PLAN)}, not "
                              f"{follow_plan!r}")
        if self.plan_actions and follow_plan == "commit" and self.sequence.context_steps > 1:
            raise ConfigError("--follow-plan commit skips the steps it does not decide, so it "
                              "needs a policy that sees one step at a time (this one sees "
                              f"{self.sequence.context_steps}): use vote or first")
        # this world's block of image codes in the vocabulary
        self.code_offset = int(codec.get("offset", 0))
        self.language = env.get_wrapper_attr("action_language")
        self.task_text = env.get_wrapper_attr("task_text")()
        legal = self.language.vocabulary()
        self.open_actions = legal is None  # e.g. GUI actions: text between <act> and </act>
        legal = legal or []
        # what a malformed action becomes: a no-op where the language has one
        self.fallback_text = ("noop" if "noop" in legal else legal[0]) if legal else "wait()"
        # the decoder refuses these too; here they are the user's options, refused clearly
        if lookahead and (self.open_actions or self.plan_actions):
            raise ConfigError(
                "--lookahead reviews one action token at a time: "
                + ("this world's actions are open text" if self.open_actions else
                   f"this policy writes a plan of {self.plan_actions} actions after its own")
                + "; play it with --lookahead 0")
        self.decoder = IncrementalDecoder(
            self.model, self.vocab, self.tokenizer.config.tokens_per_frame,
            reasoning=self.sequence.reasoning,
            imagination=self.sequence.imagination and imagine,
            max_reasoning_tokens=self.sequence.max_reasoning_tokens,
            max_context_tokens=self.model.config.max_position_embeddings,
            keep_steps=self.sequence.context_steps, temperature=temperature,
            seed=seed or 0, lookahead=lookahead, candidates=candidates,
            image_anchor=self.sequence.image_anchor, open_actions=self.open_actions,
            positions=self.builder.positions,
            image_range=checkpoint.codec_image_ids(self.vocab, codec),
            imagine_from_frame=self.sequence.imagine_from_frame, correct=correct,
            review_words=self.sequence.review_words, plan_actions=self.plan_actions)
        # pixels of the imagined frame (decisions carry them: the viewer, videos and stores
        # show them) and of every imagined rollout frame (off by default: C x N decodes a
        # step); `set_drawing` turns them off where nobody looks (`rig eval`)
        self.decode_frames, self.decode_rollouts = True, False
        self.reset(seed)

    batched = True  # one agent serves K worlds: `reset_batch`, `act_batch`

    @classmethod
    def from_pretrained(cls, path_or_name: str, world: str = "rig/Crafter-v0",
                        **options) -> "RigPolicy":
        """The policy for use from Python, by folder or shipped name (`"crafter"`):

            policy = RigPolicy.from_pretrained("runs/policy/final")
            env = rig.worlds.make("rig/Crafter-v0"); obs, info = env.reset(seed=0)
            decision = policy.act(obs, info)   # .action, .reasoning, .imagined_frame

        `world` names the world it will act in (its action language, task and image
        tokenizer); that world is built to read them but never reset, so no simulator or
        browser runs here. `options`: seed, device, temperature, imagine, lookahead."""
        import rig.worlds
        from rig.config import resolve_model

        env = rig.worlds.make(world)
        try:
            return cls(env, resolve_model(path_or_name, "policy"), **options)
        finally:
            env.close()

    def reset(self, seed: int | None = None) -> None:
        self.reset_batch([seed])

    def reset_batch(self, seeds: list[int | None]) -> None:
        if seeds and seeds[0] is not None:
            self.decoder.generator.manual_seed(int(seeds[0]))
        self.decoder.reset([self.builder.prefix(self.task_text)[0]] * (len(seeds) * self.votes))
        self.history: list[list[str]] = [[] for _ in seeds]
        self.fallbacks = [0] * len(seeds)
        self.generated = [0] * len(seeds)
        self.reviewed = [0] * len(seeds)   # steps whose proposal was reviewed
        self.revised = [0] * len(seeds)    # steps that acted on a correction
        # a plan's state per world: the steps taken, the plans of the last decisions (step
        # made, action names) for `vote`, the planned actions still to take for `commit`, and
        # the last decision's reasoning (what a committed step shows)
        self.steps_taken = [0] * len(seeds)
        self.plans: list[list[tuple[int, list[str]]]] = [[] for _ in seeds]
        self.queued: list[list[str]] = [[] for _ in seeds]
        self.last_reasoning = [""] * len(seeds)

    def episode_stats(self, world: int = 0) -> dict[str, int]:
        return {"fallbacks": self.fallbacks[world], "generated_tokens": self.generated[world],
                "reviewed_steps": self.reviewed[world], "revised_steps": self.revised[world]}

    def overrule(self, action_text: str, world: int = 0) -> None:
        if self.history[world]:
            self.history[world][-1] = action_text  # <hist> lists what was executed

    def set_drawing(self, frames: bool, rollouts: bool = False) -> None:
        self.decode_frames, self.decode_rollouts = bool(frames), bool(rollouts)

    def _imagined_actions(self, out) -> list[str]:
        """Each reviewed proposal with the actions imagined after it: "move_up -> noop"."""
        return [" -> ".join(self.vocab.action_name(a) for a in [proposal, *then])
                for proposal, then in zip(out.proposals, out.rollout_actions)]

    def _review_text(self, out, chains: list[str]) -> str | None:
        """What the lookahead did, in words: each proposal's chain, its review and the verdict."""
        if not out.reviews:
            return None
        return " | ".join(f"{chain}? {self.vocab.decode_text(review).strip()} [{verdict}]"
                          for chain, review, verdict in zip(chains, out.reviews, out.verdicts))

    def _rollout_codes(self, outputs, active) -> dict[int, list[list[np.ndarray]]]:
        """Each world's imagined rollouts as code maps: per reviewed proposal, its frames."""
        from rig.policy.decoder import to_codes

        return {w: [[to_codes(self.vocab, ids, self.tokenizer.grid_shape, self.code_offset)
                     for ids in rollout] for rollout in outputs[w].rollouts] for w in active}

    def _rollout_frames(self, rollout_codes: dict) -> dict[int, np.ndarray]:
        """Each world's imagined rollouts in pixels, (C, N, H, W, 3): row c is the c-th reviewed
        proposal, column n its imagined frame n+1 steps ahead; all zero where none was made."""
        lookahead, candidates = self.decoder.lookahead, self.decoder.candidates
        if not (lookahead and self.decode_rollouts):
            return {}
        where, codes = [], []
        for w, rollouts in rollout_codes.items():
            for c, rollout in enumerate(rollouts[:candidates]):
                for n, frame_codes in enumerate(rollout[:lookahead]):
                    where.append((w, c, n))
                    codes.append(frame_codes)
        if not codes:
            return {}
        height, width = self.tokenizer.config.frame_shape
        result: dict[int, np.ndarray] = {}
        for (w, c, n), pixels in zip(where, self.tokenizer.decode(np.stack(codes))):
            if w not in result:
                result[w] = np.zeros((candidates, lookahead, height, width, 3), np.uint8)
            result[w][c, n] = pixels
        return result

    def _decide(self, inputs: list, pixels: list, references: list | None,
                forced: list | None = None) -> list:
        """The decoder's output per world; with votes, each world decoded `votes` times in one
        batch and the output of the earliest sample that chose the most chosen action."""
        n = self.votes
        if n == 1:
            return self.decoder.step(inputs, pixels, references, forced)
        if forced is not None:
            raise ValueError("forced proposals are decoded once: no --votes")
        spread = [x for x in inputs for _ in range(n)]
        outputs = self.decoder.step(spread, [x for x in pixels for _ in range(n)],
                                    None if references is None else
                                    [x for x in references for _ in range(n)])
        chosen: list = []
        for w in range(len(inputs)):
            samples = outputs[w * n:(w + 1) * n]
            if samples[0] is None:
                chosen.append(None)
                continue
            keys = [tuple(o.action_text_ids) if self.open_actions else o.action_id
                    for o in samples]
            best = max(keys, key=lambda key: (keys.count(key), -keys.index(key)))
            winner = samples[keys.index(best)]
            winner.generated = sum(o.generated for o in samples)  # what the step cost
            chosen.append(winner)
        return chosen

    def act(self, obs: dict[str, Any], info: dict[str, Any]) -> Decision:
        return self.act_batch([obs], [info])[0]

    def outcome_ids(self, frames: list, actions: list[str]) -> list[int]:
        """The tokens of a real outcome in the layout of an imagined one: frame 1's codes, then
        per later step its action and frame (`frames[k]` followed `actions[k]`; `actions[0]`, the
        proposal's, is not restated). Appended to a forced proposal, the review then reads what
        really followed instead of what the policy imagines (`rig eval verdict --real-frames`)."""
        codes = self._frame_codes(np.stack([np.asarray(f) for f in frames]))
        ids: list[int] = []
        for k, frame_codes in enumerate(codes):
            if k:
                ids.append(self.vocab.action_id(actions[k]))
            ids += self.vocab.image_ids(np.asarray(frame_codes).reshape(-1))
        return ids

    def _frame_codes(self, frames: np.ndarray) -> np.ndarray:
        """Frames (K x H x W x 3) as this policy's image codes (its codec's offset added)."""
        return self.tokenizer.encode(frames).astype(np.int64) + self.code_offset

    def act_batch(self, observations: list, infos: list,
                  forced: list | None = None) -> list[Decision | None]:
        """One decision per world; worlds whose observation is None (episode over) get None.
        `forced[w]`: a decision of this policy to take instead of sampling one (the
        `proposal_ids` in an earlier decision's extras), then imagined and reviewed as usual
        (the judge of agents/judge_review.py reviews given proposals so)."""
        from rig.policy.decoder import to_codes
        from rig.policy.sequence import strip_task

        decisions: list[Decision | None] = [None] * len(observations)
        if self.plan_actions and self.follow_plan == "commit" and forced is None:
            for w, obs in enumerate(observations):  # planned steps: no decision is made
                if obs is not None and self.queued[w]:
                    decisions[w] = self._planned_step(w)
            observations = [None if decisions[w] is not None else obs
                            for w, obs in enumerate(observations)]
        active = [w for w, obs in enumerate(observations) if obs is not None]
        if not active:
            return decisions
        frames = np.stack([np.asarray(observations[w]["image"]) for w in active])
        patches = bool(self.sequence.patches)  # the patch encoder reads pixels: no VQ encoding
        # ... unless the policy imagines from the observed frame's codes, and imagines now
        restate = self.decoder.imagine_from_frame and (self.decoder.imagination or
                                                       self.decoder.lookahead)
        codes = [None] * len(active) if patches and not restate else \
            self._frame_codes(frames)
        references: list = [None] * len(observations)
        inputs: list = [None] * len(observations)
        pixels: list = [None] * len(observations)
        for row, w in enumerate(active):
            known = [a for a in self.history[w] if a in self.vocab.action_names]
            text = strip_task(observations[w].get("text", ""), self.task_text)
            inputs[w] = self.builder.observation(codes[row], text, known)[0]
            pixels[w] = frames[row] if patches else None
            if restate:
                references[w] = self.vocab.image_ids(np.asarray(codes[row]).reshape(-1))
        outputs = self._decide(inputs, pixels, references if restate else None, forced)
        imagined = [w for w in active if outputs[w].image_ids]
        frames_out = {}
        if imagined:
            tokens = np.stack([to_codes(self.vocab, outputs[w].image_ids,
                                        self.tokenizer.grid_shape, self.code_offset)
                               for w in imagined])
            pixels_out = self.tokenizer.decode(tokens) if self.decode_frames else \
                [None] * len(imagined)
            for w, tok, frame in zip(imagined, tokens, pixels_out):
                frames_out[w] = (tok, frame)
        rollout_codes = self._rollout_codes(outputs, active)
        rollouts = self._rollout_frames(rollout_codes)
        for w in active:
            out = outputs[w]
            self.generated[w] += out.generated
            if self.open_actions:
                action_text = self.vocab.decode_text(out.action_text_ids).strip()
            else:
                action_text = self.vocab.action_name(out.action_id)
            plan = [self.vocab.action_name(a) for a in out.plan_ids]
            reasoning = self.vocab.decode_text(out.reasoning_ids).strip()
            own = action_text
            self.last_reasoning[w] = reasoning  # what a committed step shows
            action_text, plan_votes = self._follow(w, action_text, plan)
            action, action_text = self._parse(w, action_text)
            self.history[w].append(action_text)
            tokens, frame = frames_out.get(w, (None, None))
            chains = self._imagined_actions(out)
            review = self._review_text(out, chains)
            self.reviewed[w] += bool(out.reviews)
            self.revised[w] += "revise" in out.verdicts
            decisions[w] = Decision(
                action=action, action_text=action_text, reasoning=reasoning,
                imagined_frame=frame, imagined_tokens=tokens, review=review,
                lookahead_frames=rollouts.get(w),
                extras={"generated_tokens": out.generated, "fallbacks": self.fallbacks[w],
                        "proposals": [self.vocab.action_name(p) for p in out.proposals],
                        "imagined_actions": chains,
                        "verdicts": list(out.verdicts),
                        "accept_shares": list(out.accept_shares),
                        "proposal_ids": None if self.open_actions else
                        self.decoder.proposal_ids(out),
                        # each reviewed proposal's imagined frames as code maps, undecoded:
                        # what a judge reads when it does not need pixels
                        "rollout_codes": rollout_codes[w],
                        # a policy with a plan: what it planned after its own action (`own`),
                        # and how many of the last plans named the action taken
                        "plan": plan, "own_action": own, "plan_votes": plan_votes})
        return decisions

    def _parse(self, w: int, action_text: str):
        """(action, its text): the world's parse of `action_text`, or the legal fallback for a
        token this world does not speak (counted, never a crash)."""
        try:
            return self.language.parse(action_text), action_text
        except ValueError:
            self.fallbacks[w] += 1
            return self.language.parse(self.fallback_text), self.fallback_text

    def _follow(self, w: int, own: str, plan: list[str]) -> tuple[str, int]:
        """The action world w takes this step by `follow_plan`, given this decision's own
        action and plan, and how many decisions named it (1 without a plan)."""
        t = self.steps_taken[w]
        self.steps_taken[w] += 1
        if not self.plan_actions or self.follow_plan == "first":
            return own, 1
        if self.follow_plan == "commit":
            self.queued[w] = list(plan)
            return own, 1
        # vote: this decision names `own` for this step; a plan made k steps ago names its
        # k-th action (1-based) for it
        self.plans[w] = [(made, names) for made, names in self.plans[w]
                         if t - made < len(names)] + [(t, [own, *plan])]
        named = [names[t - made] for made, names in self.plans[w]]
        best = max(named, key=lambda a: (named.count(a), a == own))
        return best, named.count(best)

    def _planned_step(self, w: int) -> Decision:
        """A step `commit` takes from the last decision's plan, without deciding."""
        action, action_text = self._parse(w, self.queued[w].pop(0))
        self.history[w].append(action_text)
        self.steps_taken[w] += 1
        return Decision(action=action, action_text=action_text,
                        reasoning=self.last_reasoning[w],
                        extras={"generated_tokens": 0, "fallbacks": self.fallbacks[w],
                                "planned": True, "plan": list(self.queued[w])})
