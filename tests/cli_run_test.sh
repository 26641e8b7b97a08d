#!/bin/bash
# npsmatch deconvolve and screen, end to end: the bundled demo run (what
# the quickstart shows), a run made by the generator (netCDF ANDI-MS and MSP
# scans; with a ladder, an alkane standard run, an internal standard), the
# report formats, and bad input (a ladder out of order, a truncated ANDI
# file, runs out of time order, a run without MS1 scans).
# usage: cli_run_test.sh NPSMATCH SOURCE_DIR BUNDLED_LIB NPSRUNSIM
set -u
BIN=$1 SRC=$2 LIB=$3 SIM=$4
. "$SRC/tests/cli_common.sh"
T=$(mktemp -d /tmp/nps_cli_run.XXXXXX)
trap 'rm -rf "$T"' EXIT
export NPSMATCH_LIBRARY=$LIB
RS=$SRC/reference_spectra

# --- the demo run: a drug, a cutting agent co-eluting with it, an internal standard
"$BIN" screen --alkanes "$RS/demo_run_alkanes.tsv" --internal-standard n-Tetracosane --top 3 \
    -o "$T/demo.tsv" "$RS/demo_run.cdf.gz" 2>"$T/err"
expect_status 0 $? "screen of the demo run"
head -1 "$T/demo.tsv" | cut -f1-8 | grep -qx $'run\tcomponent\trt_min\tri\trank\tlibrary_id\tlibrary_name\tscore' &&
    ok || fail "screen header: $(head -1 "$T/demo.tsv")"
for col in matched_peaks composite_mf purity model_mz area call; do
    head -1 "$T/demo.tsv" | tr '\t' '\n' | grep -qx "$col" && ok || fail "no column $col"
done
# one block per component, in time order, each truth compound at rank 1 near its time
awk -F'\t' 'NR > 1 && $5 == 1' "$T/demo.tsv" >"$T/top"
[ "$(wc -l <"$T/top")" = 3 ] && ok || fail "demo: $(wc -l <"$T/top") components, expected 3"
tail -n +2 "$RS/demo_run_truth.tsv" | while IFS=$'\t' read -r name key rt rest; do
    awk -F'\t' -v n="$name" -v t="$rt" '$7 == n && ($3 - t) < 0.02 && (t - $3) < 0.02 {f = 1}
        END {exit !f}' "$T/top" || echo "missing $name" >>"$T/missing"
done
[ ! -s "$T/missing" ] && ok || fail "demo truth not found at rank 1: $(cat "$T/missing")"
awk -F'\t' 'NR > 1 && $3 < p {bad = 1} NR > 1 {p = $3} END {exit bad}' "$T/demo.tsv" && ok ||
    fail "components not in time order"
# RI from the ladder; the internal standard's rrt is 1 and its RI 2400 (it is C24)
awk -F'\t' '$7 == "n-Tetracosane" && $5 == 1 && $20 == "1.0000" && $4 > 2399 && $4 < 2401 {f = 1}
    END {exit !f}' "$T/demo.tsv" && ok || fail "internal standard rrt/ri: $(grep Tetracosane "$T/demo.tsv" | head -1)"
grep -q "internal standard n-Tetracosane" "$T/err" && ok || fail "no internal standard line"
# JSON and HTML
"$BIN" screen --alkanes "$RS/demo_run_alkanes.tsv" -o "$T/demo.json" "$RS/demo_run.cdf.gz" 2>/dev/null
expect_status 0 $? "screen JSON"
if have_python; then
    python3 - "$T/demo.json" <<'EOF' && ok || fail "screen JSON content"
import json, sys
d = json.load(open(sys.argv[1]))
c = d["components"]
assert len(c) == 3, len(c)
assert all(x["hits"] and x["call"]["status"] == "identified" for x in c)
assert c[0]["rt_min"] < c[1]["rt_min"] < c[2]["rt_min"]
assert all(isinstance(x["ri"], float) for x in c)
assert d["run"]["retention"]["ri_penalty"]["window"] == 20
assert d["run"]["deconvolution"]["min_snr"] == 10 and 207 in d["run"]["deconvolution"]["excluded_model_ions"]
EOF
fi
"$BIN" screen --alkanes "$RS/demo_run_alkanes.tsv" -o "$T/demo.html" "$RS/demo_run.cdf.gz" 2>/dev/null
expect_status 0 $? "screen HTML"
grep -q "Total ion chromatogram of demo_run.cdf.gz" "$T/demo.html" && ok || fail "HTML without TIC"
grep -q "<script" "$T/demo.html" && fail "HTML with a script" || ok

