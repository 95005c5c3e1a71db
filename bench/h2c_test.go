package bench

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"

	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/loop/h2conn"
)

// startH2CEcho serves h2conn's Echo (cmd/echo's h2c service) on its own
// engine and returns its base URL.
func startH2CEcho(t *testing.T) string {
	t.Helper()
	e, err := loop.NewEngine(loop.Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := h2conn.NewServer(&h2conn.Echo{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := srv.Listen(e, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		e.Stop(ctx)
	})
	return "http://" + ln.Addr().String()
}

// startXNetH2C serves h with golang.org/x/net/http2 (h2c, prior knowledge):
// a peer nobody here wrote.
func startXNetH2C(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: h2c.NewHandler(h, &http2.Server{})}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	return "http://" + ln.Addr().String()
}

func TestRunH2CCountsEveryResponse(t *testing.T) {
	base := startH2CEcho(t)
	rep := runOrFatal(t, context.Background(), Config{
		Target: base + "/", Mode: ModeH2C, Requests: 1000, Clients: 4, StreamsPerClient: 10, Threads: 2,
	})
	q := rep.Requests
	if q.Started != 1000 || q.Succeeded != 1000 || q.Failed != 0 || rep.Status[200] != 1000 {
		t.Fatalf("every request answered 200: %+v status %v errors %v", q, rep.Status, rep.Errors)
	}
	if want := int64(1000 * len("Hello, world\n")); rep.Traffic.Data != want || rep.Traffic.In != want {
		t.Errorf("body bytes counted once each: %+v, want %d", rep.Traffic, want)
	}
	if rep.FirstByte.Count() != 1000 || rep.ConnectTime.Count() != 4 {
		t.Errorf("TTFB per response, connect per client: %d, %d", rep.FirstByte.Count(), rep.ConnectTime.Count())
	}
}

func TestRunH2CPostBodyEchoed(t *testing.T) {
	base := startH2CEcho(t)
	body := echoPattern(3000)
	rep := runOrFatal(t, context.Background(), Config{
		Target: base + "/echo", Mode: ModeH2C, Requests: 200, Clients: 2, StreamsPerClient: 4, Body: body,
	})
	if rep.Requests.Succeeded != 200 || rep.Traffic.Data != int64(200*len(body)) {
		t.Errorf("POST /echo returns each body: %+v, %d data bytes", rep.Requests, rep.Traffic.Data)
	}
}

func TestRunH2CNotFoundIsAnHTTPFailure(t *testing.T) {
	base := startH2CEcho(t)
	rep := runOrFatal(t, context.Background(), Config{
		Target: base + "/missing", Mode: ModeH2C, Requests: 50, Clients: 1, StreamsPerClient: 5,
	})
	q := rep.Requests
	if q.Succeeded != 0 || q.Failed != 50 || q.Errored != 0 || rep.Status[404] != 50 {
		t.Errorf("404s are done and failed, not errored (h2load's rule): %+v %v", q, rep.Status)
	}
}

func TestRunH2CRateLimit(t *testing.T) {
	base := startH2CEcho(t)
	rep := runOrFatal(t, context.Background(), Config{
		Target: base + "/", Mode: ModeH2C, Requests: 20, Clients: 2, StreamsPerClient: 4, Rate: 50,
	})
	// 20 requests at 50/s take at least 0.36 s (each client's first goes at once).
	if rep.Elapsed < 300*time.Millisecond || rep.Requests.Succeeded != 20 {
		t.Errorf("a rate cap spaces h2c requests: %d in %v", rep.Requests.Succeeded, rep.Elapsed)
	}
}

func TestRunH2CNotHTTP2PeerIsErrored(t *testing.T) {
	// An HTTP/1.1 server answers the h2c preface with a 400 and closes.
	addr := startServer(t, func(c net.Conn) {
		buf := make([]byte, 1024)
		c.Read(buf)
		c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
		c.Close()
	})
	start := time.Now()
	rep := runOrFatal(t, context.Background(), Config{
		Target: "http://" + addr + "/", Mode: ModeH2C, Requests: 30, Clients: 3, StreamsPerClient: 5,
		RequestTimeout: 2 * time.Second,
	})
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("a peer that is not HTTP/2 ends the run quickly, took %v", el)
	}
	if q := rep.Requests; q.Succeeded != 0 || q.Errored != 30 || q.Done != 30 {
		t.Errorf("no response from a non-HTTP/2 peer counts: %+v %v", q, rep.Errors)
	}
}

