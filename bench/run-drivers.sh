#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The seeds' driver and buffer features in one run (issue 6): the multishot
# uring_cmd event channel (events/s and CQEs/s at 1 and 64 events per CQE,
# against a pipe baseline) and RECV_ZC against multishot RECV with a
# provided buffer ring over loopback TCP (bytes/s at 4 KiB and 64 KiB).
# Figures only; never fails on timing.
#
#   bench/run-drivers.sh [BUILD_DIR]        (default: build)
set -u
B=${1:-build}
for p in uring-cmd-events recv-zc; do
	[ -x "$B/bench/$p" ] || { echo "bench: $B/bench/$p missing (make first)"; exit 1; }
done
echo "== ursa driver features: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(nproc) CPUs, Linux $(uname -r)"
"$B/bench/uring-cmd-events" -n "${BENCH_EVENTS:-2000000}" -r "${BENCH_REPS:-3}"
echo
"$B/bench/recv-zc" -r "${BENCH_REPS:-3}"
