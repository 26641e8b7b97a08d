#!/bin/bash
# End-to-end tests of the npsmatch command line: the demo unknowns against the
# bundled library, output formats, thread-count independence, compare, library
# build/info/export, bad input and exit codes.
# usage: cli_test.sh NPSMATCH SOURCE_DIR BUNDLED_LIBRARY DATA_DIR
set -u
N=$1 SRC=$2 LIB=$3 DATA=$4
T=$(mktemp -d /tmp/nps_cli_XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/cli_common.sh"
U=$SRC/reference_spectra/sample_unknowns.msp

# --- the main job: demo unknowns against the bundled (default) library
NPSMATCH_LIBRARY= "$N" search --top 5 -o "$T/hits.tsv" "$U" 2>"$T/err"
expect_status 0 $? "search of the demo unknowns"
head -1 "$T/hits.tsv" | cut -f1-8 | grep -qx $'query_id\tquery_name\trank\tlibrary_id\tlibrary_name\tinchikey\tscore\tmatched_peaks' \
    && ok || fail "TSV header"
grep -q "14 queries searched against 61 library spectra" "$T/err" && ok || fail "summary line: $(cat "$T/err")"
while IFS=$'\t' read -r qid kind expected; do
    [ "$qid" = query_id ] && continue
    top=$(awk -F'\t' -v q="$qid" '$1 == q && $3 == 1 {print $5}' "$T/hits.tsv")
    case $kind in
    identity)
        [ "$top" = "$expected" ] && ok || fail "$qid: top hit '$top', expected '$expected'"
        call=$(awk -F'\t' -v q="$qid" '$1 == q && $3 == 1 {print $18}' "$T/hits.tsv")
        case $call in "identified: $expected (score "*) ok ;; *) fail "$qid: call '$call'" ;; esac ;;
    mixture)
        for comp in ${expected//;/ }; do
            awk -F'\t' -v q="$qid" -v c="$comp" '$1 == q && $3 <= 3 && $5 == c {f=1} END {exit !f}' "$T/hits.tsv" \
                && ok || fail "$qid: mixture component $comp not in the top 3"
        done
        # the call names the components, by decreasing share
        call=$(awk -F'\t' -v q="$qid" '$1 == q && $3 == 1 {print $18}' "$T/hits.tsv")
        want="mixture: ${expected//;/ (0.?? ) + } (0.??)"
        want=${want// )/)}
        # shellcheck disable=SC2053
        [[ $call == $want ]] && ok || fail "$qid: call '$call', expected the mixture $expected" ;;
    analogue)
        cls=$(awk -F'\t' -v q="$qid" '$1 == q && $3 == 1 {print $12}' "$T/hits.tsv")
        [ "$cls" = "$expected" ] && ok || fail "$qid: analogue top class '$cls', expected '$expected'"
        sc=$(awk -F'\t' -v q="$qid" '$1 == q && $3 == 1 {print ($7 < 0.8)}' "$T/hits.tsv")
        [ "$sc" = 1 ] && ok || fail "$qid: analogue scored as an identity" ;;
    esac
done < "$SRC/reference_spectra/sample_unknowns_expected.tsv"
# EI hits carry the composite match factor; MS/MS hits ran in identity mode
awk -F'\t' 'NR > 1 && $10 == "open" && $11 == "" {bad=1} END {exit bad}' "$T/hits.tsv" && ok || fail "EI hit without composite_mf"
grep -q $'\tentropy\tidentity\t' "$T/hits.tsv" && ok || fail "no MS/MS identity hits"

# --- queries of a kind the library does not hold: counted, warned about, and
# searched against the other kind only with --any-kind
MSMSLIB=$SRC/reference_spectra/library_msms.msp
"$N" search --library "$MSMSLIB" --top 3 -o "$T/k.tsv" "$U" 2>"$T/kerr"
expect_status 0 $? "EI unknowns against the MS/MS library"
grep -q "warning: 12 queries are of a kind (EI or MS/MS) that the library holds no spectrum of" "$T/kerr" \
    && ok || fail "kind-mismatch warning: $(cat "$T/kerr")"
grep -q "14 queries searched against 8 library spectra ($MSMSLIB); 12 without a hit, of which 12 of a kind the library does not hold" "$T/kerr" \
    && ok || fail "kind-mismatch summary: $(cat "$T/kerr")"
awk -F'\t' 'NR > 1 && $10 == "open" {bad=1} END {exit bad}' "$T/k.tsv" && ok || fail "EI query hit an MS/MS spectrum"
"$N" search --library "$MSMSLIB" --any-kind --top 3 -o "$T/k2.tsv" "$U" 2>"$T/kerr2"
grep -q "warning" "$T/kerr2" && fail "--any-kind still warns: $(cat "$T/kerr2")" || ok
awk -F'\t' 'NR > 1 && $10 == "open" {f=1} END {exit !f}' "$T/k2.tsv" && ok || fail "--any-kind: no EI query searched"

# --- identical output at 1 and 2 threads, explicit library path, JSON
"$N" search --library "$LIB" --threads 1 --top 10 "$U" > "$T/t1.tsv" 2>/dev/null
"$N" search --library "$LIB" --threads 2 --top 10 "$U" > "$T/t2.tsv" 2>/dev/null
cmp -s "$T/t1.tsv" "$T/t2.tsv" && ok || fail "output differs between 1 and 2 threads"
"$N" search --library "$LIB" --format json "$U" > "$T/h.json" 2>/dev/null
expect_status 0 $? "json search"
[ "$(grep -c '"query_id"' "$T/h.json")" = 14 ] && ok || fail "JSON query count"
head -c 8 "$T/h.json" | grep -q '{"run": ' && tail -c 3 "$T/h.json" | grep -q ']}' && ok || fail "JSON run object and queries"
if have_python; then
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); q=d["queries"]; r=d["run"]; assert len(q)==14 and q[0]["hits"][0]["rank"]==1; assert r["npsmatch_version"] and r["library"]["spectra"]==61 and r["library"]["checksum"].startswith("crc32:") and r["search"]["top"]==10 and r["input"]["queries"]==14' "$T/h.json" \
        && ok || fail "JSON does not parse"
    # the call's contract: status, text, components (one for an identification, the
    # mixture's for a mixture, none otherwise)
    python3 -c 'import json,sys
