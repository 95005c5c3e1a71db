package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ngloop/ngloop/bench"
)

func TestParseFlagsH2loadSpelling(t *testing.T) {
	dir := t.TempDir()
	bodyFile := filepath.Join(dir, "body")
	if err := os.WriteFile(bodyFile, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, o *options)
	}{
		{"glued short flags", []string{"-n100000", "-c100", "-m10", "-t2", "http://127.0.0.1:8080/x"}, func(t *testing.T, o *options) {
			c := o.cfg
			if c.Requests != 100000 || c.Clients != 100 || c.StreamsPerClient != 10 || c.Threads != 2 || c.Target != "http://127.0.0.1:8080/x" {
				t.Errorf("got %+v", c)
			}
		}},
		{"long flags", []string{"--requests=5", "--clients", "5", "--max-concurrent-streams=3", "--threads=1", "127.0.0.1:1"}, func(t *testing.T, o *options) {
			if o.cfg.Requests != 5 || o.cfg.Clients != 5 || o.cfg.StreamsPerClient != 3 {
				t.Errorf("got %+v", o.cfg)
			}
		}},
		{"duration in seconds overrides -n", []string{"-n", "50", "-D", "10", "--warm-up-time", "1.5", "127.0.0.1:1"}, func(t *testing.T, o *options) {
			if o.cfg.Duration != 10*time.Second || o.cfg.WarmUp != 1500*time.Millisecond || o.cfg.Requests != 0 {
				t.Errorf("got D=%v warm-up=%v n=%d", o.cfg.Duration, o.cfg.WarmUp, o.cfg.Requests)
			}
		}},
		{"duration with units", []string{"-D", "500ms", "127.0.0.1:1"}, func(t *testing.T, o *options) {
			if o.cfg.Duration != 500*time.Millisecond {
				t.Errorf("got %v", o.cfg.Duration)
			}
		}},
		{"headers", []string{"-H", "User-Agent: x y", "-H", ":authority: example.test", "127.0.0.1:1"}, func(t *testing.T, o *options) {
			want := []bench.Header{{Name: "user-agent", Value: "x y"}, {Name: ":authority", Value: "example.test"}}
			if len(o.cfg.Headers) != 2 || o.cfg.Headers[0] != want[0] || o.cfg.Headers[1] != want[1] {
				t.Errorf("got %+v", o.cfg.Headers)
			}
		}},
		{"-d file", []string{"-d", bodyFile, "127.0.0.1:1"}, func(t *testing.T, o *options) {
			if string(o.cfg.Body) != "hello" {
				t.Errorf("got %q", o.cfg.Body)
			}
		}},
		{"-d size", []string{"-d", "4k", "127.0.0.1:1"}, func(t *testing.T, o *options) {
			if len(o.cfg.Body) != 4096 {
				t.Errorf("got %d bytes", len(o.cfg.Body))
			}
		}},
		{"ours", []string{"--mode", "tcp-echo", "--json", "--csv", "t.csv", "--plot", "p.svg", "--rate", "100", "--progress=false", "127.0.0.1:1"}, func(t *testing.T, o *options) {
			if o.cfg.Mode != bench.ModeTCPEcho || !o.jsonOut || o.csvFile != "t.csv" || o.plotFile != "p.svg" || o.cfg.Rate != 100 || o.progress {
				t.Errorf("got %+v", o)
			}
		}},
		{"no target is the embedded default", []string{"-c", "4"}, func(t *testing.T, o *options) {
			if !o.embedded || !o.changed["clients"] || o.changed["duration"] {
				t.Errorf("got embedded=%v changed=%v", o.embedded, o.changed)
			}
		}},
		{"merge", []string{"--merge", "a.json", "b.json"}, func(t *testing.T, o *options) {
			if !o.merge || len(o.files) != 2 {
				t.Errorf("got %+v", o)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseFlags(tt.args, &bytes.Buffer{})
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, o)
		})
	}
}

func TestParseFlagsRejects(t *testing.T) {
	for _, args := range [][]string{
		{"-D", "soon", "x:1"},
		{"-D", "-3", "x:1"},
		{"-H", "nocolon", "x:1"},
		{"-H", ": value", "x:1"},
		{"-d", "/nonexistent/and-not-a-size", "x:1"},
		{"-d", "0", "x:1"},
		{"-d", "1000m", "x:1"},
		{"a:1", "b:1"},
		{"--merge"},
		{"--no-such-flag"},
	} {
		if _, err := parseFlags(args, &bytes.Buffer{}); err == nil {
			t.Errorf("parseFlags(%q) accepted bad input", args)
		}
	}
}

// echoServer is a plain TCP echo peer for the command tests.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 16<<10)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						if _, err := c.Write(buf[:n]); err != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestCommandWritesTextJSONCSVPlot(t *testing.T) {
	addr := echoServer(t)
	dir := t.TempDir()
	csvFile, plotFile := filepath.Join(dir, "t.csv"), filepath.Join(dir, "p.svg")
	var out, errOut bytes.Buffer
	code := realMain(context.Background(), []string{"--progress=false", "-n", "500", "-c", "2", "-m", "4",
		"--csv", csvFile, "--plot", plotFile, addr}, &out, &errOut)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut.String())
	}
	for _, want := range []string{"finished in", "requests: 500 total, 500 started, 500 done, 500 succeeded, 0 failed", "p99.9"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
	if b, err := os.ReadFile(csvFile); err != nil || !strings.HasPrefix(string(b), "second,done") {
		t.Errorf("CSV timeline written: %v %.40q", err, b)
	}
	if b, err := os.ReadFile(plotFile); err != nil || !bytes.Contains(b, []byte("<svg")) {
		t.Errorf("SVG plot written: %v", err)
	}
}

