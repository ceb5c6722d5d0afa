#!/bin/bash
# Probe worker at scale: 10,000 HTTP endpoints probed once a second.
#
#   tests/bench/probe_scale.sh [--keep-alive] [SECONDS] [PROFILES] [BUILD_DIR]
#
# --keep-alive: the monitor says keep-alive=yes and the sink keeps
# connections open between requests (http_sink keep-alive); the sink's
# accepts/s then shows how many probes opened a new connection.
#
# Generates one zone with PROFILES (default 5000) address profiles of two
# endpoints each, 127.1.0.1 onwards (250 addresses per /24, so .0 and .255
# are never used), every one probed with
#     monitor http port=PORT interval=1s timeout=500ms
# against tests/bench/http_sink (built with the project: one epoll thread on
# 0.0.0.0:PORT, which every 127.x.y.z reaches). Starts the sink and
# `switchboard serve --threads 2`, waits for event=ready (the first round of
# probes is done by then), then samples once a second for SECONDS (default
# 30):
#   - the daemon's CPU: the whole process from /proc/PID/stat, and each
#     thread from /proc/PID/task/TID/stat (threads are not named; the probe
#     worker is taken to be the busiest one, which the per-thread table
#     lets you check: the DNS workers and main thread are idle here);
#   - VmRSS and VmHWM from /proc/PID/status;
#   - the sink's requests/s (10,000/s if every endpoint is probed once a
#     second);
#   - the daemon's log: probe-local-error, probe-queue, endpoints down.
# Before the daemon, runs probe_floor (the same probes with nothing but
# their system calls) and curl_floor (the same probes through libcurl's
# multi interface and nothing else) against the same sink, for comparison.
# Prints a summary against the issue's targets: probe worker under 25% of
# one core, daemon under 100 MiB RSS. Never fails on a number.
#
# Needs ~2,100 descriptors in the daemon (probes in flight are capped at
# 2048 by default); the script raises `ulimit -n` to 65536 or the hard limit.
# The sink, the daemon and this script share the machine: on few cores the
# sink's own CPU competes with the probe worker.
set -eu
cd "$(dirname "$0")/../.."
KEEP_ALIVE=
if [ "${1:-}" = --keep-alive ]; then
    KEEP_ALIVE=keep-alive
    shift
fi
SAMPLE_SECONDS=${1:-30}
PROFILES=${2:-5000}
BUILD=${3:-build}
SB=$BUILD/switchboard
SINK=$BUILD/tests/bench/http_sink
if [ ! -x "$SB" ] || [ ! -x "$SINK" ]; then
    echo "build first: cmake -S . -B $BUILD && cmake --build $BUILD" >&2
    exit 1
