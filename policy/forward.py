"""The decoder's forward pass over the policy's weights, with a KV cache that lives across calls.

Role in the data flow: `policy/decoder.py` feeds K worlds' tokens a few at a time (mostly one
token a world) and needs each world's logits after its last token. Two ways to do it, one
contract (`feed`, `width`, `crop`):

- `LeanForward`: the same Qwen2/Llama computation written out in a few tensor calls a layer,
  over the very weights of the Hugging Face model (nothing is copied or converted; the
  checkpoint format is the HF folder as before), with a preallocated key/value buffer that
  grows by doubling. Why: a 1-token forward of the tiny policy costs ~3 ms in the HF model, of
  which the matrix products are ~0.7 ms; the rest is module calls, mask building and the
  dynamic cache's `torch.cat` of every layer's keys on every call. Only the last token's logits
  are computed (the LM head is a large share of a small model's work).
- `HFForward`: the Hugging Face model's own forward with its dynamic cache, for architectures
  the lean path does not know (it says which in `LeanForward.supports`).

Both give the same logits to float rounding (tests/test_forward.py compares them, and the
decoder's steps, on Qwen2 and Llama).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

LEAN_TYPES = ("qwen2", "llama", "mistral")  # one computation: RMSNorm, RoPE, GQA, SwiGLU


def lm_of(model):
    """The Hugging Face causal LM inside a `RigTransformer` (or the LM itself)."""
    return getattr(model, "lm", model)


class LeanForward:
    """Qwen2/Llama decoding with a static KV buffer (see the module docstring)."""

    @staticmethod
    def supports(model) -> str | None:
        """None when the lean path computes exactly this model's forward, else why not."""
        config = lm_of(model).config
        kind = getattr(config, "model_type", None)
        if kind not in LEAN_TYPES:
            return f"model type {kind!r} (lean decoding knows {', '.join(LEAN_TYPES)})"
        if getattr(config, "use_sliding_window", False) or \
                (kind == "mistral" and getattr(config, "sliding_window", None)):
            return "sliding-window attention"
        if getattr(config, "hidden_act", "silu") != "silu":
            return f"activation {config.hidden_act!r}"
        inner = getattr(lm_of(model), "model", None)
        if inner is None or not hasattr(inner, "rotary_emb") or not hasattr(inner, "layers"):
            return "an unfamiliar module layout"
        return None

    def __init__(self, model, worlds: int, capacity: int = 256):
        why = self.supports(model)
        if why is not None:
            raise ValueError(f"lean decoding does not support {why}")
        self.model, self.lm = model, lm_of(model)
        self.inner = self.lm.model
        config = self.lm.config
        self.heads = config.num_attention_heads
        self.kv_heads = config.num_key_value_heads
        self.head_dim = getattr(config, "head_dim", None) or config.hidden_size // self.heads
        self.eps = config.rms_norm_eps
        self.scale = self.head_dim ** -0.5
        rotary = self.inner.rotary_emb
        # the HF rotary module's own frequencies and scaling: whatever rope type it was built with
        self.inv_freq = rotary.inv_freq.float()
        self.rope_scale = float(getattr(rotary, "attention_scaling", 1.0))
        weight = next(self.lm.parameters())
        self.device, self.dtype = weight.device, weight.dtype
        self.layers = [(l.input_layernorm.weight, l.self_attn.q_proj, l.self_attn.k_proj,
                        l.self_attn.v_proj, l.self_attn.o_proj, l.post_attention_layernorm.weight,
                        l.mlp.gate_proj, l.mlp.up_proj, l.mlp.down_proj)
                       for l in self.inner.layers]
        self.worlds = worlds
        self.width = 0  # cached positions (the same for every world; padding is masked)
        self._allocate(max(16, capacity))

    def _allocate(self, capacity: int) -> None:
        shape = (len(self.layers), self.worlds, self.kv_heads, capacity, self.head_dim)
        keys = torch.zeros(shape, dtype=self.dtype, device=self.device)
        values = torch.zeros(shape, dtype=self.dtype, device=self.device)
        valid = torch.zeros((self.worlds, capacity), dtype=torch.bool, device=self.device)
        if self.width:  # growing: keep what is cached
            keys[:, :, :, :self.width] = self.keys[:, :, :, :self.width]
            values[:, :, :, :self.width] = self.values[:, :, :, :self.width]
            valid[:, :self.width] = self.valid[:, :self.width]
        self.keys, self.values, self.valid, self.capacity = keys, values, valid, capacity

    def crop(self, width: int) -> None:
        """Forget every position from `width` on (the buffer stays allocated)."""
        self.width = min(self.width, width)

    def clear(self) -> None:
        self.width = 0

    def _norm(self, x, weight):
        # as Qwen2RMSNorm: the variance in float32, the weight applied in the model's dtype
        h = x.float()
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)
        return weight * h.to(x.dtype)

    @torch.no_grad()
    def feed(self, embeds, new_mask, positions, last):
        """Run `embeds` (K x W x hidden) at `positions` (K x W) after the cache; `new_mask`
        (K x W bool) marks the real tokens. Returns the logits (K x vocab, float32) after each
        world's token `last[w]` (worlds with `last[w] < 0` get a row of zeros' logits: unused)."""
        k, w = new_mask.shape
        start, end = self.width, self.width + w
        if end > self.capacity:
            self._allocate(max(end, 2 * self.capacity))
        self.valid[:, start:end] = new_mask
        # which cached or new keys each new token sees: the real ones before it, and itself
        # (a padding token seeing itself keeps its row finite; nobody reads it or sees it)
        causal = torch.ones((w, w), dtype=torch.bool, device=self.device).tril()
        fresh = (causal & new_mask[:, None, :]) | torch.eye(w, dtype=torch.bool,
                                                             device=self.device)
        seen = torch.cat([self.valid[:, None, :start].expand(k, w, start), fresh], dim=2)
        seen = seen[:, None]  # K x 1 x W x (width + W)
        freqs = positions[..., None].float() * self.inv_freq
        angles = torch.cat([freqs, freqs], dim=-1)
        cos = (angles.cos() * self.rope_scale).to(self.dtype)[:, None]
        sin = (angles.sin() * self.rope_scale).to(self.dtype)[:, None]
        groups = self.heads // self.kv_heads
        x = embeds.to(self.dtype)
        for i, (norm1, q_proj, k_proj, v_proj, o_proj, norm2, gate, up, down) in \
                enumerate(self.layers):
            h = self._norm(x, norm1)
            q = q_proj(h).view(k, w, self.heads, self.head_dim).transpose(1, 2)
            key = k_proj(h).view(k, w, self.kv_heads, self.head_dim).transpose(1, 2)
            value = v_proj(h).view(k, w, self.kv_heads, self.head_dim).transpose(1, 2)
            q = q * cos + _rotate_half(q) * sin
            key = key * cos + _rotate_half(key) * sin
            self.keys[i, :, :, start:end] = key
            self.values[i, :, :, start:end] = value
            keys, values = self.keys[i, :, :, :end], self.values[i, :, :, :end]
            if groups > 1:
                keys = keys.repeat_interleave(groups, dim=1)
                values = values.repeat_interleave(groups, dim=1)
            attended = F.scaled_dot_product_attention(q, keys, values, attn_mask=seen,
                                                      scale=self.scale)
            x = x + o_proj(attended.transpose(1, 2).reshape(k, w, -1))
            h = self._norm(x, norm2)
            x = x + down(F.silu(gate(h)) * up(h))
        self.width = end
        rows = torch.as_tensor([max(i, 0) for i in last], device=self.device)
        hidden = x[torch.arange(k, device=self.device), rows]  # K x hidden: the last tokens only
        return self.lm.lm_head(self._norm(hidden, self.inner.norm.weight)).float()


