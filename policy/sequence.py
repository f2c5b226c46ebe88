"""The RIG token stream: how a window of steps becomes one training sequence, and back.

Role in the data flow: `TrajectoryDataset` serves windows of store rows (image tokens, text,
reasoning, actions) with `*_is_pad` masks; this module lays them out as token ids with a segment
label per token, which sets the loss weights. The acting policy writes the same layout while
it plays, so training and acting agree by construction. One step, mirroring RIG:

    <step> <obs> img*N <text> vitals... </text> <hist> a a a <think> reasoning </think>
           <act> <a:NAME> [<a:NEXT>...] <imagine> img*N

(`<a:NEXT>...`: with `plan_actions`, the actions the teacher took next, a plan the policy
states after its action.)

The observed frame is either its N VQ tokens or, for models with a patch encoder, P `<patch>`
placeholders whose embeddings the encoder writes from the frame's pixels (`sample` then also
returns the frames, in the order of their placeholders). The imagined frame is always VQ tokens.
Such an eye policy never sees the codes it imagines in, so a layout may restate the observed
frame's codes before `<imagine>` (`imagine_from_frame`): `<act> <a:NAME> <obs> img*N <imagine>
img*N`, where each imagined tile sits one fixed distance after the same observed tile.

A sequence is `<bos> <task> task text </task>` and then the last `context_steps` steps of the
episode (fewer at its start). A review example (`rig data review` stores) is one step whose
proposal is followed by its imagined outcome (`review_steps` frames; later imagined steps are
marked `<imagined>`), a review and, when the verdict is revise, the correction:

    <step> <obs> ... <think> r </think> <act> <a:X> <imagine> img*N [<imagined> <act> <a:Y>
           <imagine> img*N ...] <review> text <revise> </review> <think> r' </think> <act> <a:Z>

The loss falls on the imagined frames (what really followed), the review and the correction,
never on the proposal itself (a poor action is not to be imitated). The loss falls on reasoning
(with `</think>`), the action and the imagined frame of every step; observations, history and
structure are inputs only. Switches drop the reasoning and/or the imagination segments, giving
the RIG paper's ablations from one store. In a DAgger store (`rig collect --driver`) the `<act>` target is the teacher's label
(`teacher_action_text`) while `<hist>` lists what was executed; a step whose executed action
was not the label has no `<imagine>` (its next frame shows the other action's outcome).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from . import grammar
# the segment labels are declared with the grammar; they label this module's tokens (re-exported)
from .grammar import (  # noqa: F401
    ACT, ACT_TEXT, ACTION, HISTORY, IMAGINATION, IMAGINE, IMAGINED_ACT, LOSS_SEGMENTS, OBSERVATION,
    REASONING, REVIEW, REVIEW_END, REVIEW_PART, SEGMENT_NAMES, STRUCTURE, TASK, THINK)
from .vocab import RigVocabulary

IMAGE_KEY = "image_tokens"   # the store key `rig data tokenize` writes
TEACHER_KEY = "teacher_action_text"  # DAgger stores: the teacher's action, the training label
ACTION_ROOM = 26             # tokens of one action: <act>, a GUI action's text (<= 24), </act>


@dataclass
class SequenceConfig:
    context_steps: int = 2          # steps of the episode one sequence holds (the last is current)
    history_actions: int = 4        # past actions listed in each step's <hist>
    max_text_tokens: int = 64       # cap on the observation text of a step (vitals + inventory)
    max_reasoning_tokens: int = 48  # cap on a step's reasoning (the expert writes <= ~40 words)
    reasoning: bool = True          # include <think> segments (False: the "no reasoning" ablation)
    imagination: bool = True        # include <imagine> segments (False: "no imagination" ablation)
    patches: int = 0                # <patch> placeholders per observed frame (0: VQ tokens instead)
    review_steps: int = 1           # imagined steps of a review example's proposal (lookahead)
    review_words: bool = True       # a review's reasons written before its verdict (False: the
                                    # verdict straight after the imagined outcome, so that
                                    # P(accept) is read from the outcome, not from sampled words)
    image_anchor: int = 0           # position gap <obs> -> <imagine> (0: contiguous positions)
    imagine_from_frame: bool = False  # the observed frame's codes restated before a step's
                                    # first <imagine> (`<obs> codes <imagine> next`): an eye
                                    # policy (patches, cnn) otherwise never sees the codes it
                                    # imagines in, so it cannot copy the tiles that stay
    image_grids: list = field(default_factory=list)  # per image tokenizer, in vocabulary order:
                                    # [codebook size, rows, cols] (empty: one fills the range)
    plan_actions: int = 0           # actions written after the step's own in its <act>: the
                                    # ones the teacher took next (`<act> a_t a_t+1 ...`), a plan
                                    # the policy states and acting may follow (`--follow-plan`);
                                    # the teacher keeps a heading or a target for many steps,
                                    # which one frame does not show

    def anchor_for(self, image_tokens: int) -> int:
        """The fixed position distance from a step's `<obs>` to its `<imagine>`: past the
        longest observation + history + reasoning + action the layout allows, so that every
        step's imagined tile k sits the same distance after its observed tile k."""
        frame = self.patches or image_tokens
        reasoning = self.max_reasoning_tokens + 2 if self.reasoning else 0
        return (1 + frame + 2 + self.max_text_tokens + 1 + self.history_actions + reasoning + 2
                + self.plan_actions)

    def positions_needed(self, image_tokens: int) -> int:
        """An upper bound on the positions one sample spans: the task, then per step the span up
        to `<imagine>` (`anchor_for` bounds it, anchored or not), the imagined frame and a GUI
        action's text; plus a review example's imagined steps. Frames of many tokens (a screen
        tokenizer that keeps text: 53x40) need more than a model's default 2,048."""
        step = self.anchor_for(image_tokens) + ACTION_ROOM + self.plan_actions + image_tokens + 2
        if self.imagine_from_frame:  # the restated frame, then `<imagine>` anchored after it
            step += self.anchor_for(image_tokens) + 1
        # a review example's imagined frames are VQ codes whatever the eye (and its first one
        # may follow the restated frame, which `step` already counts)
        review = self.review_steps * (image_tokens + ACTION_ROOM + 4)
        return 2 + 64 + 1 + self.context_steps * step + review

    def label_offsets(self) -> list[int]:
        """Rows of a DAgger store's teacher labels a sample needs: its steps' and their plans'."""
        return list(range(-(self.context_steps - 1), 1 + self.plan_actions))

    def offsets(self) -> dict[str, list[int]]:
        """Which rows around step t a sample needs, per store key (the dataset derives windows)."""
        past = list(range(-(self.context_steps - 1), 1))
        offsets = {IMAGE_KEY: past + ([1] if self.imagination else []), "text": past,
                   "action_text": list(range(past[0] - self.history_actions,
                                             1 + self.plan_actions))}
        if self.reasoning:
            offsets["reasoning"] = past
        if self.patches:
            offsets["image"] = past  # pixels for the patch encoder
        return offsets


