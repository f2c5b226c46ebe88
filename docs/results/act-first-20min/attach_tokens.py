"""Give a restyled store (the same expert, seeds and decisions, other wording) the image tokens
of the original store: each episode is found by its seed, its actions and frames must be equal
to the original's, and then its token rows are copied. Usage: python attach_tokens.py NEW OLD..."""
import sys
import numpy as np
from rig.trajectories.store import TrajectoryStore
from rig.trajectories.tokenize import KEY

new_path, old_paths = sys.argv[1], sys.argv[2:]
rows = {}  # seed -> (actions, last frame, tokens) of an original episode
info = None
for path in old_paths:
    with TrajectoryStore.open(path, "r") as old:
        info = old.attrs[KEY]
        ends = np.asarray(old.episode_ends()); starts = np.r_[0, ends[:-1]]
        actions, tokens = old.read("action"), old.read(KEY)
        for seed, a, b in zip(old.read_meta("seed"), starts, ends):
            rows[int(seed)] = (actions[a:b], old.read("image", b - 1, b)[0], tokens[a:b])
with TrajectoryStore.open(new_path, "a") as new:
    ends = np.asarray(new.episode_ends()); starts = np.r_[0, ends[:-1]]
    actions = new.read("action")
    out = None
    for seed, a, b in zip(new.read_meta("seed"), starts, ends):
        old_actions, old_last, old_tokens = rows[int(seed)]
        assert np.array_equal(actions[a:b], old_actions), f"seed {seed}: actions differ"
        assert np.array_equal(new.read("image", b - 1, b)[0], old_last), f"seed {seed}: frames differ"
        if out is None:
            out = np.zeros((new.num_steps,) + old_tokens.shape[1:], old_tokens.dtype)
        out[a:b] = old_tokens
    new.add_step_key(KEY, out.shape[1:], out.dtype)
    new.set_attrs({KEY: {**info, "steps": 0}})
    new.write_rows(KEY, 0, out)
    new.set_attrs({KEY: {**info, "steps": len(out)}})
    print(f"{new_path}: {len(starts)} episodes matched by seed, actions and last frames equal; "
          f"{out.shape} tokens written")
