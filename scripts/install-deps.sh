#!/bin/sh
# Install the Debian 12 packages npsmatch needs to build, test and benchmark.
# Idempotent: packages already present are left alone. Run as root.
set -eu
# netCDF: ANDI-MS runs (.cdf), the open export of GC-MS instruments;
# Open MPI: `search --mpi` (a library split across ranks) and its test;
# chromium: the HTML case report's browser test (headless);
# clang, its sanitizer/fuzzer runtimes and LLVM OpenMP: ThreadSanitizer and libFuzzer builds
PKGS="build-essential cmake pkg-config libhdf5-dev hdf5-tools libgsl-dev libfftw3-dev libgomp1 libexpat1-dev zlib1g-dev libjansson-dev
      libnetcdf-dev
      libopenmpi-dev openmpi-bin
      chromium
      clang libclang-rt-14-dev libomp-dev"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-deps: missing packages:$missing (run as root)" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing
fi
echo "install-deps: all dependencies present"
