#!/usr/bin/env bash
# Regenerates the calibration report in README.md (between the validation-report markers) and in
# experiments/reference/validation-report.md: leave-one-out over the paper's runs and the Zeus
# batch-size hold-out, with the two baselines and the coverage of the 90 % prediction intervals,
# and the Zeus cross-GPU transfer tables (experiments/reference/zeus-transfer-report.md). Assumes a build in build/ (experiments/setup.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ddpsim="$root/build/sim/cli/ddpsim"
ref="$root/experiments/reference"
report="$ref/validation-report.md"
"$ddpsim" validate --measured "$ref/calibration-set.yaml" "$ref/derived-runs.yaml" \
  --traces "$ref/zeus-nsdi23" --leave-one-out --interval 90 --format markdown > "$report.tmp"
mv "$report.tmp" "$report"
transfer="$ref/zeus-transfer-report.md"
"$ddpsim" validate --zeus-transfer "$ref/zeus-nsdi23" > "$transfer.tmp"
mv "$transfer.tmp" "$transfer"
/usr/bin/python3 - "$root/README.md" "$report" "$transfer" <<'PY'
import sys
readme, report, transfer = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(readme).read()
for name, path in (("validation-report", report), ("zeus-transfer", transfer)):
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    a, b = text.index(begin) + len(begin), text.index(end)
    text = text[:a] + "\n" + open(path).read() + text[b:]
open(readme, "w").write(text)
PY
echo "wrote $report, $transfer and updated README.md"
