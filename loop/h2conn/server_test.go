package h2conn

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/ngloop/ngloop/h2"
	"github.com/ngloop/ngloop/loop"
)

// holdHandler answers GET / at once and keeps GET /hold open until its
// release channel is closed.
type holdHandler struct {
	Echo
	held    chan *Stream
	release chan struct{}
}

func (h *holdHandler) OnRequest(st *Stream) {
	if string(st.Path()) != "/hold" {
		h.Echo.OnRequest(st)
		return
	}
	_ = st.RespondStream(200, nil)
	h.held <- st
	go func() {
		<-h.release
		st.Conn().Execute(func(*ServerConn) {
			st.Write([]byte("released"))
			st.End()
		})
	}()
}

// TestServerGracefulShutdown follows RFC 9113, Section 6.8 on Stop: a
// GOAWAY notice with 2^31-1, a PING, the final GOAWAY with the last
// processed stream once the PING is answered, the stream in flight
// completed, then the close.
func TestServerGracefulShutdown(t *testing.T) {
	h := &holdHandler{held: make(chan *Stream, 1), release: make(chan struct{})}
	ts := startServer(t, h, &ServerOptions{ShutdownPingTimeout: 10 * time.Second}, loop.Options{})
	r := dialRaw(t, ts.addr)
	r.get(1, "/hold", true)
	<-h.held
	stopped := make(chan error, 1)
	go func() { stopped <- ts.e.Stop(context.Background()) }()

	g := r.goaway("shutdown notice")
	if g.LastStreamID != 1<<31-1 || g.ErrCode != http2.ErrCodeNo {
		t.Fatalf("first GOAWAY is last=%d %v, want the notice: last=2^31-1 NO_ERROR", g.LastStreamID, g.ErrCode)
	}
	var ping *http2.PingFrame
	for ping == nil {
		f := r.next()
		if f == nil {
			t.Fatal("connection closed before the shutdown PING")
		}
		ping, _ = f.(*http2.PingFrame)
	}
	// A stream the client opened before it saw the notice is still served.
	r.get(3, "/", true)
	r.fr.WritePing(true, ping.Data)
	g = r.goaway("final GOAWAY")
	if g.LastStreamID != 3 || g.ErrCode != http2.ErrCodeNo {
		t.Fatalf("final GOAWAY is last=%d %v, want last=3 NO_ERROR", g.LastStreamID, g.ErrCode)
	}
	close(h.release)
	r.closed("after the final GOAWAY")
	if !r.ended[1] || !r.ended[3] {
		t.Fatalf("streams completed before the close: %v, want 1 and 3", r.ended)
	}
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("Stop returned %v, want nil after a graceful drain", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not return")
	}
}

// TestServerShutdownWithoutPingAnswer sends the final GOAWAY after
// ShutdownPingTimeout when the peer never answers the PING.
func TestServerShutdownWithoutPingAnswer(t *testing.T) {
	ts := startEcho(t, &ServerOptions{ShutdownPingTimeout: 50 * time.Millisecond})
	r := dialRaw(t, ts.addr)
	go ts.e.Stop(context.Background())
	if g := r.goaway("notice"); g.LastStreamID != 1<<31-1 {
		t.Fatalf("first GOAWAY last=%d, want the notice", g.LastStreamID)
	}
	if g := r.goaway("final"); g.LastStreamID != 0 || g.ErrCode != http2.ErrCodeNo {
		t.Fatalf("final GOAWAY last=%d %v, want 0 NO_ERROR", g.LastStreamID, g.ErrCode)
	}
	r.closed("after the final GOAWAY")
}

// TestServerIdleTimeout closes a connection without streams that sent
// nothing for IdleTimeout, with GOAWAY NO_ERROR; a busy one stays.
func TestServerIdleTimeout(t *testing.T) {
	ts := startEcho(t, &ServerOptions{IdleTimeout: 100 * time.Millisecond})
	r := dialRaw(t, ts.addr)
	start := time.Now()
	if g := r.goaway("idle"); g.ErrCode != http2.ErrCodeNo {
		t.Fatalf("idle GOAWAY code %v, want NO_ERROR", g.ErrCode)
	}
	if d := time.Since(start); d < 80*time.Millisecond {
		t.Fatalf("idle connection closed after %v, before IdleTimeout", d)
	}
	r.closed("idle")
	if ts.srv.Stats().IdleClose.Load() != 1 {
		t.Fatalf("IdleClose = %d, want 1", ts.srv.Stats().IdleClose.Load())
	}
}

