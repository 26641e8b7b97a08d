#!/bin/bash
# A Slurm array job: one batch of queries searched on N nodes, each holding
# the whole library, then the parts merged into the output of the whole
# batch (identical, byte for byte, to a single-node run).
#
#   sbatch --array=1-16 contrib/npsmatch-slurm.sh LIB.h5 OUTDIR QUERY_FILE...
#   # when every task has finished:
#   npsmatch merge -o hits.tsv OUTDIR/part-*-of-16.tsv
#
# Or let Slurm run the merge: submit the array, then
#   sbatch --dependency=afterok:<array job id> --wrap \
#       'npsmatch merge -o hits.tsv OUTDIR/part-*-of-16.tsv'
#
# A task that failed can simply be run again (sbatch --array=7 ...): each
# part is written atomically, and merge refuses a set with a part missing,
# repeated, or made with another library or other parameters.
#SBATCH --job-name=npsmatch
#SBATCH --cpus-per-task=8
#SBATCH --mem=8G
#SBATCH --time=02:00:00
#SBATCH --output=npsmatch-%A_%a.log
set -euo pipefail
LIB=$1 OUT=$2
shift 2
: "${SLURM_ARRAY_TASK_ID:?submit with sbatch --array=1-N}"
: "${SLURM_ARRAY_TASK_COUNT:?submit with sbatch --array=1-N}"
I=$SLURM_ARRAY_TASK_ID N=$SLURM_ARRAY_TASK_COUNT
mkdir -p "$OUT"
# NPSMATCH_SEARCH_OPTIONS: extra search options, the same for every task
# shellcheck disable=SC2086
npsmatch search --library "$LIB" --threads "${SLURM_CPUS_PER_TASK:-1}" \
    ${NPSMATCH_SEARCH_OPTIONS:-} --shard "$I/$N" -o "$OUT/part-$I-of-$N.tsv" "$@"
