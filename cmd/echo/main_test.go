package main

import (
	"bufio"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestEchoCommand builds the command, runs it on a free port, echoes
// through it and stops it with SIGTERM.
func TestEchoCommand(t *testing.T) {
	cmd, lines := startEcho(t, "-tcp", "127.0.0.1:0", "-udp", "127.0.0.1:0", "-h2c", "127.0.0.1:0", "-loops", "2")
	addrs := readListening(t, lines, "tcp", "udp", "h2c")
	checkH2CHello(t, addrs["h2c"])
	nc, err := net.Dial("tcp", addrs["tcp"])
	if err != nil {
		t.Fatal(err)
	}
	uc, err := net.Dial("udp", addrs["udp"])
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	uc.SetDeadline(time.Now().Add(10 * time.Second))
	uc.Write([]byte("datagram"))
	ubuf := make([]byte, 64)
	if n, err := uc.Read(ubuf); err != nil || string(ubuf[:n]) != "datagram" {
		t.Fatalf("UDP echo read %q, %v", ubuf[:n], err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	nc.Write([]byte("hello echo"))
	got := make([]byte, 10)
	if _, err := io.ReadFull(nc, got); err != nil || string(got) != "hello echo" {
		t.Fatalf("echo read %q, %v", got, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The open connection gets closed by the graceful stop.
	if _, err := nc.Read(got); err != io.EOF {
		t.Fatalf("after SIGTERM read returned %v, want EOF", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("echo exited with %v after SIGTERM", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("echo did not exit after SIGTERM")
	}
}

// readListening reads "<name> echo listening on <addr>" lines until every
// name has reported, and returns the addresses by name.
func readListening(t *testing.T, lines *bufio.Scanner, names ...string) map[string]string {
	t.Helper()
	addrs := map[string]string{}
	for len(addrs) < len(names) && lines.Scan() {
		name, addr, ok := strings.Cut(lines.Text(), " echo listening on ")
		if !ok {
			t.Fatalf("unexpected output line %q", lines.Text())
		}
		addrs[name] = addr
	}
	for _, n := range names {
		if addrs[n] == "" {
			t.Fatalf("echo did not report a %s listener (got %v)", n, addrs)
		}
	}
	return addrs
}

// startEcho builds the command and starts it with args; it is killed at
// the end of the test if still running. The scanner reads its stdout.
func startEcho(t *testing.T, args ...string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "echo")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd, bufio.NewScanner(stdout)
}
