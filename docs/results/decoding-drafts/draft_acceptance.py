"""How many forwards would drafting imagined codes from the observed frame save (docs/policy.md,
speculative decoding). Usage: python draft_acceptance.py RUN/final"""
import sys, numpy as np, torch
torch.set_num_threads(1)
import rig.worlds
from rig.agents.rig_agent import RigPolicy
path = sys.argv[1]
env = rig.worlds.make("rig/Crafter-v0")
pol = RigPolicy(env, path, seed=0, imagine=True)
pol.set_drawing(False)
obs, info = env.reset(seed=3000)
pairs = []
orig = pol.decoder.step
def spy(inputs, pixels, refs, forced=None):
    outs = orig(inputs, pixels, refs, forced)
    pairs.append((refs, outs))
    return outs
pol.decoder.step = spy
for t in range(60):
    d = pol.act(obs, info)
    obs, r, term, trunc, info = env.step(d.action)
    if term or trunc: obs, info = env.reset(seed=3001+t)
N = 81; cols = 9
def sim(F, R, k):
    # forwards needed for tokens 1..N-1 (token 0 chosen from the logits after <imagine>)
    L, forwards = 1, 0
    while L < N:
        room = N - 1 - L
        kk = min(k, room)
        best, bs = 0, -1
        for s in (0, -1, 1, -cols, cols):
            sc = sum(1 for j in range(max(0, L-4), L) if 0 <= j+s < N and F[j] == R[j+s])
            if sc > bs: best, bs = s, sc
        D = [R[j+best] for j in range(L, L+kk) if 0 <= j+best < N]
        m = 0
        while m < len(D) and D[m] == F[L+m]: m += 1
        forwards += 1
        L += m + 1
    return forwards
same = []; fw = {}
for refs, outs in pairs:
    F = outs[0].image_ids; R = refs[0] if refs else None
    if R is None or not F: continue
    same.append(np.mean(np.array(F) == np.array(R)))
    for k in (4, 8, 16):
        fw.setdefault(k, []).append(sim(F, R, k))
print("steps", len(same), "same-tile share", np.mean(same))
for k, v in fw.items(): print("k", k, "forwards per frame", np.mean(v), "(plain 80)")
