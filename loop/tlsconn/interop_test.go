package tlsconn

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// lookTool finds an outside peer, or skips the test.
func lookTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skipf("%s not installed; skipping the interop test", name)
	return ""
}

func run(t *testing.T, timeout time.Duration, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%.4000s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestInteropNghttpTLS: nghttp -v over TLS, GET with trailers and a POST
// echo.
func TestInteropNghttpTLS(t *testing.T) {
	nghttp := lookTool(t, "nghttp")
	s := startServer(t, serverConfig{loops: 2, verify: true})
	out := run(t, 20*time.Second, nghttp, "-v", "-H", "te: trailers", "https://"+s.addr+"/")
	for _, want := range []string{"Hello, world", ":status: 200", "x-echo-bytes: 13", "The negotiated protocol: h2"} {
		if !strings.Contains(out, want) {
			t.Fatalf("nghttp -v GET / over TLS: output lacks %q:\n%s", want, out)
		}
	}
	data := filepath.Join(t.TempDir(), "data")
	payload := bytes.Repeat([]byte("ngloop "), 30000)
	os.WriteFile(data, payload, 0o600)
	out = run(t, 20*time.Second, nghttp, "-v", "-d", data, "-H", "te: trailers", "https://"+s.addr+"/echo")
	if want := "x-echo-bytes: " + strconv.Itoa(len(payload)); !strings.Contains(out, want) {
		t.Fatalf("nghttp -d POST /echo over TLS: output lacks %q:\n%.3000s", want, out)
	}
}

// TestInteropCurlTLS: curl --http2 -k negotiates h2 by ALPN; GET, POST
// echo and trailers.
func TestInteropCurlTLS(t *testing.T) {
	curl := lookTool(t, "curl")
	s := startServer(t, serverConfig{loops: 2, verify: true})
	url := "https://" + s.addr
	out := run(t, 20*time.Second, curl, "-sS", "-v", "-k", "--http2", url+"/")
	if !strings.Contains(out, "Hello, world") || !strings.Contains(out, "< HTTP/2 200") {
		t.Fatalf("curl --http2 -k GET /:\n%s", out)
	}
	data := filepath.Join(t.TempDir(), "data")
	payload := bytes.Repeat([]byte("0123456789"), 50000)
	os.WriteFile(data, payload, 0o600)
	got, err := exec.Command(curl, "-sS", "-k", "--http2", "--data-binary", "@"+data, url+"/echo").Output()
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("curl POST /echo over TLS returned %d octets (%v), want %d", len(got), err, len(payload))
	}
	out = run(t, 20*time.Second, curl, "-sS", "-v", "-k", "--http2", "-o", os.DevNull, "-H", "te: trailers", "--data-binary", "@"+data, url+"/echo")
	if want := "< x-echo-bytes: " + strconv.Itoa(len(payload)); !strings.Contains(out, want) {
		t.Fatalf("curl -v POST /echo with te: trailers lacks %q:\n%s", want, out)
	}
}

// TestInteropH2loadTLS: h2load over TLS, every request answered.
func TestInteropH2loadTLS(t *testing.T) {
	h2load := lookTool(t, "h2load")
	s := startServer(t, serverConfig{loops: 2, verify: true})
	out := run(t, 60*time.Second, h2load, "-n", "20000", "-c", "8", "-m", "10", "https://"+s.addr+"/")
	for _, want := range []string{"Application protocol: h2", "20000 succeeded, 0 failed, 0 errored"} {
		if !strings.Contains(out, want) {
			t.Fatalf("h2load over TLS: output lacks %q:\n%s", want, out)
		}
	}
	if m := regexp.MustCompile(`finished in .*`).FindString(out); m != "" {
		t.Logf("h2load -n 20000 -c 8 -m 10 over TLS: %s", m)
	}
}

// TestInteropH2specTLS runs h2spec in strict mode over TLS: every case
// passes, the TLS ones (9.2) included.
func TestInteropH2specTLS(t *testing.T) {
	h2spec := lookTool(t, "h2spec")
	s := startServer(t, serverConfig{loops: 2, verify: true})
	host, port, _ := strings.Cut(s.addr, ":")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, h2spec, "-t", "-k", "-h", host, "-p", port, "-S", "-o", "5").CombinedOutput()
	text := string(out)
	m := regexp.MustCompile(`(\d+) tests, (\d+) passed, (\d+) skipped, (\d+) failed`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("h2spec produced no summary (err %v):\n%s", err, text)
	}
	t.Logf("h2spec -t -k -S: %s", m[0])
	if m[4] != "0" || m[1] != m[2] {
		if i := strings.Index(text, "Failures:"); i >= 0 {
			text = text[i:]
		}
		t.Fatalf("h2spec -t -S: %s\n%s", m[0], text)
	}
}
