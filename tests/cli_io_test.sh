#!/bin/bash
# Input and output paths of the command line, as a user meets them: stdin,
# pipes, FIFOs, process substitution, gzip, directories; outputs onto device
# nodes (made with mknod in a temporary directory, never the real /dev),
# symbolic links, a full device, a closed pipe, a read-only directory; bad
# libraries; duplicate ids; --help and --version everywhere; JSON provenance.
# usage: cli_io_test.sh NPSMATCH SOURCE_DIR BUNDLED_LIBRARY DATA_DIR
set -u
N=$1 SRC=$2 LIB=$3 DATA=$4
T=$(mktemp -d /tmp/nps_cli_io_XXXXXX)
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
. "$(dirname "$0")/cli_common.sh"
names() { grep -c '^Name:' "$1"; }
EI=$SRC/reference_spectra/library_ei.msp
U=$SRC/reference_spectra/sample_unknowns.msp
D=$DATA/massbank/massbank_forensic_subset.msp

# --- inputs: every record read once, whatever the source
if have_data "$D"; then
    want=$(grep -c '^Name:' "$D")
    "$N" convert -o "$T/psub.msp" <(cat "$D") 2>/dev/null
    expect_status 0 $? "convert from process substitution"
    [ "$(names "$T/psub.msp")" = "$want" ] && ok || fail "process substitution: $(names "$T/psub.msp") of $want spectra"
    cat "$D" | "$N" convert -o "$T/stdin.msp" - 2>/dev/null
    expect_status 0 $? "convert from stdin"
    cmp -s "$T/stdin.msp" "$T/psub.msp" && ok || fail "stdin and process substitution differ"
    gzip -c "$D" > "$T/subset.msp.gz"
    "$N" convert -o "$T/gz.msp" "$T/subset.msp.gz" 2>/dev/null
    expect_status 0 $? "convert from .msp.gz"
    cmp -s "$T/gz.msp" "$T/psub.msp" && ok || fail ".gz input differs"
    head -c 20000 "$T/subset.msp.gz" > "$T/cut.msp.gz"
    "$N" convert -o "$T/cut.msp" "$T/cut.msp.gz" 2>"$T/cut.err"
    expect_status 1 $? "truncated .gz"
    grep -q "truncated" "$T/cut.err" && ok || fail "truncated .gz message: $(cat "$T/cut.err")"
    [ ! -e "$T/cut.msp" ] && ok || fail "a failed convert left an output file"
    mkfifo "$T/q.fifo"
    (head -c 300000 "$D" > "$T/q.fifo" &)
    timeout 60 "$N" search --library "$EI" --any-kind --top 1 -o "$T/fifo.tsv" "$T/q.fifo" 2>"$T/fifo.err"
    rc=$?
    [ "$rc" = 0 ] || [ "$rc" = 3 ] && ok || fail "search from a FIFO: exit $rc ($(tail -1 "$T/fifo.err"))"
    grep -q "queries searched" "$T/fifo.err" && ok || fail "FIFO search summary"
fi
# search reads its queries from standard input too
"$N" search --library "$LIB" --top 1 - < "$U" > "$T/stdin.tsv" 2>"$T/stdin.err"
expect_status 0 $? "search -"
grep -q "14 queries searched" "$T/stdin.err" && ok || fail "search -: $(cat "$T/stdin.err")"
# a directory: every spectra file under it, in name order; others reported
mkdir -p "$T/dir/sub"
cp "$EI" "$T/dir/a.msp"
gzip -c "$SRC/reference_spectra/library_msms.msp" > "$T/dir/sub/b.msp.gz"
echo "notes about this library" > "$T/dir/README"
"$N" library build -o "$T/dir.h5" "$T/dir" 2>"$T/dir.err"
expect_status 0 $? "library build from a directory"
grep -q "README: skipped: unsupported format" "$T/dir.err" && ok || fail "directory: non-spectra file not reported: $(cat "$T/dir.err")"
"$N" library info "$T/dir.h5" | grep -q "^spectra        61 " && ok || fail "directory library: $("$N" library info "$T/dir.h5" | grep spectra)"
mkdir "$T/emptydir"
"$N" library build -o "$T/e.h5" "$T/emptydir" 2>"$T/ed.err"
expect_status 1 $? "library build from an empty directory"