func TestRunH2CRefused(t *testing.T) {
	rep := runOrFatal(t, context.Background(), Config{
		Target: "http://" + refusedAddr(t) + "/", Mode: ModeH2C, Requests: 20, Clients: 2,
	})
	if q := rep.Requests; q.Errored != 20 || q.Started != 0 || rep.Connections.Failed != 2 {
		t.Errorf("a refused h2c target fails every request: %+v %+v", q, rep.Connections)
	}
}

func TestInteropH2CxNetHTTP2(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-test") != "yes" || r.Header.Get("user-agent") != "ngloop-bench" {
			http.Error(w, "missing headers", http.StatusBadRequest)
			return
		}
		w.Write([]byte(strings.Repeat("x", 1000)))
	})
	mux.HandleFunc("/reset", func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler) // RST_STREAM INTERNAL_ERROR
	})
	mux.HandleFunc("/stall", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	base := startXNetH2C(t, mux)

	t.Run("responses", func(t *testing.T) {
		rep := runOrFatal(t, context.Background(), Config{
			Target: base + "/", Mode: ModeH2C, Requests: 500, Clients: 2, StreamsPerClient: 8,
			Headers: []Header{{Name: "X-Test", Value: "yes"}},
		})
		if rep.Requests.Succeeded != 500 || rep.Status[200] != 500 || rep.Traffic.Data != 500*1000 {
			t.Errorf("x/net/http2 answers every request: %+v %v %+v %v", rep.Requests, rep.Status, rep.Traffic, rep.Errors)
		}
	})
	t.Run("reset streams", func(t *testing.T) {
		rep := runOrFatal(t, context.Background(), Config{
			Target: base + "/reset", Mode: ModeH2C, Requests: 40, Clients: 2, StreamsPerClient: 4,
		})
		if q := rep.Requests; q.Succeeded != 0 || q.Errored != 40 || q.Done != 40 {
			t.Errorf("reset streams are errored: %+v %v", q, rep.Errors)
		}
	})
	t.Run("stalled", func(t *testing.T) {
		start := time.Now()
		rep := runOrFatal(t, context.Background(), Config{
			Target: base + "/stall", Mode: ModeH2C, Requests: 40, Clients: 2, StreamsPerClient: 4,
			RequestTimeout: 200 * time.Millisecond,
		})
		if el := time.Since(start); el > 3*time.Second {
			t.Errorf("a stalled server ends the run after about one timeout, took %v", el)
		}
		if q := rep.Requests; q.Succeeded != 0 || q.TimedOut != 8 || q.Errored != 32 || q.Done != 40 {
			t.Errorf("in-flight requests time out, the rest is abandoned: %+v", q)
		}
	})
}

func TestRunH2CCancelReturnsPartialReport(t *testing.T) {
	base := startH2CEcho(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	start := time.Now()
	rep := runOrFatal(t, ctx, Config{Target: base + "/", Mode: ModeH2C, Duration: time.Hour, Clients: 2, StreamsPerClient: 4})
	if el := time.Since(start); el > 3*time.Second {
		t.Fatalf("cancel stops an h2c run promptly, took %v", el)
	}
	if !rep.Interrupted || rep.Requests.Succeeded == 0 || rep.Requests.Failed != 0 {
		t.Errorf("partial report with the work done and no false failures: %+v", rep.Requests)
	}
}

func TestRunH2CRejectsHTTPS(t *testing.T) {
	_, err := Run(context.Background(), Config{Target: "https://127.0.0.1:1/", Mode: ModeH2C, Requests: 1})
	if !errors.Is(err, ErrBadTarget) {
		t.Errorf("https is not h2c: %v", err)
	}
}

func TestRunH2CSteadyStateAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own; run without -race")
	}
	base := startH2CEcho(t)
	perReq := mallocsPerRequest(t, Config{Target: base + "/", Mode: ModeH2C, Clients: 2, StreamsPerClient: 8}, 2000, 22000)
	if perReq > 0.05 {
		t.Errorf("h2c steady state allocates %.4f times per request, want about 0", perReq)
	}
}