fi
ENDPOINTS=$((PROFILES * 2))
[ "$ENDPOINTS" -le 62500 ] || { echo "at most 31250 profiles (250 x 250 addresses)" >&2; exit 1; }

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
TCK=$(getconf CLK_TCK)
tmp=$(mktemp -d /tmp/sb-probe-scale.XXXXXX)
sink_pid=
sb_pid=
cleanup() {
    [ -n "$sb_pid" ] && kill "$sb_pid" 2>/dev/null && wait "$sb_pid" 2>/dev/null
    [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null && wait "$sink_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

# ---- the sink ---------------------------------------------------------------
"$SINK" 0 $KEEP_ALIVE >"$tmp/sink.out" 2>"$tmp/sink.log" &
sink_pid=$!
for _ in $(seq 50); do [ -s "$tmp/sink.out" ] && break; sleep 0.1; done
PORT=$(sed -n 's/^PORT //p' "$tmp/sink.out")
[ -n "$PORT" ] || { echo "http_sink did not start" >&2; cat "$tmp/sink.log" >&2; exit 1; }

# ---- the floor ----------------------------------------------------------------
# The same probes, at the same rate, against the same sink, by a client that
# makes only the system calls a fresh-connection probe needs (probe_floor.c):
# what the kernel alone costs here, to read the worker's CPU against. It runs
# first: the daemon then leaves more TIME_WAIT sockets behind than a later
# client could find ports among.
FLOOR=$BUILD/tests/bench/probe_floor
if [ -x "$FLOOR" ]; then
    floor_seconds=$((SAMPLE_SECONDS < 10 ? SAMPLE_SECONDS : 10))
    echo "floor: $FLOOR at $ENDPOINTS probes/s for ${floor_seconds}s against the sink"
    "$FLOOR" "$PORT" "$ENDPOINTS" "$floor_seconds" "$ENDPOINTS" | sed 's/^/  /'
    echo
fi
# The same probes through libcurl's multi interface alone (curl_floor.c):
# what libcurl adds to the kernel's floor, and so what of the worker's cost
# is ours. With --keep-alive its connections are kept as the worker's are.
CURL_FLOOR=$BUILD/tests/bench/curl_floor
if [ -x "$CURL_FLOOR" ]; then
    floor_seconds=$((SAMPLE_SECONDS < 10 ? SAMPLE_SECONDS : 10))
    echo "libcurl floor: $CURL_FLOOR at $ENDPOINTS probes/s for ${floor_seconds}s against the sink"
    "$CURL_FLOOR" "$PORT" "$ENDPOINTS" "$floor_seconds" "$ENDPOINTS" $KEEP_ALIVE | sed 's/^/  /'
    echo
fi

# ---- the zone ---------------------------------------------------------------
mkdir "$tmp/zones"
MONITOR="monitor http port=$PORT interval=1s timeout=500ms${KEEP_ALIVE:+ keep-alive=yes}"
awk -v n="$PROFILES" -v monitor="$MONITOR" 'BEGIN {
    print "$ORIGIN bench.test."
    print "$TTL 3600"
    print "@     SOA  ns1 hostmaster 1 7200 900 1209600 60"
    print "@     NS   ns1"
    print "ns1   A    127.0.0.1"
    for (p = 0; p < n; p++) {
        printf "p%d profile priority ttl=30 {\n", p
        printf "    %s\n", monitor
        for (e = 0; e < 2; e++) {
            i = 2 * p + e
            printf "    endpoint e%d 127.1.%d.%d priority=%d\n", e, int(i / 250), i % 250 + 1, e + 1
        }
        print "}"
    }
}' >"$tmp/zones/bench.test.zone"

# ---- the daemon -------------------------------------------------------------
start=$(date +%s.%N)
user=""
if [ "$(id -u)" -eq 0 ]; then user="--user nobody"; chown nobody "$tmp"; chmod 755 "$tmp/zones"; fi
# shellcheck disable=SC2086
"$SB" serve --zones "$tmp/zones" --listen 127.0.0.1:0 --threads 2 \
    --control-socket "$tmp/control.sock" --state-file "$tmp/state.json" $user 2>"$tmp/sb.log" &
sb_pid=$!
for _ in $(seq 1200); do
    grep -q 'event=ready' "$tmp/sb.log" && break
    kill -0 "$sb_pid" 2>/dev/null || break
    sleep 0.05
done
grep -q 'event=ready' "$tmp/sb.log" || { echo "no event=ready; log:" >&2; tail -20 "$tmp/sb.log" >&2; exit 1; }
ready=$(date +%s.%N)
sed -n 's/.*event=listening address=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/sb.log" | head -1 >"$tmp/dnsport"

echo "switchboard $("$SB" version | cut -d' ' -f2) ($SB), pid $sb_pid; http_sink port $PORT, pid $sink_pid"
echo "$(date -u '+%Y-%m-%d %H:%M:%S UTC'); nproc $(nproc), $(lscpu | sed -n 's/^Model name: *//p'), ulimit -n $(ulimit -n)"
echo "zone: $PROFILES profiles x 2 = $ENDPOINTS endpoints, $MONITOR"
awk -v s="$start" -v r="$ready" 'BEGIN { printf "start to event=ready: %.2f s\n", r - s }'
grep -o 'event=first-round.*' "$tmp/sb.log" || true
grep -o 'event=starting.*' "$tmp/sb.log" || true
sb_lines_ready=$(wc -l <"$tmp/sb.log")

# ---- sampling ---------------------------------------------------------------
# One line per sample: "S uptime proc_ticks sink_ticks rss_kb hwm_kb sink_lines"
# followed by "T tid ticks run_ns runqueue_wait_ns" for each thread of the
# daemon (the last two from /proc/PID/task/TID/schedstat: time on a CPU, and
# time runnable but waiting for one, which shows a thread starved by other
# load on a shared machine).
snapshot() {
    local up proc sink rss hwm lines t
    up=$(cut -d' ' -f1 /proc/uptime)
    proc=$(sed 's/^.*) //' "/proc/$sb_pid/stat" | awk '{ print $12 + $13 }')
    sink=$(sed 's/^.*) //' "/proc/$sink_pid/stat" | awk '{ print $12 + $13 }')
    rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$sb_pid/status")
    hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$sb_pid/status")
    lines=$(wc -l <"$tmp/sink.log")
    echo "S $up $proc $sink $rss $hwm $lines"
    for t in /proc/"$sb_pid"/task/*; do
        [ -r "$t/stat" ] || continue
        echo "T ${t##*/} $(sed 's/^.*) //' "$t/stat" | awk '{ print $12 + $13 }') $(cut -d' ' -f1,2 "$t/schedstat" 2>/dev/null || echo 0 0)"
    done
}

