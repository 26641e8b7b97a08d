#!/bin/bash
# The HTML case report in a real browser: Debian's chromium, headless. The
# demo unknowns are searched with -o report.html; chromium loads the file
# with the network disabled, and its DOM (after parsing, as a reader sees it)
# must hold every query's section, call, hit table and mirror plots with
# their text alternatives; it must print to PDF (the print style sheet) and
# render a screenshot. Skipped when chromium is absent, except under CI=true
# (the install script installs it).
# usage: report_browser_test.sh NPSMATCH SOURCE_DIR BUNDLED_LIBRARY
set -u
N=$1 SRC=$2 LIB=$3
T=$(mktemp -d /tmp/nps_html_XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/cli_common.sh"
U=$SRC/reference_spectra/sample_unknowns.msp

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
    if [ "${CI:-}" = true ]; then
        echo "FAIL: chromium missing under CI (scripts/install-deps.sh installs it)" >&2
        exit 1
    fi
    echo "skipping: chromium is not installed (apt-get install chromium)" >&2
    exit 77
fi
# a private profile and no network: the report must need nothing outside itself
browse() {
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
        --user-data-dir="$T/profile" --proxy-server=127.0.0.1:9 --proxy-bypass-list='<-loopback>' \
        --hide-scrollbars "$@" 2>>"$T/chromium.log"
}

NPSMATCH_LIBRARY= "$N" search -o "$T/report.html" "$U" 2>"$T/err"
expect_status 0 $? "search -o report.html"
R=$T/report.html
head -c 15 "$R" | grep -qx '<!DOCTYPE html>' && ok || fail "report.html is not HTML: $(head -c 80 "$R")"
# self-contained: no script, no external resource of any kind
grep -Eqi '<script|<link|<img|<iframe|src=|url\(|@import|href="(https?:)?//' "$R" \
    && fail "the report refers to something outside itself" || ok

browse --dump-dom "file://$R" >"$T/dom.html"
expect_status 0 $? "chromium --dump-dom"
count() { grep -o "$1" "$T/dom.html" | wc -l; }
[ "$(count '<section class="query"')" = 14 ] && ok || fail "query sections: $(count '<section class="query"')"
# a mirror plot for each of a query's first three hits (the TSV of the same
# search says how many each has), each with a title and a description
NPSMATCH_LIBRARY= "$N" search -o "$T/hits.tsv" "$U" 2>/dev/null
plots=$(awk -F'\t' 'NR > 1 && $3 <= 3' "$T/hits.tsv" | wc -l)
[ "$plots" -ge 30 ] && ok || fail "the demo's hits: $plots"
[ "$(count '<svg[^>]*role="img"')" = "$plots" ] && ok || fail "mirror plots: $(count '<svg[^>]*role="img"'), expected $plots"
[ "$(count '<title id="q[0-9]*-h[0-9]-t">Mirror plot: ')" = "$plots" ] && ok || fail "plot titles"
[ "$(count '<desc id="q[0-9]*-h[0-9]-d">Head-to-tail plot')" = "$plots" ] && ok || fail "plot descriptions"
[ "$(count '<caption>Library hits')" = 14 ] && ok || fail "hit tables"
# the calls at a glance: a row per query, linked to its section
[ "$(count '<tr><td><a href="#q[0-9]*">SEIZURE-2026-0[0-9]*</a></td>')" = 14 ] && ok || fail "summary rows"
grep -q '<a href="#q11">SEIZURE-2026-011</a></td><td>mixture: Cocaine' "$T/dom.html" && ok || fail "summary: the mixture"
grep -q '<p class="call mixture"><strong>mixture: Cocaine (0.[0-9]*) + Levamisole (0.[0-9]*)</strong>' "$T/dom.html" \
    && ok || fail "the demo mixture's call"
grep -q '<p class="call identified"><strong>identified: Methamphetamine (score 0.9' "$T/dom.html" \
    && ok || fail "SEIZURE-2026-001's call"
grep -q 'crc32:[0-9a-f]\{8\}' "$T/dom.html" && ok || fail "the library checksum in the provenance"
grep -q 'role="alert"><strong>Warning:</strong> this report searched the bundled illustrative library' "$T/dom.html" \
    && ok || fail "the bundled library's warning"
NPSMATCH_LIBRARY= "$N" search --library "$LIB" -o "$T/own.html" "$U" 2>/dev/null
grep -q 'role="alert"' "$T/own.html" && fail "a warning without the bundled library" || ok
grep -q '"npsmatch_version": "' "$T/dom.html" && ok || fail "the run object in the provenance"
# the hit table of an EI query carries MF, RMF, reverse and probability
grep -q '<th scope="col">MF</th><th scope="col">RMF</th><th scope="col">reverse</th><th scope="col">probability</th>' \
    "$T/dom.html" && ok || fail "hit table columns"

browse --print-to-pdf="$T/report.pdf" --no-pdf-header-footer "file://$R" >/dev/null
head -c 5 "$T/report.pdf" 2>/dev/null | grep -q '%PDF-' && ok || fail "print to PDF"
# the print style sheet starts each query on a new page: at least 15 pages
# (the page tree's root /Count, the largest)
pages=$(grep -ao '/Count [0-9]*' "$T/report.pdf" 2>/dev/null | awk '$2 > m {m = $2} END {print m + 0}')
[ "$pages" -ge 15 ] && ok || fail "PDF pages: $pages (expected one or more per query)"
browse --screenshot="$T/shot.png" --window-size=1000,1400 "file://$R" >/dev/null
[ "$(head -c 8 "$T/shot.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] \
    && ok || fail "screenshot"

# the analogue search's report names the possible new analogue
NPSMATCH_LIBRARY= "$N" search --mode analogue -o "$T/analogue.html" "$U" 2>/dev/null
expect_status 0 $? "search --mode analogue -o analogue.html"
grep -q '<p class="call analogue"><strong>possible new analogue: Synthetic cathinone' "$T/analogue.html" \
    && ok || fail "the analogue call"
# a name with markup in it stays text
printf 'NAME: <b>x</b> & "y"\nDB#: Q&1\nNum Peaks: 2\n58 999\n91 300\n\n' >"$T/odd.msp"
NPSMATCH_LIBRARY= "$N" search --format html -o "$T/odd.html" "$T/odd.msp" 2>/dev/null
expect_status 0 $? "search --format html of an odd name"
grep -q '&lt;b&gt;x&lt;/b&gt; &amp; &quot;y&quot;' "$T/odd.html" && ok || fail "markup in a name escaped"
grep -q '<b>x</b>' "$T/odd.html" && fail "markup in a name reached the report" || ok
# HTML is a whole batch's report, not a shard's
NPSMATCH_LIBRARY= "$N" search --shard 1/2 --format html -o "$T/s.html" "$U" 2>/dev/null
expect_status 2 $? "--shard with --format html"

summary report_browser
