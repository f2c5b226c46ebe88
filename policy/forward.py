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
        # cos and signed sin of every position, looked up instead of computed at each call
        # (a one-token forward is a few dozen small tensor calls: these were eight of them)
        self._rotary_table(max(2 * config.max_position_embeddings, 4096))
        self.layers = [self._fuse(layer) for layer in self.inner.layers]
        self.final_norm = self.inner.norm.weight.detach()
        self.head = _stacked(self.lm.lm_head)
        self.worlds = worlds
        self.width = 0  # cached positions (the same for every world; padding is masked)
        self.padded = False  # whether any cached position is padding (then masks are needed)
        self._allocate(max(16, capacity))

    @staticmethod
    def _fuse(layer):
        """One layer's weights as the decoder multiplies them: q/k/v and gate/up stacked, each
        stored input-major (`x @ weight`). Why: at one token a world the forward is bound by
        per-call overhead and by streaming the weights, and on a CPU a matrix-vector product
        reads an input-major matrix ~1.7x faster than the HF layout (measured: 40 against 68 us
        for a 704 x 256 projection). They are copies taken now (the tiny policy's 16 MB): a
        decoder takes them at each reset, so a model trained between evaluations is decoded
        with its current weights."""
        attention, mlp = layer.self_attn, layer.mlp
        return (layer.input_layernorm.weight.detach(),
                _stacked(attention.q_proj, attention.k_proj, attention.v_proj),
                _stacked(attention.o_proj), layer.post_attention_layernorm.weight.detach(),
                _stacked(mlp.gate_proj, mlp.up_proj), _stacked(mlp.down_proj))

    def _rotary_table(self, size: int) -> None:
        freqs = torch.arange(size, device=self.device).float()[:, None] * self.inv_freq
        self.cos_table = (torch.cat([freqs, freqs], dim=-1).cos() * self.rope_scale).to(self.dtype)
        sin = (freqs.sin() * self.rope_scale).to(self.dtype)
        self.sin_table = torch.cat([-sin, sin], dim=-1)  # rotate-half's signs folded in

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
        self.width, self.padded = 0, False

    def _norm(self, x, weight):
        # as Qwen2RMSNorm: the variance in float32, the weight applied in the model's dtype
        if x.dtype == torch.float32:
            return F.rms_norm(x, weight.shape, weight, self.eps)
        return weight * F.rms_norm(x.float(), weight.shape, None, self.eps).to(x.dtype)

    @torch.no_grad()
    def feed(self, embeds, new_mask, positions, last):
        """Run `embeds` (K x W x hidden) at `positions` (K x W) after the cache; `new_mask`
        (K x W bool) marks the real tokens. Returns the logits (K x vocab, float32) after each
        world's token `last[w]` (worlds with `last[w] < 0` get a row of zeros' logits: unused)."""
        k, w = new_mask.shape
        if w == 1 and k == 1 and not self.padded and bool(new_mask[0, 0]):
            return self.feed_token(embeds[0], int(positions[0, 0]))  # the one-token path
        start, end = self.width, self.width + w
        if end > self.capacity:
            self._allocate(max(end, 2 * self.capacity))
        # which cached or new keys each new token sees: the real ones before it, and itself
        # (a padding token seeing itself keeps its row, and so its cached values, finite;
        # nobody reads it or sees it)
        if w == 1:
            self.valid[:, start] = True
            seen = self.valid[:, None, None, :end].clone()
            self.valid[:, start:end] = new_mask
            self.padded = self.padded or k == 1  # one world here: a padding token was fed
        else:
            self.valid[:, start:end] = new_mask
            self.padded = self.padded or not bool(new_mask.all())
            causal = torch.ones((w, w), dtype=torch.bool, device=self.device).tril()
            fresh = (causal & new_mask[:, None, :]) | torch.eye(w, dtype=torch.bool,
                                                                 device=self.device)
            seen = torch.cat([self.valid[:, None, :start].expand(k, w, start), fresh], dim=2)
            seen = seen[:, None]  # K x 1 x W x (width + W)
        # rotary embedding as rotate-half: x * cos + roll(x, half) * [-sin, sin]
        if int(positions.max()) >= len(self.cos_table):
            self._rotary_table(2 * int(positions.max()) + 1)
        cos = self.cos_table[positions][:, :, None]  # K x W x 1 x head_dim
        sin = self.sin_table[positions][:, :, None]
        x = self._layers(embeds.to(self.dtype).reshape(k * w, -1), k, w, start, cos, sin, seen)
        self.width = end
        x = x.view(k, w, -1)
        if w == 1:
            hidden = x[:, 0]
        else:
            rows = torch.as_tensor([max(i, 0) for i in last], device=self.device)
            hidden = x[torch.arange(k, device=self.device), rows]  # the last tokens only
        return _linear(self._norm(hidden, self.final_norm), self.head).float()

    @torch.no_grad()
    def feed_token(self, embed, position: int):
        """`feed` of one real token for a single world (`embed`: 1 x hidden) at `position`,
        with the same arithmetic and a fraction of its tensor calls: at batch 1 the decoder
        feeds nearly every token this way, and there the forward is bound by per-call cost.
        Returns the logits (1 x vocab, float32). One world never feeds padding, so its token
        sees every cached key: no mask (SDPA's unmasked path)."""
        if self.worlds != 1:
            raise ValueError(f"feed_token feeds a single world; this forward holds "
                             f"{self.worlds}")
        if self.padded:  # padding was fed once (a caller's choice): keys need the mask
            return _feed_one(self, embed, position)
        start = self.width
        if start + 1 > self.capacity:
            self._allocate(2 * self.capacity)
        self.valid[0, start] = True
        if position >= len(self.cos_table):
            self._rotary_table(2 * position + 1)
        # one row of each table broadcasts as the K x W x 1 x head_dim lookup of `feed` does
        x = self._layers(embed.to(self.dtype), 1, 1, start, self.cos_table[position],
                         self.sin_table[position], None)
        self.width = start + 1
        return _linear(self._norm(x, self.final_norm), self.head).float()

    def _layers(self, x, k: int, w: int, start: int, cos, sin, seen):
        """The decoder layers over `x` (K*W x hidden, tokens as rows: every product is 2-D),
        caching each layer's keys and values at positions start..start+W."""
        end = start + w
        heads, kv, half = self.heads, self.kv_heads, self.head_dim // 2
        gqa = heads != kv
        for i, (norm1, qkv, out, norm2, gate_up, down) in enumerate(self.layers):
            projected = _linear(self._norm(x, norm1), qkv).view(k, w, heads + 2 * kv,
                                                                self.head_dim)
            qk = projected[:, :, :heads + kv]  # queries and keys rotate together
            qk = qk * cos + qk.roll(half, dims=-1) * sin
            self.keys[i, :, :, start:end] = qk[:, :, heads:].transpose(1, 2)
            self.values[i, :, :, start:end] = projected[:, :, heads + kv:].transpose(1, 2)
            attended = F.scaled_dot_product_attention(
                qk[:, :, :heads].transpose(1, 2), self.keys[i, :, :, :end],
                self.values[i, :, :, :end], attn_mask=seen, scale=self.scale, enable_gqa=gqa)
            x = x + _linear(attended.transpose(1, 2).reshape(k * w, -1), out)
            gate, up = _linear(self._norm(x, norm2), gate_up).chunk(2, dim=-1)
            x = x + _linear(F.silu(gate) * up, down)
        return x


