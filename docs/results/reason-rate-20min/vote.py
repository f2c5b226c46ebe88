"""Free-running decisions on held-out teacher states, sampled N times each (docs/policy.md entry 6).

Usage (from the folder holding heldout.zarr and runs/):
    python vote.py rig:runs/RUN/final 16 [TEMPERATURE]

Prints one JSON line: the agreement of a single sample with the teacher's action and of the
majority over the first k samples (k = 1, 2, 4, 8, 16), then agreement by the teacher's action.
The same 512 states as `rig eval decisions --states 512` (state draw seeded 0), each decided by
the acting decoder with its own reasoning (`train/free_running.py`).""" 
import sys, json, collections
import numpy as np, torch
from rig.eval.decisions import EvalDecisionsConfig
from rig.agents import rig_checkpoint
from rig.policy import checkpoint
from rig.policy.sequence import IMAGE_KEY, TEACHER_KEY, SequenceBuilder, SequenceConfig
from rig.train.free_running import frame_tokens, free_running_actions, window_case
from rig.trajectories.dataset import TrajectoryDataset
from rig.trajectories.store import TrajectoryStore
from rig.eval.decisions import _held_out
torch.set_num_threads(1)
agent, N = sys.argv[1], int(sys.argv[2])
T = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
config = EvalDecisionsConfig(agent=agent, data="heldout.zarr", states=512)
store = TrajectoryStore.open(config.data, "r")
policy = checkpoint.load(rig_checkpoint(agent))
codec = checkpoint.image_codecs(policy.meta)[0]
sequence = SequenceConfig(**policy.meta["sequence"])
builder = SequenceBuilder(policy.vocab, sequence)
dataset = TrajectoryDataset(store, sequence.offsets(), _held_out(store, config))
dataset.cache[IMAGE_KEY] = store.read(IMAGE_KEY).astype(np.int64) + int(codec["offset"])
tasks = [str(t) for t in store.read_meta("task_text")]
rng = np.random.default_rng(0)
picks = rng.choice(len(dataset), size=512, replace=False)
items = [dataset[int(i)] for i in picks]
cases = [window_case(builder, policy.vocab, it, tasks[it["episode"]]) for it in items]
keep = [i for i, c in enumerate(cases) if c is not None]
cases = [cases[i] for i in keep]
model = policy.model("cpu")
it_, ir = frame_tokens(codec, sequence), checkpoint.codec_image_ids(policy.vocab, codec)
acts = np.zeros((len(cases), N), int)
with torch.no_grad():
    for n in range(N):
        for s in range(0, len(cases), 128):
            a, _ = free_running_actions(model, policy.vocab, builder, sequence, cases[s:s+128],
                                        it_, ir, seed=1000 * n + s, temperature=T)
            acts[s:s+128, n] = a
labels = np.array([c[4] for c in cases])
single = (acts == labels[:, None]).mean()
maj = []
for i in range(len(cases)):
    cnt = collections.Counter(acts[i]); maj.append(cnt.most_common(1)[0][0] == labels[i])
maj = np.array(maj)
# agreement of majority over the first k samples
ks = [k for k in (1, 2, 4, 8, 16, 32) if k <= N]
res = {"agent": agent, "N": N, "T": T, "single": float(single)}
for k in ks:
    m = [collections.Counter(acts[i, :k]).most_common(1)[0][0] == labels[i] for i in range(len(cases))]
    res[f"maj{k}"] = float(np.mean(m))
print(json.dumps(res))
for a in sorted(set(labels.tolist())):
    m = labels == a
    print(f"{policy.vocab.action_name(int(a)):20s} states {int(m.sum()):3d}  "
          f"agreement {float((acts[m] == a).mean()):.2f}")
