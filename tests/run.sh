#!/bin/bash
# SPDX-License-Identifier: MIT
#
# ursa test runner.  Runs every test program already built in $B/tests/
# (the Makefile builds them; "make test" calls this as B=build ./tests/run.sh)
# once per backend: URSA_BACKEND=ursa and URSA_BACKEND=kernel.
#
#   tests/run.sh [name...]          only the named tests (e.g. nop link)
#
# Environment:
#   B                      build directory (default: build)
#   URSA_TEST_BACKENDS     backends to run, space separated (default "ursa kernel")
#   URSA_TEST_TIMEOUT      seconds per test run (default 60)
#   URSA_TEST_TAIL         output lines shown for a failure (default 15)
#
# A test exits 0 to pass, 77 to skip (its last output line is the reason),
# anything else fails.  Each run gets a private, fresh working directory,
# also exported as TMPDIR, removed afterwards.  The [kernel] pass is skipped
# as a whole when tests/kernel-probe shows the kernel refuses io_uring.
# The last line printed is always "N passed, N failed, N skipped"; the exit
# status is non-zero if anything failed.

set -u

B=${B:-build}
TIMEOUT=${URSA_TEST_TIMEOUT:-60}
TAIL=${URSA_TEST_TAIL:-15}
BACKENDS=${URSA_TEST_BACKENDS:-"ursa kernel"}
TESTDIR=$B/tests

passed=0
failed=0
skipped=0

summary() {
	echo "$passed passed, $failed failed, $skipped skipped"
}

# Absolute paths: each test runs from its own scratch directory.
case $TESTDIR in
/*) ;;
*) TESTDIR=$PWD/$TESTDIR ;;
esac

# ThreadSanitizer builds: the suppressions (benign, explained in the file).
TSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")" && pwd)/tsan.supp ${TSAN_OPTIONS:-}"
export TSAN_OPTIONS

if [ ! -d "$TESTDIR" ]; then
	echo "run.sh: no test directory $TESTDIR (run make first)" >&2
	failed=1
	summary
	exit 1
fi

# Programs that are not tests.
is_helper() {
	case $1 in
	kernel-probe) return 0 ;;
	esac
	return 1
}

# The list of tests: all executables, or the ones named on the command line.
tests=()
if [ $# -gt 0 ]; then
	for name in "$@"; do
		name=${name##*/}
		name=${name%.c}
		tests+=("$name")
	done
else
	for f in "$TESTDIR"/*; do
		[ -f "$f" ] && [ -x "$f" ] || continue
		name=${f##*/}
		is_helper "$name" && continue
		tests+=("$name")
	done
fi

if [ ${#tests[@]} -eq 0 ]; then
	echo "run.sh: no tests found in $TESTDIR" >&2
	failed=1
	summary
	exit 1
fi

# Does the kernel serve io_uring?  Prefer the probe program (it tries the
# real syscall, so seccomp and sysctl are both covered); without it, fall back
# to the sysctl alone.
kernel_refused=""
probe_kernel() {
	local out rc
	if [ -x "$TESTDIR/kernel-probe" ]; then
		out=$("$TESTDIR/kernel-probe" 2>&1)
		rc=$?
		if [ $rc -ne 0 ]; then
			kernel_refused=$(printf '%s\n' "$out" | tail -n 1)
			[ -n "$kernel_refused" ] ||
				kernel_refused="kernel refuses io_uring (probe exit $rc)"
		fi
	elif [ -r /proc/sys/kernel/io_uring_disabled ] &&
	     [ "$(cat /proc/sys/kernel/io_uring_disabled)" = 2 ]; then
		kernel_refused="kernel refuses io_uring (io_uring_disabled=2)"
	fi
}

# run_one NAME BACKEND
run_one() {
	local name=$1 backend=$2 bin=$TESTDIR/$1
	local work out rc reason

	if [ ! -x "$bin" ]; then
		echo "FAIL $name [$backend] (no such test: $bin)"
		failed=$((failed + 1))
		return
	fi
	if [ "$backend" = kernel ] && [ -n "$kernel_refused" ]; then
		echo "SKIP $name [$backend]: $kernel_refused"
		skipped=$((skipped + 1))
		return
	fi

	work=$(mktemp -d "${TMPDIR:-/tmp}/ursa-test.XXXXXX") || {
		echo "FAIL $name [$backend] (mktemp failed)"
		failed=$((failed + 1))
		return
	}
	out=$work/.output
	(
		cd "$work" &&
		TMPDIR=$work URSA_BACKEND=$backend \
			exec timeout -k 5 "$TIMEOUT" "$bin"
	) >"$out" 2>&1 </dev/null
	rc=$?

	case $rc in
	0)
		echo "PASS $name [$backend]"
		passed=$((passed + 1))
		;;
	77)
		reason=$(grep -v '^[[:space:]]*$' "$out" | tail -n 1)
		echo "SKIP $name [$backend]: ${reason:-no reason given}"
		skipped=$((skipped + 1))
		;;
	*)
		if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
			echo "FAIL $name [$backend] (exit $rc, timed out after ${TIMEOUT}s)"
		else
			echo "FAIL $name [$backend] (exit $rc)"
		fi
		tail -n "$TAIL" "$out" | sed 's/^/    /'
		failed=$((failed + 1))
		;;
	esac
	rm -rf "$work"
}

for backend in $BACKENDS; do
	case $backend in
	ursa) ;;
	kernel) probe_kernel ;;
	*)
		echo "run.sh: unknown backend '$backend' (ursa or kernel)" >&2
		failed=$((failed + 1))
		continue
		;;
	esac
	for name in "${tests[@]}"; do
		run_one "$name" "$backend"
	done
done

summary
[ $failed -eq 0 ]
