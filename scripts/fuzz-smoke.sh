#!/bin/sh
# A short run of every libFuzzer harness (CI): build with clang and
# -DNPS_FUZZ=ON, then tests/fuzz/run.sh for SECONDS each (default 30).
# Fails if any harness finds a crash. The long runs are recorded in
# bench/RESULTS.md.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNPS_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"$(nproc)"
rm -rf build-fuzz/corpus build-fuzz/crashes
sh tests/fuzz/run.sh build-fuzz "${1:-30}"
