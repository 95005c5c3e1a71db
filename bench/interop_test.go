package bench

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// freePort returns a loopback port nothing listens on (bound and released:
// the external servers below take a port number, not a listener).
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startNghttpd runs Debian's nghttpd (nghttp2's server) in h2c mode on
// 127.0.0.1 serving a 1000-byte file, and returns the file's URL.
func startNghttpd(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("nghttpd")
	if err != nil {
		t.Skip("nghttpd not installed (Debian package nghttp2-server); skipping the nghttp2 interop test")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.html"), bytes.Repeat([]byte("n"), 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	cmd := exec.Command(bin, "--no-tls", "-a", "127.0.0.1", "-d", dir, strconv.Itoa(port))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(5 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nghttpd did not listen on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "http://" + addr + "/index.html"
}

func TestInteropNghttpdH2C(t *testing.T) {
	url := startNghttpd(t)
	rep := runOrFatal(t, context.Background(), Config{
		Target: url, Mode: ModeH2C, Requests: 2000, Clients: 4, StreamsPerClient: 10,
	})
	if q := rep.Requests; q.Succeeded != 2000 || q.Failed != 0 || rep.Status[200] != 2000 || rep.Traffic.Data != 2000*1000 {
		t.Errorf("nghttpd answers every request with its 1000-byte file: %+v %v %+v %v", q, rep.Status, rep.Traffic, rep.Errors)
	}
	missing := runOrFatal(t, context.Background(), Config{
		Target: url + ".missing", Mode: ModeH2C, Requests: 100, Clients: 1, StreamsPerClient: 10,
	})
	if q := missing.Requests; q.Failed != 100 || q.Errored != 0 || missing.Status[404] != 100 {
		t.Errorf("nghttpd's 404s are HTTP-level failures: %+v %v", q, missing.Status)
	}
}

// h2loadRate matches h2load's "finished in 1.23s, 45678.90 req/s" line.
var h2loadRate = regexp.MustCompile(`finished in [^,]+, ([0-9.]+) req/s`)

// TestInteropH2loadSameRate runs h2load and the harness alternately with
// the same flags against nghttpd and against the engine's h2c echo (the
// server of cmd/echo), and logs both request rates. It checks that both
// complete every request; the rates are logged, not asserted (the machine
// is shared; see the README for measured figures).
func TestInteropH2loadSameRate(t *testing.T) {
	h2load, err := exec.LookPath("h2load")
	if err != nil {
		t.Skip("h2load not installed (Debian package nghttp2-client); skipping the side-by-side run")
	}
	targets := map[string]string{"nghttpd": startNghttpd(t), "cmd/echo h2c": startH2CEcho(t) + "/"}
	const n, c, m = 20000, 10, 10
	for name, url := range targets {
		for round := range 2 {
			out, err := exec.Command(h2load, "-n", strconv.Itoa(n), "-c", strconv.Itoa(c), "-m", strconv.Itoa(m), "-t", "1", url).CombinedOutput()
			if err != nil {
				t.Fatalf("h2load: %v\n%s", err, out)
			}
			match := h2loadRate.FindSubmatch(out)
			if match == nil || !bytes.Contains(out, []byte("20000 succeeded")) {
				t.Fatalf("h2load did not finish every request against %s:\n%s", name, out)
			}
			rep := runOrFatal(t, context.Background(), Config{
				Target: url, Mode: ModeH2C, Requests: n, Clients: c, StreamsPerClient: m, Threads: 1,
			})
			if rep.Requests.Succeeded != n {
				t.Fatalf("harness against %s: %+v %v", name, rep.Requests, rep.Errors)
			}
			t.Logf("%s, round %d: h2load %s req/s, harness %.0f req/s (-n %d -c %d -m %d -t 1)",
				name, round, match[1], rep.RequestsPerSecond(), n, c, m)
		}
	}
}
