#!/usr/bin/env bash
# h2load over TLS against cmd/echo -h2tls (one loop, loop/tlsconn) and
# nghttpd with TLS (-n 1), both serving the same 13-byte body on GET /
# with the same ECDSA P-256 key and certificate (made here with openssl),
# same h2load flags, servers alternating, in one run. Prints req/s and
# server CPU per request (utime+stime from /proc/PID/stat around each
# h2load run; handshakes included, 10 of them per run).
#
#   scripts/h2load-tls-vs-nghttpd.sh               # 3 rounds of -n 100000 -c 10 -m 10
#   ROUNDS=5 N=200000 scripts/h2load-tls-vs-nghttpd.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
N=${N:-100000}
FLAGS=${FLAGS:--c 10 -m 10 -t 1}
WORK=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT

for tool in h2load nghttpd openssl curl; do
	command -v "$tool" >/dev/null || { echo "$tool not installed" >&2; exit 1; }
done
go build -o "$WORK/echo" ./cmd/echo
mkdir "$WORK/htdocs"
printf 'Hello, world\n' >"$WORK/htdocs/index.html"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 \
	-keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_port() {
	for _ in $(seq 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	echo "port $1 did not open" >&2
	exit 1
}

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)

EPORT=$(free_port)
"$WORK/echo" -tcp "" -h2c "" -h2tls "127.0.0.1:$EPORT" -cert "$WORK/cert.pem" -key "$WORK/key.pem" -loops 1 >"$WORK/echo.out" 2>&1 &
ECHO_PID=$!
PIDS+=("$ECHO_PID")
wait_port "$EPORT"
NPORT=$(free_port)
nghttpd -n 1 -d "$WORK/htdocs" "$NPORT" "$WORK/key.pem" "$WORK/cert.pem" >/dev/null 2>&1 &
NGHTTPD_PID=$!
PIDS+=("$NGHTTPD_PID")
wait_port "$NPORT"

for p in "$EPORT" "$NPORT"; do
	body=$(curl -s -k --http2 "https://127.0.0.1:$p/")
	[ "$body" = "Hello, world" ] || { echo "server on $p answered '$body'" >&2; exit 1; }
done

run() { # $1 name, $2 pid, $3 port; prints one table row
	local name=$1 pid=$2 port=$3
	local before after out rps ok proto
	before=$(cpu_ticks "$pid")
	# shellcheck disable=SC2086
	out=$(h2load -n "$N" $FLAGS "https://127.0.0.1:$port/")
	after=$(cpu_ticks "$pid")
	rps=$(echo "$out" | awk '/^finished in/ {print $4}')
	ok=$(echo "$out" | awk '/^requests:/ {print $8}')
	proto=$(echo "$out" | awk '/^TLS Protocol:/ {print $3}')
	awk -v n="$name" -v r="$rps" -v t=$((after - before)) -v hz="$HZ" -v req="$N" -v ok="$ok" -v p="$proto" \
		'BEGIN {printf "| %-8s | %-7s | %10.0f | %10.2f | %9s |\n", n, p, r, t * 1e6 / hz / req, ok}'
}

echo "h2load -n $N $FLAGS https://127.0.0.1:PORT/"
echo "| server   | TLS     |      req/s | CPU µs/req | succeeded |"
echo "|----------|---------|------------|------------|-----------|"
for round in $(seq "$ROUNDS"); do
	if [ $((round % 2)) -eq 1 ]; then
		run ngloop "$ECHO_PID" "$EPORT"
		run nghttpd "$NGHTTPD_PID" "$NPORT"
	else
		run nghttpd "$NGHTTPD_PID" "$NPORT"
		run ngloop "$ECHO_PID" "$EPORT"
	fi
done