# --- outputs: in place onto devices, atomically onto files, through links
if mknod "$T/null" c 1 3 2>/dev/null && mknod "$T/full" c 1 7 2>/dev/null; then
    "$N" convert -o "$T/null" "$EI" 2>/dev/null
    expect_status 0 $? "convert onto a null device node"
    [ -c "$T/null" ] && ok || fail "the device node was replaced by a file"
    "$N" library build -o "$T/null" "$EI" 2>/dev/null
    expect_status 0 $? "library build onto a device node"
    [ -c "$T/null" ] && ok || fail "library build replaced the device node"
    "$N" library export --to msp -o "$T/null" "$LIB" 2>/dev/null
    [ -c "$T/null" ] && ok || fail "library export replaced the device node"
    "$N" convert -o "$T/full" "$EI" 2>"$T/full.err"
    expect_status 1 $? "convert onto a full device"
    grep -q "No space left on device" "$T/full.err" && ok || fail "full device message: $(cat "$T/full.err")"
    [ -c "$T/full" ] && ok || fail "the full device node was replaced"
    # output small enough to sit in the buffer until the final flush
    awk 'BEGIN{RS="";ORS="\n\n"} NR==1' "$EI" > "$T/one.msp"
    "$N" convert -o - "$T/one.msp" > "$T/full" 2>"$T/fullout.err"
    expect_status 1 $? "convert -o - into a full device (the final flush fails)"
    "$N" search --library "$LIB" -o "$T/full" "$U" 2>"$T/full2.err"
    expect_status 1 $? "search onto a full device"
    "$N" compare --pairs <(printf 'NPSM-EI-0001\tNPSM-EI-0002\n') -o "$T/full" "$EI" 2>/dev/null
    expect_status 1 $? "compare onto a full device"
    "$N" evaluate --library "$LIB" --truth name -o "$T/full" "$U" 2>/dev/null
    expect_status 1 $? "evaluate onto a full device"
    "$N" library export -o "$T/full" --to mgf "$LIB" 2>/dev/null
    expect_status 1 $? "library export onto a full device"
    "$N" library build -o "$T/full" "$EI" 2>/dev/null
    expect_status 1 $? "library build onto a full device"
else
    [ "${CI:-}" = true ] && fail "mknod not permitted under CI (run as root)" || echo "skipping: mknod not permitted" >&2
fi
# standard output, by name and as -
"$N" convert -o - "$EI" 2>/dev/null | grep -c '^Name:' | grep -qx 53 && ok || fail "convert -o -"
# /dev/stdout is a link to /proc/self/fd/1; a link of our own to the same
# place, in the temporary directory, takes the same path through the code
# without pointing the tool at the real /dev
ln -s /proc/self/fd/1 "$T/stdout"
"$N" convert -o "$T/stdout" "$EI" > "$T/viastdout.msp" 2>/dev/null
expect_status 0 $? "convert -o (a link to /proc/self/fd/1) redirected to a file"
[ "$(names "$T/viastdout.msp")" = 53 ] && ok || fail "output through /proc/self/fd/1 lost"
[ -L "$T/stdout" ] && ok || fail "the link to /proc/self/fd/1 was replaced"
# a symbolic link: its target is replaced, the link stays
echo old > "$T/target.msp"
ln -s target.msp "$T/link.msp"
"$N" convert -o "$T/link.msp" "$EI" 2>/dev/null
expect_status 0 $? "convert onto a symlink"
[ -L "$T/link.msp" ] && ok || fail "the symlink was replaced by a file"
[ "$(names "$T/target.msp")" = 53 ] && ok || fail "the symlink's target was not written"
# an existing file keeps its permission bits
echo old > "$T/perm.msp"
chmod 640 "$T/perm.msp"
"$N" convert -o "$T/perm.msp" "$EI" 2>/dev/null
[ "$(stat -c %a "$T/perm.msp")" = 640 ] && ok || fail "permissions not kept: $(stat -c %a "$T/perm.msp")"
# a closed pipe is an error, not a silent death
"$N" convert -o - "$EI" "$EI" "$EI" "$EI" "$EI" "$EI" "$EI" "$EI" 2>"$T/pipe.err" | head -c 10 > /dev/null
rc=${PIPESTATUS[0]}
[ "$rc" = 1 ] && ok || fail "convert into a closed pipe: exit $rc"
grep -q "Broken pipe" "$T/pipe.err" && ok || fail "closed pipe message: $(cat "$T/pipe.err")"
# a read-only directory (root ignores permissions: only checked as a user)
if [ "$(id -u)" != 0 ]; then
    mkdir "$T/ro" && chmod 500 "$T/ro"
    "$N" convert -o "$T/ro/x.msp" "$EI" 2>/dev/null
    expect_status 1 $? "convert into a read-only directory"
