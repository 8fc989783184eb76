#!/usr/bin/env bash
# Reproduces the paper's experiments end to end: every sweep of experiments/paper/ into one results
# database with the shipped calibration, the simulated power profiles of FourCastNet on A100 and
# H100, the figures (experiments/paper/figures/) and experiments/paper/REPORT.md.
#   bash experiments/paper/reproduce.sh [--full-fidelity] [--check-fast-forward] [--check] [--out DIR] [--format F] [--dpi D]
# --full-fidelity      simulate every epoch (the sweeps fast-forward by default)
# --check-fast-forward also run every configuration at full fidelity and report the largest
#                      relative error of runtime and energy (fails above 0.5 %)
# --check IDS          exit 1 if one of these findings (comma-separated ids of REPORT.md, or 'all')
#                      is not reproduced
# --out DIR            databases and power traces (default experiments/paper/out)
# --artifacts DIR      where figures/, REPORT.md and fast_forward.txt go (default experiments/paper)
# --format F           figure formats: png (default), pdf, svg, a comma-separated list, or all
# --dpi D              resolution of PNG figures (default 150)
# Assumes a build in build/ (experiments/setup.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ddpsim="$root/build/sim/cli/ddpsim"
paper="$root/experiments/paper"
out="$paper/out"
artifacts="$paper"
full="" check_ff="" check="" fig_args=()
while (($#)); do
  case "$1" in
    --full-fidelity) full="--full-fidelity" ;;
    --check-fast-forward) check_ff=1 ;;
    --check) check="--check $2"; shift ;;
    --out) out="$2"; shift ;;
    --artifacts) artifacts="$2"; shift ;;
    --format|--dpi) fig_args+=("$1" "$2"); shift ;;
    *) echo "reproduce.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$out"
jobs="$(nproc)"
start=$(date +%s.%N)
db="$out/paper.db"
rm -f "$db" "$db-wal" "$db-shm"
for f in resnet50 fourcastnet table1; do
  "$ddpsim" sweep "$paper/$f.yaml" --db "$db" --jobs "$jobs" --progress none $full | tail -n 1
done
# GPU power as perun records it: NVML's reading sampled every second (instantaneous on the A100,
# a 1 s average on the H100), for both Table 1 configurations.
for hw in a100 h100; do
  for cfg in "4 4" "32 1"; do
    set -- $cfg
    "$ddpsim" run --workload fourcastnet --phase pretrain --hardware "$hw" --gpus "$1" --lbs "$2" --epochs 1 \
      --power-trace "$out/power_${hw}_n$1_lbs$2.csv" --sample-interval 1s --gpu-sensor nvml --format json > /dev/null
  done
done
ff_args=()
if [ -n "$check_ff" ]; then
  fdb="$out/paper_full.db"
  rm -f "$fdb" "$fdb-wal" "$fdb-shm"
  for f in resnet50 fourcastnet table1; do
    "$ddpsim" sweep "$paper/$f.yaml" --db "$fdb" --jobs "$jobs" --progress none --full-fidelity | tail -n 1
  done
  /usr/bin/python3 - "$db" "$fdb" "$out/fast_forward.txt" <<'PY'
import sqlite3, sys
def load(p):
    c = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
    q = "SELECT workload, phase, hardware, gpus, lbs, gbs, samples_per_gpu, seed, runtime_h, energy_kwh_total FROM runs"
    return {r[:8]: r[8:] for r in c.execute(q)}
ff, full = load(sys.argv[1]), load(sys.argv[2])
worst_t = max(((abs(v[0] / full[k][0] - 1), k) for k, v in ff.items()))
worst_e = max(((abs(v[1] / full[k][1] - 1), k) for k, v in ff.items()))
text = (f"Every one of the {len(ff)} configurations simulated both ways (2 epochs extrapolated vs all epochs): "
        f"largest relative error {100 * worst_t[0]:.3f} % in runtime ({' '.join(map(str, worst_t[1]))}) and "
        f"{100 * worst_e[0]:.3f} % in total energy ({' '.join(map(str, worst_e[1]))}); the bound is 0.5 %.")
open(sys.argv[3], "w").write(text + "\n")
print(text)
sys.exit(0 if worst_t[0] < 0.005 and worst_e[0] < 0.005 and len(ff) == len(full) else 1)
PY
  ff_args=(--ff "$out/fast_forward.txt")
elif [ -f "$paper/fast_forward.txt" ]; then
  ff_args=(--ff "$paper/fast_forward.txt")
fi
mkdir -p "$artifacts"
if [ -n "$check_ff" ]; then cp "$out/fast_forward.txt" "$artifacts/fast_forward.txt"; fi
/usr/bin/python3 "$paper/report.py" --db "$db" --traces "$out" --figures "$artifacts/figures" --report "$artifacts/REPORT.md" \
  --validation "$root/experiments/reference/validation-report.md" "${ff_args[@]}" "${fig_args[@]}" $check
end=$(date +%s.%N)
echo "reproduced in $(awk "BEGIN {print $end - $start}") s: $artifacts/REPORT.md, figures in $artifacts/figures/"
