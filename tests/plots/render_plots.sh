#!/usr/bin/env bash
# Renders every figure of experiments/plots/plot_results.py from a tiny results database and a
# tiny power trace, in a temporary folder. Usage: render_plots.sh DDPSIM_BINARY PLOT_SCRIPT
# Exit 77 (ctest: skipped) only if python3-matplotlib is missing.
set -euo pipefail
ddpsim="$1"
script="$2"
python="${DDPSIM_PYTHON:-/usr/bin/python3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/tiny.yaml" <<'YAML'
name: plots
workload: resnet50
hardware: [a100, h100]
mode: constant_lbs
lbs: 64
gpus: 1..8 x2
epochs: 1
set: {dataset.train_samples: 20000, dataset.val_samples: 1000}
YAML
"$ddpsim" sweep "$tmp/tiny.yaml" --db "$tmp/r.db" --jobs 2 --progress none >/dev/null
"$ddpsim" run --workload resnet50 --hardware a100 --gpus 4 --lbs 64 --epochs 1 --set dataset.train_samples=20000 \
  --power-trace "$tmp/trace.csv" --format json >/dev/null
set +e
"$python" "$script" --db "$tmp/r.db" --out "$tmp/figs" --sweep plots --trace "$tmp/trace.csv"
rc=$?
set -e
[ "$rc" -eq 77 ] && exit 77
[ "$rc" -eq 0 ] || { echo "render_plots: plot_results.py failed with exit $rc"; exit 1; }
for f in speedup energy_vs_n energy_vs_gpuh power_timeline; do
  png="$tmp/figs/$f.png"
  [ -s "$png" ] || { echo "render_plots: $f.png missing or empty"; exit 1; }
  [ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || { echo "render_plots: $f.png is not a PNG"; exit 1; }
done
# Bad input: a clear message and exit 2.
set +e
"$python" "$script" --db "$tmp/missing.db" --out "$tmp/figs" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q "no such results database" "$tmp/err" || { echo "render_plots: bad --db gave exit $rc"; cat "$tmp/err"; exit 1; }
echo "render_plots: 4 figures rendered"