def strip_task(text: str, task_text: str) -> str:
    """Observation text without the task line, which the sequence states once at its start."""
    return text[len(task_text):].lstrip("\n ") if task_text and text.startswith(task_text) else text


class SequenceBuilder:
    """Lays out steps as ids and segment labels (see the module docstring)."""

    def __init__(self, vocab: RigVocabulary, config: SequenceConfig):
        self.vocab, self.config = vocab, config
        self.t = {name: vocab.id(name) for name in grammar.structure_tokens()}
        self.positions = StepPositions(self.t["<obs>"], self.t["<imagine>"], config.image_anchor,
                                       self.image_blocks())

    def image_blocks(self) -> list[tuple[range, int]]:
        """(token ids, first tile slot) of each image tokenizer's codes. A generalist sees
        worlds through different tokenizers (Crafter's 9x9 tiles, MiniWoB's 13x10 screen
        grid); their codes sit side by side in the vocabulary's image range, so an image
        token's id says which grid it belongs to, and each grid has its own tile embeddings."""
        images = self.vocab.images
        if not self.config.image_grids:
            return [(images, 0)]
        blocks, start, slot = [], images.start, 0
        for codebook, rows, cols in self.config.image_grids:
            blocks.append((range(start, start + int(codebook)), slot))
            start, slot = start + int(codebook), slot + int(rows) * int(cols)
        if start != images.stop:
            raise ValueError(f"image_grids cover {start - images.start} codes, the vocabulary "
                             f"has {len(images)} image tokens")
        return blocks

    def ids(self, names) -> list[int]:
        return [self.t[name] for name in names]

    def emit(self, part: grammar.Part, content: list[int], closing: Sequence[int] = (),
             segment: int | None = None) -> tuple[list[int], list[int]]:
        """One part of the grammar: its opening tokens (structure), then its content and
        closing tokens, labelled with the part's segment (or `segment`: a review example's
        proposal is input, not a target)."""
        label = part.segment if segment is None else segment
        opens = self.ids(part.opens)
        return ([*opens, *content, *closing],
                [STRUCTURE] * len(opens) + [label] * (len(content) + len(closing)))

    def prefix(self, task_text: str) -> tuple[list[int], list[int]]:
        task = self.vocab.encode_text(task_text)[:grammar.MAX_TASK_TOKENS]
        opens, closes = self.ids(grammar.PREFIX), self.ids(grammar.PREFIX_CLOSES)
        return ([*opens, *task, *closes],
                [STRUCTURE] * len(opens) + [TASK] * len(task) + [STRUCTURE] * len(closes))

    def observation(self, image_codes, text: str, history: Sequence[str]) -> tuple[list, list]:
        """The input part of a step, up to (not including) `<think>` or `<act>`. With a patch
        encoder the frame is placeholders and `image_codes` is not read (may be None)."""
        v, t, cfg = self.vocab, self.t, self.config
        if cfg.patches:
            image = [t["<patch>"]] * cfg.patches
        else:
            image = v.image_ids(np.asarray(image_codes).reshape(-1))
        words = v.encode_text(text)[:cfg.max_text_tokens]
        # past actions of closed languages, a token each (open-language actions are not listed:
        # the acting policy sees the same)
        past = [v.action_id(a) for a in history[-cfg.history_actions:] if a in v.action_names] \
            if cfg.history_actions else []
        ids, segments = [], []
        for opens, content, label in ((grammar.OBSERVATION_OPENS, image, OBSERVATION),
                                      (grammar.TEXT_OPENS, words, OBSERVATION),
                                      (grammar.TEXT_CLOSES + grammar.HISTORY_OPENS, past,
                                       HISTORY)):
            ids += [*self.ids(opens), *content]
            segments += [STRUCTURE] * len(opens) + [label] * len(content)
        return ids, segments

    def decision(self, reasoning: str | None, action_text: str,
                 next_image_codes=None, think: bool = True,
                 image_codes=None, plan: Sequence[str] = ()) -> tuple[list, list]:
        """The output part of a step, as `grammar.decision` orders it: reasoning, action,
        imagined next frame. `think=False` leaves the reasoning out (`--reason-rate`);
        `image_codes` are the observed frame's codes, restated before `<imagine>` when the
        layout imagines from the frame (`imagine_from_frame`); `plan`: the actions taken
        next, written after this step's (`plan_actions`; fewer where the episode ends)."""
        v, cfg = self.vocab, self.config
        ids, segments = [], []
        open_actions = action_text not in v.action_names  # an open language: the action is text
        for part in grammar.decision(cfg.reasoning and think, open_actions,
                                     cfg.imagination and next_image_codes is not None):
            if part is THINK:
                words = v.encode_text(reasoning or "")[:cfg.max_reasoning_tokens]
                out = self.emit(part, words, self.ids(part.closes))
            elif part is ACT:
                out = self.emit(part, [v.action_id(a) for a in [action_text, *plan]])
            elif part is ACT_TEXT:
                out = self.emit(part, v.encode_text(action_text), self.ids(part.closes))
            else:  # IMAGINE
                if cfg.imagine_from_frame:
                    restated, labels = self.restated_frame(image_codes)
                    ids += restated
                    segments += labels
                out = self.emit(part, v.image_ids(np.asarray(next_image_codes).reshape(-1)))
            ids += out[0]
            segments += out[1]
        return ids, segments

    def restated_frame(self, image_codes) -> tuple[list[int], list[int]]:
        """`<obs>` and the observed frame's codes (input, not a target), before the `<imagine>`
        of a layout that imagines from the frame (`grammar.RESTATED_FRAME_OPENS`)."""
        if image_codes is None:
            raise ValueError("this layout imagines from the observed frame: its image codes are "
                             "needed (`rig data tokenize` the store)")
        frame = self.vocab.image_ids(np.asarray(image_codes).reshape(-1))
        opens = self.ids(grammar.RESTATED_FRAME_OPENS)
        return [*opens, *frame], [STRUCTURE] * len(opens) + [OBSERVATION] * len(frame)

    def sample(self, sample: dict[str, Any], task_text: str, imagine: bool = True,
               reason: bool = True):
        """Ids, segment labels and observed frames (None without a patch encoder) of one
        `TrajectoryDataset` sample (a window ending at t). `imagine=False` leaves out this
        sample's `<imagine>` segments (training mixes both, so acting may skip imagination);
        `reason=False` its reasoning (the action then follows the observation directly)."""
        cfg = self.config
        ids, segments = self.prefix(task_text)
        frames = []
        images = np.asarray(sample[IMAGE_KEY])
        image_pad = np.asarray(sample[f"{IMAGE_KEY}_is_pad"])
        actions = list(sample["action_text"])
        action_pad = np.asarray(sample["action_text_is_pad"])
        text_pad = np.asarray(sample["text_is_pad"])
        h = cfg.history_actions
        teachers = sample.get(TEACHER_KEY)  # history stays the executed actions
        # each row's training label: in a DAgger store the teacher's (where it gave one), else
        # what was executed; rows j + h of `actions` are the window's steps and their plans
        steps = cfg.context_steps + cfg.plan_actions
        executed = actions[h:h + steps]
        labels = [str(teachers[i]) if teachers is not None and i < len(teachers)
                  and teachers[i] else executed[i] for i in range(steps)]
        for j in range(cfg.context_steps):
            if text_pad[j]:
                continue  # before the episode's first step
            history = [a for a, pad in zip(actions[j:j + h], action_pad[j:j + h]) if not pad]
            step_ids, step_segments = self.observation(
                images[j], strip_task(sample["text"][j], task_text), history)
            if cfg.patches:
                frames.append(sample["image"][j])
            # a DAgger store: the target is the teacher's label; the next frame shows what the
            # executed action did, so it is imagined only where the two agree
            label = labels[j]
            has_next = (imagine and cfg.imagination and not image_pad[j + 1]
                        and label == executed[j])
            reasoning = sample["reasoning"][j] if cfg.reasoning else None
            # the plan: the labels of the steps that follow, while the episode stays on the
            # teacher's path (a later state that followed another action is not its plan)
            plan = []
            for k in range(j + 1, j + 1 + cfg.plan_actions):
                if action_pad[h + k] or executed[k - 1] != labels[k - 1]:
                    break
                plan.append(labels[k])
            out_ids, out_segments = self.decision(reasoning, label,
                                                  images[j + 1] if has_next else None, reason,
                                                  images[j], plan)
            ids += step_ids + out_ids
            segments += step_segments + out_segments
        return (np.asarray(ids, np.int64), np.asarray(segments, np.int8),
                np.stack(frames) if frames else None)


