"""Issue 22, nineteenth session: does the reward reader (reader.py), summed over the policy's
imagined rollout of each proposal, rank the proposals as their real branches do? `rig eval
verdict`'s protocol (eval/verdict.py: the plain policy plays, its first sample acted on; at
every state where its N proposals differ, each distinct one is imagined H steps ahead and
valued by a real branch of H steps, the policy continuing), with the reader's sum in place of
the reviewer's P(accept), and the same reader summed over the real branch's frames (is it the
reading or the imagining that fails?): each record keeps the real values, the sums of the
reader used here and every code map, so that analyze.py can read them with any reader.
Validation seeds, never the evaluation ones.
Run: python probe.py READER EPISODES FIRST_SEED OUT.json [CANDIDATES LOOKAHEAD [AGENT]]
(AGENT: the policy that plays and imagines, rig:crafter by default)"""
import json
import sys

import numpy as np
import torch

from reader import load
from rig.agents import rig_checkpoint
from rig.agents.judge_review import judge_inputs
from rig.eval.verdict import verdict_worker

torch.set_num_threads(1)
reader_path, episodes, first, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
candidates, lookahead = (int(a) for a in (sys.argv[5:] + ["4", "4"][len(sys.argv) - 5:])[:2])
agent = sys.argv[7] if len(sys.argv) > 7 else "rig:crafter"
reader = load(reader_path)
worker = verdict_worker("rig/Crafter-v0", rig_checkpoint(agent), candidates, lookahead,
                        "cpu", 1.0)
env, judge, oracle = worker["env"], worker["judge"], worker["oracle"]
tokenizer = judge.reviewer.tokenizer


def chain_value(start, frames) -> float:
    """The reader's reward summed over consecutive code maps: start, then each of `frames`."""
    maps = np.stack([start, *frames]).astype(np.int64)
    with torch.no_grad():
        return float(reader.value(torch.from_numpy(maps[:-1]), torch.from_numpy(maps[1:]))
                     .sum())


records = []
for seed in range(first, first + episodes):
    judge.reset(seed)
    oracle.reset(seed)
    obs, info = env.reset(seed=seed)
    executed, steps = [], 0
    while True:
        decision = judge.act(obs, info)
        proposals, distinct, reviews = judge.seen
        if len(distinct) > 1:
            oracle.policy.history = [list(executed) for _ in range(oracle.candidates)]
            values = oracle.branch_values([int(d.action) for d in distinct])
            now = tokenizer.encode(np.asarray(obs["image"])[None])[0]
            imagined = [chain_value(now, r.extras["rollout_codes"][0]) for r in reviews]
            real, real_codes = [], []
            for frames, _ in oracle.branch_outcomes[:len(distinct)]:
                real_codes.append(tokenizer.encode(np.stack(frames)))
                real.append(chain_value(now, real_codes[-1]))
            _, votes = judge_inputs(proposals, distinct, reviews)
            records.append({"seed": seed, "step": steps, "values": [float(v) for v in values],
                            "votes": votes, "imagined": imagined, "real": real,
                            # the code maps, for other readings of the same states
                            "codes_now": now.tolist(),
                            "codes_imagined": [np.asarray(r.extras["rollout_codes"][0]).tolist()
                                               for r in reviews],
                            "codes_real": [c.tolist() for c in real_codes]})
        executed.append(decision.action_text)
        obs, _, terminated, truncated, info = env.step(decision.action)
        steps += 1
        if terminated or truncated:
            break
    print(f"seed {seed}: {steps} steps, {len(records)} records so far", flush=True)


# the figures: analyze.py (any reader, from the code maps kept here)
summary = {"records": len(records), "episodes": episodes, "first_seed": first,
           "candidates": candidates, "lookahead": lookahead}
print(json.dumps(summary))
json.dump({"summary": summary, "records": records}, open(out, "w"))
