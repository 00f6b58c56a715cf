#!/bin/sh
# SPDX-License-Identifier: MIT
#
# ursa demonstration (run by `make demo`): copy a 64 MiB random file with
# io_uring-cp served by ursa, check the copy byte for byte, and, when this
# kernel allows io_uring, do the same through the kernel for comparison.
#
#   examples/demo.sh [BUILD_DIR]        (default: build)
#
# Exits non-zero if any copy differs from the source or the ursa copy fails.
set -u

B=${1:-build}
CP=$B/examples/io_uring-cp
SIZE_MIB=${DEMO_SIZE_MIB:-64}

if [ ! -x "$CP" ]; then
	echo "demo: $CP not found; build first (make)" >&2
	exit 1
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ursa-demo.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' HUP INT PIPE TERM

now_ns() { date +%s%N; }

# ns -> seconds with 3 decimals, and MiB/s for SIZE_MIB.
fmt_secs() { awk -v ns="$1" 'BEGIN { printf "%.3f", ns / 1e9 }'; }
fmt_rate() {
	awk -v ns="$1" -v mib="$SIZE_MIB" \
		'BEGIN { if (ns > 0) printf "%.0f", mib / (ns / 1e9); else print "inf" }'
}

# The copy's own duration in ns from io_uring-cp -v ("copied N bytes in X s"),
# or the second argument (whole-process wall time) if it did not say.
copy_ns() {
	t=$(sed -n 's/^.*copied [0-9]* bytes in \([0-9.]*\) s$/\1/p' "$1")
	if [ -n "$t" ]; then
		awk -v s="$t" 'BEGIN { printf "%.0f", s * 1e9 }'
	else
		echo "$2"
	fi
}

# What served the ring, from io_uring-cp -v's description of the ring fd.
served_by() {
	t=$(sed -n 's/^.*ring fd refers to: //p' "$1")
	case $t in
	"anon_inode:[io_uring]") echo "the kernel's io_uring ($t)" ;;
	"") echo "unknown (no ring description)" ;;
	*) echo "ursa, in process (ring fd -> $t)" ;;
	esac
}

echo "== ursa demo: io_uring-cp on a ${SIZE_MIB} MiB random file =="
echo "machine: $(nproc) CPUs, Linux $(uname -r)"
printf 'creating %s MiB of random data... ' "$SIZE_MIB"
if ! head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom > "$TMP/src"; then
	echo "failed" >&2
	exit 1
fi
echo "done ($TMP/src)"
# Read it once so both runs start from a warm page cache.
cat "$TMP/src" > /dev/null

# run_copy LABEL BACKEND: copy src -> dst.LABEL; sets RC, NS and SERVED.
run_copy() {
	out=$TMP/dst.$1
	log=$TMP/log.$1
	t0=$(now_ns)
	URSA_BACKEND=$2 "$CP" -v "$TMP/src" "$out" 2> "$log"
	RC=$?
	t1=$(now_ns)
	WALL_NS=$((t1 - t0))
	NS=$(copy_ns "$log" "$WALL_NS")
	SERVED=$(served_by "$log")
	if [ "$RC" -ne 0 ]; then
		# A kernel that refuses io_uring is not a failure of the demo.
		if [ "$2" = kernel ] &&
		    grep -qE 'queue_init.*(Operation not permitted|Function not implemented)' "$log"; then
			echo "  this kernel does not allow io_uring here:" \
				"comparison skipped ($(sed -n 's/^.*queue_init([0-9]*): //p' "$log"))"
			RC=skip
			return
		fi
		echo "  io_uring-cp failed (exit $RC):"
		sed 's/^/    /' "$log"
		return
	fi
	if cmp -s "$TMP/src" "$out"; then
		VERIFIED=yes
	else
		VERIFIED=no
		echo "  MISMATCH: copy differs from source:"
		cmp "$TMP/src" "$out" 2>&1 | sed 's/^/    /'
	fi
	echo "  served by: $SERVED"
	echo "  verified:  $([ "$VERIFIED" = yes ] && echo 'identical (cmp)' || echo 'DIFFERENT')"
	echo "  copy time: $(fmt_secs "$NS") s   throughput: $(fmt_rate "$NS") MiB/s" \
		"  (whole process: $(fmt_secs "$WALL_NS") s)"
}

status=0

echo
echo "-- copy with URSA_BACKEND=ursa --"
VERIFIED=no
run_copy ursa ursa
URSA_RC=$RC URSA_NS=$NS URSA_OK=$VERIFIED URSA_SERVED=$SERVED
if [ "$URSA_RC" -ne 0 ] || [ "$URSA_OK" != yes ]; then
	status=1
fi
case $URSA_SERVED in
*"kernel's io_uring"*)
	echo "  NOTE: URSA_BACKEND=ursa was served by the kernel;" \
		"is $CP linked against ursa?" ;;
esac

echo
echo "-- copy with URSA_BACKEND=kernel (comparison) --"
VERIFIED=no
run_copy kernel kernel
K_RC=$RC K_NS=$NS K_OK=$VERIFIED
if [ "$K_RC" != skip ] && { [ "$K_RC" -ne 0 ] || [ "$K_OK" != yes ]; }; then
	status=1
fi

echo
echo "== summary =="
if [ "$URSA_RC" -eq 0 ] && [ "$URSA_OK" = yes ]; then
	echo "ursa:   copied ${SIZE_MIB} MiB correctly in $(fmt_secs "$URSA_NS") s ($(fmt_rate "$URSA_NS") MiB/s)"
else
	echo "ursa:   FAILED (see above)"
fi
case $K_RC in
skip) echo "kernel: not available on this system" ;;
0)
	if [ "$K_OK" = yes ]; then
		echo "kernel: copied ${SIZE_MIB} MiB correctly in $(fmt_secs "$K_NS") s ($(fmt_rate "$K_NS") MiB/s)"
		if [ "$URSA_RC" -eq 0 ] && [ "$URSA_OK" = yes ]; then
			awk -v u="$URSA_NS" -v k="$K_NS" 'BEGIN {
				if (u > 0) printf "ursa/kernel throughput ratio: %.2f\n", k / u }'
		fi
	else
		echo "kernel: copy was WRONG"
	fi
	;;
*) echo "kernel: FAILED (see above)" ;;
esac
echo "(one run each into a new file, so expect noise: the filesystem allocates blocks"
echo " and writes back in the background; copy times exclude process start-up)"
if [ $status -eq 0 ]; then
	echo "demo: OK"
else
	echo "demo: FAILED"
fi
exit $status
