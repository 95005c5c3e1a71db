package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/ngloop/ngloop/loop"
)

// startH2CEcho runs the h2c echo service on a fresh engine, the same
// handler and options the command uses, and returns its address.
func startH2CEcho(t *testing.T) string { return startService(t, listenH2C) }

// startService runs one of the command's services (its listen function)
// on a fresh two-loop engine stopped at the end of the test, and returns
// the bound address.
func startService(t *testing.T, listen func(*loop.Engine, string) (func() string, error)) string {
	t.Helper()
	e, err := loop.NewEngine(loop.Options{Loops: 2})
	if err != nil {
		t.Fatal(err)
	}
	bound, err := listen(e, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := e.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return bound()
}

// h2cClient is an x/net/http2 Transport speaking h2c with prior knowledge.
func h2cClient() *http.Client {
	return &http.Client{Timeout: 20 * time.Second, Transport: &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}}
}

func checkH2CHello(t *testing.T, addr string) {
	t.Helper()
	resp, err := h2cClient().Get("http://" + addr + "/")
	if err != nil {
		t.Fatalf("GET / over h2c: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "Hello, world\n" || resp.ProtoMajor != 2 {
		t.Fatalf("GET / = %d %q over HTTP/%d, want 200 %q over HTTP/2", resp.StatusCode, body, resp.ProtoMajor, "Hello, world\n")
	}
}

// TestInteropXNetHTTP2 drives the echo service with x/net/http2's
// Transport: every route, a 1 MiB echo, trailers, concurrent streams.
func TestInteropXNetHTTP2(t *testing.T) {
	addr := startH2CEcho(t)
	cl := h2cClient()
	base := "http://" + addr
	checkH2CHello(t, addr)

	payload := make([]byte, 1<<20)
	rand.Read(payload)
	req, _ := http.NewRequest("POST", base+"/echo", bytes.NewReader(payload))
	req.Header.Set("te", "trailers")
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatalf("POST /echo: %v", err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("POST /echo of 1 MiB returned %d octets (%v), want the same 1 MiB back", len(got), err)
	}
	if v := resp.Trailer.Get("x-echo-bytes"); v != strconv.Itoa(len(payload)) {
		t.Fatalf("echo trailer x-echo-bytes = %q, want %d", v, len(payload))
	}

	for _, n := range []int{0, 1, 16384, 3 << 20} {
		resp, err := cl.Get(base + "/bytes/" + strconv.Itoa(n))
		if err != nil {
			t.Fatalf("GET /bytes/%d: %v", n, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || len(b) != n || resp.StatusCode != 200 {
			t.Fatalf("GET /bytes/%d = %d with %d octets (%v)", n, resp.StatusCode, len(b), err)
		}
	}

	for _, c := range []struct {
		method, path string
		status       int
	}{{"POST", "/", 200}, {"GET", "/nothing", 404}, {"PUT", "/echo", 404}, {"GET", "/bytes/x", 400}} {
		req, _ := http.NewRequest(c.method, base+c.path, strings.NewReader("abc"))
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", c.method, c.path, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Fatalf("%s %s = %d, want %d", c.method, c.path, resp.StatusCode, c.status)
		}
	}

	errs := make(chan error, 50)
	for i := 0; i < 50; i++ {
		go func(i int) {
			body := bytes.Repeat([]byte{byte(i)}, 10000+i)
			resp, err := cl.Post(base+"/echo", "application/octet-stream", bytes.NewReader(body))
			if err != nil {
				errs <- err
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && !bytes.Equal(b, body) {
				err = io.ErrUnexpectedEOF
			}
			errs <- err
		}(i)
	}
	for i := 0; i < 50; i++ {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent echo: %v", err)
		}
	}
}

// lookTool finds an external peer, or skips the test.
func lookTool(t *testing.T, name string, extra ...string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range extra {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skipf("%s not installed; skipping the interop test", name)
	return ""
}

func gopathBin() string {
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return ""
	}
	return filepath.Join(strings.TrimSpace(string(out)), "bin")
}

// TestInteropH2spec runs h2spec in strict mode against the echo service:
// every one of its 146 cases must pass.
func TestInteropH2spec(t *testing.T) {
	h2spec := lookTool(t, "h2spec", gopathBin())
	addr := startH2CEcho(t)
	host, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, h2spec, "-h", host, "-p", port, "-S", "-o", "5").CombinedOutput()
	text := string(out)
	m := regexp.MustCompile(`(\d+) tests, (\d+) passed, (\d+) skipped, (\d+) failed`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("h2spec produced no summary (err %v):\n%s", err, text)
	}
	t.Logf("h2spec: %s", m[0])
	if m[4] != "0" || m[1] != m[2] {
		failures := text
		if i := strings.Index(text, "Failures:"); i >= 0 {
			failures = text[i:]
		}
		t.Fatalf("h2spec -S: %s\n%s", m[0], failures)
	}
	if m[1] != "146" {
		t.Errorf("h2spec ran %s cases, want 146", m[1])
	}
}

// TestInteropNghttp fetches and posts with nghttp -v, trailers included.
func TestInteropNghttp(t *testing.T) {
	nghttp := lookTool(t, "nghttp")
	addr := startH2CEcho(t)
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(nghttp, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("nghttp %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	out := run("-v", "-H", "te: trailers", "http://"+addr+"/")
	for _, want := range []string{"Hello, world", ":status: 200", "x-echo-bytes: 13", "; END_STREAM | END_HEADERS"} {
		if !strings.Contains(out, want) {
			t.Fatalf("nghttp -v GET /: output lacks %q:\n%s", want, out)
		}
	}
	data := filepath.Join(t.TempDir(), "data")
	payload := bytes.Repeat([]byte("ngloop "), 30000)
	os.WriteFile(data, payload, 0o600)
	out = run("-v", "-d", data, "-H", "te: trailers", "http://"+addr+"/echo")
	if want := "x-echo-bytes: " + strconv.Itoa(len(payload)); !strings.Contains(out, want) {
		t.Fatalf("nghttp -v -d POST /echo: output lacks %q:\n%.3000s", want, out)
	}
	out = run("-u", "http://"+addr+"/")
	if !strings.Contains(out, "Hello, world") {
		t.Fatalf("nghttp -u (HTTP/1.1 Upgrade) GET /: %q", out)
	}
}

// TestInteropCurl uses curl with prior knowledge and with the HTTP/1.1
// Upgrade (curl --http2 on http://).
func TestInteropCurl(t *testing.T) {
	curl := lookTool(t, "curl")
	addr := startH2CEcho(t)
	data := filepath.Join(t.TempDir(), "data")
	payload := bytes.Repeat([]byte("0123456789"), 5000)
	os.WriteFile(data, payload, 0o600)
	for _, mode := range []string{"--http2-prior-knowledge", "--http2"} {
		out, err := exec.Command(curl, "-sS", "-v", mode, "http://"+addr+"/").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Hello, world") || !strings.Contains(string(out), "< HTTP/2 200") {
			t.Fatalf("curl %s GET / (%v):\n%s", mode, err, out)
		}
		if mode == "--http2" && !strings.Contains(string(out), "101 Switching Protocols") {
			t.Fatalf("curl --http2 did not upgrade:\n%s", out)
		}
		out, err = exec.Command(curl, "-sS", mode, "--data-binary", "@"+data, "http://"+addr+"/echo").Output()
		if err != nil || !bytes.Equal(out, payload) {
			t.Fatalf("curl %s POST /echo returned %d octets (%v), want %d", mode, len(out), err, len(payload))
		}
		// curl -v prints received trailers as "< name: value" lines.
		out, err = exec.Command(curl, "-sS", "-v", "-o", os.DevNull, mode, "-H", "te: trailers", "--data-binary", "@"+data, "http://"+addr+"/echo").CombinedOutput()
		if want := "< x-echo-bytes: " + strconv.Itoa(len(payload)); err != nil || !strings.Contains(string(out), want) {
			t.Fatalf("curl %s -v POST /echo with te: trailers lacks %q (%v):\n%s", mode, want, err, out)
		}
	}
}
