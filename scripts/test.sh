#!/bin/sh
# Build and run the whole test suite with ctest (install what is missing first).
#   NPS_SANITIZE=1       AddressSanitizer + UndefinedBehaviorSanitizer, every test
#   NPS_SANITIZE=thread  ThreadSanitizer (clang + LLVM OpenMP with its TSan tool,
#                        libarcher), the tests labelled "threads" (the search
#                        path) with 2 threads
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
labels=""
case "${NPS_SANITIZE:-0}" in
1)
    dir=build-asan
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DNPS_SANITIZE=ON -DNPS_WERROR=ON >/dev/null
    ;;
thread)
    dir=build-tsan
    CC=clang cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNPS_TSAN=ON \
        -DNPS_WERROR=ON >/dev/null
    clang_lib=$(dirname "$(readlink -f "$(command -v clang)")")/../lib
    export OMP_TOOL_LIBRARIES="$clang_lib/libarcher.so" OMP_NUM_THREADS=2
    export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:ignore_noninstrumented_modules=1}"
    labels="-L threads"
    ;;
*)
    dir=build
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DNPS_WERROR=ON >/dev/null
    ;;
esac
cmake --build "$dir" -j"$(nproc)"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
cd "$dir" && ctest --output-on-failure -j"$(nproc)" $labels
