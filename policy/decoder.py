"""Incremental, batched, grammar-constrained decoding of RIG steps with one reused KV cache.

Role in the data flow: the RIG policy hands this decoder the observation tokens of K parallel
worlds; it writes each world's step in the layout of `policy/sequence.py`:

    [observation ids] <think> reasoning </think> <act> <a:NAME> <imagine> img*N

and returns the reasoning, the action and the imagined codes. Why our own loop rather than
`generate()`: the KV cache lives across the tokens of a step and across the steps the policy
was trained to see together (`keep_steps`, its `context_steps`); when a step would exceed
that, or the cache, the context slides (prefix + the last `keep_steps - 1` steps re-encoded,
from fresh positions), so that the policy always acts on the layout it was trained on. Forced
structure tokens are fed together with the token before them, and the K worlds decode in
lockstep with ragged lengths (a world that is ahead feeds masked padding), so one forward call
serves every world.

With a patch encoder, observation ids hold `<patch>` placeholders and the frames they stand for
travel beside them (kept per step, so a context that slides is re-encoded with its frames).
A layout that imagines from the frame (`imagine_from_frame`) gets the observed frame's codes
too, and forces them (`<obs> codes`) before a proposal's `<imagine>`.

The grammar is enforced on the logits: each part's opening tokens are forced, and its content
may hold only the tokens the part declares (in <think> text tokens or </think>; at <act> one
action token, or for an open action language such as the GUI's `click(34, 120)` text tokens
closed by </act>, capped; a policy trained with a plan writes its `plan_actions` more action
tokens after the first; in <imagine> exactly N image tokens). The output can therefore always
be split into its parts; the world's action language then parses the action.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import grammar
from .forward import decoding_forward, lm_of
from .grammar import ACT, ACT_TEXT, IMAGINE, IMAGINED_ACT, REVIEW_PART, THINK
from .sequence import StepPositions
from .transformer import join_frames

DONE = None  # the phase of a world whose decision is written


@dataclass
class StepOutput:
    reasoning_ids: list[int] = field(default_factory=list)  # text ids between <think> and </think>
    action_id: int | None = None                            # the action token's id
    plan_ids: list[int] = field(default_factory=list)       # the actions planned after it
    action_text_ids: list[int] = field(default_factory=list)  # open languages: the action text
    image_ids: list[int] = field(default_factory=list)      # imagined image token ids
    generated: int = 0                                       # tokens the model chose (not forced)
    # RIG-lookahead (lookahead >= 1): every proposal, its imagined rollout and its review
    proposals: list[int] = field(default_factory=list)      # action ids proposed, in order
    rollouts: list[list[list[int]]] = field(default_factory=list)  # per proposal, its frames
    rollout_actions: list[list[int]] = field(default_factory=list)  # per proposal, the actions
    #                                   imagined after it (one per rollout frame after the first)
    reviews: list[list[int]] = field(default_factory=list)  # per review, its text ids
    verdicts: list[str] = field(default_factory=list)       # per review: accept or revise
    # per review: P(accept) / (P(accept) + P(revise)) where its verdict was written: how sure
    # the reviewer was (the judge of best-of-N on imagined outcomes ranks proposals by it)
    accept_shares: list[float] = field(default_factory=list)


class IncrementalDecoder:
    """KV-cached lockstep decoding for K worlds (see the module docstring)."""

    def __init__(self, model, vocab, image_tokens: int, *, reasoning: bool = True,
                 imagination: bool = True, max_reasoning_tokens: int = 48,
                 max_context_tokens: int = 2048, keep_steps: int = 2, temperature: float = 1.0,
                 seed: int = 0, lookahead: int = 0, candidates: int = 1, image_anchor: int = 0,
                 open_actions: bool = False, max_action_tokens: int = 24,
                 positions: StepPositions | None = None, image_range: range | None = None,
                 lean: bool = True, imagine_from_frame: bool = False, correct: bool = True,
                 review_words: bool = True, plan_actions: int = 0):
        import torch

        if open_actions and lookahead:
            raise ValueError("RIG-lookahead reviews closed action languages only (one token an "
                             "action); play open-language worlds with --lookahead 0")
        if plan_actions and (open_actions or lookahead):
            raise ValueError("a policy that writes a plan after its action acts in closed "
                             "action languages without RIG-lookahead (its reviews imagine one "
                             "action at a time)")

        self.torch, self.model, self.vocab = torch, model, vocab
        # the forward pass and its KV cache (policy/forward.py), made for K worlds at reset;
        # `lean=False` keeps the Hugging Face forward (the lean one's reference)
        self.lean, self.forward = bool(lean), None
        self.device = next(model.parameters()).device
        self.image_tokens, self.reasoning, self.imagination = image_tokens, reasoning, imagination
        self.max_reasoning = max_reasoning_tokens
        self.max_context, self.keep_steps = max_context_tokens, keep_steps
        self.temperature = temperature
        # open action languages write the action as text closed by </act>, at most this long
        self.open_actions, self.max_action = bool(open_actions), int(max_action_tokens)
        # actions written after the step's own (`SequenceConfig.plan_actions`)
        self.plan_actions = int(plan_actions)
        # RIG-lookahead: imagine `lookahead` steps of a proposal, review them, and revise up to
        # `candidates - 1` times (each correction reviewed again while reviews remain).
        self.lookahead, self.candidates = int(lookahead), max(1, int(candidates))
        # `correct=False`: a revised proposal is not corrected; the decision ends at its verdict
        # (the judge of `agents/judge_review.py` picks among sampled proposals instead)
        self.correct = bool(correct)
        # a reviewer trained without review words gives its verdict straight after the outcome
        self.review_words = bool(review_words)
        self.generator = torch.Generator(device="cpu").manual_seed(seed)
        ids = vocab.id
        self.pad = ids("<pad>")
        # the frame placeholder of a policy with a frame encoder (its embedding is the frame's)
        self.patch_id = getattr(model, "patch_id", None)
        # the parts of a decision in order, and each part's opening and closing tokens
        self.parts = grammar.decision(reasoning, self.open_actions, self.imagination)
        self.action_part = ACT_TEXT if self.open_actions else ACT
        self.opens = {part: [ids(n) for n in part.opens]
                      for part in (THINK, ACT, ACT_TEXT, IMAGINE, IMAGINED_ACT, REVIEW_PART)}
        self.end_think, self.end_act = ids(THINK.closes[0]), ids(ACT_TEXT.closes[0])
        self.accept, self.revise = (ids(n) for n in REVIEW_PART.closes)
        self.end_review = ids(grammar.REVIEW_END)
        self.imagine = ids(IMAGINE.opens[0])
        # a layout that imagines from the observed frame: `<obs>` and the frame's codes (given
        # to `step`) are forced between a proposal's action and its `<imagine>`
        self.imagine_from_frame = bool(imagine_from_frame)
        self.restate = [ids(n) for n in grammar.RESTATED_FRAME_OPENS]
        self.references: list = []
        # position ids as in training: `<imagine>` anchored `image_anchor` after its `<obs>`
        # (training's `SequenceBuilder.positions` where given: a generalist's tile slots)
        self.step_positions = positions or StepPositions(ids("<obs>"), self.imagine,
                                                         image_anchor, vocab.images)
        # what opens a decision: its reasoning, or the action when the policy does not reason
        self.opener = self.opens[self.parts[0]]
        # what each part may hold: its class of tokens (imagined frames in this world's
        # tokenizer's codes, `image_range`) and the tokens that may close it
        ranges = {grammar.TEXT: vocab.text, grammar.ACTIONS: vocab.actions,
                  grammar.IMAGES: image_range or vocab.images}
        v = len(vocab)
        self.allowed = {}
        for part in (THINK, self.action_part, IMAGINE, IMAGINED_ACT, REVIEW_PART):
            mask = torch.full((v,), float("-inf"))
            held = ranges[part.holds]
            mask[held.start:held.stop] = 0.0
            for name in part.closes:
                mask[ids(name)] = 0.0
            self.allowed[part] = mask.to(self.device)

    # -- context management -------------------------------------------------------------------
    def reset(self, prefixes: list[list[int]], frames: list | None = None):
        """Start K episodes; `prefixes` are the `<bos> <task> ... </task>` ids of each world
        (or any prompt: then `frames[w]` holds the frames of world w's `<patch>` placeholders).
        Returns each world's logits after its prefix."""
        self.k = len(prefixes)
        self.prefixes = [list(p) for p in prefixes]
        self.prefix_frames = list(frames) if frames is not None else [None] * self.k
        self.steps: list[list[list[int]]] = [[] for _ in prefixes]  # per world, per step ids
        self.step_frames: list[list] = [[] for _ in prefixes]       # per world, per step frame
        self.pending: list[list[int]] = [[] for _ in prefixes]     # chosen, not yet fed
        self.forced: list[list[int]] = [[] for _ in prefixes]      # given decisions, unfed
        # a fresh forward each reset: its stacked weights are the model's as they are now
        self.forward = decoding_forward(self.model, self.k, lean=self.lean)
        self.layout = [StepPositions.START] * self.k  # per world: position/slot state
        logits = self._feed([list(p) for p in prefixes], self.prefix_frames)
        # the prefixes' cache is kept: a slide that keeps no step crops back to it
        self.prefix_width, self.prefix_layout = self.forward.width, list(self.layout)
        return logits

    def imagine_frames(self, logits) -> list[list[int]]:
        """Greedily write exactly N image tokens for every world, from `logits` (those after
        each world's `<imagine>`): the world-model half of a step, used to score imagination."""
        images: list[list[int]] = [[] for _ in range(self.k)]
        for n in range(self.image_tokens):
            chosen = [self._choose(logits[w], IMAGINE, greedy=True) for w in range(self.k)]
            for w, token in enumerate(chosen):
                images[w].append(token)
            if n + 1 < self.image_tokens:
                logits = self._feed([[token] for token in chosen])
        return images

    def _feed(self, tokens: list[list[int]], frames: list | None = None):
        """Feed each world its tokens (ragged: shorter rows are padded and masked out) and the
        frames of their `<patch>` placeholders; return each world's logits after its last real
        token (None for worlds that fed nothing)."""
        torch = self.torch
        width = max(len(t) for t in tokens)
        if width == 0:
            return [None] * self.k
        if (self.k == 1 and width == 1 and tokens[0][0] != self.patch_id
                and all(f is None for f in frames or [])):
            # one world, one token (most of a step at batch 1): its embedding row and the
            # forward's one-token path, without building tensors for a mask and positions
            at, slot, self.layout[0] = self.step_positions.assign_one(tokens[0][0],
                                                                      self.layout[0])
            with torch.no_grad():
                return [self.forward.feed_token(self._embed_one(tokens[0][0], slot), at)[0]]
        frames = join_frames(frames or [], lambda f: torch.from_numpy(f).to(self.device))
        # built as Python lists and converted once: most feeds are one token a world, where
        # a tensor per row would cost more than the forward's arithmetic
        ids, new_mask, positions, slots = [], [], [], []
        for w, row in enumerate(tokens):
            n, pad = len(row), width - len(row)
            if n == 1:
                at, slot, self.layout[w] = self.step_positions.assign_one(row[0], self.layout[w])
                assigned, slot = [at], [slot]
            elif n:
                assigned, slot, self.layout[w] = self.step_positions.assign(row, self.layout[w])
                assigned, slot = assigned.tolist(), slot.tolist()
            else:
                assigned, slot = [], []
            last = assigned[-1] if n else max(self.layout[w][0] - 1, 0)
            ids.append(list(row) + [self.pad] * pad)
            new_mask.append([True] * n + [False] * pad)
            positions.append(assigned + [last] * pad)
            slots.append(slot + [-1] * pad)
        last = [len(t) - 1 for t in tokens]
        with torch.no_grad():
            # most feeds hold no image token: then no tile embedding to add
            placed = any(slot >= 0 for row in slots for slot in row)
            embeds = self._embed(torch.tensor(ids, device=self.device), frames,
                                 torch.tensor(slots, device=self.device) if placed else None)
            logits = self.forward.feed(embeds, torch.tensor(new_mask, device=self.device),
                                       torch.tensor(positions, device=self.device), last)
        return [logits[w] if i >= 0 else None for w, i in enumerate(last)]

    def _must_slide(self, incoming: int) -> bool:
        """Whether the context must be rebuilt before a new step of `incoming` tokens: it
        already holds `keep_steps` steps (the policy was trained on the prefix and at most
        `context_steps` steps; more earlier steps would be a context it never saw), or the
        step would overflow the cache."""
        if not self.forward.width:
            return False
        if any(len(steps) >= self.keep_steps for steps in self.steps):
            return True
        return self.forward.width + incoming + self._step_budget() > self.max_context

    def _slide(self) -> None:
        """Re-encode prefix + the last `keep_steps - 1` steps, from fresh positions (with no step
        to keep, crop the cache back to the prefixes instead: the same keys, no forward)."""
        keep = max(self.keep_steps - 1, 0)
        if not keep:
            # nothing but the prefixes stays: their cache is exact as it is, so crop back to it
            # (the prefixes were fed first, from the first position, as a re-encode would)
            self.forward.crop(self.prefix_width)
            self.layout = list(self.prefix_layout)
            self.steps = [[] for _ in range(self.k)]
            self.step_frames = [[] for _ in range(self.k)]
            return
        rows, frames = [], []
        for w in range(self.k):
            self.steps[w] = self.steps[w][-keep:] if keep else []
            self.step_frames[w] = self.step_frames[w][-keep:] if keep else []
            rows.append(self.prefixes[w] + [t for s in self.steps[w] for t in s])
            kept = [f for f in [self.prefix_frames[w], *self.step_frames[w]] if f is not None]
            frames.append(np.concatenate(kept) if kept else None)
        self.forward.clear()
        self.layout = [StepPositions.START] * self.k
        self._feed(rows, frames)

    def _step_budget(self) -> int:
        action = self.max_action + 1 if self.open_actions else 1 + self.plan_actions
        imagined = (self.image_tokens + 1) * (2 if self.imagine_from_frame else 1)
        one = self.max_reasoning + 3 + action + (imagined if self.imagination else 0)
        if not self.lookahead:
            return one
        review = self.lookahead * (self.image_tokens + 3) + 2 * self.max_reasoning + 3
        return one + self.candidates * (one + review)

    # -- one environment step -----------------------------------------------------------------
    def _choose(self, logits, phase: int, greedy: bool) -> int:
        scores = logits + self.allowed[phase]
        if greedy or self.temperature <= 0:
            return int(scores.argmax())
        probs = self.torch.softmax(scores / self.temperature, dim=-1).cpu()
        return int(self.torch.multinomial(probs, 1, generator=self.generator))

    def _choose_verdict(self, logits) -> int:
        pair = logits[[self.accept, self.revise]].float()
        if self.temperature <= 0:
            return self.accept if pair[0] >= pair[1] else self.revise
        probs = self.torch.softmax(pair / self.temperature, dim=-1).cpu()
        return (self.accept, self.revise)[int(self.torch.multinomial(probs, 1,
                                                                      generator=self.generator))]

    def proposal_ids(self, out: StepOutput) -> list[int]:
        """The tokens that restate `out`'s decision (its reasoning, then its action): what
        `step(..., forced=)` takes to review that decision instead of sampling one."""
        if self.open_actions:
            raise ValueError("forced proposals are for closed action languages")
        said = [*out.reasoning_ids, self.end_think] if self.reasoning else []
        return [*said, out.action_id]

    def step(self, observations: list[list[int] | None], frames: list | None = None,
             references: list | None = None,
             forced: list[list[int] | None] | None = None) -> list[StepOutput | None]:
        """Decode one step for every world from its observation ids (which end before <think>)
        and, with a patch encoder, its frame (`frames[w]`: H x W x 3). A world given None (its
        episode is over) sits the step out and gets None back. `references[w]`: the observed
        frame's image ids, restated before `<imagine>` by a layout that imagines from the
        frame (needed there whenever the step imagines). `forced[w]`: a decision to take
        instead of sampling one (`proposal_ids` of an earlier output): its reasoning and action
        are fed as they are, and what follows them (imagining, a review) is decoded as usual.
        Tokens given past the decision fill the imagined frames and actions that follow it in
        order (a real outcome in place of an imagined one: `rig eval verdict --real-frames`);
        a review is always the model's own."""
        frames = list(frames) if frames is not None else [None] * len(observations)
        if self.imagine_from_frame and (self.imagination or self.lookahead) and (
                references is None or any(r is None for r, o in zip(references, observations)
                                          if o is not None)):
            raise ValueError("this policy imagines from the observed frame: pass each world's "
                             "frame codes as `references`")
        self.references = list(references) if references is not None else []
        self.forced = [list(f) if f else [] for f in forced] if forced is not None else \
            [[] for _ in observations]
        opener = self.opener
        active = [obs is not None for obs in observations]
        # the last step's closing tokens (chosen, not yet fed) are part of that step
        closing, self.pending = self.pending, [[] for _ in range(self.k)]
        for w in range(self.k):
            if closing[w] and self.steps[w]:
                self.steps[w][-1].extend(closing[w])
        incoming = max(len(closing[w]) + len(observations[w]) + len(opener)
                       for w in range(self.k) if active[w]) if any(active) else 0
        if self._must_slide(incoming):
            self._slide()  # kept steps are re-fed with their closing tokens, dropped ones not
            closing = [[] for _ in range(self.k)]
        feeds = [closing[w] + list(observations[w]) + opener if active[w] else []
                 for w in range(self.k)]
        for w in range(self.k):
            if not active[w]:
                continue
            self.steps[w].append(list(observations[w]) + opener)
            self.step_frames[w].append(None if frames[w] is None else np.asarray(frames[w])[None])
        logits = self._feed(feeds, [self.step_frames[w][-1] if active[w] else None
                                    for w in range(self.k)])
        outputs = [StepOutput() if active[w] else None for w in range(self.k)]
        phases = [self.parts[0] if active[w] else DONE for w in range(self.k)]
        frame = [[] for _ in range(self.k)]  # image ids of the frame being imagined
        while any(p is not DONE for p in phases):
            feeds = [[] for _ in range(self.k)]
            for w in range(self.k):
                if phases[w] is not DONE:
                    feeds[w], phases[w] = self._advance(w, phases[w], logits[w], outputs[w],
                                                        frame)
                    self.steps[w][-1].extend(feeds[w])
            if any(feeds):
                logits = self._feed(feeds)
        return outputs

    def _reviewing(self, out: StepOutput) -> bool:
        """Whether the current proposal is imagined ahead and reviewed before acting."""
        return self.lookahead > 0 and len(out.reviews) < self.candidates

    def _advance(self, w: int, part: grammar.Part, logits, out: StepOutput, frame: list):
        """Choose world w's next token in `part`; return (tokens to feed, next part)."""
        review_cap = 2 * self.max_reasoning if self.review_words else 0
        if self.forced[w] and part is not REVIEW_PART:
            token = self.forced[w].pop(0)  # a given proposal (and outcome), restated as given
        elif part is THINK and len(out.reasoning_ids) >= self.max_reasoning:
            token = self.end_think  # cap reached: close the reasoning ourselves
        elif part is REVIEW_PART and len(out.reviews[-1]) >= review_cap:
            if self.review_words:
                token = self.accept  # a review that does not conclude accepts
            else:  # the verdict alone: one of the two, drawn from the reviewer's odds
                token = self._choose_verdict(logits)
                out.generated += 1
        elif part is ACT_TEXT and len(out.action_text_ids) >= self.max_action:
            token = self.end_act  # an action text that runs on is closed (and parsed) as is
        else:
            # reasoning, actions and reviews sampled at the temperature, image tokens greedy
            token = self._choose(logits, part, greedy=part is IMAGINE)
            out.generated += 1
        if part is THINK:
            if token != self.end_think:
                out.reasoning_ids.append(token)
                return [token], THINK
            return [token, *self.opens[self.action_part]], self.action_part
        if part in (ACT, ACT_TEXT, IMAGINED_ACT):
            if part is ACT_TEXT:  # action text until </act> (never reviewed: no IMAGINED_ACT)
                if token != self.end_act:
                    out.action_text_ids.append(token)
                    return [token], ACT_TEXT
            elif part is ACT and self.plan_actions and out.action_id is not None:
                out.plan_ids.append(token)  # a planned action (no review: see __init__)
                if len(out.plan_ids) < self.plan_actions:
                    return [token], ACT
            elif part is ACT:
                out.action_id = token
                if self.plan_actions:  # the plan follows
                    return [token], ACT
                if self._reviewing(out):
                    out.proposals.append(token)
                    out.rollouts.append([])
                    out.rollout_actions.append([])
            else:  # an action taken inside the imagined rollout
                out.rollout_actions[-1].append(token)
            if self._reviewing(out) or self.imagination:
                frame[w] = []
                if self.imagine_from_frame and part is not IMAGINED_ACT:  # a proposal's first
                    return [token, *self.restate, *self.references[w], *self.opens[IMAGINE]], \
                        IMAGINE
                return [token, *self.opens[IMAGINE]], IMAGINE
            self.pending[w] = [token]
            return [], DONE
        if part is IMAGINE:
            frame[w].append(token)
            if len(frame[w]) < self.image_tokens:
                return [token], IMAGINE
            if not self._reviewing(out):  # the final action's imagined frame: done
                out.image_ids = list(frame[w])
                self.pending[w] = [token]
                return [], DONE
            out.rollouts[-1].append(list(frame[w]))
            if len(out.rollouts[-1]) == 1:
                out.image_ids = list(frame[w])  # the proposal's next frame, for the viewer
            if len(out.rollouts[-1]) < self.lookahead:  # imagine one more step ahead
                return [token, *self.opens[IMAGINED_ACT]], IMAGINED_ACT
            out.reviews.append([])
            return [token, *self.opens[REVIEW_PART]], REVIEW_PART
        # the review, until its verdict
        if token not in (self.accept, self.revise):
            out.reviews[-1].append(token)
            return [token], REVIEW_PART
        verdict = "accept" if token == self.accept else "revise"
        out.verdicts.append(verdict)
        pair = logits[[self.accept, self.revise]].float()
        out.accept_shares.append(float(self.torch.softmax(pair, dim=-1)[0]))
        if verdict == "accept" or not self.correct:
            self.pending[w] = [token, self.end_review]  # fed with the next step
            return [], DONE
        out.reasoning_ids = []  # the correction's reasoning replaces the proposal's
        return [token, self.end_review, *self.opener], self.parts[0]

    def context_length(self) -> int:
        return 0 if self.forward is None else self.forward.width

    def _embed_one(self, token: int, slot: int):
        """`_embed` of one token that is not a `<patch>` (1 x hidden): its embedding row, plus
        its place in its frame where it is an image token (the same sum `embed` makes)."""
        row = lm_of(self.model).get_input_embeddings().weight[token:token + 1]
        grid = getattr(self.model, "grid_embedding", None)
        if grid is not None and 0 <= slot < grid.num_embeddings:
            row = row + grid.weight[slot:slot + 1].to(row.dtype)
        return row

    def _embed(self, ids, frames, slots):
        """The input embeddings of `ids`: the RIG transformer's (image places, patches), or a
        plain LM's token embeddings."""
        embed = getattr(self.model, "embed", None)
        if embed is not None:
            return embed(ids, frames, slots)
        return lm_of(self.model).get_input_embeddings()(ids)


def to_codes(vocab, image_ids: list[int], grid: tuple[int, int], offset: int = 0) -> np.ndarray:
    """Image token ids as the tokenizer's (rows, cols) code map; `offset`: the first code of
    the tokenizer's block in the vocabulary (a generalist's second world's tokenizer)."""
    rows, cols = grid
    codes = np.asarray(vocab.image_codes(image_ids), dtype=np.int64) - offset
    return codes.astype(np.int32).reshape(rows, cols)
