"""Decode a few steps with a random tiny model, every decoder mode; print a digest of the outputs."""
import hashlib, json, sys
import numpy as np, torch
torch.set_num_threads(1)
try:
    from rig.policy.model import ModelConfig, build_model, wrap_model
    from rig.policy.sequence import SequenceBuilder, SequenceConfig
    from rig.policy.vocab import RigVocabulary
    from rig.policy.decoder import IncrementalDecoder
except ImportError:
    from rig.agents.rig_model import ModelConfig, build_model, wrap_model
    from rig.train.sequence import SequenceBuilder, SequenceConfig
    from rig.train.vocab import RigVocabulary
    from rig.agents.rig_decoder import IncrementalDecoder
from rig.worlds.crafter import ACTION_NAMES
rng = np.random.default_rng(0)
words = ["tree", "wood", "table", "stone", "left", "right", "need", "walk", "health", "9/9"]
vocab = RigVocabulary.train([" ".join(rng.choice(words, 12)) for _ in range(500)], ACTION_NAMES, 32, 200)
out = {}
for name, kw, seqkw in [("plain", {}, {}), ("noreason", {"reasoning": False}, {"reasoning": False}),
                        ("lookahead", {"lookahead": 2, "candidates": 2}, {}),
                        ("open", {"open_actions": True}, {}), ("keep1", {"keep_steps": 1}, {"context_steps": 1})]:
    torch.manual_seed(0)
    seq = SequenceConfig(max_reasoning_tokens=6, **seqkw)
    seq.image_anchor = seq.anchor_for(16)
    builder = SequenceBuilder(vocab, seq)
    config = ModelConfig(vocab_size=len(vocab), image_grid=16)
    model = wrap_model(build_model(config), config, vocab.id("<patch>")).eval()
    dec = IncrementalDecoder(model, vocab, 16, max_reasoning_tokens=6, seed=3, image_anchor=seq.image_anchor,
                             positions=builder.positions, **{"keep_steps": 2, **kw})
    dec.reset([builder.prefix("collect wood")[0]] * 2)
    steps = []
    for t in range(4):
        obs = [builder.observation(rng.integers(0, 32, 16), "health 9/9", ["noop"])[0] for _ in range(2)]
        res = dec.step(obs if t != 2 else [obs[0], None])
        steps.append([None if r is None else {k: v for k, v in r.__dict__.items()} for r in res])
    blob = json.dumps(steps, sort_keys=True, default=str)
    out[name] = hashlib.sha256(blob.encode()).hexdigest()[:16] + f" ctx={dec.context_length()}"
print(json.dumps(out, indent=1))
# the builder: a window sample, a DAgger sample, an open-language decision and a review example
seq = SequenceConfig(context_steps=2, history_actions=2, review_steps=2)
b = SequenceBuilder(vocab, seq)
imgs = rng.integers(0, 32, (3, 16))
sample = {"image_tokens": imgs, "image_tokens_is_pad": np.array([0, 0, 0], bool),
          "action_text": ["noop", "move_left", "do", "move_right"], "action_text_is_pad": np.array([1, 0, 0, 0], bool),
          "text": ["collect wood\nhealth 9", "collect wood\nhealth 8"], "text_is_pad": np.array([0, 0], bool),
          "reasoning": ["I walk left to the tree", "I hit the tree"], "episode": 0}
parts = [b.sample(sample, "collect wood"), b.sample({**sample, "teacher_action_text": ["do", "noop"]}, "collect wood"),
         b.sample(sample, "collect wood", imagine=False), (np.asarray(b.decision("r", "click(3, 4)", imgs[0])[0]), np.asarray(b.decision("r", "click(3, 4)", imgs[0])[1]), None)]
try:
    from rig.policy.sequence import review_sample
except ImportError:
    from rig.train.sequence import review_sample
for verdict, kind in (("revise", "sampled"), ("accept", "expert")):
    rs = {"image_tokens": imgs, "image_tokens_is_pad": np.array([0, 0, 0], bool), "text": ["collect wood\nhealth 9"],
          "action_text": ["move_left", "do"], "action_text_is_pad": np.array([0, 0], bool), "reasoning": ["go"],
          "review": ["it walks into water"], "review_verdict": [verdict], "review_corrected_action": ["do"],
          "review_corrected_reasoning": ["hit the tree"], "review_candidate_kind": [kind]}
    parts.append(review_sample(b, rs, "collect wood"))
digest = hashlib.sha256(b"".join(np.asarray(p[0]).tobytes() + np.asarray(p[1]).astype(np.int64).tobytes() for p in parts)).hexdigest()[:16]
print("builder", digest, [len(p[0]) for p in parts])
