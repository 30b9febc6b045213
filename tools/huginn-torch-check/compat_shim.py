"""
Stand-ins for what the authors' Huginn modeling code imports from `transformers` and from
PyTorch >= 2.5, installed ONLY when those are missing (this machine has torch 1.13 from Debian
and no transformers). Everything here is rr's own minimal code, written from the documented
behaviour of those libraries; none of it is copied from them.

What stands in, and why it does not decide the comparison by itself:
- transformers' PretrainedConfig / PreTrainedModel / GenerationMixin / cache and output classes:
  plain containers (config attributes, attribute_map aliases, nn.Module with .config).
- LlamaRotaryEmbedding / Olmo2RotaryEmbedding / apply_rotary_pos_emb: rotate-half RoPE with the
  "default" and "llama3" frequency rules, as transformers 4.51 documents them. NOTE: this part is a
  re-implementation, so the check cannot catch a RoPE difference between rr and transformers.
- torch.nn.functional.scaled_dot_product_attention (with enable_gqa), torch._dynamo.disable /
  mark_static_address, torch.nn.attention.{bias, flex_attention}: only the causal, unmasked path
  the modeling code takes for a plain forward is implemented; the rest raises.
"""

import importlib
import math
import sys
import types

import torch

SHIMMED = []


def _module(name):
    mod = types.ModuleType(name)
    sys.modules[name] = mod
    parent, _, child = name.rpartition(".")
    if parent and parent in sys.modules:
        setattr(sys.modules[parent], child, mod)
    return mod


def _install_torch():
    F = torch.nn.functional
    if not hasattr(F, "scaled_dot_product_attention"):

        def sdpa(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False):
            if attn_mask is not None or dropout_p != 0.0:
                raise NotImplementedError("shim: only unmasked attention without dropout")
            if enable_gqa and k.shape[-3] != q.shape[-3]:
                group = q.shape[-3] // k.shape[-3]
                k = k.repeat_interleave(group, dim=-3)
                v = v.repeat_interleave(group, dim=-3)
            scores = (q @ k.transpose(-2, -1)) * (scale if scale is not None else 1.0 / math.sqrt(q.shape[-1]))
            if is_causal:
                s, t = q.shape[-2], k.shape[-2]
                keep = torch.ones(s, t, dtype=torch.bool, device=q.device).tril(diagonal=t - s)
                scores = scores.masked_fill(~keep, float("-inf"))
            return torch.softmax(scores.float(), dim=-1).to(q.dtype) @ v

        F.scaled_dot_product_attention = sdpa
        SHIMMED.append("torch.nn.functional.scaled_dot_product_attention")
    if not hasattr(torch, "_dynamo"):
        dynamo = _module("torch._dynamo")

        def disable(fn=None, recursive=True):
            return fn if fn is not None else (lambda f: f)

        dynamo.disable = disable
        dynamo.mark_static_address = lambda t: None
        torch._dynamo = dynamo
        SHIMMED.append("torch._dynamo")
    try:
        importlib.import_module("torch.nn.attention.flex_attention")
    except ImportError:
        attention = _module("torch.nn.attention")
        bias = _module("torch.nn.attention.bias")
        flex = _module("torch.nn.attention.flex_attention")

        def unsupported(*args, **kwargs):
            raise NotImplementedError("shim: masks and flex attention are not needed for a plain forward")

        bias.causal_lower_right = unsupported
        flex.BlockMask = type("BlockMask", (), {})
        flex.create_block_mask = unsupported
        flex.flex_attention = unsupported
        attention.bias = bias
        attention.flex_attention = flex
        torch.nn.attention = attention
        SHIMMED.append("torch.nn.attention")


class PretrainedConfig:
    attribute_map = {}

    def __init__(self, **kwargs):
        kwargs.pop("tie_word_embeddings", None)
        for key, value in kwargs.items():
            setattr(self, key, value)

    def __setattr__(self, key, value):
        key = type(self).attribute_map.get(key, key)
        object.__setattr__(self, key, value)

    def __getattr__(self, key):
        mapped = type(self).attribute_map.get(key)
        if mapped is not None:
            return getattr(self, mapped)
        raise AttributeError(key)

    @classmethod
    def register_for_auto_class(cls, *args, **kwargs):
        pass


