#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Run the engine-core benchmarks (run by `make bench`) and print their tables.
#
#   bench/run.sh [BUILD_DIR]            (default: build)
#
# Environment knobs:
#   BENCH_SECS     seconds per measurement (default: 2 for nop, 1.5 for
#                  randread: about 2 minutes in all)
#   BENCH_REPS     runs per configuration, median reported (default 3)
#   BENCH_DIR      where randread creates its file (default: current dir)
#   BENCH_SIZE_MIB randread file size (default 256)
#   BENCH_VERBOSE  1 to show every individual run
#
# These print figures; they never fail on timing.  The exit status is
# non-zero only if a benchmark could not run at all.
set -u

B=${1:-build}
REPS=${BENCH_REPS:-3}
DIR=${BENCH_DIR:-.}
SIZE=${BENCH_SIZE_MIB:-256}
VERBOSE=${BENCH_VERBOSE:-0}

for p in nop randread; do
	if [ ! -x "$B/bench/$p" ]; then
		echo "bench: $B/bench/$p not found; build first (make)" >&2
		exit 1
	fi
done

echo "== ursa benchmarks =="
echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine: $(nproc) CPUs, Linux $(uname -r) $(uname -m)"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (a busy machine skews every column)"
echo

status=0
ERR=$(mktemp "${TMPDIR:-/tmp}/ursa-bench.XXXXXX") || exit 1
trap 'rm -f "$ERR"' EXIT
trap 'exit 130' HUP INT PIPE TERM

# run NAME TIMEOUT ARGS...: a hung backend must not hang the whole run.
# Per-run progress lines ("  run i/n ...") go to stderr; they are shown only
# with BENCH_VERBOSE=1, but any other diagnostics are always shown.
run() {
	name=$1 limit=$2
	shift 2
	if [ "$VERBOSE" = 1 ]; then
		timeout "$limit" "$B/bench/$name" "$@"
		rc=$?
	else
		timeout "$limit" "$B/bench/$name" "$@" 2>"$ERR"
		rc=$?
		grep -v '^  run ' "$ERR"
	fi
	if [ "$rc" -eq 124 ]; then
		echo "bench: $name did not finish within ${limit}s (killed)"
		status=1
	elif [ "$rc" -ne 0 ]; then
		echo "bench: $name failed (exit $rc)"
		status=1
	fi
	echo
}

# limit RUNS SECS: generous wall-clock bound for RUNS measurements.
limit() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%d", n * s * 3 + 60 }'; }

NOP_SECS=${BENCH_SECS:-2}
RR_SECS=${BENCH_SECS:-1.5}
# nop: 2 batch sizes x 2 backends x REPS runs.
run nop "$(limit $((4 * REPS)) "$NOP_SECS")" -t "$NOP_SECS" -r "$REPS"
# randread: up to 2 locations x (2 depths x 2 backends + pread) x REPS runs.
run randread "$(limit $((10 * REPS)) "$RR_SECS")" -t "$RR_SECS" -r "$REPS" \
	-d "$DIR" -s "$SIZE"

echo "ratios above 1.00x mean ursa is faster; see bench/README.md"
exit $status