REVIEW_KEYS = ("review", "review_verdict", "review_corrected_action",
               "review_corrected_reasoning", "review_candidate_kind")


def is_review_store(store) -> bool:
    """Whether a trajectory store holds review examples (`rig data review`), not episodes."""
    return "review_verdict" in store.data


def review_offsets(config: SequenceConfig, facts: bool = False) -> dict[str, list[int]]:
    """Rows a review example needs, relative to its first step (the reviewed state); `facts`:
    also the measured outcome of each branch (`review_facts`), for value targets."""
    n = config.review_steps
    offsets = {IMAGE_KEY: list(range(n + 1)), "text": [0], "action_text": list(range(n)),
               **{key: [0] for key in REVIEW_KEYS + (("review_facts",) if facts else ())}}
    if config.reasoning:
        offsets["reasoning"] = [0]
    if config.patches:
        offsets["image"] = [0]
    return offsets


def review_sample(builder: SequenceBuilder, sample: dict[str, Any], task_text: str):
    """Ids, segment labels and observed frames of one review example (module docstring)."""
    cfg, t, v = builder.config, builder.t, builder.vocab
    ids, segments = builder.prefix(task_text)
    images, image_pad = np.asarray(sample[IMAGE_KEY]), np.asarray(sample[f"{IMAGE_KEY}_is_pad"])
    step_ids, step_segments = builder.observation(
        images[0], strip_task(sample["text"][0], task_text), [])
    ids += step_ids
    segments += step_segments
    actions, action_pad = sample["action_text"], np.asarray(sample["action_text_is_pad"])
    for name in [actions[0], sample["review_corrected_action"][0]]:
        if name not in v.action_names:
            raise ValueError(f"review examples need a closed action language; {name!r} is not "
                             "an action token")
    expert = sample["review_candidate_kind"][0] == "expert"

    def add(part, content, closing=(), segment=None):
        out = builder.emit(part, content, closing, segment)
        ids.extend(out[0])
        segments.extend(out[1])

    # the proposal is input, not a target (a poor action is not to be imitated): its
    # reasoning and action are structure. Its reasoning: what it was proposed with (a policy's
    # own, stored by `rig data review --policy`), the expert's where it was the expert's, none
    # for a sampled action
    if cfg.reasoning:
        own = str(sample["reasoning"][0]) if "reasoning" in sample else ""
        words = v.encode_text(own or (sample["review_corrected_reasoning"][0] if expert else ""))
        add(THINK, words[:cfg.max_reasoning_tokens], builder.ids(THINK.closes), STRUCTURE)
    add(ACT, [v.action_id(actions[0])], segment=STRUCTURE)
    for k in range(1, cfg.review_steps + 1):
        if image_pad[k]:
            break  # the branch ended (death) before k steps
        if k > 1:
            if action_pad[k - 1]:
                break
            add(IMAGINED_ACT, [v.action_id(actions[k - 1])])
        elif cfg.imagine_from_frame:  # the first imagined frame follows the restated frame
            out = builder.restated_frame(images[0])
            ids.extend(out[0])
            segments.extend(out[1])
        add(IMAGINE, v.image_ids(images[k].reshape(-1)))
    verdict = sample["review_verdict"][0]
    if verdict not in ("accept", "revise"):
        raise ValueError(f"review verdict must be accept or revise, got {verdict!r}")
    words = v.encode_text(sample["review"][0])[:2 * cfg.max_reasoning_tokens] \
        if cfg.review_words else []
    add(REVIEW_PART, words, [t[f"<{verdict}>"], t[REVIEW_END]])
    if verdict == "revise":  # the correction: a decision without its imagined frame
        if cfg.reasoning:
            words = v.encode_text(sample["review_corrected_reasoning"][0])
            add(THINK, words[:cfg.max_reasoning_tokens], builder.ids(THINK.closes))
        add(ACT, [v.action_id(sample["review_corrected_action"][0])])
    frames = np.asarray(sample["image"])[:1] if cfg.patches else None
    return np.asarray(ids, np.int64), np.asarray(segments, np.int8), frames