def _rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class HFForward:
    """The Hugging Face model's own forward and dynamic cache, under the same contract."""

    def __init__(self, model, worlds: int):
        self.model, self.worlds = model, worlds
        self.cache, self.mask = None, None

    @property
    def width(self) -> int:
        return 0 if self.mask is None else int(self.mask.shape[1])

    def crop(self, width: int) -> None:
        self.cache.crop(width - self.width)
        self.mask = self.mask[:, :width]

    def clear(self) -> None:
        self.cache, self.mask = None, None

    @torch.no_grad()
    def feed(self, embeds, new_mask, positions, last):
        new_mask = new_mask.long()
        mask = new_mask if self.mask is None else torch.cat([self.mask, new_mask], dim=1)
        out = lm_of(self.model)(inputs_embeds=embeds, attention_mask=mask,
                                position_ids=positions, past_key_values=self.cache,
                                use_cache=True)
        self.cache, self.mask = out.past_key_values, mask
        rows = torch.as_tensor([max(i, 0) for i in last], device=embeds.device)
        return out.logits[torch.arange(len(last), device=embeds.device), rows].float()


def decoding_forward(model, worlds: int, lean: bool = True):
    """The lean forward where it computes this model exactly, else the HF one."""
    if lean and LeanForward.supports(model) is None:
        return LeanForward(model, worlds)
    return HFForward(model, worlds)


