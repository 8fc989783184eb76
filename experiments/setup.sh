#!/usr/bin/env bash
# Installs what is missing (Debian 12 packages only), then configures and builds ddpsim in build/.
# Used by both quick-start commands; safe to run again (it only installs and rebuilds what changed).
# --test-tools (experiments/run-tests.sh) also installs clang and its runtime libraries (libFuzzer,
# the sanitizers), which only the sanitizer and fuzz builds of the test command need.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
test_tools=0
for arg in "$@"; do
  case "$arg" in
    --test-tools) test_tools=1 ;;
    *) echo "usage: $0 [--test-tools]" >&2; exit 2 ;;
  esac
done
pkgs=(build-essential cmake ninja-build pkg-config
      libboost-graph-dev libboost-program-options-dev libeigen3-dev libyaml-cpp-dev libsqlite3-dev
      libgtest-dev libgmock-dev libbenchmark-dev sqlite3 nlohmann-json3-dev libfmt-dev
      python3 python3-yaml python3-matplotlib python3-numpy python3-torch)
((test_tools)) && pkgs+=(clang libclang-rt-14-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$root/build" -j"$(nproc)"
