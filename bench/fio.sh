#!/bin/sh
# SPDX-License-Identifier: MIT
#
# ursa-run benchmark (issue 7): fio 4 KiB random reads of a page-cached file
# at iodepth 1 and 32 (fio's default one submission per I/O, and batched:
# iodepth_batch_submit=32, iodepth_batch_complete_max=32), on the kernel's
# io_uring, on ursa through ursa-run, and with fio's psync and libaio
# engines; ursa-run both with its syscall-site patching (the default) and
# without (URSA_RUN_PATCH=0: every io_uring_enter of fio's is a SIGSYS
# trap); then the cost of one io_uring_enter by a syscall instruction
# (patched, and trapped) against a direct call and against plain syscalls,
# with and without the filter (build/run/bench-trap).  Prints figures and
# ratios; never fails on timing.
#
#   bench/fio.sh [BUILD_DIR]            (default: build)
#
# Environment:
#   BENCH_SECS      seconds per fio run (default 3)
#   BENCH_REPS      runs per configuration, median shown (default 3)
#   BENCH_DIR       where the test file goes (default: $TMPDIR or /tmp)
#   BENCH_SIZE_MIB  file size (default 256)
set -u

B=${1:-build}
SECS=${BENCH_SECS:-3}
REPS=${BENCH_REPS:-3}
DIR=${BENCH_DIR:-${TMPDIR:-/tmp}}
SIZE=${BENCH_SIZE_MIB:-256}
RUN=$B/run

command -v fio >/dev/null || { echo "bench/fio.sh: fio is not installed"; exit 1; }
for f in "$RUN/ursa-run" "$RUN/bench-trap"; do
	[ -x "$f" ] || { echo "bench/fio.sh: $f missing (make first)"; exit 1; }
done

FILE=$(mktemp "$DIR/ursa-fio.XXXXXX") || exit 1
trap 'rm -f "$FILE"' EXIT
trap 'exit 130' HUP INT PIPE TERM

echo "== ursa-run benchmark: fio randread 4 KiB, cached file =="
echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine: $(nproc) CPUs, Linux $(uname -r), $(fio --version)"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (a busy machine skews every column)"
echo "file:    $SIZE MiB in $DIR, ${SECS}s per run, median of $REPS"
echo

dd if=/dev/urandom of="$FILE" bs=1M count="$SIZE" status=none || exit 1
cat "$FILE" >/dev/null		# page cache

# fio_iops ENGINE QD [LAUNCHER...]: read IOPS of one run (terse field 8);
# QD "32b" is 32 with submissions and completions batched by 32.
fio_iops() {
	engine=$1 qd=$2 batch=
	shift 2
	if [ "$qd" = 32b ]; then
		qd=32
		batch="--iodepth_batch_submit=32 --iodepth_batch_complete_max=32"
	fi
	# shellcheck disable=SC2086
	timeout $((SECS * 4 + 30)) "$@" fio --name=bench --filename="$FILE" \
		--ioengine="$engine" --iodepth="$qd" $batch --rw=randread --bs=4k \
		--size="${SIZE}M" --time_based --runtime="$SECS" --norandommap \
		--randrepeat=0 --invalidate=0 --minimal 2>/dev/null |
		awk -F';' 'NR == 1 { print $8 }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'; }

# configurations: label engine launcher...
CONFIGS="kernel:io_uring:
ursa:io_uring:$RUN/ursa-run --backend=ursa
trap:io_uring:env URSA_RUN_PATCH=0 $RUN/ursa-run --backend=ursa
psync:psync:
libaio:libaio:"

for qd in 1 32 32b; do
	for conf in kernel ursa trap psync libaio; do
		: >"$FILE.$conf.$qd"
	done
done
rep=1
while [ $rep -le "$REPS" ]; do
	for qd in 1 32 32b; do
		echo "$CONFIGS" | while IFS=: read -r label engine launcher; do
			[ "$label" = psync ] && [ "$qd" != 1 ] && continue
			# shellcheck disable=SC2086
			v=$(fio_iops "$engine" "$qd" $launcher)
			echo "${v:-0}" >>"$FILE.$label.$qd"
		done
	done
	rep=$((rep + 1))
done

printf '%-22s %12s %12s %16s\n' "engine" "QD1 IOPS" "QD32 IOPS" "QD32 batched"
for label in kernel ursa trap psync libaio; do
	case $label in
	kernel) name="io_uring (kernel)" ;;
	ursa) name="io_uring (ursa-run)" ;;
	trap) name="ursa-run, no patching" ;;
	*) name=$label ;;
	esac
	q1=$(median <"$FILE.$label.1")
	if [ "$label" = psync ]; then
		q32="-" q32b="-"
	else
		q32=$(median <"$FILE.$label.32")
		q32b=$(median <"$FILE.$label.32b")
	fi
	printf '%-22s %12s %12s %16s\n' "$name" "$q1" "$q32" "$q32b"
	eval "iops_${label}_1=\$q1 iops_${label}_32=\$q32 iops_${label}_32b=\$q32b"
