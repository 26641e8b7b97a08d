#!/bin/bash
# A library split across MPI ranks: `mpirun -np K npsmatch search --mpi`
# must write, on rank 0 alone, the output of one process, byte for byte (TSV
# and JSON, every mode family, EI and MS/MS, more ranks than a small
# library's parts hold), and refuse what cannot be split.
# usage: cli_mpi_test.sh NPSMATCH SOURCE_DIR BUNDLED_LIBRARY DATA_DIR BUILT_WITH_MPI SANITIZED
# Skips (77) when mpirun is absent or npsmatch was built without MPI, except
# under CI=true in a build that should have it (scripts/install-deps.sh
# installs Open MPI), where that is a failure.
set -u
N=$1 SRC=$2 LIB=$3 DATA=$4 BUILT=$5 SANITIZED=$6
. "$(dirname "$0")/cli_common.sh"
if [ "$BUILT" != 1 ] || ! command -v mpirun >/dev/null; then
    why="npsmatch built without MPI"
    [ "$BUILT" = 1 ] && why="mpirun not found"
    if [ "${CI:-}" = true ] && [ "$SANITIZED" != 1 ]; then
        echo "FAIL: $why under CI (install-deps installs Open MPI)" >&2
        exit 1
    fi
    echo "skipping: $why" >&2
    exit 77
fi
T=$(mktemp -d /tmp/nps_cli_mpi_XXXXXX)
trap 'rm -rf "$T"' EXIT
# Open MPI refuses root unless told; one machine, more ranks than cores
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
MPIRUN=(mpirun --oversubscribe)
U=$SRC/reference_spectra/sample_unknowns.msp

# mpi_run NAME RANKS LIBRARY QUERIES [search options]: one process vs K ranks.
# A split library makes no mixture analysis (the residual search needs the
# whole library), so the one process runs --no-mixtures.
mpi_run() {
    name=$1 ranks=$2 lib=$3 q=$4
    shift 4
    for fmt in tsv json; do
        "$N" search --library "$lib" --format $fmt --no-mixtures "$@" -o "$T/$name.one.$fmt" "$q" 2>/dev/null
        expect_status 0 $? "$name $fmt one process"
        "${MPIRUN[@]}" -np "$ranks" "$N" search --mpi --threads 1 --library "$lib" --format $fmt \
            "$@" -o "$T/$name.mpi.$fmt" "$q" 2>"$T/$name.err"
        expect_status 0 $? "$name $fmt -np $ranks"
        cmp -s "$T/$name.one.$fmt" "$T/$name.mpi.$fmt" && ok \
            || fail "$name $fmt: -np $ranks output differs from one process"
    done
}
mpi_run bundled 3 "$LIB" "$U"
mpi_run bundled2 2 "$LIB" "$U" --mode analogue --top 3
mpi_run many 8 "$LIB" "$U" --top 20 --any-kind --score cosine
# both splits at once: query shards (one mpirun each), the library across ranks
for i in 1 2 3; do
    "${MPIRUN[@]}" -np 2 "$N" search --mpi --library "$LIB" --shard "$i/3" -o "$T/sh$i.json" "$U" 2>/dev/null
    expect_status 0 $? "-np 2 --shard $i/3"
done
"$N" merge -o "$T/sh.json" "$T/sh3.json" "$T/sh1.json" "$T/sh2.json" 2>/dev/null
cmp -s "$T/sh.json" "$T/bundled.one.json" && ok || fail "query shards of an MPI search, merged, differ"
# standard output, and the summary on rank 0 alone
"${MPIRUN[@]}" -np 3 "$N" search --mpi --library "$LIB" "$U" >"$T/stdout.tsv" 2>"$T/stdout.err"
expect_status 0 $? "-np 3 to standard output"
cmp -s "$T/stdout.tsv" "$T/bundled.one.tsv" && ok || fail "-np 3 standard output differs"
[ "$(grep -c "queries searched against 61 library spectra" "$T/stdout.err")" = 1 ] && ok \
    || fail "summary line not printed once: $(cat "$T/stdout.err")"

if have_data "$DATA/massbank/massbank_forensic_subset.msp" && have_data "$DATA/massbank/massbank_ei_all.msp"; then
    awk 'BEGIN{RS="";ORS="\n\n"} NR<=1500' "$DATA/massbank/massbank_forensic_subset.msp" >"$T/ms.msp"
    awk 'BEGIN{RS="";ORS="\n\n"} NR%8==0' "$DATA/massbank/massbank_ei_all.msp" >"$T/ei.msp"
    "$N" library build -o "$T/big.h5" "$T/ms.msp" "$T/ei.msp" 2>/dev/null
    expect_status 0 $? "library build"
    awk 'BEGIN{RS="";ORS="\n\n"} NR%15==0' "$DATA/massbank/massbank_forensic_subset.msp" >"$T/q.msp"
    awk 'BEGIN{RS="";ORS="\n\n"} NR%211==3' "$DATA/massbank/massbank_ei_all.msp" >>"$T/q.msp"
    mpi_run big 3 "$T/big.h5" "$T/q.msp"
    mpi_run big_open 3 "$T/big.h5" "$T/q.msp" --mode open --top 5
    mpi_run big_hybrid 2 "$T/big.h5" "$T/q.msp" --mode hybrid
    mpi_run big_shift 3 "$T/big.h5" "$T/q.msp" --mode analogue --min-score 0.2
fi

# refusals: usage errors on every rank, nothing written
for opt in --evalues --decoys "--noise 0.05"; do
    # shellcheck disable=SC2086
    "${MPIRUN[@]}" -np 2 "$N" search --mpi $opt --library "$LIB" -o "$T/no.tsv" "$U" 2>"$T/e"
    [ $? != 0 ] && [ ! -e "$T/no.tsv" ] && grep -q "cannot be combined with" "$T/e" && ok \
        || fail "--mpi $opt: not refused: $(head -3 "$T/e")"
done
"${MPIRUN[@]}" -np 2 "$N" search --mpi --library "$SRC/reference_spectra/library_ei.msp" \
    -o "$T/no.tsv" "$U" 2>"$T/e"
[ $? != 0 ] && [ ! -e "$T/no.tsv" ] && grep -q "not an npsmatch library file" "$T/e" && ok \
    || fail "--mpi with a spectra file as library: $(head -3 "$T/e")"
# a failure on the ranks (an unreadable query file) ends every rank, no hang
"${MPIRUN[@]}" -np 3 "$N" search --mpi --library "$LIB" -o "$T/no.tsv" "$T/missing.msp" 2>"$T/e"
[ $? != 0 ] && [ ! -e "$T/no.tsv" ] && ok || fail "a missing query file: $(head -3 "$T/e")"
summary cli_mpi
