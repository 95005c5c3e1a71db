package h2conn

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/ngloop/ngloop/h2"
	"github.com/ngloop/ngloop/loop"
)

// Each attack below is driven over a real socket against the Echo
// server. Each test checks the answer on the wire, that the server's
// memory stays bounded (the attacker's connection is gone and the heap
// did not grow with the attack), and that a well-behaved client on the
// same engine is served.

// maxHeapGrowth is what an attack may leave behind in the heap.
const maxHeapGrowth = 8 << 20

// attack runs fn against a fresh Echo server and checks the common
// expectations.
func attack(t *testing.T, opt *ServerOptions, fn func(t *testing.T, ts *testServer)) {
	t.Helper()
	ts := startEcho(t, opt)
	checkServed(t, ts.addr)
	before := heapInUse()
	fn(t, ts)
	checkServed(t, ts.addr)
	waitConns(t, ts.e, 0)
	if after := heapInUse(); after > before+maxHeapGrowth {
		t.Fatalf("heap grew from %d to %d octets during the attack", before, after)
	}
}

func wantGoaway(t *testing.T, r *rawConn, code http2.ErrCode, why string) {
	t.Helper()
	g := r.goaway(why)
	if g.ErrCode != code {
		t.Fatalf("%s: GOAWAY %v (%q), want %v", why, g.ErrCode, g.DebugData(), code)
	}
	r.closed(why)
}

// TestDoSRapidReset: CVE-2023-44487, streams opened and reset at once
// draw GOAWAY ENHANCE_YOUR_CALM when the reset budget is spent.
func TestDoSRapidReset(t *testing.T) {
	attack(t, &ServerOptions{Session: h2.Options{StreamResetBurst: 100, StreamResetRate: 1}}, func(t *testing.T, ts *testServer) {
		r := dialRaw(t, ts.addr)
		go func() {
			blk := r.block(":method", "GET", ":scheme", "http", ":authority", "x", ":path", "/bytes/100000")
			for id := uint32(1); id < 2000; id += 2 {
				if r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, EndHeaders: true, EndStream: true, BlockFragment: blk}) != nil ||
					r.fr.WriteRSTStream(id, http2.ErrCodeCancel) != nil {
					return
				}
			}
		}()
		wantGoaway(t, r, http2.ErrCodeEnhanceYourCalm, "rapid reset")
	})
}

// TestDoSContinuationFlood: CVE-2024-27316, a header block that never
// ends draws GOAWAY ENHANCE_YOUR_CALM after MaxContinuations frames.
func TestDoSContinuationFlood(t *testing.T) {
	attack(t, nil, func(t *testing.T, ts *testServer) {
		r := dialRaw(t, ts.addr)
		r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: r.block(":method", "GET", ":path", "/")})
		go func() {
			frag := r.block("x-a", strings.Repeat("b", 100))
			for i := 0; i < 100000; i++ {
				if r.fr.WriteContinuation(1, false, frag) != nil {
					return
				}
			}
		}()
		wantGoaway(t, r, http2.ErrCodeEnhanceYourCalm, "CONTINUATION flood")
	})
}

// TestDoSSettingsFlood and TestDoSPingFlood: CVE-2019-9515 and
// CVE-2019-9512, control frames with no work in between.
func TestDoSSettingsFlood(t *testing.T) {
	attack(t, nil, func(t *testing.T, ts *testServer) {
		r := dialRaw(t, ts.addr)
		go func() {
			for i := 0; i < 100000; i++ {
				if r.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 65535}) != nil {
					return
				}
			}
		}()
		wantGoaway(t, r, http2.ErrCodeEnhanceYourCalm, "SETTINGS flood")
	})
}

func TestDoSPingFlood(t *testing.T) {
	attack(t, nil, func(t *testing.T, ts *testServer) {
		r := dialRaw(t, ts.addr)
		go func() {
			for i := 0; i < 100000; i++ {
				if r.fr.WritePing(false, [8]byte{byte(i)}) != nil {
					return
				}
			}
		}()
		wantGoaway(t, r, http2.ErrCodeEnhanceYourCalm, "PING flood")
	})
}