func TestCommandMergesJSONReports(t *testing.T) {
	addr := echoServer(t)
	dir := t.TempDir()
	var files []string
	for i, n := range []string{"300", "200"} {
		var out, errOut bytes.Buffer
		if code := realMain(context.Background(), []string{"--progress=false", "--json", "-n", n, "-c", "2", addr}, &out, &errOut); code != exitOK {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
		f := filepath.Join(dir, []string{"a.json", "b.json"}[i])
		if err := os.WriteFile(f, out.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	var out, errOut bytes.Buffer
	if code := realMain(context.Background(), append([]string{"--merge", "--json"}, files...), &out, &errOut); code != exitOK {
		t.Fatalf("merge exit %d: %s", code, errOut.String())
	}
	rep, err := bench.DecodeReport(&out, 0)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests.Succeeded != 500 || rep.Runs != 2 || rep.RequestTime.Count() != 500 || rep.Clients != 4 {
		t.Errorf("two runs of 300 and 200 merge into 500: %+v runs=%d samples=%d", rep.Requests, rep.Runs, rep.RequestTime.Count())
	}
}

func TestCommandInterruptPrintsPartialReport(t *testing.T) {
	addr := echoServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	var out, errOut bytes.Buffer
	code := realMain(ctx, []string{"--progress=false", "-D", "1h", "-c", "2", addr}, &out, &errOut)
	if code != exitInterrupted {
		t.Errorf("exit %d after Ctrl-C, want %d", code, exitInterrupted)
	}
	if !strings.Contains(out.String(), "interrupted: partial report") || !strings.Contains(out.String(), "finished in") {
		t.Errorf("the partial report is printed:\n%s", out.String())
	}
}

func TestCommandRefusedTargetReportsFailures(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var out, errOut bytes.Buffer
	code := realMain(context.Background(), []string{"--progress=false", "-n", "10", "-c", "2", addr}, &out, &errOut)
	if code != exitOK || !strings.Contains(out.String(), "0 succeeded, 10 failed, 10 errored") {
		t.Errorf("a refused target is a finished run with failures (exit %d):\n%s", code, out.String())
	}
}

func TestEmbeddedDefaultPrintsOneTable(t *testing.T) {
	var out, errOut bytes.Buffer
	code := realMain(context.Background(), []string{"--progress=false", "-D", "1s", "--warm-up-time", "200ms", "-c", "4", "-m", "4"}, &out, &errOut)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	s := out.String()
	rows := map[string][]string{}
	for _, line := range strings.Split(s, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			rows[f[0]] = f
		}
	}
	for m := range embeddedServers {
		f := rows[string(m)]
		if len(f) < 3 || f[1] == "not" || f[len(f)-1] != "0" || f[len(f)-2] == "0" {
			t.Errorf("%s has a measured row with successes and no failures: %q\n%s", m, f, s)
		}
	}
	for _, m := range bench.Modes() {
		if !strings.Contains(s, string(m)) {
			t.Errorf("every registered mode has a row; %s is missing:\n%s", m, s)
		}
		if bench.Available(m) != nil && !strings.Contains(s, "\n"+string(m)+strings.Repeat(" ", 11-len(m))+" not available yet: ") {
			t.Errorf("an unavailable mode says so: %s\n%s", m, s)
		}
	}
}

func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{"a: b", ":authority: x", ":", "::", "x", "", " : v"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseHeader(s)
		if err != nil {
			return
		}
		if h.Name == "" || h.Name == ":" || strings.ToLower(h.Name) != h.Name {
			t.Errorf("parseHeader(%q) = %+v: empty or upper-case name accepted", s, h)
		}
	})
}

func FuzzParseSizeAndDuration(f *testing.F) {
	for _, s := range []string{"64", "4k", "1m", "1.5", "500ms", "-1", "1e308", "k", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := parseSize(s); err == nil && (n < 0 || n > maxBody) {
			t.Errorf("parseSize(%q) = %d beyond the bound", s, n)
		}
		var d durationValue
		if err := d.Set(s); err == nil && d.d < 0 {
			t.Errorf("duration %q parsed negative: %v", s, d.d)
		}
	})
}

func TestCommandExitCodes(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want int
	}{
		{[]string{"--help"}, exitOK},
		{[]string{"--no-such-flag"}, exitUsage},
		{[]string{"-n", "1", "-c", "2", "127.0.0.1:1"}, exitUsage},
		{[]string{"--mode", "no-such-mode", "127.0.0.1:1"}, exitUsage},
		{[]string{"--merge", "/nonexistent.json"}, exitFail},
	} {
		var out, errOut bytes.Buffer
		if got := realMain(context.Background(), tt.args, &out, &errOut); got != tt.want {
			t.Errorf("bench %q exits %d, want %d (%s)", tt.args, got, tt.want, errOut.String())
		}
		if strings.Contains(errOut.String(), "bench: bench:") {
			t.Errorf("error printed with a doubled prefix: %q", errOut.String())
		}
	}
}
