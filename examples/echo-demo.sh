#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Echo server demonstration: for each backend, start examples/echo-server
# on an ephemeral port of 127.0.0.1, drive it with examples/echo-client
# (which checks every echoed byte), and stop it again.
#
#   examples/echo-demo.sh [BUILD_DIR [BACKEND...]]
#        BUILD_DIR default build; BACKEND ursa and/or kernel (default both)
#
# Per backend: small and large messages, many connections, messages larger
# than the server's buffers (several buffers and sends per message),
# connections that end with a reset while data is in flight, then a last
# clean run to show the server survived all that.  Exits non-zero if any
# echoed byte differed, or anything failed.
set -u

B=${1:-build}
[ $# -gt 0 ] && shift
[ $# -eq 0 ] && set -- ursa kernel
SERVER=$B/examples/echo-server
CLIENT=$B/examples/echo-client

for p in "$SERVER" "$CLIENT"; do
	if [ ! -x "$p" ]; then
		echo "echo-demo: $p not found; build first (make)" >&2
		exit 1
	fi
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ursa-echo-demo.XXXXXX") || exit 1
SPID=
# Stop our server (and only it) whatever happens.
cleanup() {
	if [ -n "$SPID" ]; then
		kill "$SPID" 2>/dev/null
		wait "$SPID" 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' HUP INT PIPE TERM

status=0
mismatch=0

# client LABEL ARGS...: one client run against $PORT, reported in one line.
client() {
	label=$1
	shift
	"$CLIENT" -p "$PORT" -T 5 "$@" > "$TMP/client.out" 2> "$TMP/client.err"
	rc=$?
	case $rc in
	0) printf '  %-34s ok: %s\n' "$label" \
		"$(sed -n 's/^throughput: //p' "$TMP/client.out")" ;;
	2) printf '  %-34s ECHOED DATA MISMATCH\n' "$label"
	   mismatch=1 ;;
	*) printf '  %-34s FAILED (exit %s)\n' "$label" "$rc" ;;
	esac
	if [ $rc -ne 0 ]; then
		status=1
		sed 's/^/    client| /' "$TMP/client.err"
	fi
	return $rc
}

for be in "$@"; do
	echo "== echo-server --backend $be =="
	: > "$TMP/server.out"
	"$SERVER" --backend "$be" 0 > "$TMP/server.out" 2> "$TMP/server.err" &
	SPID=$!
	PORT=
	i=0
	while [ $i -lt 50 ]; do
		PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
			"$TMP/server.out")
		[ -n "$PORT" ] && break
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	if [ -z "$PORT" ]; then
		echo "  the server did not start:"
		sed 's/^/    server| /' "$TMP/server.err"
		kill "$SPID" 2>/dev/null
		wait "$SPID" 2>/dev/null
		SPID=
		status=1
		continue
	fi
	echo "  port $PORT; $(sed -n 's/^echo-server: ring served by /ring served by /p' "$TMP/server.err")"

	client "1 conn, 64 B, 5000 msgs" -c 1 -s 64 -n 5000
	client "16 conns, 16 KiB, 1 s" -c 16 -s 16384 -t 1
	client "256 conns, 64 B, 1 s" -c 256 -s 64 -t 1
	client "8 conns, 200 KB msgs, 4 in flight" -c 8 -s 200000 -d 4 -n 50
	client "32 conns ending in resets" -c 32 -s 1000 -n 100 -A
	client "1 conn after the resets" -c 1 -s 4096 -n 1000

	kill "$SPID"
	i=0
	while kill -0 "$SPID" 2>/dev/null && [ $i -lt 30 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$SPID" 2>/dev/null; then
		echo "  the server did not stop on SIGTERM; killing it"
		kill -KILL "$SPID" 2>/dev/null
		status=1
	fi
	wait "$SPID"
	rc=$?
	SPID=
	if [ $rc -ne 0 ] && [ $rc -ne 137 ]; then
		echo "  the server exited with status $rc:"
		sed 's/^/    server| /' "$TMP/server.err"
		status=1
	else
		sed -n 's/^echo-server: \([0-9]* connections.*\)/  server: \1/p' \
			"$TMP/server.err"
	fi
done

if [ $mismatch -ne 0 ]; then
	echo "echo-demo: FAILED: echoed data differed"
	exit 2
fi
if [ $status -ne 0 ]; then
	echo "echo-demo: FAILED"
	exit 1
fi
echo "echo-demo: OK"
