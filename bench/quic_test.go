package bench

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"

	"github.com/ngloop/ngloop/internal/quicserve"
	"github.com/ngloop/ngloop/internal/selfsigned"
	"github.com/ngloop/ngloop/loop"
)

// QUIC test peers: the engine's own echo/hq-interop server (package
// internal/quicserve, as cmd/echo serves it) and quic-go servers that
// behave well or badly on purpose, all on 127.0.0.1 port 0.

// startEngineQUIC serves echo and hq-interop (files from www) on an
// in-process engine until the test ends.
func startEngineQUIC(t *testing.T, www string) string {
	t.Helper()
	e, err := loop.NewEngine(loop.Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := quicserve.Listen(e, "127.0.0.1:0", quicserve.Options{WWW: www})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
	})
	return ln.Addr().String()
}

// startQuicGo runs a quic-go server (ALPN echo) that hands every stream
// to handle in its own goroutine until the test ends.
func startQuicGo(t *testing.T, handle func(s *quicgo.Stream)) string {
	t.Helper()
	cert, err := selfsigned.New()
	if err != nil {
		t.Fatal(err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{*cert}, NextProtos: []string{"echo"}}
	ln, err := quicgo.ListenAddr("127.0.0.1:0", tc, &quicgo.Config{MaxIncomingStreams: 1000})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept(context.Background())
			if err != nil {
				return
			}
			go func() {
				for {
					s, err := conn.AcceptStream(context.Background())
					if err != nil {
						return
					}
					go handle(s)
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func quicGoEcho(s *quicgo.Stream) {
	_, _ = io.Copy(s, s)
	_ = s.Close()
}

func TestRunQUICEchoCountsEveryResponse(t *testing.T) {
	addr := startEngineQUIC(t, "")
	rep := runOrFatal(t, context.Background(), Config{
		Target: addr, Mode: ModeQUICEcho, Insecure: true,
		Requests: 2000, Clients: 4, StreamsPerClient: 8, Threads: 2,
	})
	q := rep.Requests
	if q.Started != 2000 || q.Done != 2000 || q.Succeeded != 2000 || q.Failed != 0 {
		t.Fatalf("the engine's echo answers every stream: %+v %v", q, rep.Errors)
	}
	if want := int64(2000 * DefaultEchoSize); rep.Traffic.In != want || rep.Traffic.Out != want || rep.Traffic.Data != want {
		t.Errorf("every echoed byte counted once: traffic %+v, want %d in, out and data", rep.Traffic, want)
	}
	if rep.RequestTime.Count() != 2000 || rep.FirstByte.Count() != 2000 {
		t.Errorf("one request-time and one TTFB sample per response: %d, %d", rep.RequestTime.Count(), rep.FirstByte.Count())
	}
	if rep.ConnectTime.Count() != 4 || rep.Connections.Failed != 0 {
		t.Errorf("one handshake per client: %d samples, %+v", rep.ConnectTime.Count(), rep.Connections)
	}
}

func TestRunQUICEchoBulkThroughBackpressure(t *testing.T) {
	addr := startEngineQUIC(t, "")
	body := echoPattern(1 << 20) // four times the glue's per-stream queue
	rep := runOrFatal(t, context.Background(), Config{
		Target: addr, Mode: ModeQUICEcho, Insecure: true, Body: body,
		Requests: 12, Clients: 2, StreamsPerClient: 2,
	})
	if q := rep.Requests; q.Succeeded != 12 || q.Failed != 0 {
		t.Fatalf("every 1 MiB echo comes back intact: %+v %v", q, rep.Errors)
	}
	if want := int64(12 * len(body)); rep.Traffic.In != want || rep.Traffic.Out != want {
		t.Errorf("bytes: in %d out %d, want %d each", rep.Traffic.In, rep.Traffic.Out, want)
	}
}

func TestRunHQInteropCountsFileBytes(t *testing.T) {
	dir := t.TempDir()
	file := echoPattern(100 << 10)
	if err := os.WriteFile(filepath.Join(dir, "f.bin"), file, 0o644); err != nil {
		t.Fatal(err)
	}
	addr := startEngineQUIC(t, dir)
	rep := runOrFatal(t, context.Background(), Config{
		Target: "https://" + addr + "/f.bin", Mode: ModeHQInterop, Insecure: true,
		Requests: 200, Clients: 2, StreamsPerClient: 4,
	})
	if q := rep.Requests; q.Succeeded != 200 || q.Failed != 0 {
		t.Fatalf("every GET of an existing file succeeds: %+v %v", q, rep.Errors)
	}
	if want := int64(200 * len(file)); rep.Traffic.In != want || rep.Traffic.Data != want {
		t.Errorf("every file byte counted once: %+v, want %d", rep.Traffic, want)
	}
	if want := int64(200 * len("GET /f.bin\r\n")); rep.Traffic.Out != want {
		t.Errorf("request bytes out: %d, want %d", rep.Traffic.Out, want)
	}

	rep = runOrFatal(t, context.Background(), Config{
		Target: "https://" + addr + "/missing", Mode: ModeHQInterop, Insecure: true,
		Requests: 20, Clients: 1, StreamsPerClient: 4,
	})
	if q := rep.Requests; q.Succeeded != 0 || q.Errored != 20 {
		t.Errorf("a missing file's reset stream is errored, never a success: %+v", q)
	}
	if !hasErrorPrefix(rep, errStreamReset.Error()) {
		t.Errorf("the report names the reset: %v", rep.Errors)
	}
}

func hasErrorPrefix(rep *Report, prefix string) bool {
	for msg := range rep.Errors {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

func TestInteropQUICEchoQuicGoServer(t *testing.T) {
	addr := startQuicGo(t, quicGoEcho)
	rep := runOrFatal(t, context.Background(), Config{
		Target: addr, Mode: ModeQUICEcho, Insecure: true, Body: echoPattern(3000),
		Requests: 1000, Clients: 3, StreamsPerClient: 10,
	})
	if q := rep.Requests; q.Succeeded != 1000 || q.Failed != 0 {
		t.Fatalf("quic-go echoes every stream: %+v %v", q, rep.Errors)
	}
	if want := int64(1000 * 3000); rep.Traffic.In != want {
		t.Errorf("bytes in %d, want %d", rep.Traffic.In, want)
	}
}

func TestRunQUICCorruptEchoIsErrored(t *testing.T) {
	addr := startQuicGo(t, func(s *quicgo.Stream) {
		b, _ := io.ReadAll(s)
		if len(b) > 10 {
			b[10] ^= 1
		}
		_, _ = s.Write(b)
		_ = s.Close()
	})
	rep := runOrFatal(t, context.Background(), Config{
		Target: addr, Mode: ModeQUICEcho, Insecure: true, Requests: 50, Clients: 1, StreamsPerClient: 5,
	})
	if q := rep.Requests; q.Succeeded != 0 || q.Errored != 50 {
		t.Errorf("an echo with one flipped bit is never counted: %+v", q)
	}
	if rep.Errors[ErrEchoMismatch.Error()] != 50 {
		t.Errorf("the report names the mismatch per stream: %v", rep.Errors)
	}
}

func TestRunQUICShortEchoIsErrored(t *testing.T) {
	addr := startQuicGo(t, func(s *quicgo.Stream) {
		b, _ := io.ReadAll(s)
		_, _ = s.Write(b[:len(b)-1])
		_ = s.Close()
	})
	rep := runOrFatal(t, context.Background(), Config{
		Target: addr, Mode: ModeQUICEcho, Insecure: true, Requests: 20, Clients: 1, StreamsPerClient: 5,
	})
	if q := rep.Requests; q.Succeeded != 0 || q.Errored != 20 || rep.Errors[ErrEchoShort.Error()] != 20 {
		t.Errorf("an echo missing its last byte is errored: %+v %v", rep.Requests, rep.Errors)
	}
}

func TestRunQUICStallingStreamsTimeOut(t *testing.T) {
	addr := startQuicGo(t, func(s *quicgo.Stream) {
		_, _ = io.Copy(io.Discard, s) // reads, never answers
	})
	start := time.Now()
	rep := runOrFatal(t, context.Background(), Config{
		Target: addr, Mode: ModeQUICEcho, Insecure: true, Requests: 12, Clients: 2, StreamsPerClient: 3,
		RequestTimeout: 300 * time.Millisecond,
	})
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("a stalling server ends the run in bounded time, took %v", el)
	}
	if q := rep.Requests; q.Succeeded != 0 || q.TimedOut != 12 || q.Done != 12 {
		t.Errorf("every unanswered stream times out: %+v %v", q, rep.Errors)
	}
}

func TestRunQUICSilentTargetFailsConnects(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0") // takes datagrams, never answers
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	start := time.Now()
	rep := runOrFatal(t, context.Background(), Config{
		Target: pc.LocalAddr().String(), Mode: ModeQUICEcho, Insecure: true,
		Requests: 10, Clients: 2, StreamsPerClient: 2, ConnectTimeout: 300 * time.Millisecond,
	})
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("a silent target ends the run in bounded time, took %v", el)
	}
	if q, c := rep.Requests, rep.Connections; q.Failed != 10 || q.Succeeded != 0 || c.Failed != 2 {
		t.Errorf("both handshakes fail and the budget is lost: %+v %+v", q, c)
	}

	// Duration mode keeps redialling until the end, and still ends.
	start = time.Now()
	rep = runOrFatal(t, context.Background(), Config{
		Target: pc.LocalAddr().String(), Mode: ModeQUICEcho, Insecure: true,
		Duration: 500 * time.Millisecond, Clients: 2, ConnectTimeout: 200 * time.Millisecond,
	})
	if el := time.Since(start); el > 5*time.Second || rep.Requests.Succeeded != 0 || rep.Connections.Failed < 2 {
		t.Errorf("duration mode against a silent target: %v, %+v %+v", el, rep.Requests, rep.Connections)
	}
}

func TestRunQUICVerifiesCertificatesUnlessInsecure(t *testing.T) {
	addr := startEngineQUIC(t, "")
	rep := runOrFatal(t, context.Background(), Config{
		Target: addr, Mode: ModeQUICEcho, Requests: 4, Clients: 2,
	})
	if q, c := rep.Requests, rep.Connections; q.Succeeded != 0 || c.Failed != 2 {
		t.Errorf("a self-signed certificate fails the handshake without Insecure: %+v %+v %v", q, c, rep.Errors)
	}
}

func TestRunQUICCancelReturnsPartialReport(t *testing.T) {
	addr := startEngineQUIC(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	start := time.Now()
	rep := runOrFatal(t, ctx, Config{
		Target: addr, Mode: ModeQUICEcho, Insecure: true, Duration: time.Hour, Clients: 2, StreamsPerClient: 4,
	})
	if el := time.Since(start); el > 3*time.Second {
		t.Fatalf("cancel stops the run promptly, took %v", el)
	}
	if !rep.Interrupted {
		t.Error("a cancelled run says it was interrupted")
	}
	q := rep.Requests
	if q.Succeeded == 0 || q.Failed != 0 || q.Done > q.Started || q.Started-q.Done > 8 {
		t.Errorf("the partial report holds the work done, at most the streams in flight: %+v %v", q, rep.Errors)
	}
}

func TestRunQUICLeavesNoGoroutines(t *testing.T) {
	addr := startEngineQUIC(t, "")
	before := runtime.NumGoroutine()
	for range 3 {
		runOrFatal(t, context.Background(), Config{
			Target: addr, Mode: ModeQUICEcho, Insecure: true, Requests: 50, Clients: 5, StreamsPerClient: 2, Threads: 2,
		})
	}
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before+5 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+5 {
		t.Errorf("goroutines: %d before, %d after three runs", before, n)
	}
}
