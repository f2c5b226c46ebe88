"""The step grammar, declared once: what a step of the token stream is made of.

Role in the data flow: `sequence.SequenceBuilder` writes training sequences part by part from
these declarations, and `decoder.IncrementalDecoder` decodes by them while acting (a part's
opening tokens are forced, its content is constrained to the tokens it holds, its end is the
model's choice of the closing token or forced at the cap), so that what the policy writes
while it acts is what it was trained on. One step:

    <step> <obs> FRAME <text> TEXT* </text> <hist> ACTION*          the observation (input)
    [<think> TEXT* </think>]                                         REASONING (if trained)
    <act> ACTION            |  <act> TEXT* </act>                    ACTION (closed | open language)
                                 (closed, with a plan: <act> ACTION ACTION{P}, the next P)
    [<imagine> IMAGE{N}]                                             IMAGINATION (if trained)

and with RIG-lookahead (a review store, or `--lookahead`), the proposal's action is imagined
ahead and reviewed before the step ends:

    <act> ACTION <imagine> IMAGE{N} (<imagined> <act> ACTION <imagine> IMAGE{N})*
    <review> TEXT* (<accept> | <revise>) </review> [the corrected decision]

(a reviewer trained `--no-review-words` writes no TEXT: its verdict comes straight after the
imagined outcome, drawn from its odds of accept against revise).

FRAME is N image tokens (or `<patch>` placeholders for a patch encoder); TEXT are BPE text
tokens; ACTION one action token of the world's closed action language. A policy that sees
frames through an eye (patches, cnn) may imagine from the frame restated as its codes (input,
forced while acting), so that it can copy the tiles that stay:

    <act> ACTION <obs> IMAGE{N} <imagine> IMAGE{N}                   (`imagine_from_frame`)
"""

from __future__ import annotations

from dataclasses import dataclass

# Segment labels, one per token of a training sequence: the loss weights follow them.
STRUCTURE, TASK, OBSERVATION, HISTORY, REASONING, ACTION, IMAGINATION, REVIEW = range(8)
SEGMENT_NAMES = ("structure", "task", "observation", "history", "reasoning", "action",
                 "imagination", "review")
LOSS_SEGMENTS = (REASONING, ACTION, IMAGINATION, REVIEW)

# Token classes a part's content may hold (the vocabulary's ranges).
TEXT, ACTIONS, IMAGES = "text", "actions", "images"


@dataclass(frozen=True)
class Part:
    """One part of a step's decision: forced opening tokens, then content the model writes."""

    name: str
    opens: tuple[str, ...]       # structure tokens before the content (forced while acting)
    holds: str                   # TEXT, ACTIONS or IMAGES
    closes: tuple[str, ...] = ()  # tokens that may end the content (the model chooses one);
    #                              none: a fixed count (one action, N image tokens)
    segment: int = STRUCTURE     # loss segment of the content and its closing token


THINK = Part("reasoning", ("<think>",), TEXT, ("</think>",), REASONING)
ACT = Part("action", ("<act>",), ACTIONS, (), ACTION)                    # one action token
ACT_TEXT = Part("action", ("<act>",), TEXT, ("</act>",), ACTION)        # open languages
IMAGINE = Part("imagination", ("<imagine>",), IMAGES, (), IMAGINATION)  # N image tokens
# lookahead: an action taken inside the imagined rollout (input, not a target)
IMAGINED_ACT = Part("imagined action", ("<imagined>", "<act>"), ACTIONS, (), STRUCTURE)
# the review of an imagined outcome, ended by its verdict (then `REVIEW_END` is forced)
REVIEW_PART = Part("review", ("<review>",), TEXT, ("<accept>", "<revise>"), REVIEW)
REVIEW_END = "</review>"

OBSERVATION_OPENS = ("<step>", "<obs>")   # then the frame
RESTATED_FRAME_OPENS = ("<obs>",)         # then the observed frame's codes, before <imagine>
TEXT_OPENS, TEXT_CLOSES, HISTORY_OPENS = ("<text>",), ("</text>",), ("<hist>",)
PREFIX = ("<bos>", "<task>")              # a sequence's start, then the task text, `</task>`
PREFIX_CLOSES = ("</task>",)
MAX_TASK_TOKENS = 64
MAX_ACTION_TEXT_TOKENS = 24               # an open-language action's text, at most


def decision(reasoning: bool, open_actions: bool = False,
             imagination: bool = True) -> tuple[Part, ...]:
    """The parts of a step's decision, in order, for a policy trained with (or without)
    reasoning and imagination, in a world of a closed or an open action language."""
    return ((THINK,) if reasoning else ()) + (ACT_TEXT if open_actions else ACT,) + \
        ((IMAGINE,) if imagination else ())


def structure_tokens() -> tuple[str, ...]:
    """Every structure token the grammar names (the vocabulary reserves each)."""
    names = [*PREFIX, *PREFIX_CLOSES, *OBSERVATION_OPENS, "<patch>", *TEXT_OPENS, *TEXT_CLOSES,
             *HISTORY_OPENS, REVIEW_END]
    for part in (THINK, ACT, ACT_TEXT, IMAGINE, IMAGINED_ACT, REVIEW_PART):
        names += [*part.opens, *part.closes]
    return tuple(dict.fromkeys(names))
