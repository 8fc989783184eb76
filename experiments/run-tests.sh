#!/usr/bin/env bash
# Set up (as experiments/setup.sh), then run every test: unit, validation and golden CLI tests.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/experiments/setup.sh"
cd "$root/build"
ctest --output-on-failure -j"$(nproc)"
