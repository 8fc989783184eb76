#!/usr/bin/python3
"""Compare the JSON outputs of two ddpsim binaries on a set of commands (largest relative
difference of every number). Usage: compare.py OLD_BINARY NEW_BINARY"""
import json, subprocess, sys

CMDS = [
    "run --workload resnet50 --hardware a100 --gpus 1 --lbs 256 --epochs 1",
    "run --workload resnet50 --hardware a100 --gpus 64 --lbs 256 --epochs 2",
    "run --workload resnet50 --hardware a100 --gpus 256 --lbs 256 --epochs 2",
    "run --workload resnet50 --hardware a100 --gpus 16 --gbs 256 --epochs 1",
    "run --workload resnet50 --hardware h100 --gpus 32 --lbs 128 --epochs 1 --algorithm tree",
    "run --workload resnet50 --hardware a100 --gpus 128 --lbs 64 --epochs 1 --algorithm hierarchical",
    "run --workload fourcastnet --hardware a100 --gpus 64 --lbs 1 --epochs 1",
    "run --workload fourcastnet --hardware h100 --gpus 32 --lbs 1 --epochs 1 --blocking-factor 2",
    "run --workload resnet50 --hardware a100 --gpus 32 --lbs 256 --epochs 1 --set ddp.comm_streams=2",
    "collective --hardware a100 --gpus 256 --sweep-bytes 1KB..1GiB",
    "collective --hardware a100 --gpus 64 --sweep-bytes 1KB..1GiB --algorithm tree",
    "collective --hardware h100 --gpus 128 --sweep-bytes 1KB..1GiB --algorithm hierarchical --set fabric.blocking_factor=2",
    "collective --hardware a100 --gpus 1024 --bytes 25MB --algorithm ring",
]

def nums(x, path=""):
    if isinstance(x, dict):
        for k, v in x.items():
            yield from nums(v, path + "/" + k)
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from nums(v, f"{path}[{i}]")
    elif isinstance(x, (int, float)) and not isinstance(x, bool):
        yield path, float(x)

worst = 0.0
for c in CMDS:
    outs = []
    for b in sys.argv[1:3]:
        r = subprocess.run([b] + c.split() + ["--format", "json"], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"{b} {c}: exit {r.returncode}: {r.stderr}")
        outs.append(dict(nums(json.loads(r.stdout))))
    w, where = 0.0, ""
    for k, a in outs[0].items():
        if "wall" in k or "elapsed" in k:
            continue
        b = outs[1].get(k)
        if b is None:
            continue
        d = abs(a - b) / max(abs(a), 1e-300) if a != b else 0.0
        if d > w:
            w, where = d, k
    worst = max(worst, w)
    print(f"{w:10.3g}  {where:40s} {c}")
print(f"largest relative difference: {worst:.3g}")
