"""(A record of how entry 4 of docs/policy.md got its image tokens; run from the folder of
the stores, with the GPU's files in /work/gpu.)
Attach image tokens computed on the GPU machine (scripts/gpu_scale_recipe.sh ran `rig data
tokenize --tokenizer crafter --device cuda` over the same seeds) to the local stores. Worker
processes append episodes in the order they finish, so the GPU store's episode order differs:
each local episode is found in the GPU rows by the tokens of five of its frames (CPU-encoded
here), the found starts must tile the GPU rows exactly with the local lengths, and sampled
frames must encode (on this CPU) to the tokens the GPU gave."""
import ast
import numpy as np, torch
from rig.trajectories.store import TrajectoryStore
from rig.trajectories.tokenize import KEY, weights_digest
from rig.imagination.tokenizer import ImageTokenizer
from rig.config import resolve_model
torch.set_num_threads(2)
folder = resolve_model("crafter", "tokenizer")
tok = ImageTokenizer.from_pretrained(folder, device="cpu")
rng = np.random.default_rng(0)
for name in ("expert", "more", "heldout"):
    z = np.load(f"/work/gpu/tokens-{name}.npz")
    gpu = z["image_tokens"]
    info = ast.literal_eval(str(z["info"]))
    assert info["tokenizer_sha256"] == weights_digest(folder)
    with TrajectoryStore.open(f"{name}.zarr", "a") as store:
        assert store.num_steps == len(gpu), (store.num_steps, len(gpu))
        ends = np.asarray(store.episode_ends()); starts = np.r_[0, ends[:-1]]
        # the first frames of Crafter episodes are nearly alike (a grass clearing, an empty
        # inventory): a candidate start must also match frames 15, 30, 45 and 60 steps later
        offsets = [0, 15, 30, 45, 60]
        lengths = ends - starts
        frames = [store.read("image", int(a) + min(o, int(n) - 1), int(a) + min(o, int(n) - 1) + 1)[0]
                  for a, n in zip(starts, lengths) for o in offsets]
        enc = tok.encode(np.stack(frames), 8).reshape(len(starts), len(offsets), -1)
        where, best = np.zeros(len(starts), int), np.zeros(len(starts))
        for e, n in enumerate(lengths):
            cand = np.flatnonzero((gpu[: len(gpu) - n + 1] == enc[e, 0]).mean(-1) > 0.85)
            scores = [np.mean([(gpu[g + min(o, n - 1)] == enc[e, i]).mean()
                               for i, o in enumerate(offsets)]) for g in cand]
            where[e], best[e] = cand[int(np.argmax(scores))], max(scores)
        print("match score min", best.min())
        assert (best > 0.9).all()
        order = np.argsort(where)
        tiled = np.r_[0, np.cumsum(lengths[order])[:-1]]
        assert np.array_equal(np.sort(where), tiled), "the found starts do not tile the GPU rows"
        local = np.empty_like(gpu)
        checks = []
        for e, (a, n) in enumerate(zip(starts, lengths)):
            local[a:a + n] = gpu[where[e]:where[e] + n]
            k = int(rng.integers(n)); checks.append((int(a) + k, where[e] + k))
        sample = checks[::max(1, len(checks) // 32)]
        ids = tok.encode(np.stack([store.read("image", a, a + 1)[0] for a, _ in sample]), 8)
        match = (ids.reshape(len(sample), -1) == np.stack([gpu[g] for _, g in sample])).mean()
        print("sampled", match); assert match > 0.9, match
        store.add_step_key(KEY, gpu.shape[1:], gpu.dtype)
        info["tokenizer"] = str(folder)
        store.set_attrs({KEY: {**info, "steps": 0}})
        store.write_rows(KEY, 0, local)
        store.set_attrs({KEY: {**info, "steps": len(local)}})
        print(f"{name}: {len(starts)} episodes found, five frames agree "
              f">= {best.min():.4f}, sampled frames {match:.4f}; {local.shape} written")
