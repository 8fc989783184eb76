#!/usr/bin/env bash
# Wall time and peak memory of ddpsim runs from 64 to 65 536 GPUs (issue: scale), every rank
# simulated (exact) and with rank classes (--rank-classes: one node simulated), the difference
# between the two in runtime and total energy, and the growth exponent k of wall time ~ n^k over
# that range (least squares on log-log).
# Usage: bash experiments/scale/scale.sh [epochs-for-the-sweep (default 1)]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
exec /usr/bin/python3 - "$root/build/sim/cli/ddpsim" "${1:-1}" <<'PY'
import json, math, os, subprocess, sys, tempfile
ddpsim, ep = sys.argv[1], sys.argv[2]

def run(args):
    with tempfile.NamedTemporaryFile("r") as t:
        out = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", t.name, ddpsim, "run", *args, "--format", "json"],
                             check=True, capture_output=True, text=True).stdout
        wall, rss = t.read().split()
    d = json.loads(out)
    return float(wall), int(rss) // 1024, d["runtime_h"], d["energy_kwh"]["total"]

cases = [("resnet50", n, 256, ep) for n in (64, 256, 1024, 4096, 16384, 65536)]
cases += [("resnet50", 16384, 256, "100"), ("resnet50", 65536, 256, "100"), ("fourcastnet", 4096, 1, "80")]
print("| run | exact: wall s | peak RSS MB | rank classes: wall s | peak RSS MB | runtime difference | energy difference |")
print("|---|---:|---:|---:|---:|---:|---:|")
k_pts = {"exact": [], "classes": []}
for wl, n, lbs, e in cases:
    args = ["--workload", wl, "--hardware", "a100", "--gpus", str(n), "--lbs", str(lbs), "--epochs", str(e)]
    w0, m0, t0, e0 = run(args)
    w1, m1, t1, e1 = run(args + ["--rank-classes"])
    if wl == "resnet50" and e == ep:
        k_pts["exact"].append((n, w0))
        k_pts["classes"].append((n, w1))
    name = f"{'ResNet50' if wl == 'resnet50' else 'FourCastNet'} LBS {lbs}, {e} epoch(s), n = {n}"
    print(f"| {name} | {w0:.2f} | {m0} | {w1:.2f} | {m1} | {100 * (t1 / t0 - 1):+.3f} % | {100 * (e1 / e0 - 1):+.3f} % |")

def slope(pts):
    xs = [math.log(n) for n, _ in pts]; ys = [math.log(max(w, 1e-2)) for _, w in pts]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
pts = k_pts["exact"]
print(f"\ngrowth exponent k (wall ~ n^k, n = {pts[0][0]}..{pts[-1][0]}, wall times below 0.01 s counted as 0.01 s): "
      f"exact {slope(k_pts['exact']):.2f}, rank classes {slope(k_pts['classes']):.2f}")
PY