: >"$tmp/samples"
snapshot >>"$tmp/samples"
echo
echo "sampling for ${SAMPLE_SECONDS}s ..."
printf '%5s %9s %11s %12s %9s %9s %9s %9s\n' t proc_cpu% busiest_thr% its_rq_wait% rss_MiB hwm_MiB sink_rps sink_aps
prev=$(snapshot)
for i in $(seq "$SAMPLE_SECONDS"); do
    sleep 1
    kill -0 "$sb_pid" 2>/dev/null || { echo "the daemon exited" >&2; tail -20 "$tmp/sb.log" >&2; exit 1; }
    cur=$(snapshot)
    echo "$cur" >>"$tmp/samples"
    printf '%s\n%s\n' "$prev" "$cur" | awk -v tck="$TCK" -v i="$i" -v sinklog="$tmp/sink.log" '
        $1 == "S" { n++; up[n] = $2; proc[n] = $3; rss = $5; hwm = $6; lines = $7 }
        $1 == "T" { th[n, $2] = $3; wt[n, $2] = $5; tids[$2] = 1 }
        END {
            dt = up[2] - up[1]; if (dt <= 0) dt = 1
            best = 0; bw = 0
            for (t in tids) if ((2, t) in th && (1, t) in th) {
                d = th[2, t] - th[1, t]; if (d > best) { best = d; bw = wt[2, t] - wt[1, t] }
            }
            rps = "-"; aps = "-"
            while ((getline l < sinklog) > 0) if (l ~ /requests\/s=/) last = l
            if (last != "") {
                a = last; sub(/.*accepts\/s=/, "", a); sub(/ .*/, "", a); aps = a
                sub(/.*requests\/s=/, "", last); sub(/ .*/, "", last); rps = last
            }
            printf "%5d %9.1f %11.1f %12.1f %9.1f %9.1f %9s %9s\n", i, 100 * (proc[2] - proc[1]) / tck / dt,
                100 * best / tck / dt, bw / 1e7 / dt, rss / 1024, hwm / 1024, rps, aps
        }'
    prev=$cur
done

