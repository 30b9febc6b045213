"""
Loads rr's Huginn-format exports with the authors' own PyTorch modeling code and compares the
logits with rr's (written by export.mjs). Not part of CI: it needs PyTorch and the authors'
modeling files, which you fetch yourself (they are not part of rr):

    git clone https://github.com/mcleish7/retrofitting-recurrence   # or a fork of it
    git clone https://github.com/seal-rg/recurrent-pretraining       # raven_config_minimal.py
    node tools/huginn-torch-check/export.mjs runs/huginn-check
    python3 tools/huginn-torch-check/check.py runs/huginn-check \
        --modeling retrofitting-recurrence/convert_pretrained_model \
        --config recurrent-pretraining/recpre/raven_config_minimal.py

Each exported folder is loaded with strict=True (every tensor name and shape must be what the
authors' RavenForCausalLM expects), run at the same recurrences with init_scale=0 (a zero initial
state, so both sides are deterministic), and the logits are compared.
"""

import argparse
import json
import shutil
import struct
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch


def read_safetensors(path):
    raw = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise SystemExit(f"{path}: {name} is {info['dtype']}; rr exports F32")
        start, end = info["data_offsets"]
        tensors[name] = torch.from_numpy(np.frombuffer(raw[8 + n + start : 8 + n + end], dtype=np.float32).reshape(info["shape"]).copy())
    return tensors


def load_authors_model(folder, modeling_dir, config_file, work):
    weights = read_safetensors(folder / "model.safetensors")
    variant = "olmo" if any(k.endswith("attn.q_norm.weight") for k in weights) else "llama"
    package = work / f"raven_{folder.name.replace('-', '_')}"
    package.mkdir()
    (package / "__init__.py").write_text("")
    shutil.copy(config_file, package / "raven_config_minimal.py")
    shutil.copy(Path(modeling_dir) / f"raven_modeling_minimal_{variant}.py", package / "raven_modeling_minimal.py")
    sys.path.insert(0, str(work))
    modeling = __import__(f"{package.name}.raven_modeling_minimal", fromlist=["RavenForCausalLM"])
    config_json = json.loads((folder / "config.json").read_text())
    config = modeling.RavenConfig(**config_json)
    model = modeling.RavenForCausalLM(config).float().eval()
    model.load_state_dict(weights, strict=True)
    return model, variant


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("exports", help="folder written by export.mjs (one subfolder per model)")
    parser.add_argument("--modeling", required=True, help="the authors' convert_pretrained_model folder (raven_modeling_minimal_{llama,olmo}.py)")
    parser.add_argument("--config", required=True, help="the authors' raven_config_minimal.py")
    parser.add_argument("--tolerance", type=float, default=1e-4, help="max |difference| relative to max |logit|")
    args = parser.parse_args()

    import compat_shim

    shimmed = compat_shim.install()
    print(f"torch {torch.__version__}; stand-ins installed for: {', '.join(shimmed) if shimmed else 'nothing'}")
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for folder in sorted(p for p in Path(args.exports).iterdir() if (p / "rr_logits.json").exists()):
            expected = json.loads((folder / "rr_logits.json").read_text())
            model, variant = load_authors_model(folder, args.modeling, args.config, Path(tmp))
            tokens = torch.tensor([expected["tokens"]], dtype=torch.long)
            for r, values in expected["logits"].items():
                with torch.no_grad():
                    out = model(tokens, num_steps=torch.tensor([int(r), 0]), init_scale=0.0).logits
                ours = torch.tensor(values, dtype=torch.float32).reshape(out.shape)
                diff = (out - ours).abs().max().item()
                scale = ours.abs().max().item()
                agree = (out.argmax(-1) == ours.argmax(-1)).float().mean().item()
                ok = diff <= args.tolerance * max(1.0, scale)
                failures += not ok
                print(f"{folder.name} ({variant} modeling file) r={r}: max |diff| {diff:.3e} (max |logit| {scale:.2f}), argmax agreement {agree * 100:.1f}% -> {'OK' if ok else 'MISMATCH'}")
    print("all logits match" if failures == 0 else f"{failures} comparisons out of tolerance")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
