package h2conn

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ngloop/ngloop/loop"
)

// TestInteropClientNghttpd fetches from nghttpd (Debian nghttp2-server)
// with the package's client: 1000 requests, 100 at a time, on one
// connection, then a graceful shutdown.
func TestInteropClientNghttpd(t *testing.T) {
	bin, err := exec.LookPath("nghttpd")
	if err != nil {
		t.Skip("nghttpd not installed; skipping the client interop test")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "index.html"), []byte("Hello, world\n"), 0o600)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	cmd := exec.Command(bin, "--no-tls", "-n", "1", "-d", dir, port)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	go bufio.NewReader(out).WriteTo(new(strings.Builder))
	addr := "127.0.0.1:" + port
	for i := 0; ; i++ {
		nc, err := net.Dial("tcp", addr)
		if err == nil {
			nc.Close()
			break
		}
		if i == 100 {
			t.Fatalf("nghttpd did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	e, err := loop.NewEngine(loop.Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopQuietly(e) })
	cc, w := dialClient(t, e, addr)
	d := &countingDriver{driver: driver{cc: cc, done: make(chan struct{}, 1)}}
	d.driver.req = Request{Path: []byte("/index.html")}
	d.run(1000, 100)
	if d.failed != 0 || d.bytes != 1000*13 {
		t.Fatalf("nghttpd: %d failed, %d body octets, want 0 and %d", d.failed, d.bytes, 1000*13)
	}
	cc.Execute(func(cc *ClientConn) { cc.Shutdown() })
	select {
	case err := <-w.down:
		if err != nil {
			t.Fatalf("client shutdown against nghttpd ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("client connection to nghttpd did not close after Shutdown")
	}
}

// countingDriver is a driver that also counts body octets.
type countingDriver struct {
	driver
	bytes int
}

func (d *countingDriver) OnData(_ *ClientStream, b []byte) { d.bytes += len(b) }

func (d *countingDriver) run(n, conc int) {
	d.cc.Execute(func(*ClientConn) {
		d.left = n
		for i := 0; i < conc && d.left > 0; i++ {
			d.submitTo(d)
		}
	})
	select {
	case <-d.done:
	case <-time.After(20 * time.Second):
		panic("countingDriver: requests did not complete")
	}
}
