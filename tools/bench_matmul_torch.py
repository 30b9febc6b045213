#!/usr/bin/env python3
"""PyTorch peer of `rr bench matmul --backend cpu --peer torch`: the same square f32 matmuls.

    /usr/bin/python3 tools/bench_matmul_torch.py THREADS

A long-lived process, so that its calls can alternate one by one with rr's (both sides then see
the same machine). It prints one JSON line {"torch", "threads"} when ready, then answers each JSON
line on stdin with one JSON line on stdout:

    {"op": "prepare", "size": N}  ->  {"ok": true}     operands N x N, uniform in [-1, 1)
    {"op": "once"}                ->  {"ms": 1.23}     one product of the prepared operands, timed

The operands are drawn here from the distribution rr's side uses, not copied: dense f32 products
take the same time whatever the values (none are denormal).
"""

import json
import sys
import time

import torch


def main() -> None:
    torch.set_num_threads(int(sys.argv[1]))
    torch.manual_seed(0)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    a = b = None
    for line in sys.stdin:
        command = json.loads(line)
        if command["op"] == "prepare":
            size = int(command["size"])
            a = torch.rand(size, size) * 2 - 1
            b = torch.rand(size, size) * 2 - 1
            reply = {"ok": True}
        elif command["op"] == "once":
            start = time.perf_counter()
            c = a @ b
            reply = {"ms": (time.perf_counter() - start) * 1e3}
            del c
        else:
            raise ValueError(f"unknown op {command['op']!r}")
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
