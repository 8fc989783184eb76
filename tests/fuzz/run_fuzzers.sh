#!/usr/bin/env bash
# Runs every libFuzzer target of a DDPSIM_FUZZ=ON build for SECONDS each:
#   bash tests/fuzz/run_fuzzers.sh BUILD_DIR SECONDS [TARGET...]
# The corpus of each target grows in BUILD_DIR/fuzz/corpus/<target>/ (seeded from
# tests/data/readers/, the shipped sweeps and calibration files, and tests/fuzz/seeds/<target>/),
# so a later, longer run goes on from there. A crash, sanitizer report, timeout (-timeout per
# input) or an exception outside ddpsim::Error fails the run; the input that caused it is kept as
# BUILD_DIR/fuzz/findings/<target>-crash-<sha1> (or -timeout-, -oom-, -leak-) and printed.
set -uo pipefail
if (($# < 2)); then
  echo "usage: $0 BUILD_DIR SECONDS [TARGET...]" >&2
  exit 2
fi
build="$(cd "$1" && pwd)"
seconds="$2"
shift 2
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
data="$root/tests/data/readers"
targets=("$@")
((${#targets[@]})) || targets=(sweep_fuzz calibration_file_fuzz perun_json_fuzz perun_report_fuzz nvidia_smi_fuzz zeus_fuzz step_csv_fuzz)

seeds() {  # the seed files of target $1
  case "$1" in
    sweep_fuzz) ls "$root"/experiments/sweeps/*.yaml "$root"/experiments/paper/*.yaml ;;
    calibration_file_fuzz) ls "$root"/calibration/default.yaml ;;
    perun_json_fuzz) ls "$data"/perun_*.json "$data"/bad/perun_*.json ;;
    perun_report_fuzz) ls "$data"/perun_report* "$data"/bad/perun_report* ;;
    nvidia_smi_fuzz) ls "$data"/smi_*.csv "$data"/bad/smi_*.csv ;;
    zeus_fuzz) ls "$data"/zeus/*.csv "$data"/zeus_train_excerpt.csv "$data"/bad/summary_power_*.csv "$data"/bad/zeus_*.csv ;;
    step_csv_fuzz) ls "$data"/steps_*.csv "$data"/bad/steps_*.csv ;;
    *) echo "unknown fuzz target $1" >&2; return 1 ;;
  esac
  [ -d "$root/tests/fuzz/seeds/$1" ] && find "$root/tests/fuzz/seeds/$1" -type f
  return 0
}
max_len() {  # the largest seeds: perun exports (26 KB) and default.yaml (14 KB)
  case "$1" in
    perun_json_fuzz | calibration_file_fuzz) echo 32768 ;;
    *) echo 8192 ;;
  esac
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
mkdir -p "$build/fuzz/findings"
# The targets write each input to a file in here (a finding aborts before they clean up).
tmp_base=/dev/shm
[ -d "$tmp_base" ] && [ -w "$tmp_base" ] || tmp_base="${TMPDIR:-/tmp}"
DDPSIM_FUZZ_TMPDIR="$(mktemp -d "$tmp_base/ddpsim-fuzz-run.XXXXXX")"
export DDPSIM_FUZZ_TMPDIR
trap 'rm -rf "$DDPSIM_FUZZ_TMPDIR"' EXIT
failed=()
for t in "${targets[@]}"; do
  bin="$build/tests/fuzz/$t"
  if [ ! -x "$bin" ]; then
    echo "run_fuzzers: $bin missing (configure with -DDDPSIM_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ and build --target fuzzers)" >&2
    failed+=("$t")
    continue
  fi
  corpus="$build/fuzz/corpus/$t"
  mkdir -p "$corpus"
  while IFS= read -r f; do cp -n "$f" "$corpus/seed-$(basename "$f")"; done < <(seeds "$t")
  log="$build/fuzz/$t.log"
  start=$SECONDS
  # The outer timeout only catches a hung fuzzer; libFuzzer stops itself after max_total_time.
  timeout --kill-after=10 $((seconds + 120)) "$bin" "$corpus" -max_total_time="$seconds" -max_len="$(max_len "$t")" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/fuzz/findings/$t-" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if ((rc == 0)); then
    echo "run_fuzzers: $t ok ($((SECONDS - start)) s, ${execs:-?} inputs, corpus $(ls "$corpus" | wc -l) files)"
  else
    echo "run_fuzzers: $t FAILED (exit $rc); log $log:" >&2
    tail -n 60 "$log" >&2
    grep -o "Test unit written to .*" "$log" >&2
    failed+=("$t")
  fi
done
if ((${#failed[@]})); then
  echo "run_fuzzers: findings in ${failed[*]} (inputs in $build/fuzz/findings/)" >&2
  exit 1
fi
