#!/usr/bin/env python3
"""PyTorch peer of `rr bench train`: the same recurrent model and training step, timed the same way.

    /usr/bin/python3 tools/bench_train_torch.py '{"dim": 256, "heads": 8, ...}'

The argument is the JSON config the CLI prints under "config" (every key optional; defaults are the
CLI's). Prints one JSON line: {"tokens_per_s", "step_ms", "torch", "threads"}.

The model is rr's RecurrentLM (docs/method.md section 1) written out in eager PyTorch, f32:

    e = prelude(embed(tokens)); s = s0; r times: s = block(adapter(concat[s, e])); x = coda(s)
    logits = head(norm(x))

with Llama pre-norm blocks (RMSNorm, q/k/v/o with grouped-query attention, rotate-half RoPE, causal
softmax attention, SwiGLU MLP). A step is what rr's Trainer does: forward with n steps under
no_grad then k recorded steps, mean cross-entropy, backward, global grad-norm clip at 1.0, then
Muon for the hidden matrices and the adapter and AdamW for embedding, head and norms
(docs/method.md section 2 constants). The loss is read back every step, as the Trainer does, which also
makes the timing include all the work.

This is a reference for speed, not a checkpoint-compatible twin: weights are random (N(0, 0.02),
norms 1), tokens are random, and nothing is compared numerically with rr.
"""

import json
import math
import statistics
import sys
import time

import torch
import torch.nn.functional as F

DEFAULTS = {
    "dim": 256,
    "heads": 8,
    "kv_heads": 4,
    "ffn": 688,
    "vocab": 512,
    "seq": 256,
    "batch": 4,
    "layers": 6,
    "plan": [2, 2, 2],
    "no_grad_steps": 0,
    "grad_steps": 4,
    "steps": 3,
    "threads": 2,
    "rope_theta": 10000.0,
    "rms_norm_eps": 1e-5,
    "seed": 0,
}

# docs/method.md section 2
MUON_LR, MUON_WD, MUON_BETA = 1e-3, 1e-4, 0.95
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)
NS_STEPS, NS_EPS = 5, 1e-7
ADAMW_LR, ADAMW_BETAS, ADAMW_EPS, ADAMW_WD = 5e-5, (0.9, 0.95), 1e-10, 1e-4
CLIP = 1.0
S0_STD = 0.008703882797784892  # Huginn's sqrt(2 / (5 * 5280)), as rr's RecurrentLM


