#!/bin/sh
# Instructions per query of sb_answer() for each kind of answer, under
# callgrind: bench_answer over tests/bench/kinds, ROUNDS rounds less 0
# rounds, divided by ROUNDS (README.md, "Answers per kind").
#
#   tests/bench/answer_kinds.sh [BUILD_DIR=build] [ROUNDS=20000] [KIND...]
set -eu
cd "$(dirname "$0")/../.."
build=${1:-build}
rounds=${2:-20000}
[ $# -ge 2 ] && shift 2 || shift $#
kinds=${*:-static dynamic cname nxdomain nodata referral}
bench=$build/tests/bench/bench_answer
[ -x "$bench" ] || { echo "build first: cmake --build $build --target bench_answer" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }

refs() { # KIND ROUNDS: callgrind's total of instructions
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bench" tests/bench/kinds "$2" "$1" 2>&1 \
        | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
for kind in $kinds; do
    full=$(refs "$kind" "$rounds")
    none=$(refs "$kind" 0)
    echo "$kind $full $none $rounds" | awk '{ printf "%-9s %8.1f instructions per query\n", $1, ($2 - $3) / $4 }'
done
