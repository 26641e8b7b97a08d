#!/bin/sh
# Install what is missing, build, and run the main job: batch screening of the
# bundled sample unknowns against the bundled reference library.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
echo
echo "== npsmatch search reference_spectra/sample_unknowns.msp (bundled library) =="
./build/npsmatch search --top 3 -o hits.tsv reference_spectra/sample_unknowns.msp
awk -F'\t' '{printf "%-18s %-4s %-28s %-8s %-7s %-10s %-9s %s\n", $1, $3, $5, $7, $8, $9, $11, $12}' hits.tsv
echo
echo "== calls: npsmatch search --mode analogue (identified / possible new analogue) =="
./build/npsmatch search --mode analogue --top 5 -o calls.tsv reference_spectra/sample_unknowns.msp
awk -F'\t' 'NR > 1 && $3 == 1 {printf "%-18s %s\n", $1, $18}' calls.tsv
echo
./build/npsmatch search -o report.html reference_spectra/sample_unknowns.msp 2>/dev/null
echo "full results: hits.tsv (identity/open search), calls.tsv (analogue search),"
echo "report.html (the case report: calls, hit tables, mirror plots; open it in a browser)"
