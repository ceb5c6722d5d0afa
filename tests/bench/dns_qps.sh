#!/bin/sh
# Answering throughput and memory: dnsperf against the shipped zone.
#
#   tests/bench/dns_qps.sh [SECONDS] [THREADS]
#
# Starts build/switchboard on a free loopback port with zones/, drives it
# with dnsperf (queries.txt: CNAME answers, addresses, NXDOMAIN, NODATA,
# mixed case) and prints dnsperf's summary and the server's peak RSS.
# Needs dnsperf (apt-get install dnsperf). dnsperf shares the machine with
# the server, so the figure is a floor, not the server's ceiling.
set -eu
cd "$(dirname "$0")/../.."
SECONDS_TO_RUN=${1:-10}
THREADS=${2:-1}
command -v dnsperf >/dev/null || { echo "dnsperf is not installed (apt-get install dnsperf)" >&2; exit 1; }
[ -x build/switchboard ] || { echo "build first: cmake -S . -B build && cmake --build build" >&2; exit 1; }

tmp=$(mktemp -d)
log=$tmp/switchboard.log
# Started as root, the server runs as nobody once bound (it refuses to keep
# root without being told whom to become).
user=""
if [ "$(id -u)" -eq 0 ]; then user="--user nobody"; chown nobody "$tmp"; fi
# Its own control socket and state file: a server already running on this
# machine keeps the default ones. dnsperf asks the same few names tens of
# thousands of times a second from 127.0.0.1: exempt from response rate
# limiting, which still counts every response (its cost is in the figure).
# shellcheck disable=SC2086
./build/switchboard serve --zones zones --listen 127.0.0.1:0 --threads "$THREADS" \
    --control-socket "$tmp/control.sock" --state-file "$tmp/state.json" \
    --rrl-exempt 127.0.0.1 $user 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do grep -q 'event=ready' "$log" && break; sleep 0.1; done
port=$(sed -n 's/.*event=listening address=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
[ -n "$port" ] || { cat "$log"; exit 1; }

echo "switchboard $(./build/switchboard version | cut -d' ' -f2), threads=$THREADS, port=$port"
dnsperf -s 127.0.0.1 -p "$port" -d tests/bench/queries.txt -l "$SECONDS_TO_RUN" -c 8 -q 200 \
    | sed -n '/Statistics/,$p'
echo "server peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$pid/status)"
echo "server RSS now:  $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)"
