#!/bin/sh
# run_fuzzer.sh FUZZER SEEDS WORK SECONDS
#
# Fuzz for SECONDS, starting from the checked-in SEEDS (never written) and
# the inputs found by earlier runs in WORK/corpus-NAME. A crash, a leak, a
# timeout (10 s for one input) or a failed check stops the run and fails the
# test; its input is left in WORK/artifacts/ — replay it with the fuzzer (or
# replay_NAME) and the file name, and add it to SEEDS once fixed.
set -eu
name=$(basename "$1")
mkdir -p "$3/corpus-$name" "$3/artifacts"
# Absolute paths: a harness may change directory in its initialisation.
fuzzer=$(realpath "$1") seeds=$(realpath "$2") work=$(realpath "$3") seconds=$4
here=$(realpath "$(dirname "$0")")
dict=$here/${name#fuzz_}.dict
# Leaks of libraries we cannot fix here, each explained in the file.
export LSAN_OPTIONS="suppressions=$here/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
set -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/$name-"
[ -f "$dict" ] && set -- "$@" -dict="$dict"
exec "$fuzzer" "$@" "$work/corpus-$name" "$seeds"
