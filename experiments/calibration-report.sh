#!/usr/bin/env bash
# Regenerates the calibration report in README.md (between the validation-report markers) and in
# experiments/reference/validation-report.md: leave-one-out over the paper's runs and the Zeus
# batch-size hold-out, with the two baselines and the coverage of the 90 % prediction intervals. Assumes a build in build/ (experiments/setup.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ddpsim="$root/build/sim/cli/ddpsim"
ref="$root/experiments/reference"
report="$ref/validation-report.md"
"$ddpsim" validate --measured "$ref/calibration-set.yaml" "$ref/derived-runs.yaml" \
  --traces "$ref/zeus-nsdi23" --leave-one-out --interval 90 --format markdown > "$report.tmp"
mv "$report.tmp" "$report"
/usr/bin/python3 - "$root/README.md" "$report" <<'PY'
import sys
readme, report = sys.argv[1], sys.argv[2]
text = open(readme).read()
begin, end = "<!-- validation-report:begin -->", "<!-- validation-report:end -->"
a, b = text.index(begin) + len(begin), text.index(end)
open(readme, "w").write(text[:a] + "\n" + open(report).read() + text[b:])
PY
echo "wrote $report and updated README.md"
