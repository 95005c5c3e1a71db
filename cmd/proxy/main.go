// Command proxy is an HTTP/2 reverse proxy and load balancer on one
// ngloop engine (see package proxy): clients speak h2c to -listen, and
// requests go to the h2c backends; with -tls-listen it also serves h2
// over TLS (certificate from -cert/-key, reloaded on SIGHUP, or a
// self-signed one for localhost).
//
//	go run ./cmd/proxy -listen 127.0.0.1:8080 -backend 127.0.0.1:7001 -backend 127.0.0.1:7002
//	go run ./cmd/proxy -backend 127.0.0.1:7001,127.0.0.1:7002 -balance lor -admin 127.0.0.1:9090
//	go run ./cmd/proxy -config proxy.conf -access-log /dev/stdout
//	go run ./cmd/proxy -backend 127.0.0.1:7001 -tls-listen 127.0.0.1:8443 -cert c.pem -key k.pem
//
// It prints "proxy listening on ADDR" once it accepts. The -admin address
// serves the counters at /metrics in the Prometheus text format. SIGINT
// or SIGTERM stops it gracefully: clients get the two-step GOAWAY, and it
// waits up to -grace for their streams to finish.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ngloop/ngloop/internal/selfsigned"
	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/loop/tlsconn"
	"github.com/ngloop/ngloop/proxy"
)

// tlsFront is the optional h2-over-TLS frontend.
type tlsFront struct{ listen, cert, key string }

// certs loads -cert/-key (reloaded on SIGHUP) or makes a self-signed
// certificate when no file is given.
func (f tlsFront) certs() (*tlsconn.Certs, error) {
	if f.cert == "" {
		cert, err := selfsigned.New()
		if err != nil {
			return nil, err
		}
		return tlsconn.NewCerts(cert), nil
	}
	if f.key == "" {
		return nil, errors.New("-cert needs -key")
	}
	certs, err := tlsconn.LoadCerts(f.cert, f.key)
	if err != nil {
		return nil, err
	}
	certs.ReloadOn(nil, func(err error) {
		if err != nil {
			fmt.Fprintln(os.Stderr, "proxy: SIGHUP: certificate reload failed, keeping the old one:", err)
		}
	}, syscall.SIGHUP)
	return certs, nil
}

type backendList []string

func (b *backendList) String() string { return strings.Join(*b, ",") }
func (b *backendList) Set(s string) error {
	*b = append(*b, proxy.SplitBackends(s)...)
	return nil
}

func main() {
	var opt proxy.Options
	var backends backendList
	listen := flag.String("listen", "127.0.0.1:8080", "client-facing h2c address")
	admin := flag.String("admin", "", "admin address serving /metrics (\"\" disables)")
	config := flag.String("config", "", "configuration file (see proxy.ParseConfig)")
	balance := flag.String("balance", "round-robin", "round-robin or least-outstanding")
	accessLog := flag.String("access-log", "", "access log file (\"\" disables)")
	loops := flag.Int("loops", 0, "event loops (0: one per CPU)")
	grace := flag.Duration("grace", 10*time.Second, "how long shutdown waits for streams to finish")
	var front tlsFront
	flag.StringVar(&front.listen, "tls-listen", "", "client-facing h2-over-TLS address (\"\" disables)")
	flag.StringVar(&front.cert, "cert", "", "TLS certificate file (PEM; default: self-signed for localhost)")
	flag.StringVar(&front.key, "key", "", "TLS private key file (PEM)")
	flag.Var(&backends, "backend", "h2c backend host:port (repeatable, or a comma list)")
	flag.DurationVar(&opt.HealthInterval, "health-interval", proxy.DefaultHealthInterval, "active health check period (negative: off)")
	flag.StringVar(&opt.HealthPath, "health-path", "", "GET this path as the health check (default: PING or connect)")
	flag.IntVar(&opt.MaxConnsPerBackend, "max-conns-per-backend", proxy.DefaultMaxConnsPerBackend, "connections per loop per backend")
	flag.Parse()
	b, err := proxy.ParseBalance(*balance)
	if err == nil {
		opt.Balance = b
		err = run(&opt, backends, *config, *listen, front, *admin, *accessLog, *loops, *grace)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "proxy:", err)
		os.Exit(1)
	}
}

func run(opt *proxy.Options, backends []string, config, listen string, front tlsFront, admin, accessLog string, loops int, grace time.Duration) error {
	if config != "" {
		f, err := os.Open(config)
		if err != nil {
			return err
		}
		err = proxy.ParseConfig(f, opt)
		f.Close()
		if err != nil {
			return err
		}
	}
	opt.Backends = append(opt.Backends, backends...)
	if accessLog != "" {
		f, err := os.OpenFile(accessLog, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		bw := bufio.NewWriterSize(f, 64<<10)
		defer bw.Flush()
		opt.AccessLog = bw
	}
	px, err := proxy.New(*opt)
	if err != nil {
		return err
	}
	e, err := loop.NewEngine(loop.Options{
		Loops:    loops,
		ErrorLog: func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) },
	})
	if err != nil {
		return err
	}
	ln, err := px.Listen(e, "tcp://"+listen)
	if err != nil {
		return err
	}
	var tln *loop.Listener
	if front.listen != "" {
		certs, err := front.certs()
		if err != nil {
			return err
		}
		if tln, err = px.ListenTLS(e, "tcp://"+front.listen, certs, nil); err != nil {
			return err
		}
	}
	if admin != "" {
		al, err := net.Listen("tcp", admin)
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", px.MetricsHandler())
		go func() { _ = http.Serve(al, mux) }()
		fmt.Printf("proxy admin on %s\n", al.Addr())
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	if err := e.Start(); err != nil {
		return err
	}
	fmt.Printf("proxy listening on %s\n", ln.Addr())
	if tln != nil {
		fmt.Printf("proxy TLS listening on %s\n", tln.Addr())
	}
	got := <-sig
	fmt.Printf("%v: shutting down (grace %v)\n", got, grace)
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := e.Stop(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