def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Block(torch.nn.Module):
    """One Llama decoder layer (pre-norm), bias-free Linear layers stored [out, in] as in HF."""

    def __init__(self, c):
        super().__init__()
        d, hd = c["dim"], c["head_dim"]
        self.heads, self.kv_heads, self.head_dim, self.eps = c["heads"], c["kv_heads"], hd, c["rms_norm_eps"]
        self.attn_norm = torch.nn.Parameter(torch.ones(d))
        self.q = torch.nn.Linear(d, self.heads * hd, bias=False)
        self.k = torch.nn.Linear(d, self.kv_heads * hd, bias=False)
        self.v = torch.nn.Linear(d, self.kv_heads * hd, bias=False)
        self.o = torch.nn.Linear(self.heads * hd, d, bias=False)
        self.mlp_norm = torch.nn.Parameter(torch.ones(d))
        self.gate = torch.nn.Linear(d, c["ffn"], bias=False)
        self.up = torch.nn.Linear(d, c["ffn"], bias=False)
        self.down = torch.nn.Linear(c["ffn"], d, bias=False)

    def attention(self, x, cos, sin, causal_mask):
        b, t, _ = x.shape
        h = rms_norm(x, self.attn_norm, self.eps)
        # [B, T, H*hd] -> [B, H, T, hd]
        q = self.q(h).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = self.k(h).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v(h).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        # grouped-query attention: each kv head serves heads / kv_heads query heads
        group = self.heads // self.kv_heads
        k = k.repeat_interleave(group, dim=1)
        v = v.repeat_interleave(group, dim=1)
        # torch 1.13 has no F.scaled_dot_product_attention: the plain masked-softmax form
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(self.head_dim)
        scores = scores.masked_fill(causal_mask, float("-inf"))
        out = torch.softmax(scores, dim=-1) @ v
        return self.o(out.transpose(1, 2).reshape(b, t, self.heads * self.head_dim))

    def forward(self, x, cos, sin, causal_mask):
        x = x + self.attention(x, cos, sin, causal_mask)
        h = rms_norm(x, self.mlp_norm, self.eps)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class RecurrentLM(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["dim"]
        prelude, block, coda = c["plan"]
        self.eps = c["rms_norm_eps"]
        self.embed = torch.nn.Embedding(c["vocab"], d)
        self.prelude = torch.nn.ModuleList(Block(c) for _ in range(prelude))
        self.block = torch.nn.ModuleList(Block(c) for _ in range(block))
        self.coda = torch.nn.ModuleList(Block(c) for _ in range(coda))
        self.adapter = torch.nn.Linear(2 * d, d, bias=False)
        self.norm = torch.nn.Parameter(torch.ones(d))
        self.head = torch.nn.Linear(d, c["vocab"], bias=False)
        # rr's initializeWeights: every matrix N(0, 0.02^2), norms 1 (the adapter gets the same here;
        # its init does not change the step's cost)
        for p in self.parameters():
            if p.dim() == 2:
                torch.nn.init.normal_(p, 0.0, 0.02)
        hd, t = c["head_dim"], c["seq"]
        inv_freq = 1.0 / (c["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
        angles = torch.outer(torch.arange(t, dtype=torch.float64), inv_freq)
        angles = torch.cat((angles, angles), dim=-1)  # rotate-half pairs i with i + hd/2
        self.register_buffer("cos", angles.cos().float(), persistent=False)
        self.register_buffer("sin", angles.sin().float(), persistent=False)
        self.register_buffer("causal_mask", torch.ones(t, t, dtype=torch.bool).triu(1), persistent=False)

    def forward(self, tokens, no_grad_steps, grad_steps):
        rope = (self.cos, self.sin, self.causal_mask)
        x = self.embed(tokens)
        for layer in self.prelude:
            x = layer(x, *rope)
        e = x

        def step(s):
            h = self.adapter(torch.cat((s, e), dim=-1))
            for layer in self.block:
                h = layer(h, *rope)
            return h

        # fresh initial state per call: truncated normal within +-3 std
        s = torch.nn.init.trunc_normal_(torch.empty_like(e), 0.0, S0_STD, -3 * S0_STD, 3 * S0_STD)
        if no_grad_steps > 0:  # truncated backprop: n steps unrecorded, then detach
            with torch.no_grad():
                for _ in range(no_grad_steps):
                    s = step(s)
            s = s.detach()
        for _ in range(grad_steps):
            s = step(s)
        x = s
        for layer in self.coda:
            x = layer(x, *rope)
        return self.head(rms_norm(x, self.norm, self.eps))


def newton_schulz5(g):
    """Quintic Newton-Schulz: pushes every singular value of g towards 1 (the wide orientation)."""
    a, b, c = NS_COEFFICIENTS
    tall = g.shape[0] > g.shape[1]
    x = g.T if tall else g
    x = x / (x.norm() + NS_EPS)
    for _ in range(NS_STEPS):
        gram = x @ x.T
        x = a * x + (b * gram + c * (gram @ gram)) @ x
    return x.T if tall else x


class Muon:
    """Nesterov momentum, orthogonalised update scaled by max(1, rows/cols)^0.5, decoupled decay."""

    def __init__(self, params):
        self.params = list(params)
        self.buffers = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self):
        for p, buf in zip(self.params, self.buffers):
            g = p.grad
            buf.lerp_(g, 1 - MUON_BETA)
            update = g.lerp(buf, MUON_BETA)
            rows, cols = p.shape
            update = newton_schulz5(update) * max(1.0, rows / cols) ** 0.5
            p.mul_(1 - MUON_LR * MUON_WD)
            p.sub_(update, alpha=MUON_LR)

    def zero_grad(self):
        for p in self.params:
            p.grad = None


def split_params(model):
    """The paper's rule: Muon for 2-D hidden matrices and the adapter; AdamW for embed, head, norms."""
    muon, adamw = [], []
    for name, p in model.named_parameters():
        is_table = name.startswith("embed.") or name.startswith("head.")
        (muon if p.dim() == 2 and not is_table else adamw).append(p)
    return muon, adamw


def main():
    config = {**DEFAULTS, **(json.loads(sys.argv[1]) if len(sys.argv) > 1 else {})}
    config.setdefault("head_dim", config["dim"] // config["heads"])
    if config["head_dim"] * config["heads"] != config["dim"] or config["heads"] % config["kv_heads"]:
        sys.exit(f"bench_train_torch: dim {config['dim']}, heads {config['heads']}, kv_heads {config['kv_heads']} do not fit")
    torch.set_num_threads(config["threads"])
    torch.manual_seed(config["seed"])

    model = RecurrentLM(config)
    muon_params, adamw_params = split_params(model)
    muon = Muon(muon_params)
    adamw = torch.optim.AdamW(adamw_params, lr=ADAMW_LR, betas=ADAMW_BETAS, eps=ADAMW_EPS, weight_decay=ADAMW_WD)
    batch, seq = config["batch"], config["seq"]
    # rows of seq + 1 tokens: input = row[:-1], labels = row[1:], as rr's Trainer packs them
    rows = torch.randint(0, config["vocab"], (batch, seq + 1))
    tokens, labels = rows[:, :-1], rows[:, 1:]

    def train_step():
        t0 = time.perf_counter()
        logits = model(tokens, config["no_grad_steps"], config["grad_steps"])
        loss = F.cross_entropy(logits.reshape(-1, config["vocab"]), labels.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        muon.step()
        adamw.step()
        muon.zero_grad()
        adamw.zero_grad(set_to_none=True)
        if not math.isfinite(loss.item()):
            sys.exit("bench_train_torch: the loss is not finite")
        return (time.perf_counter() - t0) * 1000

    train_step()  # warm-up: allocator, OpenBLAS thread pool, AdamW state
    step_ms = statistics.median(train_step() for _ in range(config["steps"]))
    print(json.dumps({
        "tokens_per_s": batch * seq / (step_ms / 1000),
        "step_ms": step_ms,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }))


if __name__ == "__main__":
    main()
