"""Free-running decisions on held-out teacher states: the training metric that can fail.

Role in the data flow: `rig train policy` calls `free_running_agreement` at every validation.
Teacher-forced action accuracy is ~1.0 by construction when the reasoning states the action, so
it says nothing about play. Here the policy sees a held-out state as it would while acting (the
task, the previous step as the teacher played it, the current observation), **writes its own
reasoning** through the acting decoder (`IncrementalDecoder`, sampling as `--agent rig:` does),
then chooses its action; the metric is how often that action is the teacher's.
"""

from __future__ import annotations

import numpy as np


def frame_tokens(codec: dict, sequence) -> int:
    """Image tokens of one imagined frame in a codec's grid (the patch count without one)."""
    return int(np.prod(codec.get("grid") or (0,))) or sequence.patches


def split_for_decoding(ids: np.ndarray, frames, vocab, reasoning: bool):
    """One training sample (built without its imagined frame) cut where acting would start
    writing: (context ids, current observation ids, context frames, current frame, teacher's
    action id); None when its last step's action is not one token (an open action language)."""
    ids = [int(i) for i in ids]
    step = vocab.id("<step>")
    opener = vocab.id("<think>" if reasoning else "<act>")
    start = len(ids) - 1 - ids[::-1].index(step)
    end = ids.index(opener, start)
    act = len(ids) - 1 - ids[::-1].index(vocab.id("<act>"))
    label = ids[act + 1] if act + 1 < len(ids) else None  # a plan may follow it
    if label not in vocab.actions:
        return None
    if frames is not None and len(frames):
        context_frames = frames[:-1] if len(frames) > 1 else None
        current = frames[-1]
    else:
        context_frames, current = None, None
    return ids[:start], ids[start:end], context_frames, current, label


def window_case(builder, vocab, item, task: str):
    """A `TrajectoryDataset` window as its episode went, cut where acting starts writing (the
    outputs of `split_for_decoding`; None for an open-language action)."""
    ids, _, frames = builder.sample(item, task, imagine=False)
    return split_for_decoding(ids, frames, vocab, builder.config.reasoning)


def free_running_actions(model, vocab, builder, sequence, cases, image_tokens: int,
                         image_range: range | None = None, seed: int = 0,
                         max_context: int = 2048, temperature: float = 1.0):
    """The action ids the policy chooses after writing its own reasoning, one per case (outputs
    of `split_for_decoding`), decoded together in one batch; and each reasoning's length."""
    outputs = decide(model, vocab, builder, sequence, cases, image_tokens, image_range, seed,
                     max_context, temperature)
    return [o.action_id for o in outputs], [len(o.reasoning_ids) for o in outputs]


def decide(model, vocab, builder, sequence, cases, image_tokens: int,
           image_range: range | None = None, seed: int = 0, max_context: int = 2048,
           temperature: float = 1.0, imagination: bool = False, references=None):
    """One acting step on each case (outputs of `split_for_decoding`), decoded together as
    `--agent rig:` acts: the decoder's outputs (reasoning, action and, with `imagination`,
    the imagined frame's ids; a layout that imagines from the frame needs each case's
    observed frame as image ids, `references`). Training's free-running metric and its
    TensorBoard pictures both decide here."""
    from rig.policy.decoder import IncrementalDecoder

    decoder = IncrementalDecoder(
        model, vocab, image_tokens, reasoning=sequence.reasoning, imagination=imagination,
        max_reasoning_tokens=sequence.max_reasoning_tokens, max_context_tokens=max_context,
        keep_steps=sequence.context_steps, temperature=temperature, seed=seed,
        image_anchor=sequence.image_anchor, positions=builder.positions,
        image_range=image_range, imagine_from_frame=sequence.imagine_from_frame,
        plan_actions=sequence.plan_actions)
    patches = bool(sequence.patches)
    decoder.reset([c[0] for c in cases], [c[2] for c in cases] if patches else None)
    return decoder.step([c[1] for c in cases], [c[3] for c in cases] if patches else None,
                        references if imagination else None)


def free_running_agreement(model, vocab, builder, sequence, cases, image_tokens: int,
                           image_range: range | None = None, seed: int = 0,
                           max_context: int = 2048) -> dict[str, float]:
    """Agreement of free-running decisions with the teacher's on `cases`, sampled at
    temperature 1 as the policy acts; also the mean reasoning length."""
    cases = [c for c in cases if c is not None]
    if not cases:
        return {}
    actions, lengths = free_running_actions(model, vocab, builder, sequence, cases,
                                            image_tokens, image_range, seed, max_context)
    agree = [a == c[4] for a, c in zip(actions, cases)]
    return {"free_action_agreement": float(np.mean(agree)),
            "free_reasoning_tokens": float(np.mean(lengths))}


def own_context_cases(model, vocab, builder, sequence, items, tasks, image_tokens: int,
                      image_range: range | None = None, seed: int = 0, max_context: int = 2048,
                      temperature: float = 1.0) -> list:
    """Cases (as `split_for_decoding` gives them) whose earlier steps carry the policy's **own**
    reasoning instead of the teacher's. With `--context-steps` > 1 the teacher's previous
    reasoning states its plan (a heading kept for many steps, the target it walks to), which
    the policy never sees while it plays: there the previous reasoning is its own. So each
    earlier step of a window, oldest first, is decided by the policy at that (teacher's) state,
    given the steps before it as already rewritten, and its reasoning replaces the teacher's.
    The observations and executed actions stay the teacher's. `items` are `TrajectoryDataset`
    samples, `tasks` their task texts."""
    items = [dict(item, reasoning=list(item["reasoning"])) for item in items]
    step = vocab.id("<step>")
    for k in range(sequence.context_steps - 1):  # the k-th real step of each window
        todo = []
        for n, (item, task) in enumerate(zip(items, tasks)):
            ids, _, frames = builder.sample(item, task, imagine=False)
            starts = [i for i, t in enumerate(ids) if t == step]
            if k + 1 >= len(starts):
                continue  # the window holds no step after this one (an episode's start)
            cut = split_for_decoding(ids[:starts[k + 1]], None if frames is None
                                     else frames[:k + 1], vocab, sequence.reasoning)
            if cut is not None:
                real = np.flatnonzero(~np.asarray(item["text_is_pad"], bool))
                todo.append((n, int(real[k]), cut))
        if not todo:
            continue
        outputs = decide(model, vocab, builder, sequence, [c for _, _, c in todo],
                         image_tokens, image_range, seed + k, max_context, temperature)
        for (n, j, _), out in zip(todo, outputs):
            items[n]["reasoning"][j] = vocab.decode_text(out.reasoning_ids)
    return [window_case(builder, vocab, item, task) for item, task in zip(items, tasks)]