# --- deconvolve: components as spectra, readable back, kind EI
"$BIN" deconvolve -o "$T/comp.msp" "$RS/demo_run.cdf.gz" 2>/dev/null
expect_status 0 $? "deconvolve"
[ "$(grep -c '^Name: Component' "$T/comp.msp")" = 3 ] && ok || fail "deconvolve: components"
grep -q '^Retention_time: 5.00' "$T/comp.msp" && grep -q '^Purity: ' "$T/comp.msp" &&
    grep -q '^Model_ion: ' "$T/comp.msp" && grep -q '^Area: ' "$T/comp.msp" && ok ||
    fail "deconvolve: component metadata"
"$BIN" search --top 1 "$T/comp.msp" 2>/dev/null | awk -F'\t' 'NR > 1 {print $5}' >"$T/names"
grep -qx Methamphetamine "$T/names" && grep -qx Caffeine "$T/names" && ok ||
    fail "components searched again: $(tr '\n' ' ' <"$T/names")"
# the same components at 1 and 2 threads
"$BIN" deconvolve --threads 1 --window 256 -o "$T/c1.msp" "$RS/demo_run.cdf.gz" 2>/dev/null
"$BIN" deconvolve --threads 2 --window 256 -o "$T/c2.msp" "$RS/demo_run.cdf.gz" 2>/dev/null
cmp -s "$T/c1.msp" "$T/c2.msp" && ok || fail "deconvolution differs with the thread count"

# --- generated runs: MSP scans and ANDI, an alkane standard run for the ladder
"$SIM" --library "$RS/library_ei.msp" --seed 4 --minutes 3-8 --compound Cocaine@4.0@800000 \
    --compound Levamisole@4.05@60000 --compound Lidocaine@6.0@300000 --alkanes C10-C20 \
    --ladder "$T/ladder.tsv" -o "$T/sample.msp" --truth "$T/truth.tsv"
expect_status 0 $? "generator"
"$SIM" --library "$RS/library_ei.msp" --seed 5 --minutes 3-8 --alkanes C10-C20 -o "$T/alkanes.cdf"
expect_status 0 $? "generator (alkane run)"
# several ANDI runs at once, one per thread (the netCDF library itself is not
# thread-safe): the same report as one thread
for k in 1 2 3 4; do cp "$T/alkanes.cdf" "$T/alk$k.cdf"; done
"$BIN" screen --threads 1 -o "$T/par1.tsv" "$T"/alk?.cdf 2>/dev/null
expect_status 0 $? "screen of 4 ANDI runs, 1 thread"
"$BIN" screen --threads 2 -o "$T/par2.tsv" "$T"/alk?.cdf 2>/dev/null
expect_status 0 $? "screen of 4 ANDI runs, 2 threads"
cmp -s "$T/par1.tsv" "$T/par2.tsv" && ok || fail "4 runs on 2 threads differ from 1 thread"
"$BIN" screen --alkane-run "$T/alkanes.cdf" --first-carbon 10 --top 1 -o "$T/s1.tsv" "$T/sample.msp" 2>"$T/err"
expect_status 0 $? "screen with an alkane run"
grep -q "alkane ladder: 11 alkanes, C10 at" "$T/err" && ok || fail "alkane run ladder: $(cat "$T/err")"
"$BIN" screen --alkanes "$T/ladder.tsv" --top 1 -o "$T/s2.tsv" "$T/sample.msp" 2>/dev/null
expect_status 0 $? "screen with a ladder file"
# both ladders give the same RI to within a unit
paste <(cut -f4 "$T/s1.tsv") <(cut -f4 "$T/s2.tsv") | awk -F'\t' 'NR > 1 {d = $1 - $2; if (d < 0) d = -d;
    if (d > 1) bad = 1} END {exit bad}' && ok || fail "alkane run and ladder file disagree"
