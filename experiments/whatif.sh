#!/usr/bin/env bash
# The main job: set up, then the what-if sweep experiments/sweeps/whatif.yaml (ResNet50 at
# constant LBS 256 and FourCastNet pre-training at LBS 1, n = 1..256, A100 and H100, shipped
# calibration) into the results database results.db at the repository root, then a query that
# prints the table. Rerunning is instant: stored points are not simulated again.
#   usage: experiments/whatif.sh [RESULTS.db]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/experiments/setup.sh"
ddpsim="$root/build/sim/cli/ddpsim"
db="${1:-$root/results.db}"
"$ddpsim" sweep "$root/experiments/sweeps/whatif.yaml" --db "$db" --jobs "$(nproc)"
"$ddpsim" query --db "$db" "
  WITH w AS (SELECT id FROM sweeps WHERE name = 'whatif' ORDER BY id DESC LIMIT 1)
  SELECT r.workload, r.hardware AS hw, r.gpus AS n, r.lbs, printf('%.2f', r.runtime_h) AS runtime_h,
         printf('%.1f', r.gpu_hours) AS gpu_hours, printf('%.2f', r.energy_kwh_total) AS energy_kwh,
         printf('%.3f', r.kwh_per_gpu_hour) AS kwh_per_gpuh, printf('%.1f', 100 * r.time_fraction_data_stall) AS stall_pct,
         printf('%.2f', s.speedup) AS speedup, printf('%.2f', s.parallel_efficiency) AS efficiency
  FROM w JOIN sweep_points p ON p.sweep_id = w.id JOIN runs r ON r.id = p.run_id
  JOIN scaling s ON s.series = p.series AND s.gpus = r.gpus AND s.calibration_id = r.calibration_id AND s.version = r.version
  ORDER BY r.workload, r.hardware, r.gpus"
echo "results: $db (ddpsim query --db $db \"SQL\" | --best energy --deadline 24h | --pareto | --scaling)"