class StepPositions:
    """Position ids and image-tile slots of the token stream.

    Positions are contiguous, except that a step's `<imagine>` is placed `anchor` positions
    after the step's `<obs>` (never earlier than contiguous). Why: the rotary position
    embedding relates tokens by their distance. With contiguous positions the distance from an
    observed tile to the same tile in the imagined frame varies with the length of the
    reasoning between them, so "copy the tile that stays, shift the ones that move" is a
    different attention pattern at every step. With the anchor it is one fixed offset (same
    tile: `anchor`; one tile over: `anchor` -+ 1 or -+ the grid's width), which a head learns
    once. Gaps in position ids are harmless: only distances matter, and the causal mask follows
    the order of the tokens.

    Slots: every image token's index in its frame (row-major; -1 for other tokens), counted from
    the `<obs>` or `<imagine>` that opens the frame, plus the first slot of its tokenizer's block
    (`images`: (id range, first slot) per image tokenizer). The model adds a learned (row,
    column) embedding by slot (`RigTransformer`), so "the tree is 4 tiles right" is read off the
    tile's own embedding instead of being computed from distances.

    A pure function of the ids, fed whole (training's `pad_batch`) or piecewise (the decoder,
    carrying `state`), so training and acting agree by construction.
    """

    def __init__(self, obs_id: int, imagine_id: int, anchor: int,
                 images: range | list[tuple[range, int]] | None = None):
        self.obs_id, self.imagine_id, self.anchor = obs_id, imagine_id, int(anchor)
        self.blocks = images if isinstance(images, list) else [(images or range(0), 0)]
        self.images = range(min(b.start for b, _ in self.blocks),
                            max(b.stop for b, _ in self.blocks))

    START = (0, None, 0)  # (next position, position of the last <obs>, next slot)

    def assign(self, ids, state=START):
        """(positions, slots, state after `ids`) of `ids` fed after `state`. Vectorised: the
        only jumps are at `<imagine>` tokens (a few a sequence), so positions are filled one
        contiguous run at a time and slots by cumulative counts."""
        ids = np.asarray(ids, np.int64)
        n = len(ids)
        p, obs_at, slot = state
        positions = np.empty(n, np.int64)
        slots = np.full(n, -1, np.int64)
        if n == 0:
            return positions, slots, state
        is_obs = ids == self.obs_id
        is_imagine = ids == self.imagine_id
        # positions: contiguous runs, each `<imagine>` starting a run at >= its <obs> + anchor
        cuts = np.flatnonzero(is_imagine).tolist() if self.anchor else []
        bounds = [0, *cuts, n]
        for k in range(len(bounds) - 1):
            a, b = bounds[k], bounds[k + 1]
            if a == b:
                continue
            if k > 0 and obs_at is not None:  # ids[a] is an <imagine>
                p = max(p, obs_at + self.anchor)
            positions[a:b] = np.arange(p, p + b - a)
            p += b - a
            last_obs = np.flatnonzero(is_obs[a:b])
            if last_obs.size:
                obs_at = int(positions[a + last_obs[-1]])
        # slots: an image token's index since the last <obs> or <imagine> (or since `state`)
        low, high = self.images.start, self.images.stop
        is_image = (ids >= low) & (ids < high)
        count = np.cumsum(is_image)
        opener = np.maximum.accumulate(np.where(is_obs | is_imagine, np.arange(n), -1))
        before = np.where(opener >= 0, count[np.maximum(opener, 0)], -slot)
        within = count - before - 1
        if is_image.any():
            tokens = ids[is_image]
            starts = np.asarray([block.start for block, _ in self.blocks])
            firsts = np.asarray([first for _, first in self.blocks])
            which = np.searchsorted(starts, tokens, side="right") - 1
            slots[is_image] = firsts[which] + within[is_image]
        slot = int(count[-1] - before[-1])
        return positions, slots, (p, obs_at, slot)


    def assign_one(self, token: int, state=START):
        """(position, slot, state after it) of one token fed after `state`: `assign` of `[token]`
        in plain Python, for the decoder's one-token feeds (numpy's per-call cost is most of
        a one-token `assign`). tests/test_sequence.py checks that the two agree."""
        p, obs_at, slot = state
        if token == self.imagine_id and self.anchor and obs_at is not None:
            p = max(p, obs_at + self.anchor)
        if token == self.obs_id:
            obs_at = p
        if token == self.obs_id or token == self.imagine_id:
            return p, -1, (p + 1, obs_at, 0)
        if self.images.start <= token < self.images.stop:
            first = next(f for block, f in reversed(self.blocks) if token >= block.start)
            return p, first + slot, (p + 1, obs_at, slot + 1)
        return p, -1, (p + 1, obs_at, slot)