done
rm -f "$FILE".*.1 "$FILE".*.32 "$FILE".*.32b
echo
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }
# shellcheck disable=SC2154
{
echo "ursa-run / kernel io_uring:  QD1 $(ratio "$iops_ursa_1" "$iops_kernel_1"),  QD32 $(ratio "$iops_ursa_32" "$iops_kernel_32"),  QD32 batched $(ratio "$iops_ursa_32b" "$iops_kernel_32b")   (target at QD32: >= 0.80x)"
echo "no patching / kernel:        QD1 $(ratio "$iops_trap_1" "$iops_kernel_1"),  QD32 $(ratio "$iops_trap_32" "$iops_kernel_32"),  QD32 batched $(ratio "$iops_trap_32b" "$iops_kernel_32b")   (URSA_RUN_PATCH=0)"
echo "ursa-run / psync:            QD1 $(ratio "$iops_ursa_1" "$iops_psync_1")"
echo "ursa-run / libaio:           QD1 $(ratio "$iops_ursa_1" "$iops_libaio_1"),  QD32 $(ratio "$iops_ursa_32" "$iops_libaio_32"),  QD32 batched $(ratio "$iops_ursa_32b" "$iops_libaio_32b")"
echo "(fio's io_uring engine makes io_uring_enter with its own syscall"
echo " instruction.  ursa-run patches that site after its first SIGSYS trap,"
echo " so later enters jump to ursa; with URSA_RUN_PATCH=0 every enter is a"
echo " trap: one per I/O with fio's defaults, one per 32 I/Os batched)"
}

echo
echo "== the cost of interposition, per call (build/run/bench-trap) =="
PLAIN=$("$RUN/bench-trap" -t 1)
ALLOW=$("$RUN/bench-trap" -t 1 -a)
UNDER=$("$RUN/ursa-run" --backend=ursa "$RUN/bench-trap" -t 1)
NOPATCH=$(URSA_RUN_PATCH=0 "$RUN/ursa-run" --backend=ursa "$RUN/bench-trap" -t 1)
WRAP=$("$RUN/ursa-run" --backend=ursa --signals=wrap "$RUN/bench-trap" -t 1)
get() { echo "$1" | awk -v k="$2" '$1 == k { print $2 }'; }
printf '%-14s %12s %14s %16s %16s %16s\n' "call" "no filter" "allow-all" "ursa-run (trap)" "ursa-run (wrap)" "no patching"
for k in getpid close-low close-high sigmask-libc sigmask-raw enter-empty enter-nop libc-nop direct-empty direct-nop; do
	printf '%-14s %9s ns %11s ns %13s ns %13s ns %13s ns\n' "$k" "$(get "$PLAIN" $k)" \
		"$(get "$ALLOW" $k)" "$(get "$UNDER" $k)" "$(get "$WRAP" $k)" \
		"$(get "$NOPATCH" $k)"
done
echo "(best of 5 rounds each; allow-all: a one-instruction filter that allows"
echo " everything, the cost any seccomp filter puts on every syscall)"
echo "(no filter: enter-* and libc-nop are the kernel's io_uring.  Under"
echo " ursa-run, enter-* are syscall instructions (fio's case): patched after"
echo " the first trap, so they jump to ursa; trapped every time under"
echo " \"no patching\" (URSA_RUN_PATCH=0).  libc-nop goes through libc's"
echo " syscall(), which the preload interposes without a trap, and direct-*"
echo " call ursa_io_uring_enter, which is what liburing programs get through"
echo " the drop-in liburing.so.2)"
echo
echo "patched enter-nop / direct call:      $(ratio "$(get "$UNDER" enter-nop)" "$(get "$UNDER" direct-nop)")"
echo "patched enter-nop / kernel enter-nop:  $(ratio "$(get "$UNDER" enter-nop)" "$(get "$PLAIN" enter-nop)")"
echo "patched enter-empty / kernel enter-empty: $(ratio "$(get "$UNDER" enter-empty)" "$(get "$PLAIN" enter-empty)")"
echo "trapped enter-nop / patched enter-nop: $(ratio "$(get "$NOPATCH" enter-nop)" "$(get "$UNDER" enter-nop)")"
echo "trapped enter-nop / kernel enter-nop:  $(ratio "$(get "$NOPATCH" enter-nop)" "$(get "$PLAIN" enter-nop)")"
echo "trapped enter-empty / kernel enter-empty: $(ratio "$(get "$NOPATCH" enter-empty)" "$(get "$PLAIN" enter-empty)")"
echo "getpid: ursa-run's filter / none:    $(ratio "$(get "$UNDER" getpid)" "$(get "$PLAIN" getpid)")"
echo "getpid: ursa-run's filter / allow-all: $(ratio "$(get "$UNDER" getpid)" "$(get "$ALLOW" getpid)")"
echo "close-low: ursa-run's filter / allow-all: $(ratio "$(get "$UNDER" close-low)" "$(get "$ALLOW" close-low)")"
