#!/usr/bin/env bash
# The main job: set up, then a what-if sweep of ResNet50 (constant LBS 256) and FourCastNet
# pre-training (LBS 1) over n = 1..256 GPUs on A100 and H100 nodes with the shipped calibration.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/experiments/setup.sh"
ddpsim="$root/build/sim/cli/ddpsim"
out="${1:-$root/whatif.jsonl}"
: > "$out"
printf '%-12s %-5s %5s %5s %11s %10s %10s %9s %8s\n' workload hw n lbs runtime_h gpu_hours energy_kWh kWh/GPUh stall
for wl in resnet50 fourcastnet; do
  for hw in a100 h100; do
    for n in 1 2 4 8 16 32 64 128 256; do
      lbs=256; [ "$wl" = fourcastnet ] && lbs=1
      "$ddpsim" run --workload "$wl" --hardware "$hw" --gpus "$n" --lbs "$lbs" --format json > "$out.one"
      /usr/bin/python3 - "$out.one" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(f"{d['workload']:<12} {d['hardware']:<5} {d['gpus']:5d} {d['lbs']:5d} {d['runtime_h']:11.2f} {d['gpu_hours']:10.1f} "
      f"{d['energy_kwh']['total']:10.2f} {d['kwh_per_gpu_hour']:9.3f} {d['time_fraction']['data_stall']:8.1%}")
PY
      tr -d '\n' < "$out.one" >> "$out"; echo >> "$out"
    done
  done
done
rm -f "$out.one"
echo "results: $out (one JSON object per line)"
