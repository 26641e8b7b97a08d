#!/bin/bash
# Sharded search for a scheduler: `search --shard I/N` on each part, then
# `merge`, must give the unsharded output byte for byte (TSV and JSON, every
# mode family, more parts than queries); merge refuses parts that do not
# belong together.
# usage: cli_shard_test.sh NPSMATCH SOURCE_DIR BUNDLED_LIBRARY
set -u
N=$1 SRC=$2 LIB=$3
T=$(mktemp -d /tmp/nps_cli_shard_XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/cli_common.sh"
U=$SRC/reference_spectra/sample_unknowns.msp
EI=$SRC/reference_spectra/library_ei.msp

# shard_run NAME PARTS [search options]: unsharded vs merged parts, TSV and JSON
shard_run() {
    name=$1 parts=$2
    shift 2
    for fmt in tsv json; do
        "$N" search --library "$LIB" --format $fmt "$@" -o "$T/$name.all.$fmt" "$U" 2>/dev/null
        files=()
        for i in $(seq "$parts" -1 1); do # written, and given to merge, in reverse order
            "$N" search --library "$LIB" --format $fmt --shard "$i/$parts" "$@" \
                -o "$T/$name.$i.$fmt" "$U" 2>/dev/null
            expect_status 0 $? "$name $fmt shard $i/$parts"
            files+=("$T/$name.$i.$fmt")
        done
        "$N" merge -o "$T/$name.merged.$fmt" "${files[@]}" 2>"$T/merge.err"
        expect_status 0 $? "$name $fmt merge"
        cmp -s "$T/$name.all.$fmt" "$T/$name.merged.$fmt" && ok \
            || fail "$name $fmt: merged output differs from the unsharded run"
    done
}
shard_run default 3
shard_run single 1
shard_run many 20 --top 3 # more parts than the 14 queries: some are empty
shard_run analogue 4 --mode analogue
shard_run cosine 2 --score cosine --any-kind --no-evalues

# the Slurm array script, run as Slurm would run its tasks
mkdir -p "$T/bin" && ln -s "$(readlink -f "$N")" "$T/bin/npsmatch"
for i in 1 2 3; do
    PATH="$T/bin:$PATH" SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_COUNT=3 SLURM_CPUS_PER_TASK=2 \
        bash "$SRC/contrib/npsmatch-slurm.sh" "$LIB" "$T/slurm" "$U" 2>/dev/null
    expect_status 0 $? "slurm task $i"
done
"$N" merge -o "$T/slurm.tsv" "$T"/slurm/part-*-of-3.tsv 2>/dev/null
cmp -s "$T/slurm.tsv" "$T/default.all.tsv" && ok || fail "Slurm parts merged differ from the single run"

# refusals: nothing is written, status 1, the reason named
"$N" search --library "$LIB" --shard 1/3 -o "$T/a1.tsv" "$U" 2>/dev/null
"$N" search --library "$LIB" --shard 2/3 -o "$T/a2.tsv" "$U" 2>/dev/null
"$N" search --library "$LIB" --shard 3/3 -o "$T/a3.tsv" "$U" 2>/dev/null
"$N" merge -o "$T/x.tsv" "$T/a1.tsv" "$T/a3.tsv" 2>"$T/e1"
expect_status 1 $? "merge with a part missing"
grep -q "part 2/3 is missing" "$T/e1" && [ ! -e "$T/x.tsv" ] && ok || fail "missing part: $(cat "$T/e1")"
"$N" merge -o "$T/x.tsv" "$T/a1.tsv" "$T/a2.tsv" "$T/a2.tsv" 2>"$T/e2"
expect_status 1 $? "merge with a part given twice"
grep -q "both are part 2/3" "$T/e2" && ok || fail "duplicate part: $(cat "$T/e2")"
"$N" search --library "$LIB" --top 3 --shard 2/3 -o "$T/b2.tsv" "$U" 2>/dev/null
"$N" merge -o "$T/x.tsv" "$T/a1.tsv" "$T/b2.tsv" "$T/a3.tsv" 2>"$T/e3"
expect_status 1 $? "merge of parts with different parameters"
grep -q "b2.tsv: made with another library or other parameters" "$T/e3" && ok || fail "parameters: $(cat "$T/e3")"
"$N" library build -o "$T/other.h5" "$EI" 2>/dev/null
"$N" search --library "$T/other.h5" --shard 2/3 -o "$T/c2.tsv" "$U" 2>/dev/null
"$N" merge -o "$T/x.tsv" "$T/a1.tsv" "$T/c2.tsv" "$T/a3.tsv" 2>"$T/e4"
expect_status 1 $? "merge of parts from different libraries"
"$N" search --library "$LIB" --shard 2/3 -o "$T/a2.json" "$U" 2>/dev/null
"$N" merge -o "$T/x.tsv" "$T/a1.tsv" "$T/a2.json" "$T/a3.tsv" 2>"$T/e5"
expect_status 1 $? "merge of TSV and JSON parts"
"$N" search --library "$LIB" -o "$T/whole.tsv" "$U" 2>/dev/null
"$N" merge -o "$T/x.tsv" "$T/whole.tsv" 2>"$T/e6"
expect_status 1 $? "merge of an unsharded output"
grep -q "not a part of a sharded npsmatch search" "$T/e6" && ok || fail "unsharded: $(cat "$T/e6")"
[ ! -e "$T/x.tsv" ] && ok || fail "a refused merge wrote its output"
# re-running a part is idempotent
cp "$T/a2.tsv" "$T/a2.first"
"$N" search --library "$LIB" --shard 2/3 -o "$T/a2.tsv" "$U" 2>/dev/null
cmp -s "$T/a2.tsv" "$T/a2.first" && ok || fail "a re-run part differs"
# usage
for bad in 0/3 4/3 x/3 3; do
    "$N" search --library "$LIB" --shard "$bad" "$U" > /dev/null 2>&1
    expect_status 2 $? "--shard $bad"
done
"$N" search --library "$LIB" --shard 1/2 --decoys "$U" > /dev/null 2>&1
expect_status 2 $? "--shard with --decoys"

summary cli_shard
