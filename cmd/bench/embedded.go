package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ngloop/ngloop/bench"
	"github.com/ngloop/ngloop/internal/quicserve"
	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/loop/h2conn"
	"github.com/ngloop/ngloop/loop/quicconn"
)

// The embedded default: with no target, bench starts an echo engine in
// this process, benchmarks it in every mode that has both a driver and an
// embedded server, and prints one table. Adding a mode is one entry in
// embeddedServers (and its driver's Register call in package bench).

// embeddedServer adds a listener for one mode to the in-process engine
// (before Start) and returns a func that gives the target once it started.
type embeddedServer func(e *loop.Engine, env *embeddedEnv) (target func() string, err error)

var embeddedServers = map[bench.Mode]embeddedServer{
	bench.ModeTCPEcho: func(e *loop.Engine, _ *embeddedEnv) (func() string, error) {
		ln, err := e.Listen("127.0.0.1:0", tcpEcho{})
		if err != nil {
			return nil, err
		}
		return func() string { return ln.Addr().String() }, nil
	},
	bench.ModeH2C: func(e *loop.Engine, _ *embeddedEnv) (func() string, error) {
		srv, err := h2conn.NewServer(&h2conn.Echo{}, nil)
		if err != nil {
			return nil, err
		}
		ln, err := srv.Listen(e, "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		return func() string { return "http://" + ln.Addr().String() + "/" }, nil
	},
	bench.ModeQUICEcho: func(e *loop.Engine, env *embeddedEnv) (func() string, error) {
		addr, err := env.quic(e)
		if err != nil {
			return nil, err
		}
		return func() string { return addr().String() }, nil
	},
	bench.ModeHQInterop: func(e *loop.Engine, env *embeddedEnv) (func() string, error) {
		addr, err := env.quic(e)
		if err != nil {
			return nil, err
		}
		return func() string { return "https://" + addr().String() + "/" + embeddedHQFile }, nil
	},
}

// The embedded hq-interop target: one file of this size, served from a
// temporary directory removed when the run ends.
const (
	embeddedHQFile = "4k.bin"
	embeddedHQSize = 4 << 10
)

// embeddedEnv is what the embedded servers share: one QUIC listener
// (cmd/echo's applications, internal/quicserve, with a self-signed
// certificate) serving both QUIC modes, and its document directory.
type embeddedEnv struct {
	quicLn *quicconn.Listener
	www    string
}

// quic returns the address of the shared QUIC listener, made on first use.
func (env *embeddedEnv) quic(e *loop.Engine) (func() netip.AddrPort, error) {
	if env.quicLn == nil {
		dir, err := os.MkdirTemp("", "ngloop-bench-www-")
		if err != nil {
			return nil, err
		}
		env.www = dir
		body := make([]byte, embeddedHQSize)
		for i := range body {
			body[i] = byte(i % 251)
		}
		if err := os.WriteFile(filepath.Join(dir, embeddedHQFile), body, 0o644); err != nil {
			return nil, err
		}
		if env.quicLn, err = quicserve.Listen(e, "127.0.0.1:0", quicserve.Options{WWW: dir}); err != nil {
			return nil, err
		}
	}
	return env.quicLn.Addr, nil
}

func (env *embeddedEnv) close() {
	if env.www != "" {
		_ = os.RemoveAll(env.www)
	}
}

// tcpEcho is cmd/echo's TCP echo: it writes back what it reads; when the
// peer stops reading, what does not fit stays unconsumed and reading pauses
// until OnWritable.
type tcpEcho struct{ loop.BaseHandler }

func (tcpEcho) OnData(c *loop.Conn, in []byte) int {
	n, _ := c.Write(in)
	return n
}

// Load of the embedded default, flag by flag unless given (-c, -m, -n/-D, --warm-up-time).
const (
	embeddedClients  = 32
	embeddedStreams  = 16
	embeddedDuration = 3 * time.Second
	embeddedWarmUp   = 500 * time.Millisecond
)

type embeddedRow struct {
	mode   bench.Mode
	target string
	rep    *bench.Report
	note   string
}

func runEmbedded(ctx context.Context, o *options, stdout, stderr io.Writer) int {
	cfg := o.cfg
	if !o.changed["clients"] {
		cfg.Clients = embeddedClients
	}
	if !o.changed["max-concurrent-streams"] {
		cfg.StreamsPerClient = embeddedStreams
	}
	if !o.changed["requests"] && !o.changed["duration"] {
		cfg.Requests, cfg.Duration = 0, embeddedDuration
		if !o.changed["warm-up-time"] {
			cfg.WarmUp = embeddedWarmUp
		}
	}
	eng, err := loop.NewEngine(loop.Options{Loops: 1})
	if err != nil {
		fmt.Fprintln(stderr, "bench: echo engine:", err)
		return exitFail
	}
	// The QUIC modes meet the embedded server's self-signed certificate.
	cfg.Insecure = true
	env := &embeddedEnv{}
	defer env.close()
	modes := bench.Modes()
	targets := map[bench.Mode]func() string{}
	for _, m := range modes {
		if start := embeddedServers[m]; start != nil {
			t, err := start(eng, env)
			if err != nil {
				fmt.Fprintf(stderr, "bench: %s echo server: %v\n", m, err)
				return exitFail
			}
			targets[m] = t
		}
	}
	if err := eng.Start(); err != nil {
		fmt.Fprintln(stderr, "bench: echo engine:", err)
		return exitFail
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = eng.Stop(sctx)
	}()

	var rows []embeddedRow
	code := exitOK
	for _, m := range modes {
		row := embeddedRow{mode: m}
		target := targets[m]
		avail := bench.Available(m)
		switch {
		case ctx.Err() != nil:
			row.note = "skipped: interrupted"
		case avail != nil:
			row.note = "not available yet: " + strings.TrimPrefix(avail.Error(), bench.ErrNotAvailable.Error()+": "+string(m)+": ")
		case target == nil:
			row.note = "no embedded server for this mode yet"
		default:
			c := cfg
			c.Mode, c.Target = m, target()
			row.target = c.Target
			rep, err := bench.Run(ctx, c)
			row.rep = rep
			switch {
			case err != nil:
				row.note = "error: " + err.Error()
				code = exitFail
			case rep.Interrupted:
				row.note = "interrupted (partial)"
			}
			if rep != nil {
				if c := writeOutputs(o, rep, string(m), stdout, stderr); c != exitOK {
					code = c
				}
			}
		}
		rows = append(rows, row)
	}
	if o.jsonOut {
		out := map[bench.Mode]*bench.Report{}
		for _, r := range rows {
			if r.rep != nil {
				out[r.mode] = r.rep
			}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			printErr(stderr, err)
			return exitFail
		}
	} else {
		writeTable(stdout, &cfg, rows)
	}
	if ctx.Err() != nil && code == exitOK {
		code = exitInterrupted
	}
	return code
}

func writeTable(w io.Writer, cfg *bench.Config, rows []embeddedRow) {
	load := fmt.Sprintf("-c %d -m %d -t %d", cfg.Clients, cfg.StreamsPerClient, cfg.Threads)
	if cfg.Duration > 0 {
		load += fmt.Sprintf(" -D %s --warm-up-time %s", cfg.Duration, cfg.WarmUp)
	} else {
		load += fmt.Sprintf(" -n %d", cfg.Requests)
	}
	fmt.Fprintf(w, "ngloop bench: in-process echo engine (1 loop) and client (%d loop) on 127.0.0.1, %s\n\n", cfg.Threads, load)
	fmt.Fprintf(w, "%-11s %12s %9s %9s %9s %9s %9s %9s %10s %7s\n",
		"mode", "req/s", "MB/s", "p50", "p90", "p99", "p99.9", "max", "succeeded", "failed")
	for _, r := range rows {
		if r.rep == nil || (r.note != "" && r.rep.Requests.Done == 0) {
			fmt.Fprintf(w, "%-11s %s\n", r.mode, r.note)
			continue
		}
		h := r.rep.RequestTime
		fmt.Fprintf(w, "%-11s %12.0f %9.2f %9s %9s %9s %9s %9s %10d %7d",
			r.mode, r.rep.RequestsPerSecond(), r.rep.BytesPerSecond()/(1<<20),
			bench.FormatDuration(h.Percentile(50)), bench.FormatDuration(h.Percentile(90)), bench.FormatDuration(h.Percentile(99)), bench.FormatDuration(h.Percentile(99.9)),
			bench.FormatDuration(h.Max()), r.rep.Requests.Succeeded, r.rep.Requests.Failed)
		if r.note != "" {
			fmt.Fprintf(w, "  %s", r.note)
		}
		fmt.Fprintln(w)
	}
}
