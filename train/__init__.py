"""rig.train: everything that fits weights to trajectory stores.

- `vocab`: the one id space (structure, action, image and BPE text tokens) of the RIG policy;
- `sequence`: how a window of store rows becomes the token stream (segments, positions, slots);
- `train_policy` / `policy_run`: `rig train policy`, next-token training with a loss weight per
  segment, exact resume, accelerate for several processes (docs/policy.md);
- `ppo`: `rig train ppo`, the stable-baselines3 baseline (docs/baselines.md).
"""