// TestDoSEmptyDataFlood: CVE-2019-9518, empty DATA frames on an open
// request.
func TestDoSEmptyDataFlood(t *testing.T) {
	attack(t, nil, func(t *testing.T, ts *testServer) {
		r := dialRaw(t, ts.addr)
		r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndHeaders: true,
			BlockFragment: r.block(":method", "POST", ":scheme", "http", ":authority", "x", ":path", "/echo")})
		go func() {
			for i := 0; i < 100000; i++ {
				if r.fr.WriteData(1, false, nil) != nil {
					return
				}
			}
		}()
		wantGoaway(t, r, http2.ErrCodeEnhanceYourCalm, "empty DATA flood")
	})
}

// TestDoSHPACKBomb: a small block that decodes to a huge header list
// (one large field in the dynamic table, referenced over and over) draws
// GOAWAY COMPRESSION_ERROR at MaxHeaderListSize.
func TestDoSHPACKBomb(t *testing.T) {
	attack(t, nil, func(t *testing.T, ts *testServer) {
		r := dialRaw(t, ts.addr)
		var blk bytes.Buffer
		enc := hpack.NewEncoder(&blk)
		for _, f := range []hpack.HeaderField{{Name: ":method", Value: "GET"}, {Name: ":scheme", Value: "http"},
			{Name: ":authority", Value: "x"}, {Name: ":path", Value: "/"}, {Name: "x-bomb", Value: strings.Repeat("z", 4000)}} {
			enc.WriteField(f)
		}
		for i := 0; i < 3000; i++ {
			blk.WriteByte(0x80 | 62) // indexed: the newest dynamic entry, x-bomb
		}
		if blk.Len() > 16384 {
			t.Fatalf("bomb block is %d octets, want it in one frame", blk.Len())
		}
		r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndHeaders: true, EndStream: true, BlockFragment: blk.Bytes()})
		wantGoaway(t, r, http2.ErrCodeCompression, "HPACK bomb")
	})
}

// TestDoSStreamCount: streams past SETTINGS_MAX_CONCURRENT_STREAMS are
// refused with RST_STREAM REFUSED_STREAM; the connection goes on.
func TestDoSStreamCount(t *testing.T) {
	h := &holdHandler{held: make(chan *Stream, 10), release: make(chan struct{})}
	ts := startServer(t, h, &ServerOptions{Session: h2.Options{MaxConcurrentStreams: 5}}, loop.Options{})
	r := dialRaw(t, ts.addr)
	for id := uint32(1); id <= 11; id += 2 {
		r.get(id, "/hold", true)
	}
	for i := 0; i < 5; i++ {
		<-h.held
	}
	for {
		f := r.next()
		if f == nil {
			t.Fatal("connection closed instead of refusing the 6th stream")
		}
		if rst, ok := f.(*http2.RSTStreamFrame); ok {
			if rst.StreamID != 11 || rst.ErrCode != http2.ErrCodeRefusedStream {
				t.Fatalf("RST_STREAM %d %v, want 11 REFUSED_STREAM", rst.StreamID, rst.ErrCode)
			}
			break
		}
	}
	checkServed(t, ts.addr)
	close(h.release)
	for ended := 0; ended < 5; {
		f := r.next()
		if f == nil {
			t.Fatal("connection closed before the held streams ended")
		}
		if f.Header().Flags.Has(http2.FlagDataEndStream) && f.Header().Type == http2.FrameData {
			ended++
		}
	}
	r.get(13, "/", true) // the connection still serves
	for {
		f := r.next()
		if f == nil {
			t.Fatal("connection closed after the refusal")
		}
		if f.Header().StreamID == 13 && f.Header().Flags.Has(http2.FlagDataEndStream) {
			break
		}
	}
}

