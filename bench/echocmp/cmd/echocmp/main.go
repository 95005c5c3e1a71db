// Command echocmp compares the ngloop echo server with a bare gnet echo
// server and a goroutine-per-connection net echo server, each in its own
// child process (this binary re-executed with -serve), and prints msgs/s,
// server CPU per message and server allocations per message, with ratios
// against gnet.
//
//	go run ./bench/echocmp/cmd/echocmp
//	go run ./bench/echocmp/cmd/echocmp -conns 50,500 -sizes 64,4096 -rounds 5 -window 1s
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/ngloop/ngloop/bench/echocmp"
)

func main() {
	serve := flag.Bool("serve", false, "run as a server child (used internally)")
	impl := flag.String("impl", "", "server implementation in -serve mode")
	loops := flag.Int("loops", 1, "event loops of the ngloop and gnet servers")
	procs := flag.Int("procs", 1, "GOMAXPROCS of each server process (0: Go's default)")
	conns := flag.String("conns", "50,500", "connection counts, comma separated")
	sizes := flag.String("sizes", "64,4096", "message sizes in bytes, comma separated")
	rounds := flag.Int("rounds", 5, "alternating rounds per case")
	window := flag.Duration("window", 0, "measurement window per round (default 1s)")
	quiet := flag.Bool("q", false, "print only the table")
	flag.Parse()
	if *serve {
		if err := echocmp.ServeChild(*impl, *loops, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "echocmp server:", err)
			os.Exit(1)
		}
		return
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "echocmp:", err)
		os.Exit(1)
	}
	o := echocmp.Options{Rounds: *rounds, Window: *window, Loops: *loops, Procs: *procs,
		Conns: ints(*conns), Sizes: ints(*sizes)}
	log := os.Stderr
	if *quiet {
		log = nil
	}
	var logw = discardIfNil(log)
	rs, err := echocmp.Compare(exe, []string{"-serve"}, o, logw)
	if err != nil {
		fmt.Fprintln(os.Stderr, "echocmp:", err)
		os.Exit(1)
	}
	fmt.Printf("echo comparison: %d loop(s), GOMAXPROCS=%d per server, ping-pong, median of %d rounds\n",
		*loops, *procs, *rounds)
	echocmp.WriteTable(os.Stdout, rs)
}

func ints(s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }

func discardIfNil(f *os.File) interface{ Write([]byte) (int, error) } {
	if f == nil {
		return nopWriter{}
	}
	return f
}
