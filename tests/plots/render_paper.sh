#!/usr/bin/env bash
# Renders the paper reproduction's figures 2-7 in every format (png, pdf, svg) from the database
# and power traces that the test paper.reproduce wrote (OUT), in a temporary folder, and checks
# each file; also the PNGs that paper.reproduce itself wrote (FIGURES).
#   render_paper.sh OUT FIGURES REPORT_SCRIPT
set -euo pipefail
out="$1"; figures="$2"; script="$3"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
names=(fig2_speedup fig3_energy_vs_n fig4_energy_vs_gpuh fig5_power_profiles fig6_mean_gpu_power fig6_mean_cpu_power
       fig7_samples_per_gpuh fig7_updates_per_gpuh)
[ -f "$out/paper.db" ] || { echo "render_paper: $out/paper.db missing (run the test paper.reproduce first)"; exit 1; }
bash "$here/check_figures.sh" "$figures" png "${names[@]}"
/usr/bin/python3 "$script" --db "$out/paper.db" --traces "$out" --figures "$tmp/figures" --report "$tmp/REPORT.md" \
  --format all --dpi 72 >/dev/null
bash "$here/check_figures.sh" "$tmp/figures" png,pdf,svg "${names[@]}"
grep -q "measured (Huber et al. 2025)" "$tmp/figures/fig3_energy_vs_n.svg" || { echo "render_paper: Fig. 3 lacks the measured runs"; exit 1; }
grep -q "ResNet50 A100, constant LBS 256" "$tmp/figures/fig3_energy_vs_n.svg" || { echo "render_paper: Fig. 3 lacks the labels for people"; exit 1; }
# Markdown links of the report point at PNGs that exist.
grep -o 'figures/[a-z0-9_]*\.png' "$tmp/REPORT.md" | sort -u | while read -r f; do
  [ -s "$tmp/$f" ] || { echo "render_paper: REPORT.md links $f, which is missing"; exit 1; }
done
# A bad --format is exit 2.
set +e
/usr/bin/python3 "$script" --db "$out/paper.db" --traces "$out" --figures "$tmp/x" --report "$tmp/x.md" --format gif 2>/dev/null
rc=$?
set -e
[ "$rc" -eq 2 ] || { echo "render_paper: --format gif gave exit $rc, expected 2"; exit 1; }
echo "render_paper: 8 figures in 3 formats"
