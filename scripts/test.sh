#!/bin/sh
# Build and run the whole test suite with ctest (install what is missing first).
# NPS_SANITIZE=1 builds with AddressSanitizer and UndefinedBehaviorSanitizer.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
if [ "${NPS_SANITIZE:-0}" = 1 ]; then
    dir=build-asan
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DNPS_SANITIZE=ON -DNPS_WERROR=ON >/dev/null
else
    dir=build
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DNPS_WERROR=ON >/dev/null
fi
cmake --build "$dir" -j"$(nproc)"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
cd "$dir" && ctest --output-on-failure -j"$(nproc)"
