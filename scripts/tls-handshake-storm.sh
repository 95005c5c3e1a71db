#!/usr/bin/env bash
# Requests on already-open TLS connections during a handshake storm:
# h2load -D 4 -c 4 -m 1 against cmd/echo -h2tls (one loop) alone, then
# again while other h2load processes open 1,000 new TLS connections each,
# back to back. Prints h2load's "time for request" line (min, max, mean,
# sd) for both runs and the storms' connect times.
#
#   scripts/tls-handshake-storm.sh
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT
command -v h2load >/dev/null || { echo "h2load not installed" >&2; exit 1; }
go build -o "$WORK/echo" ./cmd/echo
: >"$WORK/echo.out"
"$WORK/echo" -tcp "" -h2c "" -h2tls 127.0.0.1:0 -loops 1 >"$WORK/echo.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q listening "$WORK/echo.out" && break; sleep 0.05; done
ADDR=$(awk '/h2tls echo listening/ {print $5}' "$WORK/echo.out")
URL="https://$ADDR/"

echo "baseline:    $(h2load -D 4 -c 4 -m 1 -t 1 "$URL" | grep 'time for request')"
(for _ in 1 2 3; do h2load -n 1000 -c 1000 -m 1 -t 1 "$URL" 2>&1 | grep -E 'succeeded|time for connect'; done >"$WORK/storm.out") &
STORM=$!
PIDS+=($STORM)
sleep 0.2
echo "with storm:  $(h2load -D 4 -c 4 -m 1 -t 1 "$URL" | grep 'time for request')"
wait "$STORM" || true
echo "storms (1,000 connections each):"
sed 's/^/  /' "$WORK/storm.out"
