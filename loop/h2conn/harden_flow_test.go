package h2conn

import (
	"bytes"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// cpuTime is the process's user+system CPU time.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// readBody reads stream 1's DATA until want octets or END_STREAM,
// crediting the connection window back as it goes (the stream window is
// the test's to manage), and checks the content against the echo's
// pattern from offset off.
func (r *rawConn) readPattern(t *testing.T, id uint32, off, want int, creditStream bool) int {
	t.Helper()
	got := 0
	for got < want && !r.ended[id] {
		f := r.next()
		if f == nil {
			t.Fatalf("connection closed after %d of %d octets", got, want)
		}
		switch f := f.(type) {
		case *http2.DataFrame:
			d := f.Data()
			for i, b := range d {
				if b != pattern[(off+got+i)%len(pattern)] {
					t.Fatalf("octet %d is %q, want %q", off+got+i, b, pattern[(off+got+i)%len(pattern)])
				}
			}
			got += len(d)
			if len(d) > 0 {
				r.fr.WriteWindowUpdate(0, uint32(len(d)))
				if creditStream {
					r.fr.WriteWindowUpdate(id, uint32(len(d)))
				}
			}
		case *http2.RSTStreamFrame:
			t.Fatalf("RST_STREAM %v after %d octets", f.ErrCode, got)
		case *http2.GoAwayFrame:
			t.Fatalf("GOAWAY %v after %d octets", f.ErrCode, got)
		}
	}
	return got
}

// TestFlowInitialWindowChanges: SETTINGS_INITIAL_WINDOW_SIZE moves
// mid-transfer, down to 0 (the stream window goes negative, RFC 9113,
// Section 6.9.2) and back up; the server stops sending while the window
// is shut, without spinning the CPU, and resumes where it stopped with
// the content intact.
func TestFlowInitialWindowChanges(t *testing.T) {
	ts := startEcho(t, nil)
	r := dialRaw(t, ts.addr)
	r.fr.WriteWindowUpdate(0, 1<<30)
	const total = 1 << 20
	r.get(1, "/bytes/1048576", true)
	got := r.readPattern(t, 1, 0, 40000, false)
	// Shut every stream window: 65535 - sent goes to -sent.
	r.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 0})
	// Drain what was in flight, up to the SETTINGS ACK.
	for {
		f := r.next()
		if f == nil {
			t.Fatal("connection closed")
		}
		if d, ok := f.(*http2.DataFrame); ok {
			got += len(d.Data())
		}
		if s, ok := f.(*http2.SettingsFrame); ok && s.IsAck() {
			break
		}
	}
	if got > 65535 {
		t.Fatalf("server sent %d octets on a 65535 window", got)
	}
	// Nothing may come while the window is shut, and the server must
	// not spin waiting.
	cpu0 := cpuTime(t)
	r.nc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if f, err := r.fr.ReadFrame(); err == nil {
		t.Fatalf("server sent %v with the stream window shut", f)
	}
	if used := cpuTime(t) - cpu0; used > 150*time.Millisecond {
		t.Fatalf("the process used %v of CPU in 300ms while the only stream was blocked on flow control", used)
	}
	r.nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	// A WINDOW_UPDATE that only brings the window back to 0 still
	// blocks; the SETTINGS back up opens it again.
	r.fr.WriteWindowUpdate(1, uint32(got))
	r.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 20})
	got += r.readPattern(t, 1, got, total-got, true)
	if got != total || !r.ended[1] {
		t.Fatalf("received %d of %d octets (ended %v)", got, total, r.ended[1])
	}
}

