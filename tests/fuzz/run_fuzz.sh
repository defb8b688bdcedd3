#!/bin/sh
# run_fuzz.sh BINARY SEEDS WORKDIR SECONDS [SEED_FILE...]
# Runs a libFuzzer binary for SECONDS over a fresh copy of the seed corpus
# folder SEEDS, plus any extra seed files, in WORKDIR (inside the build
# tree: the source tree is never written). Crash inputs land in
# WORKDIR/artifacts/.
set -eu
bin=$1 seeds=$2 work=$3 secs=$4
shift 4
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
cp "$seeds"/* "$work/corpus/"
for f in "$@"; do
    cp "$f" "$work/corpus/"
done
exec "$bin" -max_total_time="$secs" -max_len=4096 -timeout=25 \
     -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$work/corpus"
