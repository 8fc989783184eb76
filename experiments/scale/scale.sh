#!/usr/bin/env bash
# Wall time and peak memory of ddpsim runs from 64 to 65 536 GPUs (issue: scale), and the
# growth exponent k of wall time ~ n^k over that range (least squares on log-log).
# Usage: bash experiments/scale/scale.sh [epochs-for-the-sweep (default 1)]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
D="$root/build/sim/cli/ddpsim"
ep="${1:-1}"
tmp=$(mktemp)
echo "| run | wall s | peak RSS MB |"
echo "|---|---:|---:|"
for n in 64 256 1024 4096 16384 65536; do
  /usr/bin/time -f "%e %M" -o "$tmp" "$D" run --workload resnet50 --hardware a100 --gpus "$n" --lbs 256 --epochs "$ep" >/dev/null
  read -r w m < "$tmp"
  echo "| ResNet50 LBS 256, $ep epoch(s), n = $n | $w | $((m / 1024)) |"
  echo "$n $w" >> "$tmp.k"
done
for spec in "resnet50 16384 256 100" "resnet50 65536 256 100" "fourcastnet 4096 1 80"; do
  set -- $spec
  /usr/bin/time -f "%e %M" -o "$tmp" "$D" run --workload "$1" --hardware a100 --gpus "$2" --lbs "$3" --epochs "$4" >/dev/null
  read -r w m < "$tmp"
  echo "| $1 LBS $3, $4 epochs, n = $2 | $w | $((m / 1024)) |"
done
/usr/bin/python3 - "$tmp.k" <<'PY'
import math, sys
pts = [tuple(map(float, l.split())) for l in open(sys.argv[1])]
xs = [math.log(n) for n, _ in pts]; ys = [math.log(max(w, 1e-3)) for _, w in pts]
mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
k = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
print(f"\ngrowth exponent k (wall ~ n^k, n = {int(pts[0][0])}..{int(pts[-1][0])}): {k:.2f}")
PY
rm -f "$tmp" "$tmp.k"