d=json.load(open(sys.argv[1])); c={q["query_id"]: q["call"] for q in d["queries"]}
m=c["SEIZURE-2026-011"]; assert m["status"]=="mixture" and m["text"].startswith("mixture: "), m
assert [x["library_name"] for x in m["components"]]==["Cocaine","Levamisole"], m
assert abs(sum(x["fraction"] for x in m["components"])-1)<0.01 and all(x["score"]>0.7 and x["library_id"] for x in m["components"]), m
i=c["SEIZURE-2026-003"]; assert i["status"]=="identified" and [x["library_name"] for x in i["components"]]==["Cocaine"] and i["components"][0]["fraction"]==1, i
assert all(v["status"] in ("identified","mixture","ambiguous","analogue","none") for v in c.values())
assert all((len(v["components"])>0)==(v["status"] in ("identified","mixture")) for v in c.values())' "$T/h.json" \
        && ok || fail "JSON call contract"
fi
# --no-mixtures: the demo mixture is no longer called one
"$N" search --library "$LIB" --no-mixtures -o "$T/nomix.tsv" "$U" 2>/dev/null
awk -F'\t' '$1 == "SEIZURE-2026-011" && $3 == 1 {print $18}' "$T/nomix.tsv" | grep -q '^mixture' \
    && fail "--no-mixtures still calls a mixture" || ok
"$N" search --library "$LIB" --mixtures bogus "$U" >/dev/null 2>"$T/e"
[ $? = 2 ] && grep -q "not off, on or deep" "$T/e" && ok || fail "--mixtures bogus accepted"
# options change the result as documented
"$N" search --library "$LIB" --score cosine --mode open --top 1 "$U" 2>/dev/null | awk -F'\t' 'NR>1 {print $9, $10}' | sort -u > "$T/so"
grep -qx "cosine open" "$T/so" && [ "$(wc -l < "$T/so")" = 1 ] && ok || fail "--score/--mode not applied: $(cat "$T/so")"
[ "$("$N" search --library "$LIB" --top 1 "$U" 2>/dev/null | wc -l)" = 15 ] && ok || fail "--top 1"
"$N" search --library "$LIB" --min-score 0.9 "$U" 2>/dev/null | awk -F'\t' 'NR>1 && $7 < 0.9 {bad=1} END {exit bad}' && ok || fail "--min-score"
"$N" search --library "$SRC/reference_spectra/library_ei.msp" --top 1 "$U" > "$T/msplib.tsv" 2>/dev/null
expect_status 0 $? "search with an MSP library"
# other cleaning parameters with an HDF5 library: re-derived from the imported peaks
"$N" search --library "$LIB" --noise 0.05 --max-peaks 8 --top 1 "$U" > "$T/reproc.tsv" 2>/dev/null
expect_status 0 $? "search with other preprocessing"
awk -F'\t' '$1 == "SEIZURE-2026-003" {print $5}' "$T/reproc.tsv" | grep -qx Cocaine && ok || fail "reprocessed library search"
"$N" search --library "$LIB" --top 1 "$U" > "$T/plain1.tsv" 2>/dev/null
cmp -s "$T/reproc.tsv" "$T/plain1.tsv" && fail "preprocessing options had no effect" || ok

