#!/usr/bin/env bash
# h2load against cmd/echo (h2c, one loop) and nghttpd (--no-tls -n 1), both
# serving the same 13-byte body on GET /, same h2load flags, servers
# alternating, all in one run. Prints req/s and server CPU per request
# (utime+stime from /proc/PID/stat before and after each h2load run), then
# the echo server's heap allocations per request over a fresh 200k-request
# run (runtime.MemStats, cmd/echo -stats).
#
#   scripts/h2load-vs-nghttpd.sh            # 3 rounds
#   ROUNDS=5 N=200000 scripts/h2load-vs-nghttpd.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
N=${N:-200000}
WORK=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT

for tool in h2load nghttpd; do
	command -v "$tool" >/dev/null || { echo "$tool not installed" >&2; exit 1; }
done
go build -o "$WORK/echo" ./cmd/echo
mkdir "$WORK/htdocs"
printf 'Hello, world\n' >"$WORK/htdocs/index.html"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_port() {
	for _ in $(seq 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	echo "port $1 did not open" >&2
	exit 1
}

start_echo() { # $1 port; sets ECHO_PID
	"$WORK/echo" -tcp "" -h2c "127.0.0.1:$1" -loops 1 -stats >"$WORK/echo.out" 2>&1 &
	ECHO_PID=$!
	PIDS+=("$ECHO_PID")
	wait_port "$1"
}

# cpu_ticks PID: utime+stime in clock ticks (fields 14 and 15 of stat;
# the command name in field 2 has no spaces here).
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)

EPORT=$(free_port)
start_echo "$EPORT"
NPORT=$(free_port)
nghttpd --no-tls -n 1 -d "$WORK/htdocs" "$NPORT" >/dev/null 2>&1 &
NGHTTPD_PID=$!
PIDS+=("$NGHTTPD_PID")
wait_port "$NPORT"

for p in "$EPORT" "$NPORT"; do
	body=$(curl -s --http2-prior-knowledge "http://127.0.0.1:$p/")
	[ "$body" = "Hello, world" ] || { echo "server on $p answered '$body'" >&2; exit 1; }
done

run() { # $1 name, $2 pid, $3 port, rest: h2load flags; prints one table row
	local name=$1 pid=$2 port=$3
	shift 3
	local before after out rps ok
	before=$(cpu_ticks "$pid")
	out=$(h2load -n "$N" "$@" "http://127.0.0.1:$port/")
	after=$(cpu_ticks "$pid")
	rps=$(echo "$out" | awk '/^finished in/ {print $4}')
	ok=$(echo "$out" | awk '/^requests:/ {print $8}')
	awk -v n="$name" -v f="$*" -v r="$rps" -v t=$((after - before)) -v hz="$HZ" -v req="$N" -v ok="$ok" \
		'BEGIN {printf "| %-8s | %-22s | %10.0f | %10.2f | %9s |\n", n, f, r, t * 1e6 / hz / req, ok}'
}

echo "| server   | h2load flags           |      req/s | CPU µs/req | succeeded |"
echo "|----------|------------------------|------------|------------|-----------|"
for round in $(seq "$ROUNDS"); do
	for flags in "-c 50 -m 10 -t 1" "-c 10 -m 100 -t 1"; do
		# Alternate which server goes first from round to round.
		if [ $((round % 2)) -eq 1 ]; then
			run ngloop "$ECHO_PID" "$EPORT" $flags
			run nghttpd "$NGHTTPD_PID" "$NPORT" $flags
		else
			run nghttpd "$NGHTTPD_PID" "$NPORT" $flags
			run ngloop "$ECHO_PID" "$EPORT" $flags
		fi
	done
done

# Allocations: a fresh echo process, one 200k-request run, then SIGTERM
# makes it print runtime.MemStats mallocs per request.
kill "$ECHO_PID"
wait "$ECHO_PID" 2>/dev/null || true
EPORT=$(free_port)
start_echo "$EPORT"
h2load -n 200000 -c 50 -m 10 -t 1 "http://127.0.0.1:$EPORT/" >/dev/null
kill -TERM "$ECHO_PID"
wait "$ECHO_PID" 2>/dev/null || true
grep '^stats:' "$WORK/echo.out"