// TestServerPrefaceTimeout closes a connection that never sends the
// preface.
func TestServerPrefaceTimeout(t *testing.T) {
	ts := startEcho(t, &ServerOptions{PrefaceTimeout: 100 * time.Millisecond})
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.Write([]byte("PRI * HTTP/2.0\r\n")) // half a preface, then silence
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := nc.Read(make([]byte, 100)); err != io.EOF {
		t.Fatalf("read %d, %v from a connection stuck in its preface, want EOF", n, err)
	}
}

// TestServerSettingsTimeout: a client that never acknowledges our
// SETTINGS gets GOAWAY SETTINGS_TIMEOUT (RFC 9113, Section 6.5.3).
func TestServerSettingsTimeout(t *testing.T) {
	ts := startEcho(t, &ServerOptions{Session: h2.Options{SettingsTimeout: uint64(100 * time.Millisecond)}})
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(nc, http2.ClientPreface)
	fr := http2.NewFramer(nc, nc)
	fr.WriteSettings()
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("connection ended (%v) without GOAWAY SETTINGS_TIMEOUT", err)
		}
		if g, ok := f.(*http2.GoAwayFrame); ok {
			if g.ErrCode != http2.ErrCodeSettingsTimeout {
				t.Fatalf("GOAWAY %v, want SETTINGS_TIMEOUT", g.ErrCode)
			}
			return
		}
	}
}

// h1 sends an HTTP/1.1 request and returns the status line.
func h1(t *testing.T, addr, req string) string {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(nc, req)
	line, err := bufio.NewReader(nc).ReadString('\n')
	if err != nil {
		t.Fatalf("no HTTP/1.1 answer to %q: %v", req, err)
	}
	return strings.TrimSpace(line)
}

// TestServerUpgradeRefusals: requests the upgrade path will not take get
// an HTTP/1.1 answer and the connection closes.
func TestServerUpgradeRefusals(t *testing.T) {
	ts := startEcho(t, &ServerOptions{MaxUpgradeHeaderSize: 1024, MaxUpgradeBodySize: 100})
	up := "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n"
	for _, c := range []struct{ name, req, want string }{
		{"plain HTTP/1.1", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 426 Upgrade Required"},
		{"no HTTP2-Settings", "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n", "HTTP/1.1 426 Upgrade Required"},
		{"head too large", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 2000) + "\r\n\r\n", "HTTP/1.1 431 Request Header Fields Too Large"},
		{"body too large", "POST /echo HTTP/1.1\r\nHost: x\r\n" + up + "Content-Length: 101\r\n\r\n", "HTTP/1.1 413 Content Too Large"},
		{"chunked body", "POST /echo HTTP/1.1\r\nHost: x\r\n" + up + "Transfer-Encoding: chunked\r\n\r\n", "HTTP/1.1 411 Length Required"},
		{"bad settings", "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAA\r\n\r\n", "HTTP/1.1 400 Bad Request"},
		{"no host", "GET / HTTP/1.1\r\n" + up + "\r\n", "HTTP/1.1 400 Bad Request"},
	} {
		if got := h1(t, ts.addr, c.req); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
	checkServed(t, ts.addr)
}

// TestServerUpgrade: an upgraded request is answered on stream 1 after
// the 101, and the connection goes on as HTTP/2.
func TestServerUpgrade(t *testing.T) {
	ts := startEcho(t, nil)
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(nc, "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"+
		"HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nTE: trailers\r\nContent-Length: 5\r\n\r\nhello")
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade answer %v, %v; want 101", resp, err)
	}
	io.WriteString(nc, http2.ClientPreface)
	fr := http2.NewFramer(nc, br)
	fr.WriteSettings()
	var body []byte
	trailer := false
	for !trailer {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("after the upgrade: %v (body so far %q)", err, body)
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				fr.WriteSettingsAck()
			}
		case *http2.DataFrame:
			if f.StreamID != 1 {
				t.Fatalf("DATA on stream %d, want 1", f.StreamID)
			}
			body = append(body, f.Data()...)
		case *http2.HeadersFrame:
			trailer = f.StreamEnded()
		}
	}
	if string(body) != "hello" {
		t.Fatalf("upgraded echo returned %q, want hello", body)
	}
}
