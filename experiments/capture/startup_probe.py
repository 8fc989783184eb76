#!/usr/bin/env python3
"""Measures what a PyTorch DataLoader's worker start-up depends on, on this machine.

For each start method (fork, spawn), worker count and (for fork) resident size of the parent
process, it times ``iter(loader)`` (the main process starts the workers one after another) and
the wait for the first batch of one tiny sample (the worker's initialisation). The median of
``--repeats`` tries is written, one row per configuration::

    method,workers,parent_rss_gb,iterator_s,first_batch_s

and a fit: fork time per worker = base + per_gb x RSS (least squares over the fork rows with one
worker), worker init = first_batch - iterator (fork, one worker, smallest RSS), spawn init =
first_batch (spawn, one worker). ddpsim's loader.fork_base, loader.fork_per_gb,
loader.worker_init and loader.spawn_init are these numbers.

    /usr/bin/python3 experiments/capture/startup_probe.py --out experiments/reference/capture-cpu
"""
import argparse
import os
import time

import torch
from torch.utils.data import DataLoader, TensorDataset


def rss_gb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**30


def measure(dataset, method: str, workers: int, repeats: int):
    tries = []
    for _ in range(repeats):
        loader = DataLoader(dataset, batch_size=1, num_workers=workers, multiprocessing_context=method)
        t0 = time.perf_counter()
        it = iter(loader)
        t1 = time.perf_counter()
        next(it)
        t2 = time.perf_counter()
        tries.append((t1 - t0, t2 - t0))
        del it
    tries.sort()
    return tries[len(tries) // 2]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--rss-gb", default="0,1,2,4", help="parent sizes to test with fork (GB of touched memory)")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    dataset = TensorDataset(torch.zeros(64, 3, 8, 8), torch.zeros(64, dtype=torch.long))
    rows = []
    ballast = []
    for gb in (float(x) for x in args.rss_gb.split(",")):
        while rss_gb() < gb:
            ballast.append(torch.ones(2**27))  # 512 MB, touched
        for w in (1, 2):
            a, b = measure(dataset, "fork", w, args.repeats)
            rows.append(("fork", w, rss_gb(), a, b))
    ballast.clear()
    for w in (1, 2):
        a, b = measure(dataset, "spawn", w, max(3, args.repeats // 2))
        rows.append(("spawn", w, rss_gb(), a, b))
    with open(os.path.join(args.out, "startup.csv"), "w") as f:
        f.write("method,workers,parent_rss_gb,iterator_s,first_batch_s\n")
        for r in rows:
            f.write(f"{r[0]},{r[1]},{r[2]:.3f},{r[3]:.6f},{r[4]:.6f}\n")
    fork1 = [r for r in rows if r[0] == "fork" and r[1] == 1]
    n = len(fork1)
    mx = sum(r[2] for r in fork1) / n
    my = sum(r[3] for r in fork1) / n
    slope = sum((r[2] - mx) * (r[3] - my) for r in fork1) / sum((r[2] - mx) ** 2 for r in fork1)
    base = my - slope * mx
    small = min(fork1, key=lambda r: r[2])
    spawn1 = [r for r in rows if r[0] == "spawn" and r[1] == 1][0]
    with open(os.path.join(args.out, "startup_fit.yaml"), "w") as f:
        f.write("# written by experiments/capture/startup_probe.py\n")
        f.write(f"cpus: {os.cpu_count()}\ntorch_version: \"{torch.__version__}\"\n")
        f.write(f"loader.fork_base: {base * 1e3:.2f} ms\nloader.fork_per_gb: {slope * 1e3:.2f} ms\n")
        f.write(f"loader.worker_init: {(small[4] - small[3]) * 1e3:.2f} ms\nloader.spawn_init: {spawn1[4]:.3f} s\n")
    print(open(os.path.join(args.out, "startup_fit.yaml")).read(), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
