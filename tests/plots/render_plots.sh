#!/usr/bin/env bash
# Renders every figure of experiments/plots/plot_results.py from a tiny results database (two
# seeds per configuration, so the error bars are drawn) and a tiny power trace, in a temporary
# folder, in every format (png, pdf, svg), and checks each file. Also checks the exit code 2 and
# the message of bad input. Usage: [RENDER_PLOTS_KEEP=DIR] render_plots.sh DDPSIM_BINARY PLOT_SCRIPT
# Exit 77 (ctest: skipped) only if python3-matplotlib is missing.
set -euo pipefail
ddpsim="$1"
script="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
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
seeds: [1, 2]
interval: 90
set: {dataset.train_samples: 20000, dataset.val_samples: 1000}
YAML
"$ddpsim" sweep "$tmp/tiny.yaml" --db "$tmp/r.db" --jobs 2 --progress none >/dev/null
"$ddpsim" run --workload resnet50 --hardware a100 --gpus 8 --lbs 64 --epochs 1 --set dataset.train_samples=20000 \
  --power-trace "$tmp/trace.csv" --format json >/dev/null
set +e
"$python" "$script" --db "$tmp/r.db" --out "$tmp/figs" --sweep plots --trace "$tmp/trace.csv" --format png,pdf,svg --dpi 90 \
  >"$tmp/written"
rc=$?
set -e
[ "$rc" -eq 77 ] && exit 77
[ "$rc" -eq 0 ] || { echo "render_plots: plot_results.py failed with exit $rc"; exit 1; }
[ "$(wc -l < "$tmp/written")" -eq 12 ] || { echo "render_plots: expected 12 files written, got:"; cat "$tmp/written"; exit 1; }
bash "$here/check_figures.sh" "$tmp/figs" png,pdf,svg speedup energy_vs_n energy_vs_gpuh power_timeline
# The labels are written for people, the slopes printed (a near-linear series), the SVG keeps text as text.
for text in "ResNet50 A100, constant LBS 64" "set dataset.train_samples = 20000"; do
  grep -q "$text" "$tmp/figs/energy_vs_gpuh.svg" || { echo "render_plots: energy_vs_gpuh.svg lacks the label '$text'"; exit 1; }
done
grep -q "kWh per GPUh" "$tmp/figs/energy_vs_gpuh.svg" || { echo "render_plots: energy_vs_gpuh.svg lacks the slope legend"; exit 1; }
# Prediction intervals: stored by the sweep, shaded in the energy figure and said in its title.
[ "$(sqlite3 "$tmp/r.db" "SELECT count(*) FROM runs WHERE energy_kwh_total_low < energy_kwh_total AND energy_kwh_total < energy_kwh_total_high")" -ge 8 ] ||
  { echo "render_plots: the sweep stored no prediction intervals"; exit 1; }
grep -q "shaded: prediction interval" "$tmp/figs/energy_vs_n.svg" || { echo "render_plots: energy_vs_n.svg lacks the interval band note"; exit 1; }
grep -q "GPU 3" "$tmp/figs/power_timeline.svg" || { echo "render_plots: power_timeline.svg lacks the per-GPU lines"; exit 1; }
# Bad input: a clear message and exit 2.
expect2() {  # expect2 MESSAGE ARGS...: plot_results.py ARGS must exit 2 and print MESSAGE
  local msg="$1"; shift
  set +e
  "$python" "$script" "$@" 2>"$tmp/err" >/dev/null
  local rc=$?
  set -e
  [ "$rc" -eq 2 ] && grep -q "$msg" "$tmp/err" || { echo "render_plots: '$*' gave exit $rc, expected 2 and '$msg'"; cat "$tmp/err"; exit 1; }
}
expect2 "no such results database" --db "$tmp/missing.db" --out "$tmp/figs"
expect2 "unknown format" --db "$tmp/r.db" --out "$tmp/figs" --format gif
expect2 "no such power trace" --db "$tmp/r.db" --out "$tmp/figs" --trace "$tmp/missing.csv"
# RENDER_PLOTS_KEEP=DIR keeps the figures (to look at them).
if [ -n "${RENDER_PLOTS_KEEP:-}" ]; then mkdir -p "$RENDER_PLOTS_KEEP" && cp "$tmp"/figs/* "$RENDER_PLOTS_KEEP"/; fi
echo "render_plots: 4 figures rendered in 3 formats"