def _stacked(*linears):
    """(input-major weight, bias or None) of `linears` stacked along their outputs."""
    weight = torch.cat([l.weight for l in linears]).detach().t().contiguous()
    if all(l.bias is None for l in linears):
        return weight, None
    bias = torch.cat([l.bias.detach() if l.bias is not None else
                      torch.zeros(l.out_features, dtype=weight.dtype, device=weight.device)
                      for l in linears])
    return weight, bias


def _linear(x, weight_bias):
    weight, bias = weight_bias
    return x @ weight if bias is None else torch.addmm(bias, x, weight)


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

    def feed_token(self, embed, position: int):
        """`feed` of one real token for a single world (the contract of `LeanForward`'s)."""
        return _feed_one(self, embed, position)


def _feed_one(forward, embed, position: int):
    """`forward.feed` of one world's one real token (`embed`: 1 x hidden) at `position`."""
    return forward.feed(embed.view(1, 1, -1),
                        torch.ones((1, 1), dtype=torch.bool, device=embed.device),
                        torch.tensor([[position]], device=embed.device), [0])


def decoding_forward(model, worlds: int, lean: bool = True):
    """The lean forward where it computes this model exactly, else the HF one."""
    if lean and LeanForward.supports(model) is None:
        return LeanForward(model, worlds)
    return HFForward(model, worlds)