// TestFlowWindowOverflow: WINDOW_UPDATE past 2^31-1 is a connection
// error on stream 0 and a stream error on a stream (RFC 9113, Section
// 6.9.1); SETTINGS_INITIAL_WINDOW_SIZE that overflows an open stream's
// window is a connection error FLOW_CONTROL_ERROR (Section 6.9.2).
func TestFlowWindowOverflow(t *testing.T) {
	ts := startEcho(t, nil)
	post := func(r *rawConn, id uint32) {
		r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, EndHeaders: true,
			BlockFragment: r.block(":method", "POST", ":scheme", "http", ":authority", "x", ":path", "/echo")})
	}
	t.Run("connection", func(t *testing.T) {
		r := dialRaw(t, ts.addr)
		r.fr.WriteWindowUpdate(0, 1<<31-1)
		wantGoaway(t, r, http2.ErrCodeFlowControl, "connection window overflow")
	})
	t.Run("stream", func(t *testing.T) {
		r := dialRaw(t, ts.addr)
		post(r, 1)
		r.fr.WriteWindowUpdate(1, 1<<31-1)
		for {
			f := r.next()
			if f == nil {
				t.Fatal("connection closed instead of resetting the stream")
			}
			if rst, ok := f.(*http2.RSTStreamFrame); ok {
				if rst.StreamID != 1 || rst.ErrCode != http2.ErrCodeFlowControl {
					t.Fatalf("RST_STREAM %d %v, want 1 FLOW_CONTROL_ERROR", rst.StreamID, rst.ErrCode)
				}
				break
			}
			if g, ok := f.(*http2.GoAwayFrame); ok {
				t.Fatalf("GOAWAY %v, want a stream error", g.ErrCode)
			}
		}
		r.get(3, "/", true) // the connection goes on
		for !r.ended[3] {
			if r.next() == nil {
				t.Fatal("connection closed after the stream error")
			}
		}
	})
	t.Run("settings", func(t *testing.T) {
		r := dialRaw(t, ts.addr)
		post(r, 1)
		r.fr.WriteWindowUpdate(1, 1<<31-1-65535)
		r.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 65536})
		wantGoaway(t, r, http2.ErrCodeFlowControl, "SETTINGS overflowing a stream window")
	})
	checkServed(t, ts.addr)
}

// TestFlowEchoUnreadBounded: a client that POSTs to /echo, obeys the
// server's flow control but never credits the echo back is held by flow
// control: the server credits the request body only as the echo leaves,
// so once the client's receive window is full the server stops granting
// window and the client can send nothing more. The server holds at most
// one window of echo per stream.
func TestFlowEchoUnreadBounded(t *testing.T) {
	attack(t, nil, func(t *testing.T, ts *testServer) {
		r := dialRaw(t, ts.addr)
		r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndHeaders: true,
			BlockFragment: r.block(":method", "POST", ":scheme", "http", ":authority", "x", ":path", "/echo")})
		chunk := bytes.Repeat([]byte("e"), 16384)
		connWin, streamWin := int64(65535), int64(65535)
		sent, echoed := int64(0), int64(0)
		for {
			for connWin > 0 && streamWin > 0 {
				n := min(int64(len(chunk)), connWin, streamWin)
				r.fr.WriteData(1, false, chunk[:n])
				connWin, streamWin, sent = connWin-n, streamWin-n, sent+n
			}
			// Collect what the server grants; a quiet 200 ms means it
			// stopped granting.
			r.nc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			f, err := r.fr.ReadFrame()
			if err != nil {
				break
			}
			switch f := f.(type) {
			case *http2.WindowUpdateFrame:
				if f.StreamID == 0 {
					connWin += int64(f.Increment)
				} else {
					streamWin += int64(f.Increment)
				}
			case *http2.DataFrame:
				echoed += int64(len(f.Data()))
			case *http2.GoAwayFrame, *http2.RSTStreamFrame:
				t.Fatalf("server answered %v", f)
			}
		}
		r.nc.SetReadDeadline(time.Now().Add(20 * time.Second))
		// The client's window (65535) of echo, the stream buffer and the
		// server's window: nothing beyond.
		if limit := int64(65535 + DefaultStreamBufferSize + 65535); sent > limit {
			t.Fatalf("client got %d octets of body in (%d echoed) without crediting the echo, want at most %d", sent, echoed, limit)
		}
		if echoed > 65535 {
			t.Fatalf("server sent %d octets of echo on a 65535 window", echoed)
		}
		t.Logf("sent %d, echoed %d before the server stopped granting window", sent, echoed)
		r.nc.Close()
	})
}