def pad_batch(sequences: list[tuple], pad_id: int, max_length: int | None = None,
              positions: StepPositions | None = None):
    """Right-pad (ids, segments, ...) tuples into tensors: input_ids, attention_mask, segments
    and, given a `StepPositions`, position_ids and image_slots as a fourth and fifth.

    Sequences longer than `max_length` keep their end (the current step), cut at the left;
    sequences with frames must fit whole (a cut would split a frame's placeholders).
    """
    import torch

    if max_length is not None:
        if any(len(s[0]) > max_length and len(s) > 2 and s[2] is not None for s in sequences):
            raise ValueError(f"a sequence is longer than the model's {max_length} positions: "
                             "use fewer --context-steps")
        sequences = [(s[0][-max_length:], s[1][-max_length:]) for s in sequences]
    length = max(len(s[0]) for s in sequences)
    input_ids = torch.full((len(sequences), length), pad_id, dtype=torch.long)
    segments = torch.full((len(sequences), length), STRUCTURE, dtype=torch.long)
    mask = torch.zeros((len(sequences), length), dtype=torch.long)
    position_ids = torch.zeros((len(sequences), length), dtype=torch.long)
    image_slots = torch.full((len(sequences), length), -1, dtype=torch.long)
    for row, (ids, segs, *_) in enumerate(sequences):
        input_ids[row, :len(ids)] = torch.from_numpy(ids)
        segments[row, :len(ids)] = torch.from_numpy(segs.astype(np.int64))
        mask[row, :len(ids)] = 1
        if positions is not None:
            assigned, slots, _ = positions.assign(ids)
            position_ids[row, :len(ids)] = torch.from_numpy(assigned)
            position_ids[row, len(ids):] = int(assigned[-1]) if len(ids) else 0
            image_slots[row, :len(ids)] = torch.from_numpy(slots)
    if positions is None:
        return input_ids, mask, segments
    return input_ids, mask, segments, position_ids, image_slots

