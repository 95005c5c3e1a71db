// Command echo runs echo servers on one ngloop engine, each protocol in
// its own file (see servers.go): raw TCP echo (tcp.go), raw UDP datagram
// echo (udp.go, with -udp), HTTP/2 cleartext (h2c.go: GET /,
// GET /bytes/N, POST /echo, trailers), the same over TLS (h2tls.go,
// with -h2tls) and QUIC (quic.go: ALPN echo and hq-interop).
//
//	go run ./cmd/echo                    # TCP echo on 127.0.0.1:7000, h2c on 127.0.0.1:7001
//	go run ./cmd/echo -tcp :9000 -h2c :9001 -loops 4
//	go run ./cmd/echo -tcp "" -h2c 127.0.0.1:0 -stats   # allocations per request at exit
//	go run ./cmd/echo -quic 127.0.0.1:7443 -www ./public   # QUIC: ALPN echo and hq-interop
//	go run ./cmd/echo -h2tls 127.0.0.1:7002 -cert c.pem -key k.pem  # h2 over TLS; SIGHUP reloads the files
//
// SIGINT or SIGTERM stops it gracefully: every connection gets its
// shutdown event and the command waits up to -grace for them to close.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ngloop/ngloop/loop"
)

func main() {
	loops := flag.Int("loops", 0, "event loops (0: one per CPU)")
	grace := flag.Duration("grace", 10*time.Second, "how long shutdown waits for connections to close")
	for _, s := range servers {
		s.addr = flag.String(s.name, s.defaultAddr, s.usage+` ("" disables)`)
	}
	flag.Parse()
	if err := run(*loops, *grace); err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		os.Exit(1)
	}
}

func run(loops int, grace time.Duration) error {
	e, err := loop.NewEngine(loop.Options{
		Loops:    loops,
		ErrorLog: func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) },
	})
	if err != nil {
		return err
	}
	var started []*server
	for _, s := range servers {
		if *s.addr == "" {
			continue
		}
		if s.bound, err = s.listen(e, *s.addr); err != nil {
			return fmt.Errorf("%s on %s: %w", s.name, *s.addr, err)
		}
		started = append(started, s)
	}
	if len(started) == 0 {
		return fmt.Errorf("no server enabled")
	}
	// Signals are caught before the addresses are printed: whoever
	// reads them may stop us at once.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	if err := e.Start(); err != nil {
		return err
	}
	for _, s := range started {
		fmt.Printf("%s echo listening on %s\n", s.name, s.bound())
	}

	var probe allocProbe
	probe.start()
	got := <-sig
	probe.report()
	fmt.Printf("%v: shutting down (grace %v)\n", got, grace)
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := e.Stop(ctx); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	return nil
}