for n in Cocaine Levamisole Lidocaine; do
    awk -F'\t' -v n="$n" '$7 == n && $5 == 1 {f = 1} END {exit !f}' "$T/s2.tsv" && ok || fail "$n not found"
done

# --- bad input: a clear message, the rest processed
printf 'C10 4.0\nC11 3.5\n' >"$T/unsorted.tsv"
"$BIN" screen --alkanes "$T/unsorted.tsv" "$T/sample.msp" >/dev/null 2>"$T/err"
expect_status 1 $? "unsorted ladder"
grep -q "retention must grow with the carbon number" "$T/err" && ok || fail "unsorted ladder message: $(cat "$T/err")"
printf 'C10 4.0\nC12 5.0\nC13 5.5\n' >"$T/gap.tsv"
"$BIN" screen --alkanes "$T/gap.tsv" -o "$T/gap.out" "$T/sample.msp" 2>"$T/err"
grep -q "carbons missing" "$T/err" && ok || fail "ladder gap not said"
grep -q "outside the alkane ladder" "$T/err" && ok || fail "components outside the ladder not said"
awk -F'\t' 'NR > 1 && $19 == "outside ladder" {f = 1} END {exit !f}' "$T/gap.out" && ok ||
    fail "no ri_flag for a component outside the ladder"
head -c 20000 "$T/alkanes.cdf" >"$T/truncated.cdf"
"$BIN" screen "$T/truncated.cdf" >/dev/null 2>"$T/err"
expect_status 1 $? "truncated ANDI"
grep -q "netCDF" "$T/err" && ok || fail "truncated ANDI message: $(cat "$T/err")"
# scans out of time order: put in order, said, the same components
awk 'BEGIN {RS = ""; ORS = "\n\n"} {rec[NR] = $0} END {for (i = 1; i <= NR; i++) {
    j = (i % 2 == 0 && i < NR) ? i + 1 : (i % 2 == 1 && i > 1) ? i - 1 : i; print rec[j]}}' \
    "$T/sample.msp" >"$T/shuffled.msp"
"$BIN" deconvolve -o "$T/shuffled_c.msp" "$T/shuffled.msp" 2>"$T/err"
expect_status 3 $? "out-of-order run (said, status 3)"
grep -q "is put in time order" "$T/err" && ok || fail "out of order not said"
"$BIN" deconvolve -o "$T/sample_c.msp" "$T/sample.msp" 2>/dev/null
# (Apex_scan and Scan_range name the records in the file, which moved)
cmp -s <(grep -Ev '^(Run|Apex_scan|Scan_range):' "$T/sample_c.msp") \
    <(grep -Ev '^(Run|Apex_scan|Scan_range):' "$T/shuffled_c.msp") && ok ||
    fail "out-of-order run gives other components"
# a run of MS2 scans only is grouped by precursor, not deconvolved
printf 'NAME: a\nPRECURSORMZ: 300.1\nRETENTIONTIME: 2.0\nSpectrum_type: MS2\nNum Peaks: 2\n100 10\n150 5\n\n' >"$T/ms2.msp"
printf 'NAME: b\nPRECURSORMZ: 300.1\nRETENTIONTIME: 2.01\nSpectrum_type: MS2\nNum Peaks: 2\n100 12\n150 4\n\n' >>"$T/ms2.msp"
"$BIN" deconvolve -o "$T/g.msp" "$T/ms2.msp" 2>"$T/err"
expect_status 0 $? "LC-MS/MS run"
grep -q "LC-MS/MS: 1 precursor groups" "$T/err" && ok || fail "LC grouping: $(cat "$T/err")"
grep -q '^Scans: 2' "$T/g.msp" && ok || fail "consensus of 2 scans"
"$BIN" deconvolve --kind ei -o "$T/g2.msp" "$T/ms2.msp" 2>"$T/err"
expect_status 1 $? "--kind ei on two MS2 scans"
grep -q "MS1 scans: too few" "$T/err" && ok || fail "no MS1 message: $(cat "$T/err")"
"$BIN" screen --kind xyz "$T/ms2.msp" >/dev/null 2>&1
expect_status 2 $? "bad --kind"

summary cli_run
