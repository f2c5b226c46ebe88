"""rig.policy: the RIG policy itself, one causal transformer over one token stream.

Open this room to change the policy. Data flows top to bottom:

- `vocab`: the one id space (structure, action, image and BPE text tokens);
- `grammar`: the step grammar, declared once: which parts a step has, what opens and closes
  each, which tokens each may hold; the sequence builder emits it, the decoder follows it;
- `sequence`: a window of store rows as token ids with a segment label per token (the loss
  weights), position ids and image-tile slots;
- `model` / `transformer`: the configs and presets, the Qwen2 LM from `transformers`, the patch
  encoder and tile embedding beside it;
- `decoder`: KV-cached, batched, grammar-constrained decoding of steps while acting (with
  RIG-lookahead's imagined rollouts and reviews);
- `checkpoint`: the folder format, its one `save` and one `load` (acting, resuming,
  `--init-from`, the ablation).

Nothing here imports `rig.train`, `rig.eval` or `rig.agents`: training and acting import this
room (`rig.agents.rig_agent.RigPolicy` is the agent; `rig.train.policy_run` the training run).
"""
