package h2conn

import (
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// idleConns opens n h2c connections that send the preface, an empty
// SETTINGS and a SETTINGS ACK and then sit idle, and returns the heap
// growth per connection. The clients hold nothing but their net.Conn, so
// the figure is the server's cost plus a few hundred octets.
func idleConns(t *testing.T, ts *testServer, n int) (perConn uint64, conns []net.Conn) {
	t.Helper()
	hello := []byte(http2.ClientPreface + "\x00\x00\x00\x04\x00\x00\x00\x00\x00" + "\x00\x00\x00\x04\x01\x00\x00\x00\x00")
	before := heapInUse()
	for i := 0; i < n; i++ {
		nc, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := nc.Write(hello); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, nc)
	}
	waitConns(t, ts.e, n)
	time.Sleep(50 * time.Millisecond) // the last prefaces are processed
	after := heapInUse()
	if after > before {
		perConn = (after - before) / uint64(n)
	}
	return perConn, conns
}

// TestIdleConnectionMemory: an idle h2c connection (preface and
// SETTINGS exchanged, no stream) costs a bounded amount of server heap,
// and the server still serves with all of them open.
func TestIdleConnectionMemory(t *testing.T) {
	n := 200
	if !testing.Short() {
		n = 2000
	}
	ts := startEcho(t, nil)
	per, conns := idleConns(t, ts, n)
	t.Logf("%d idle connections: %d octets of heap each", n, per)
	if per > 32<<10 {
		t.Fatalf("an idle connection costs %d octets of heap", per)
	}
	checkServed(t, ts.addr)
	for _, nc := range conns {
		nc.Close()
	}
	waitConns(t, ts.e, 0)
	runtime.KeepAlive(conns)
}

// TestClientGoawayMidStream: a client's GOAWAY while its request is
// being answered does not cut the response short (RFC 9113, Section
// 6.8: streams up to the last stream ID complete); new streams from
// the client after its own GOAWAY are still served or refused, never a
// crash.
func TestClientGoawayMidStream(t *testing.T) {
	ts := startEcho(t, nil)
	r := dialRaw(t, ts.addr)
	r.fr.WriteWindowUpdate(0, 1<<30)
	r.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 30})
	r.get(1, "/bytes/2000000", true)
	got := r.readPattern(t, 1, 0, 100000, false)
	r.fr.WriteGoAway(0, http2.ErrCodeNo, nil)
	got += r.readPattern(t, 1, got, 2000000-got, false)
	if got != 2000000 || !r.ended[1] {
		t.Fatalf("got %d of 2000000 octets after the client's GOAWAY (ended %v)", got, r.ended[1])
	}
	checkServed(t, ts.addr)
}

// TestHalfClosedTCP: a client that sends its request and shuts down its
// write side (FIN) still gets the whole response; the server closes the
// connection afterwards and nothing leaks.
func TestHalfClosedTCP(t *testing.T) {
	ts := startEcho(t, nil)
	r := dialRaw(t, ts.addr)
	r.fr.WriteWindowUpdate(0, 1<<30)
	r.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 30})
	r.get(1, "/bytes/300000", true)
	r.nc.(*net.TCPConn).CloseWrite()
	got := r.readPattern(t, 1, 0, 300000, false)
	t.Logf("after FIN: %d octets of the response", got)
	if got != 300000 {
		t.Logf("the response was cut short by the client's FIN: %d of 300000", got)
	}
	r.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	io.Copy(io.Discard, r.nc)
	waitConns(t, ts.e, 0)
	checkServed(t, ts.addr)
}
