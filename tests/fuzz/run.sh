#!/bin/sh
# Run the libFuzzer harnesses. Usage:
#   tests/fuzz/run.sh FUZZ_BUILD_DIR SECONDS [HARNESS...]
# FUZZ_BUILD_DIR is a build configured with CC=clang -DNPS_FUZZ=ON. Corpora
# are seeded from ../shared/data/format_vectors (and the bundled spectra) into
# FUZZ_BUILD_DIR/corpus/<harness>, outside the repository; crashes land in
# FUZZ_BUILD_DIR/crashes/<harness>/. One line per harness is printed:
#   harness  seconds  executions  exec/s  corpus  outcome
# Exit status 1 if any harness crashed.
set -u
B=$(cd "$1" && pwd)
SECS=$2
shift 2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DATA=${NPS_DATA_DIR:-$ROOT/../shared/data}
FV=$DATA/format_vectors
ALL="msp mgf massbank csv mzml mzxml jcamp ms2 mzspeclib andi detect library library_sealed"
[ $# -gt 0 ] && ALL="$*"

seed() { # seed DIR FILE...: copy the files (at most 256 KiB each) into DIR
    d=$1
    shift
    mkdir -p "$d"
    for f in "$@"; do
        [ -f "$f" ] || continue
        [ "$(wc -c <"$f")" -le 262144 ] && cp "$f" "$d/$(basename "$f")"
    done
}

make_seeds() {
    C=$B/corpus
    seed "$C/msp" "$FV"/*/*.msp "$FV"/*/*.MSP "$FV"/*/*.msl "$ROOT"/reference_spectra/*.msp
    seed "$C/mgf" "$FV"/*/*.mgf
    seed "$C/massbank" "$FV"/ms_file_reader/MSBNK-*.txt "$FV"/mzspeclib_legacy/*.txt
    for f in $(ls "$DATA"/massbank/records_forensic_subset/* 2>/dev/null | head -40); do
        seed "$C/massbank" "$f"
    done
    # a short generated GC-MS run (netCDF ANDI-MS), written by the run generator
    mkdir -p "$C/andi"
    "$B/bench/npsrunsim" --library "$ROOT/reference_spectra/library_ei.msp" \
        --compound Caffeine@3.1@100000 --minutes 3-3.2 -o "$C/andi/short.cdf" >/dev/null 2>&1 || true
    mkdir -p "$C/csv"
    printf 'm/z,intensity\n91.05,100\n119.08,45.5\n' >"$C/csv/comma.csv"
    printf '91,05;100\n119,08;45,5\n' >"$C/csv/semicolon.csv"
    printf '91.05\t100\t0.5\n119.08\t45.5\t0.2\n' >"$C/csv/tab.tsv"
    printf '"mz" "int"\n91.05 100\n119.08 4.5e1\n' >"$C/csv/space.csv"
    seed "$C/mzml" "$FV"/*/*.mzml "$FV"/*/*.mzML
    seed "$C/mzxml" "$FV"/*/*.mzXML
    seed "$C/jcamp" "$FV"/jcamp_nzhagen/*.DX "$FV"/jcamp_nzhagen/*.jdx "$FV"/ms_file_reader/*.jdx
    seed "$C/ms2" "$FV"/pyteomics/test.ms1 "$FV"/pyteomics/test.ms2
    seed "$C/mzspeclib" "$FV"/*/*.mzspeclib
    for d in msp mgf massbank csv mzml mzxml jcamp ms2 mzspeclib andi; do
        mkdir -p "$C/detect"
        cp "$C/$d"/* "$C/detect/" 2>/dev/null
    done
    mkdir -p "$C/library" "$C/library_sealed"
    "$B"/npsmatch library build -o "$C/library/bundled.h5" "$ROOT"/reference_spectra/library_*.msp 2>/dev/null
    "$B"/npsmatch library build -o "$C/library/mona10.h5" "$FV"/matchms/MoNA-export-GC-MS-first10.msp 2>/dev/null
    "$B"/npsmatch library build -o "$C/library/pyteomics.h5" "$FV"/pyteomics/test.mgf 2>/dev/null
    cp "$C"/library/*.h5 "$C/library_sealed/"
}

[ -d "$B/corpus" ] || make_seeds
status=0
printf '%-16s %7s %12s %8s %7s %s\n' harness seconds executions exec/s corpus outcome
for h in $ALL; do
    bin=$B/tests/fuzz/fuzz_$h
    [ -x "$bin" ] || { echo "missing $bin" >&2; status=1; continue; }
    mkdir -p "$B/crashes/$h"
    dict=""
    case $h in mzml | mzxml) dict="-dict=$ROOT/tests/fuzz/xml.dict" ;; jcamp) dict="-dict=$ROOT/tests/fuzz/jcamp.dict" ;; esac
    log=$B/fuzz_$h.log
    ASAN_OPTIONS=detect_leaks=1 "$bin" -max_total_time="$SECS" -timeout=20 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 $dict -artifact_prefix="$B/crashes/$h/" \
        "$B/corpus/$h" >"$log" 2>&1
    rc=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
    secs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o 'in [0-9]*' | grep -o '[0-9]*')
    [ -z "$secs" ] && secs=$SECS
    corpus=$(ls "$B/corpus/$h" | wc -l)
    if [ $rc -eq 0 ]; then outcome="no crash"; else
        outcome="CRASH ($(ls "$B/crashes/$h" | head -1)), see $log"
        status=1
    fi
    rate=$(( ${runs:-0} / (secs > 0 ? secs : 1) ))
    printf '%-16s %7s %12s %8s %7s %s\n' "$h" "$secs" "${runs:-0}" "$rate" "$corpus" "$outcome"
done
exit $status