# --- the fragment index gives the exhaustive search's output
if have_data "$DATA/massbank/massbank_forensic_subset.msp"; then
    "$N" library build -o "$T/fs.h5" "$DATA/massbank/massbank_forensic_subset.msp" 2>/dev/null
    "$N" search --library "$T/fs.h5" --mode open --top 5 --evalues "$U" "$DATA/format_vectors/matchms/massbank_five_spectra.msp" > "$T/ix.tsv" 2>/dev/null
    "$N" search --library "$T/fs.h5" --mode open --top 5 --evalues --exhaustive "$U" "$DATA/format_vectors/matchms/massbank_five_spectra.msp" > "$T/ex.tsv" 2>/dev/null
    # every column but the e-value: its null sample is the candidates' score bounds
    # through the index and their exact scores when exhaustive (docs/scores.md)
    cut -f1-20,22- "$T/ix.tsv" > "$T/ix.cut"
    cut -f1-20,22- "$T/ex.tsv" > "$T/ex.cut"
    cmp -s "$T/ix.cut" "$T/ex.cut" && [ "$(wc -l < "$T/ix.tsv")" -gt 10 ] && ok || fail "--exhaustive output differs from the index"
    head -1 "$T/ix.tsv" | cut -f21 | grep -qx e_value && ok || fail "e_value is column 21"
    awk -F'\t' 'NR > 1 && $21 != "" {f=1} END {exit !f}' "$T/ix.tsv" && ok || fail "--evalues gave no e-value"
    "$N" search --library "$T/fs.h5" --mode open --top 5 "$U" 2>/dev/null | awk -F'\t' 'NR > 1 && $21 != "" {f=1} END {exit f}' \
        && ok || fail "e-values are on without --evalues"
fi

# --- library build / info / export round trip
"$N" library build -o "$T/lib.h5" "$SRC/reference_spectra/library_ei.msp" "$SRC/reference_spectra/library_msms.msp" 2>/dev/null
expect_status 0 $? "library build"
"$N" library info "$T/lib.h5" > "$T/info"
grep -q "spectra        61 (EI 53, MS/MS 8)" "$T/info" && ok || fail "library info: $(cat "$T/info")"
"$N" library export -o "$T/out.msp" "$T/lib.h5"
expect_status 0 $? "library export"
"$N" library build -o "$T/lib2.h5" "$T/out.msp" 2>/dev/null
"$N" library export -o "$T/out2.msp" "$T/lib2.h5"
cmp -s "$T/out.msp" "$T/out2.msp" && ok || fail "MSP -> library -> MSP is not stable"
[ "$(grep -c '^Num Peaks' "$T/out.msp")" = 61 ] && ok || fail "export spectrum count"
"$N" library export -o "$T/out.mgf" "$T/lib.h5" && [ "$(grep -c 'BEGIN IONS' "$T/out.mgf")" = 61 ] && ok || fail "MGF export"
"$N" library build --raw --max-peaks 5 -o "$T/raw.h5" "$SRC/reference_spectra/library_ei.msp" 2>/dev/null
"$N" library info "$T/raw.h5" | grep -q "EI     raw" && ok || fail "--raw not recorded"