fi
# the output format comes from --to or the name, never silently MSP
"$N" library export -o "$T/x.json" "$LIB" 2>/dev/null
expect_status 0 $? "library export -o x.json"
head -c 1 "$T/x.json" | grep -q '\[' && ok || fail "library export -o x.json did not write JSON"
"$N" library export -o "$T/x.xyz" "$LIB" 2>"$T/xyz.err"
expect_status 2 $? "library export -o x.xyz"
grep -q "use --to" "$T/xyz.err" && [ ! -e "$T/x.xyz" ] && ok || fail "unknown output format: $(cat "$T/xyz.err")"
"$N" convert -o "$T/noext" "$EI" 2>/dev/null
expect_status 2 $? "convert to a name without extension"
"$N" convert --to mgf -o "$T/noext" "$EI" 2>/dev/null
grep -q "BEGIN IONS" "$T/noext" && ok || fail "convert --to mgf"

# --- libraries that are not libraries: status 1, not "no drugs found" (3)
: > "$T/empty.msp"
"$N" search --library "$T/empty.msp" "$U" > /dev/null 2>"$T/el.err"
expect_status 1 $? "search with an empty library"
printf '%%PDF-1.4\n%%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n\x00\x01\x02\x03\x04\x05' > "$T/lib.pdf"
"$N" search --library "$T/lib.pdf" "$U" > /dev/null 2>/dev/null
expect_status 1 $? "search with a PDF as library"
"$N" search --library "$T/emptydir" "$U" > /dev/null 2>/dev/null
expect_status 1 $? "search with an empty directory as library"
# a library file is recognised by its content, whatever its name
cp "$T/dir.h5" "$T/lib.dat"
"$N" search --library "$T/lib.dat" --top 1 "$U" > "$T/dat.tsv" 2>"$T/dat.err"
expect_status 0 $? "library named lib.dat"
grep -q "against 61 library spectra" "$T/dat.err" && ok || fail "lib.dat: $(cat "$T/dat.err")"
# the bundled illustrative library is named as such
NPSMATCH_LIBRARY= "$N" search --top 1 "$U" > /dev/null 2>"$T/b.err"
grep -q "warning: searching the bundled illustrative library" "$T/b.err" && ok || fail "no bundled-library warning"
"$N" search --library "$LIB" --top 1 "$U" > /dev/null 2>"$T/b2.err"
grep -q "illustrative" "$T/b2.err" && fail "warning for an explicitly named library" || ok

# --- duplicate ids across inputs: warned at build, reported by verify
"$N" library build -o "$T/dup.h5" "$EI" "$EI" 2>"$T/dup.err"
expect_status 0 $? "library build with repeated ids"
grep -q "warning: 53 records repeat an id already taken (first: 'NPSM-EI-0001')" "$T/dup.err" && ok || fail "duplicate warning: $(cat "$T/dup.err")"
"$N" library verify "$T/dup.h5" | grep -q "note: 53 records repeat an id" && ok || fail "verify does not report duplicates"
"$N" library verify "$T/dir.h5" | grep -q "repeat an id" && fail "verify reports duplicates that are not there" || ok