# ---- summary ----------------------------------------------------------------
# Stop the daemon first, so that its log is complete when it is read.
kill "$sb_pid" 2>/dev/null
sb_rc=0
wait "$sb_pid" || sb_rc=$?
sb_pid=
echo
echo "daemon stopped with SIGTERM, exit status $sb_rc"
awk -v tck="$TCK" -v sinklog="$tmp/sink.log" '
    $1 == "S" { n++; up[n] = $2; proc[n] = $3; sink[n] = $4; rss[n] = $5; hwm = $6; lines[n] = $7 }
    $1 == "T" { th[n, $2] = $3; ru[n, $2] = $4; wt[n, $2] = $5
                if (!($2 in seen)) { seen[$2] = 1; order[++nt] = $2 } }
    END {
        dt = up[n] - up[1]
        printf "window: %.1f s\n", dt
        printf "daemon process CPU: %.1f%% of one core\n", 100 * (proc[n] - proc[1]) / tck / dt
        best = ""; bestd = -1
        for (k = 1; k <= nt; k++) {
            t = order[k]
            if (!((1, t) in th) || !((n, t) in th)) continue
            d = th[n, t] - th[1, t]
            line[t] = sprintf("  thread %s: %5.1f%%  (schedstat: on CPU %5.1f%%, runnable but waiting %5.1f%%)",
                              t, 100 * d / tck / dt, (ru[n, t] - ru[1, t]) / 1e7 / dt,
                              (wt[n, t] - wt[1, t]) / 1e7 / dt)
            if (d > bestd) { bestd = d; best = t; bestw = (wt[n, t] - wt[1, t]) / 1e7 / dt }
        }
        print "daemon threads (CPU % of one core over the window):"
        for (k = 1; k <= nt; k++) if (order[k] in line) print line[order[k]] (order[k] == best ? "  <- busiest: the probe worker" : "")
        printf "probe worker (busiest thread): %.1f%% of one core   [target < 25%%]\n", 100 * bestd / tck / dt
        if (bestw > 5)
            printf "  ... and runnable but waiting for a CPU %.1f%% of the time (runnable %.1f%% in all: near 100%% means it was CPU-bound and starved)\n", bestw, 100 * bestd / tck / dt + bestw
        printf "http_sink CPU: %.1f%% of one core\n", 100 * (sink[n] - sink[1]) / tck / dt
        min = 1e18; max = 0; sum = 0
        for (k = 1; k <= n; k++) { if (rss[k] < min) min = rss[k]; if (rss[k] > max) max = rss[k] }
        printf "daemon VmRSS: %.1f-%.1f MiB, VmHWM %.1f MiB   [target < 100 MiB]\n", min / 1024, max / 1024, hwm / 1024
        # sink lines written during the window, less the first: it counts
        # the second before the window began, which may hold the first
        # round (every endpoint at once, all new connections).
        c = 0; rmin = 1e18; rmax = 0; rsum = 0
        while ((getline l < sinklog) > 0) {
            c++
            if (c <= lines[1] + 1 || c > lines[n] || l !~ /requests\/s=/) continue
            r = l; sub(/.*requests\/s=/, "", r); sub(/ .*/, "", r); r += 0
            rsum += r; m++; if (r < rmin) rmin = r; if (r > rmax) rmax = r
            a = l; sub(/.*accepts\/s=/, "", a); sub(/ .*/, "", a); asum += a
        }
        if (m > 0) printf "sink requests/s over %d s: mean %.0f, min %d, max %d   [expect ~%d]\n", m, rsum / m, rmin, rmax, '"$ENDPOINTS"'
        if (m > 0) printf "sink accepts/s (new connections) over %d s: mean %.0f\n", m, asum / m
    }' "$tmp/samples"
tail -1 "$tmp/sink.log" | sed 's/^/sink last: /'

count() { grep -c "$1" "$2" || true; }
echo "daemon log ($(wc -l <"$tmp/sb.log") lines, $sb_lines_ready by event=ready):"
for ev in 'event=probe-local-error' 'event=probe-queue' 'event=endpoint-state.*to=down' \
          'event=endpoint-state.*to=up' 'event=all-down ' 'event=answer-change' 'timeout after' \
          'level=error' 'level=warning'; do
    printf '  %-32s total %6s, after ready %6s\n' "$ev" "$(count "$ev" "$tmp/sb.log")" \
        "$(tail -n +"$((sb_lines_ready + 1))" "$tmp/sb.log" | grep -c "$ev" || true)"
done
# Every endpoint's last logged state (they all start up or down from checking).
awk '/event=endpoint-state/ {
        p = $0; sub(/.*profile=/, "", p); sub(/ .*/, "", p)
        e = $0; sub(/.*endpoint=/, "", e); sub(/ .*/, "", e)
        s = $0; sub(/.* to=/, "", s); sub(/ .*/, "", s)
        st[p "/" e] = s
    }
    END { for (k in st) c[st[k]]++; printf "  endpoints by last logged state:"
          for (s in c) printf " %s=%d", s, c[s]; print "" }' "$tmp/sb.log"
# How long the probes that timed out had actually run (latency_ms).
grep 'reason="timeout after' "$tmp/sb.log" | sed -n 's/.*latency_ms=\([0-9]*\).*/\1/p' | sort -n |
    awk '{ v[++n] = $1 } END { if (n) printf "  timed-out probes: latency_ms min %d, median %d, p90 %d, max %d (n=%d)\n",
                                  v[1], v[int((n + 1) / 2)], v[int(0.9 * n + 0.999)], v[n], n }'
echo "  first warnings/errors:"
grep -E 'level=(warning|error)' "$tmp/sb.log" | head -5 | sed 's/^/    /' || true
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (on $(nproc) CPUs; other work on the machine competes with the daemon)"
echo "TIME_WAIT sockets now: $(ss -tan state time-wait 2>/dev/null | tail -n +2 | wc -l)"