// TestDoSIdleConnections: connections that never send a preface are
// closed after PrefaceTimeout; the server keeps serving meanwhile.
func TestDoSIdleConnections(t *testing.T) {
	attack(t, &ServerOptions{PrefaceTimeout: 200 * time.Millisecond}, func(t *testing.T, ts *testServer) {
		var conns []net.Conn
		for i := 0; i < 200; i++ {
			nc, err := net.Dial("tcp", ts.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			conns = append(conns, nc)
		}
		checkServed(t, ts.addr)
		for _, nc := range conns {
			nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := nc.Read(make([]byte, 1)); err != io.EOF {
				t.Fatalf("silent connection read %v, want EOF after PrefaceTimeout", err)
			}
		}
	})
}

// TestDoSSlowReader: a client asks for far more than it reads. Send
// stops at the loop's high-water mark (WOULDBLOCK), reading from the
// client pauses, and the heap stays bounded while another client is
// served.
func TestDoSSlowReader(t *testing.T) {
	attack(t, nil, func(t *testing.T, ts *testServer) {
		before := heapInUse()
		nc, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.(*net.TCPConn).SetReadBuffer(4096)
		fr := http2.NewFramer(nc, nc)
		var hb bytes.Buffer
		enc := hpack.NewEncoder(&hb)
		io.WriteString(nc, http2.ClientPreface)
		// A huge window: only TCP and the server's buffers hold data back.
		fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1<<31 - 1})
		fr.WriteWindowUpdate(0, 1<<31-1-65535)
		// Requests and PINGs keep coming while nothing is read: the
		// answers must not pile up in the server.
		stop := time.Now().Add(500 * time.Millisecond)
		for id := uint32(1); time.Now().Before(stop) && id < 200; id += 2 {
			hb.Reset()
			for _, f := range [][2]string{{":method", "GET"}, {":scheme", "http"}, {":authority", "x"}, {":path", "/bytes/100000000"}} {
				enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
			}
			nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			if fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, EndHeaders: true, EndStream: true, BlockFragment: hb.Bytes()}) != nil {
				break // the server stopped reading us: backpressure works
			}
			for i := 0; i < 50; i++ {
				if fr.WritePing(false, [8]byte{byte(i)}) != nil {
					break
				}
			}
		}
		checkServed(t, ts.addr)
		time.Sleep(100 * time.Millisecond)
		if g := heapInUse(); g > before+maxHeapGrowth {
			t.Fatalf("heap grew from %d to %d octets with a slow reader asking for 10 GB", before, g)
		}
		nc.Close()
	})
}

// TestDoSOutboundQueue: the outbound queue limit bounds what the
// application can queue; the session answers ErrNoMem past it.
func TestDoSOutboundQueue(t *testing.T) {
	done := make(chan queueResult, 1)
	h := &queueFiller{done: done}
	ts := startServer(t, h, &ServerOptions{Session: h2.Options{MaxOutboundQueue: 50}}, loop.Options{})
	r := dialRaw(t, ts.addr)
	r.get(1, "/fill", true)
	res := <-done
	if res.ok > 50 || res.ok < 40 || res.refused == 0 {
		t.Fatalf("queued %d frames and was refused %d times, want at most 50 queued, then ErrNoMem", res.ok, res.refused)
	}
	checkServed(t, ts.addr)
}

// queueFiller submits PINGs until the queue is full, inside one event.
type queueFiller struct {
	Echo
	done chan<- queueResult
}

type queueResult struct{ ok, refused int }

func (q *queueFiller) OnRequest(st *Stream) {
	if string(st.Path()) != "/fill" {
		q.Echo.OnRequest(st)
		return
	}
	s := st.Conn().Session()
	var ok, refused int
	for i := 0; i < 200; i++ {
		if err := s.SubmitPing(h2.FlagNone, nil); err == h2.ErrNoMem {
			refused++
		} else if err == nil {
			ok++
		}
	}
	q.done <- queueResult{ok, refused}
	_ = st.Respond(200, nil, nil)
}

// TestDoSSilentStream: a client that opens a request, never finishes it
// and goes silent is ended after IdleTimeout, open stream and all.
func TestDoSSilentStream(t *testing.T) {
	attack(t, &ServerOptions{IdleTimeout: 150 * time.Millisecond}, func(t *testing.T, ts *testServer) {
		r := dialRaw(t, ts.addr)
		r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndHeaders: true,
			BlockFragment: r.block(":method", "POST", ":scheme", "http", ":authority", "x", ":path", "/echo")})
		r.fr.WriteData(1, false, []byte("half a body"))
		checkServed(t, ts.addr)
		wantGoaway(t, r, http2.ErrCodeNo, "silent stream")
	})
}