# --- convert: any input format to MSP, MGF and matchms-style JSON
"$N" convert -o "$T/conv.mgf" "$SRC/reference_spectra/library_ei.msp" 2>/dev/null
expect_status 0 $? "convert MSP to MGF"
"$N" convert -o "$T/conv.msp" "$T/conv.mgf" 2>/dev/null
"$N" convert -o "$T/conv.json" "$T/conv.msp" 2>/dev/null
[ "$(grep -c 'BEGIN IONS' "$T/conv.mgf")" = 53 ] && [ "$(grep -c '^Num Peaks' "$T/conv.msp")" = 53 ] \
    && ok || fail "convert counts"
"$N" library build -o "$T/c1.h5" "$SRC/reference_spectra/library_ei.msp" 2>/dev/null
"$N" library build -o "$T/c2.h5" "$T/conv.msp" 2>/dev/null
"$N" search --library "$T/c1.h5" "$U" > "$T/c1.tsv" 2>/dev/null
"$N" search --library "$T/c2.h5" "$U" > "$T/c2.tsv" 2>/dev/null
cmp -s "$T/c1.tsv" "$T/c2.tsv" && ok || fail "MSP -> MGF -> MSP changed the search results"
grep -q '"peaks_json": \[\[' "$T/conv.json" && grep -q '"compound_name": "Cocaine"' "$T/conv.json" && ok || fail "JSON keys"
if have_python; then
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d)==53 and d[0]["peaks_json"]' "$T/conv.json" \
        && ok || fail "converted JSON does not parse"
