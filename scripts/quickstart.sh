#!/bin/sh
# Install what is missing, build, and run the main job: batch screening of the
# bundled sample unknowns against the bundled reference library, then the
# screen of a GC-MS run (the bundled demo run of a seized powder: a drug, a
# cutting agent co-eluting with it, an internal standard) to its components.
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
echo
echo "== npsmatch screen reference_spectra/demo_run.cdf.gz (a GC-MS run: deconvolved, searched) =="
./build/npsmatch screen --alkanes reference_spectra/demo_run_alkanes.tsv \
    --internal-standard n-Tetracosane --top 3 -o screen.tsv reference_spectra/demo_run.cdf.gz
awk -F'\t' 'NR == 1 || $5 == 1 {printf "%-12s %-8s %-7s %-18s %-9s %-7s %-8s %s\n", $2, $3, $4, $7, $8, $11, $20, $14}' screen.tsv
./build/npsmatch screen --alkanes reference_spectra/demo_run_alkanes.tsv -o screen.html \
    reference_spectra/demo_run.cdf.gz 2>/dev/null
echo
echo "full results: hits.tsv (identity/open search), calls.tsv (analogue search),"
echo "report.html (the case report: calls, hit tables, mirror plots; open it in a browser),"
echo "screen.tsv and screen.html (the run's components, its chromatogram, their hits)"
