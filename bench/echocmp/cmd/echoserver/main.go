// Command echoserver runs one of the compared echo servers as a child of
// echocmp: it prints "addr HOST:PORT", answers "stats" lines on stdin with
// its CPU time and allocation count, and exits when stdin closes.
//
//	go run ./bench/echocmp/cmd/echoserver -impl=ngloop
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/ngloop/ngloop/bench/echocmp"
)

func main() {
	impl := flag.String("impl", "ngloop", "server: ngloop, gnet or net")
	loops := flag.Int("loops", 1, "event loops (ngloop, gnet)")
	flag.Parse()
	if err := echocmp.ServeChild(*impl, *loops, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "echoserver:", err)
		os.Exit(1)
	}
}