# --- scans of another MS level: warned about and counted
P=$DATA/format_vectors/pyteomics/test.mzML
if have_data "$P"; then
    "$N" search --library "$LIB" "$P" > /dev/null 2>"$T/lvl.err"
    grep -q "warning: 2 scans of another MS level were not read" "$T/lvl.err" && ok || fail "MS-level warning: $(cat "$T/lvl.err")"
    grep -q "0 queries searched.*2 scans of another MS level not read" "$T/lvl.err" && ok || fail "MS-level summary: $(cat "$T/lvl.err")"
fi

# --- --help (exit 0, standard output) and --version everywhere
for c in "" "library" "library build" "library info" "library export" "library verify" \
    "search" "compare" "convert" "evaluate"; do
    # shellcheck disable=SC2086
    "$N" $c --help > "$T/help.out" 2>/dev/null
    expect_status 0 $? "npsmatch $c --help"
    grep -q "usage" "$T/help.out" && ok || fail "npsmatch $c --help prints no usage"
    # shellcheck disable=SC2086
    "$N" $c --version 2>/dev/null | grep -q "^npsmatch [0-9]" && ok || fail "npsmatch $c --version"
done
"$N" -V | grep -q "^npsmatch [0-9]" && ok || fail "npsmatch -V"
"$N" search --library "$LIB" --top -1 "$U" > /dev/null 2>"$T/top.err"
expect_status 2 $? "--top -1"
[ "$(wc -l < "$T/top.err")" = 1 ] && ok || fail "--top -1 messages: $(cat "$T/top.err")"
# compare and search share the cosine defaults: the same pair, the same score
printf 'NPSM-EI-0001\tNPSM-EI-0002\n' > "$T/pair.tsv"
c=$("$N" compare --score cosine --pairs "$T/pair.tsv" "$EI" 2>/dev/null | cut -f3)
s=$("$N" search --library "$EI" --score cosine --mode open --top 52 --no-evalues \
    <("$N" convert -o - <(awk 'BEGIN{RS="";ORS="\n\n"} NR==1' "$EI") 2>/dev/null) 2>/dev/null |
    awk -F'\t' '$4 == "NPSM-EI-0002" {print $7}')
awk -v a="$c" -v b="$s" 'BEGIN { exit !(a != "" && b != "" && (a - b < 1e-6) && (b - a < 1e-6)) }' \
    && ok || fail "compare ($c) and search ($s) cosine defaults differ"

# --- JSON: one run object with provenance; no key twice anywhere
"$N" search --library "$T/dir.h5" --score cosine --top 3 -o "$T/r.json" "$U" 2>/dev/null
expect_status 0 $? "search -o r.json"
if have_python; then
    python3 - "$T/r.json" "$T/dir.h5" <<'EOF' && ok || fail "JSON provenance"
import json, sys
def no_dups(pairs):
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), "duplicate key in %s" % keys
    return dict(pairs)
d = json.load(open(sys.argv[1]), object_pairs_hook=no_dups)
r = d["run"]
assert r["library"]["path"] == sys.argv[2]
assert r["library"]["checksum"].startswith("crc32:") and r["library"]["spectra"] == 61
assert r["search"]["score"] == "cosine" and r["search"]["top"] == 3
assert r["library"]["preprocessing"]["msms"]["normalize"]
assert r["input"]["queries"] == 14 == len(d["queries"])
EOF
    printf '<mzSpecLib>\nMS:1003186|library format version=1.0\n<Spectrum=1>\nMS:1003061|library spectrum name=Cocaine\nMS:1003063|universal spectrum identifier=mzspec:X:1\nMS:1000744|selected ion m/z=304.154\n<Peaks>\n82.065\t100\n182.118\t80\n' > "$T/ml.txt"
    "$N" convert --to json -o "$T/ml.json" "$T/ml.txt" 2>/dev/null
    python3 - "$T/ml.json" <<'EOF' && ok || fail "mzSpecLib to JSON: duplicate keys"
import json, sys
def no_dups(pairs):
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), "duplicate key in %s" % keys
    return dict(pairs)
d = json.load(open(sys.argv[1]), object_pairs_hook=no_dups)
assert len(d) > 0 and all("spectrum_id" in s for s in d)
EOF
fi

summary cli_io
