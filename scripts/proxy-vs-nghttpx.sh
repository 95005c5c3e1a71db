#!/usr/bin/env bash
# h2load → cmd/proxy → two cmd/echo h2c backends, against the same setup
# with nghttpx (Debian nghttp2-proxy) in the proxy's place: same h2load
# flags, the two proxies alternating, all in one run. Prints req/s and the
# proxy's CPU per request (utime+stime of the proxy and its child
# processes, from /proc/PID/stat, before and after each h2load run; the
# backends' CPU is not counted). Both proxies run one worker: cmd/proxy
# -loops 1, nghttpx --workers=1.
#
#   scripts/proxy-vs-nghttpx.sh              # 3 rounds
#   ROUNDS=5 N=200000 scripts/proxy-vs-nghttpx.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
N=${N:-100000}
WORK=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT

for tool in h2load nghttpx curl; do
	command -v "$tool" >/dev/null || { echo "$tool not installed (nghttpx: apt-get install nghttp2-proxy)" >&2; exit 1; }
done
go build -o "$WORK/echo" ./cmd/echo
go build -o "$WORK/proxy" ./cmd/proxy

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_port() {
	for _ in $(seq 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	echo "port $1 did not open" >&2
	exit 1
}

# cpu_ticks PID: utime+stime in clock ticks of PID and its children
# (nghttpx runs its worker in a child process).
cpu_ticks() {
	local total=0 p
	for p in $1 $(pgrep -P "$1" || true); do
		total=$((total + $(awk '{print $14+$15}' "/proc/$p/stat")))
	done
	echo "$total"
}
HZ=$(getconf CLK_TCK)

B1=$(free_port)
B2=$(free_port)
for p in "$B1" "$B2"; do
	"$WORK/echo" -tcp "" -h2c "127.0.0.1:$p" -loops 1 >/dev/null 2>&1 &
	PIDS+=("$!")
	wait_port "$p"
done

PPORT=$(free_port)
"$WORK/proxy" -listen "127.0.0.1:$PPORT" -backend "127.0.0.1:$B1" -backend "127.0.0.1:$B2" -loops 1 >/dev/null 2>&1 &
PROXY_PID=$!
PIDS+=("$PROXY_PID")
wait_port "$PPORT"

XPORT=$(free_port)
nghttpx --conf=/dev/null --frontend="127.0.0.1,$XPORT;no-tls" \
	--backend="127.0.0.1,$B1;;proto=h2" --backend="127.0.0.1,$B2;;proto=h2" \
	--workers=1 --errorlog-file=/dev/null >/dev/null 2>&1 &
NGHTTPX_PID=$!
PIDS+=("$NGHTTPX_PID")
wait_port "$XPORT"

for p in "$PPORT" "$XPORT"; do
	body=$(curl -s --http2-prior-knowledge "http://127.0.0.1:$p/")
	[ "$body" = "Hello, world" ] || { echo "proxy on $p answered '$body'" >&2; exit 1; }
done

run() { # $1 name, $2 pid, $3 port, $4 path, rest: h2load flags; prints one table row
	local name=$1 pid=$2 port=$3 path=$4
	shift 4
	local before after out rps ok
	before=$(cpu_ticks "$pid")
	out=$(h2load -n "$N" "$@" "http://127.0.0.1:$port$path")
	after=$(cpu_ticks "$pid")
	rps=$(echo "$out" | awk '/^finished in/ {print $4}')
	ok=$(echo "$out" | awk '/^requests:/ {print $8}')
	awk -v n="$name" -v f="$* $path" -v r="$rps" -v t=$((after - before)) -v hz="$HZ" -v req="$N" -v ok="$ok" \
		'BEGIN {printf "| %-7s | %-30s | %9.0f | %10.2f | %9s |\n", n, f, r, t * 1e6 / hz / req, ok}'
}

echo "| proxy   | h2load flags, path             |     req/s | CPU µs/req | succeeded |"
echo "|---------|--------------------------------|-----------|------------|-----------|"
for round in $(seq "$ROUNDS"); do
	for flags in "-c 50 -m 10 -t 1|/" "-c 10 -m 100 -t 1|/" "-c 10 -m 10 -t 1|/bytes/16384"; do
		f=${flags%|*} path=${flags#*|}
		# Alternate which proxy goes first from round to round.
		if [ $((round % 2)) -eq 1 ]; then
			run ngloop "$PROXY_PID" "$PPORT" "$path" $f
			run nghttpx "$NGHTTPX_PID" "$XPORT" "$path" $f
		else
			run nghttpx "$NGHTTPX_PID" "$XPORT" "$path" $f
			run ngloop "$PROXY_PID" "$PPORT" "$path" $f
		fi
	done
done
