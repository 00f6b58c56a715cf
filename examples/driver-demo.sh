#!/bin/sh
# SPDX-License-Identifier: MIT
# Run the examples of the drivers that ship with ursa (CI runs this):
# the mock device, the event-notification device, the FUSE-style channel;
# and the device-less zcrx receiver.
#   examples/driver-demo.sh [BUILD_DIR]
set -eu
B=${1:-build}
for ex in mock-device event-fetch fuse-server zcrx-nodev; do
	echo "== $ex"
	timeout 60 "$B/examples/$ex"
done
echo "driver demo: all passed"
