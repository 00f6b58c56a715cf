#!/bin/sh
# SPDX-License-Identifier: MIT
#
# TCP echo benchmark: examples/echo-server on ursa and on the kernel's
# io_uring, and bench/echo-epoll, at 1, 16 and 256 connections with 64-byte
# and 16 KiB messages, in one run (bench/echo does the work; see
# bench/README.md, "echo").
#
#   bench/run-echo.sh [BUILD_DIR]        (default: build)
#
# Environment knobs (defaults give about 2.5 minutes):
#   ECHO_SECS         measured seconds per point (default 2)
#   ECHO_WARMUP       warm-up seconds before each measurement (default 0.5)
#   ECHO_REPS         runs per point, median shown (default 3)
#   ECHO_CONNS        connection counts (default 1,16,256)
#   ECHO_SIZES        message sizes in bytes (default 64,16384)
#   ECHO_SERVERS      subset of ursa,kernel,epoll (default all)
#   ECHO_SERVER_ARGS  extra echo-server options, e.g. "--setup coop"
#   ECHO_THREADS      client threads (default 1)
#   ECHO_VERBOSE      1 to show every single measurement
#
# Exit status: 0, or non-zero if a server failed a point (1), echoed wrong
# data (2), or the whole run overran its time limit (124).
set -u

B=${1:-build}
SECS=${ECHO_SECS:-2}
WARMUP=${ECHO_WARMUP:-0.5}
REPS=${ECHO_REPS:-3}
CONNS=${ECHO_CONNS:-1,16,256}
SIZES=${ECHO_SIZES:-64,16384}
SERVERS=${ECHO_SERVERS:-ursa,kernel,epoll}
THREADS=${ECHO_THREADS:-1}

for p in bench/echo bench/echo-epoll examples/echo-server examples/echo-client; do
	if [ ! -x "$B/$p" ]; then
		echo "run-echo: $B/$p not found; build first (make)" >&2
		exit 1
	fi
done

echo "== ursa echo benchmark =="
echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine: $(nproc) CPUs, Linux $(uname -r) $(uname -m);" \
	"client and server share the CPUs (nothing pinned)"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (a busy machine skews every column)"

# A generous bound on the whole run: a hung server must not hang it.
npoints=$(echo "$CONNS $SIZES $SERVERS" | awk '{
	print split($1, a, ",") * split($2, b, ",") * split($3, c, ",") }')
LIMIT=$(awk -v n="$npoints" -v r="$REPS" -v s="$SECS" -v w="$WARMUP" \
	'BEGIN { printf "%d", n * r * (s + w + 2) * 2 + 60 }')

set -- -B "$B" -t "$SECS" -w "$WARMUP" -r "$REPS" -c "$CONNS" -s "$SIZES" \
	-S "$SERVERS" -j "$THREADS"
[ -n "${ECHO_SERVER_ARGS:-}" ] && set -- "$@" -a "$ECHO_SERVER_ARGS"
[ "${ECHO_VERBOSE:-0}" = 1 ] && set -- "$@" -v

timeout --kill-after=10 "$LIMIT" "$B/bench/echo" "$@"
rc=$?
if [ $rc -eq 124 ]; then
	echo "run-echo: the benchmark did not finish within ${LIMIT}s (killed)"
fi
exit $rc
