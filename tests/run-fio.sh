#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Description: Debian's fio, unmodified, with ioengine=io_uring, served by
# ursa through ursa-run under a Docker-like seccomp filter (deny-io_uring:
# the io_uring syscalls answer EPERM).  Without ursa-run the same fio fails
# with EPERM.  Each run writes a 16 MiB file with random 4 KiB writes and
# reads it back with fio's own verify=crc32c: buffered, O_DIRECT,
# registerfiles + fixedbufs, sqthread_poll, and everything at once.
# Installed by make as $B/tests/run-fio; finds ursa-run in $B/run.
# Exit 0 pass, 77 skip (no fio, or no seccomp here), 1 fail.

set -u

here=$(dirname "$(readlink -f "$0")")
run=$(readlink -f "$here/../run")
deny=$run/deny-io_uring
ursarun=$run/ursa-run
tmp=${TMPDIR:-/tmp}
work=$(mktemp -d "$tmp/run-fio.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
out=$work/out
failed=0

skip() {
	echo "skip: $*"
	exit 77
}

fail() {
	echo "FAIL: $*"
	sed 's/^/    /' "$out" | tail -n 25
	failed=1
}

FIO=$(command -v fio) || skip "fio is not installed (Debian: apt-get install fio)"
for tool in "$deny" "$ursarun"; do
	[ -x "$tool" ] || { echo "FAIL: $tool missing (run make)"; exit 1; }
done
"$deny" /bin/true >"$out" 2>&1
case $? in
0) ;;
98) skip "this environment refuses seccomp filters: $(cat "$out")" ;;
*) fail "deny-io_uring /bin/true"; exit 1 ;;
esac
# fio must have been built with io_uring support
"$FIO" --enghelp 2>/dev/null | grep -qw io_uring ||
	skip "this fio has no io_uring engine"

# O_DIRECT where the temp directory allows it
direct=1
if ! dd if=/dev/zero of="$work/probe" bs=4096 count=1 oflag=direct \
		>/dev/null 2>&1; then
	direct=0
	echo "note: $tmp refuses O_DIRECT; the direct=1 variants run buffered"
fi

job() {
	# job "ENGINE OPTIONS" COMMAND...: fio with io_uring on a 16 MiB
	# file, verified (engine options must follow --ioengine)
	opts=$1
	shift
	# shellcheck disable=SC2086
	timeout -k 5 40 "$@" --name=run-fio --ioengine=io_uring $opts \
		--filename="$work/data" --size=16M --bs=4k --rw=randwrite \
		--iodepth=16 --verify=crc32c --do_verify=1 --verify_fatal=1 \
		--output-format=normal >"$out" 2>&1
}

# 1. Without ursa-run, the filter makes fio's io_uring fail.
job "" "$deny" "$FIO"
rc=$?
if [ $rc -eq 0 ]; then
	fail "fio io_uring succeeded under deny-io_uring (the filter does nothing?)"
elif ! grep -q "Operation not permitted" "$out"; then
	fail "fio under deny-io_uring failed (exit $rc) but not with EPERM"
else
	echo "ok: fio io_uring under deny-io_uring alone: EPERM"
fi

# 2. With ursa-run: each variant must pass fio's own verification and be
#    served by ursa (URSA_LOG says so).
check() {
	what=$1
	URSA_LOG=1 job "$2" "$deny" "$ursarun" --backend=ursa "$FIO"
	rc=$?
	if [ $rc -ne 0 ]; then
		fail "$what: fio exit $rc"
	elif ! grep -q "served by ursa" "$out"; then
		fail "$what: URSA_LOG does not show a ring served by ursa"
	elif ! grep -q "err= 0" "$out" || grep -qi "verify.*fail\|bad magic\|crc32c.*mismatch" "$out"; then
		fail "$what: fio reports errors"
	else
		echo "ok: $what ($(grep -o 'read: IOPS=[^,]*' "$out" | head -n 1))"
	fi
}

check "buffered" "--direct=0"
check "O_DIRECT" "--direct=$direct"
check "registerfiles + fixedbufs" "--direct=0 --registerfiles=1 --fixedbufs=1"
check "sqthread_poll" "--direct=0 --sqthread_poll=1"
check "O_DIRECT + registerfiles + fixedbufs + sqthread_poll" \
	"--direct=$direct --registerfiles=1 --fixedbufs=1 --sqthread_poll=1"

exit $failed