class PreTrainedModel(torch.nn.Module):
    def __init__(self, config, *args, **kwargs):
        super().__init__()
        self.config = config

    @property
    def device(self):
        return next(self.parameters()).device

    def tie_weights(self):
        self.get_output_embeddings().weight = self.get_input_embeddings().weight

    @classmethod
    def register_for_auto_class(cls, *args, **kwargs):
        pass


def _rope_inv_freq(config):
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    inv_freq = 1.0 / (config.rope_theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    scaling = getattr(config, "rope_scaling", None)
    kind = (scaling or {}).get("rope_type", (scaling or {}).get("type", "default"))
    if kind == "default":
        return inv_freq
    if kind != "llama3":
        raise NotImplementedError(f"shim: rope_type {kind}")
    factor = scaling["factor"]
    low, high = scaling["low_freq_factor"], scaling["high_freq_factor"]
    context = scaling["original_max_position_embeddings"]
    wavelen = 2 * math.pi / inv_freq
    scaled = torch.where(wavelen > context / low, inv_freq / factor, inv_freq)
    smooth = (context / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    medium = ~(wavelen < context / high) * ~(wavelen > context / low)
    return torch.where(medium, smoothed, scaled)


class RotaryEmbedding(torch.nn.Module):
    def __init__(self, config, device=None):
        super().__init__()
        self.register_buffer("inv_freq", _rope_inv_freq(config), persistent=False)

    @torch.no_grad()
    def forward(self, x, position_ids):
        freqs = (self.inv_freq[None, :, None].float().expand(position_ids.shape[0], -1, 1) @ position_ids[:, None, :].float()).transpose(1, 2)
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos().to(x.dtype), emb.sin().to(x.dtype)


def _rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def apply_rotary_pos_emb(q, k, cos, sin, position_ids=None, unsqueeze_dim=1):
    cos, sin = cos.unsqueeze(unsqueeze_dim), sin.unsqueeze(unsqueeze_dim)
    return q * cos + _rotate_half(q) * sin, k * cos + _rotate_half(k) * sin


def _install_transformers():
    try:
        importlib.import_module("transformers")
        return
    except ImportError:
        pass
    tf = _module("transformers")
    tf.PretrainedConfig = PretrainedConfig
    tf.PreTrainedModel = PreTrainedModel
    tf.GenerationMixin = type("GenerationMixin", (), {})
    tf.GenerationConfig = type("GenerationConfig", (), {"__init__": lambda self, **kw: self.__dict__.update(kw)})
    registry = type("Auto", (), {"register": staticmethod(lambda *a, **k: None)})
    tf.AutoConfig = tf.AutoModel = tf.AutoModelForCausalLM = registry
    cache = _module("transformers.cache_utils")
    cache.Cache = type("Cache", (), {"__init__": lambda self, *a, **k: None})
    cache.DynamicCache = type("DynamicCache", (cache.Cache,), {})
    cache.StaticCache = type("StaticCache", (cache.Cache,), {})
    _module("transformers.generation")
    _module("transformers.generation.utils").GenerateDecoderOnlyOutput = type("GenerateDecoderOnlyOutput", (), {})
    _module("transformers.utils").ModelOutput = type("ModelOutput", (), {})
    _module("transformers.models")
    _module("transformers.models.llama")
    llama = _module("transformers.models.llama.modeling_llama")
    llama.LlamaRotaryEmbedding = RotaryEmbedding
    llama.apply_rotary_pos_emb = apply_rotary_pos_emb
    _module("transformers.models.olmo2")
    olmo = _module("transformers.models.olmo2.modeling_olmo2")
    olmo.Olmo2RotaryEmbedding = RotaryEmbedding
    olmo.apply_rotary_pos_emb = apply_rotary_pos_emb
    SHIMMED.append("transformers (config/model base classes, caches, outputs, rotary embedding)")


def install():
    _install_torch()
    _install_transformers()
    return SHIMMED
