package h2

// Conformance: h2spec (github.com/summerwind/h2spec), a peer nobody here
// wrote, against our server session over loopback TCP, driven by the
// interop test's goroutine driver.

import (
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

func h2specPath() string {
	if p, err := exec.LookPath("h2spec"); err == nil {
		return p
	}
	if gopath, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "h2spec")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// TestInteropH2spec runs every h2spec test case (generic, http2 and hpack
// groups, strict ones included) against our server session and requires
// all of them to pass.
func TestInteropH2spec(t *testing.T) {
	bin := h2specPath()
	if bin == "" {
		t.Skip("h2spec not installed (go install github.com/summerwind/h2spec/cmd/h2spec@v2.2.1+incompatible); skipping conformance run")
	}
	if testing.Short() {
		t.Skip("h2spec takes a few seconds; skipped with -short")
	}
	srv := newIxOurServer(t, nil)
	_, port, _ := strings.Cut(srv.ln.Addr().String(), ":")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "-h", "127.0.0.1", "-p", port, "-o", "2", "--strict", "-P", "/get").CombinedOutput()
	text := string(out)
	m := regexp.MustCompile(`(\d+) tests, (\d+) passed, (\d+) skipped, (\d+) failed`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("h2spec did not report a summary (err %v):\n%s", err, text)
	}
	failed, _ := strconv.Atoi(m[4])
	if failed > 0 {
		var lines []string
		for _, l := range strings.Split(text, "\n") {
			if strings.Contains(l, "×") || strings.Contains(l, "Expected") || strings.Contains(l, "Actual") {
				lines = append(lines, l)
			}
		}
		t.Fatalf("h2spec: %s\n%s", m[0], strings.Join(lines, "\n"))
	}
	t.Logf("h2spec: %s", m[0])
}