fi
printf 'mz;int\n91,05;100\n65,04;20\n' > "$T/peaks.csv"
"$N" convert --to msp -o - "$T/peaks.csv" 2>/dev/null | grep -q '^Name: peaks$' && ok || fail "CSV to MSP"
"$N" convert -o "$T/x.xyz" "$T/peaks.csv" > /dev/null 2>&1; expect_status 2 $? "unknown output format"
if have_data "$DATA/massbank/records_forensic_subset/Eawag"; then
    "$N" convert -o "$T/eawag.msp" "$DATA"/massbank/records_forensic_subset/Eawag/*.txt 2>/dev/null
    expect_status 0 $? "convert MassBank records"
fi

# --- compare
D=$DATA/massbank/massbank_forensic_subset.msp
if have_data "$D"; then
    printf 'id_a\tid_b\nMSBNK-Eawag-EA262610\tMSBNK-Athens_Univ-AU160803\nMSBNK-NOPE\tMSBNK-Athens_Univ-AU160803\n' > "$T/pairs.tsv"
    "$N" compare --pairs "$T/pairs.tsv" "$D" > "$T/cmp" 2> "$T/cmp.err"
    expect_status 3 $? "compare with an unknown id"
    [ "$(wc -l < "$T/cmp")" = 1 ] && ok || fail "compare output lines"
    awk -F'\t' '{exit !($3 > 0.8437 && $3 < 0.8439 && $4 == 21)}' "$T/cmp" && ok || fail "compare score: $(cat "$T/cmp")"
    grep -q "pairs.tsv:3: unknown id 'MSBNK-NOPE'" "$T/cmp.err" && ok || fail "compare unknown id message"
    "$N" compare --explain --score cosine --raw --pairs "$T/pairs.tsv" "$D" 2>/dev/null > "$T/exp"
    [ "$(grep -c '^#' "$T/exp")" = 23 ] && ok || fail "--explain pair count: $(grep -c '^#' "$T/exp")"
elif [ "${CI:-}" = true ]; then
    fail "shared data missing under CI: $D"
fi

# --- bad input: skipped with file:line, summary, exit 3; --strict stops with 1
printf 'Name: good\nNum Peaks: 2\n77 100\n91 50\n\nName: bad\nNum Peaks: 2\n77 x\n91 50\n\n' > "$T/bad.msp"
: > "$T/empty.msp"
head -c 3000 /dev/urandom > "$T/garbage.bin"
"$N" search --library "$LIB" "$T/bad.msp" "$T/empty.msp" "$T/garbage.bin" "$U" > "$T/b.tsv" 2> "$T/b.err"
expect_status 3 $? "search with malformed records"
grep -q "bad.msp:8: non-numeric intensity 'x'" "$T/b.err" && ok || fail "bad record message: $(cat "$T/b.err")"
grep -q "empty.msp:1: empty file" "$T/b.err" && ok || fail "empty file message"
grep -q "garbage.bin" "$T/b.err" && ok || fail "garbage message"
grep -q "15 queries searched" "$T/b.err" && ok || fail "good records kept: $(tail -1 "$T/b.err")"
grep -q "3 malformed records skipped" "$T/b.err" && ok || fail "skip count"
"$N" search --strict --library "$LIB" "$T/bad.msp" "$U" > /dev/null 2>&1
expect_status 1 $? "--strict"
"$N" search --library "$T/missing.h5" "$U" > /dev/null 2>&1
expect_status 1 $? "missing library"
"$N" search --library "$T/bad.msp" "$U" > /dev/null 2>&1
expect_status 3 $? "library with a bad record"
"$N" search --top 0 "$U" > /dev/null 2>&1; expect_status 2 $? "--top 0"
"$N" search --tolerance abc "$U" > /dev/null 2>&1; expect_status 2 $? "--tolerance abc"
"$N" search --bogus "$U" > /dev/null 2>&1; expect_status 2 $? "unknown option"
"$N" frobnicate > /dev/null 2>&1; expect_status 2 $? "unknown command"
"$N" search --help > /dev/null; expect_status 0 $? "--help"

# --- analogue search and calls on the bundled demo set
"$N" search --library "$LIB" --mode analogue --top 3 "$U" > "$T/ana.tsv" 2>/dev/null
expect_status 0 $? "search --mode analogue"
head -1 "$T/ana.tsv" | tr '\t' '\n' | grep -qx delta_mz && ok || fail "analogue columns"
# 4-MEC (not in the library) is called a possible new cathinone analogue
awk -F'\t' '$1 == "SEIZURE-2026-012" && $3 == 1 {print $18 "|" $19}' "$T/ana.tsv" |
    grep -q "possible new analogue.*|Synthetic cathinone" && ok || fail "4-MEC analogue call"
# a known substance is identified, not called an analogue
awk -F'\t' '$1 == "SEIZURE-2026-005" && $3 == 1 {print $18}' "$T/ana.tsv" |
    grep -q "^identified: Fentanyl" && ok || fail "fentanyl identified in analogue mode"
"$N" search --library "$LIB" --mode neutral-loss "$U" > /dev/null 2>&1
expect_status 0 $? "search --mode neutral-loss"
"$N" search --library "$LIB" --mode bogus "$U" > /dev/null 2>&1
expect_status 2 $? "--mode bogus"
"$N" search --library "$LIB" --decoys --fdr 0.05 --format json "$U" > "$T/td.json" 2>/dev/null
expect_status 0 $? "search --decoys"
grep -q '"q_value"' "$T/td.json" && grep -q '"call"' "$T/td.json" && ok || fail "json q_value and call"

# --- evaluate: the bundled unknowns against the bundled library (truth: Name)
"$N" evaluate --library "$LIB" --truth name --html "$T/ev.html" -o "$T/ev.json" "$U" 2>/dev/null
expect_status 0 $? "evaluate"
grep -q '"top1"' "$T/ev.json" && grep -q '<svg' "$T/ev.html" && ok || fail "evaluate outputs"
"$N" evaluate --library "$LIB" --truth name --leave-compound-out "$U" > "$T/lco.json" 2>/dev/null
expect_status 0 $? "evaluate --leave-compound-out"
grep -q '"lco_class_right"' "$T/lco.json" && ok || fail "leave-compound-out output"
# the bundled EI library against itself, each compound (CAS#) left out: the
# analogue (shift) search names a relative of the right class more often
# than the identity search, reported side by side with --baseline
"$N" evaluate --library "$SRC/reference_spectra/library_ei.msp" --truth 'CAS#' \
    --leave-compound-out --mode analogue --baseline identity --html "$T/lco.html" \
    "$SRC/reference_spectra/library_ei.msp" > "$T/lco_ei.json" 2>/dev/null
expect_status 0 $? "evaluate --baseline"
if have_python; then
    python3 - "$T/lco_ei.json" "$T/lco.html" <<'EOF' && ok || fail "analogue vs identity baseline"
import json, sys
d = json.load(open(sys.argv[1]))
a, b = d["lco_class_right"], d["baseline"]["lco_class_right"]
assert d["baseline"]["mode"] == "identity" and a > b, (a, b)
assert "Baseline: identity" in open(sys.argv[2]).read()
EOF
fi
"$N" evaluate --library "$LIB" "$U" > /dev/null 2>&1
expect_status 2 $? "evaluate without --truth"

summary cli_end_to_end
