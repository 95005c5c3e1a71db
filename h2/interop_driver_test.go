package h2

// Interop over real TCP on loopback against golang.org/x/net/http2, a peer
// nobody here wrote: our client session against its Server, and its
// Transport (h2c with prior knowledge) against our server session. A small
// goroutine driver (ixConn) owns each Session: one goroutine runs MemRecv,
// Send and every Submit, so the Session itself sees no concurrency.

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// ixTimeout bounds every wait so a broken peer fails the test instead of
// hanging it.
const ixTimeout = 20 * time.Second

var ixDebug = false

// ixConn drives one Session over one TCP connection.
type ixConn struct {
	t       *testing.T
	conn    net.Conn
	s       *Session
	actions chan func()
	done    chan struct{} // closed when the owner goroutine ends
	err     error         // why it ended (nil: the session finished)
}

// ixStart creates the session with newSession (which receives callbacks
// whose Send writes to the socket) and starts the owner and reader
// goroutines.
func ixStart(t *testing.T, conn net.Conn, cb *Callbacks, newSession func(*Callbacks) (*Session, error)) *ixConn {
	c := &ixConn{t: t, conn: conn, actions: make(chan func(), 64), done: make(chan struct{})}
	cb.Send = func(s *Session, b []byte) (int, error) {
		return conn.Write(b)
	}
	s, err := newSession(cb)
	if err != nil {
		t.Fatalf("creating the session: %v", err)
	}
	c.s = s
	in := make(chan []byte, 16)
	go func() {
		defer close(in)
		for {
			b := make([]byte, 32<<10)
			n, err := conn.Read(b)
			if n > 0 {
				in <- b[:n]
			}
			if err != nil {
				return
			}
		}
	}()
	go c.run(in)
	t.Cleanup(func() {
		conn.Close()
		<-c.done
	})
	return c
}

func (c *ixConn) run(in chan []byte) {
	defer close(c.done)
	defer c.linger(in)
	if err := c.s.Send(); err != nil {
		c.err = err
		return
	}
	for {
		select {
		case b, ok := <-in:
			if !ok {
				if c.s.WantRead() || c.s.WantWrite() {
					c.err = io.ErrUnexpectedEOF
				}
				return
			}
			// A *StreamError reset one stream; the session goes on.
			if _, err := c.s.MemRecv(b); IsFatal(err) {
				c.err = err
				_ = c.s.Send() // the GOAWAY the session queued
				return
			}
		case f := <-c.actions:
			f()
		}
		if err := c.s.Send(); err != nil {
			c.err = err
			return
		}
		if !c.s.WantRead() && !c.s.WantWrite() {
			return
		}
	}
}

// do runs f on the owner goroutine and waits for it.
// linger closes the connection the way a server must after its final
// GOAWAY: half-close, then read and discard what the peer still sends
// for a moment. Closing with unread input makes the kernel send RST,
// which can destroy the GOAWAY before the peer reads it (RFC 9113,
// Section 6.8 expects the peer to see it).
func (c *ixConn) linger(in chan []byte) {
	if tc, ok := c.conn.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
		_ = tc.SetReadDeadline(time.Now().Add(time.Second))
		for range in {
		}
	}
	c.conn.Close()
}

func (c *ixConn) do(f func(s *Session)) {
	ran := make(chan struct{})
	select {
	case c.actions <- func() { f(c.s); close(ran) }:
	case <-c.done:
		c.t.Fatalf("session ended before the action could run: %v", c.err)
	}
	select {
	case <-ran:
	case <-c.done:
		c.t.Fatalf("session ended while the action ran: %v", c.err)
	}
}

// post runs f on the owner goroutine without waiting (from callbacks or
// other goroutines).
func (c *ixConn) post(f func(s *Session)) {
	go func() {
		select {
		case c.actions <- func() { f(c.s) }:
		case <-c.done:
		}
	}()
}

// ixBody is a DataProvider over a byte slice, optionally ending with
// trailers submitted from inside Read (the seed's nghttp2_submit_trailer
// pattern: DataFlagNoEndStream, then SubmitTrailer).
func ixBody(body []byte, trailer []NV) *DataProvider {
	off := 0
	return &DataProvider{Read: func(s *Session, id int32, buf []byte, flags *DataFlags) (int, error) {
		n := copy(buf, body[off:])
		off += n
		if off == len(body) {
			*flags |= DataFlagEOF
			if trailer != nil {
				*flags |= DataFlagNoEndStream
				if err := s.SubmitTrailer(id, trailer); err != nil {
					return 0, err
				}
			}
		}
		return n, nil
	}}
}

// ixMessage is what one side received on a stream.
type ixMessage struct {
	promise map[string]string // PUSH_PROMISE request fields, for pushed streams
	header  map[string]string
	trailer map[string]string
	body    bytes.Buffer
	code    ErrorCode
	done    chan struct{} // closed at OnStreamClose
}

func newIxMessage() *ixMessage {
	return &ixMessage{header: map[string]string{}, trailer: map[string]string{}, done: make(chan struct{})}
}

func (m *ixMessage) wait(t *testing.T, what string) {
	t.Helper()
	select {
	case <-m.done:
	case <-time.After(ixTimeout):
		t.Fatalf("%s: stream did not close within %v", what, ixTimeout)
	}
}

// ixRecorder records messages per stream through session callbacks.
type ixRecorder struct {
	streams       map[int32]*ixMessage
	goaway        chan Frame
	windowUpdates atomic.Int64
	pings         atomic.Int64 // PINGs received (not ACKs)
	maxActive     atomic.Int64 // most streams open at once
	pingAcks      chan [8]byte
	// onMessage runs on the owner goroutine when a stream's peer side ends
	// (END_STREAM received).
	onMessage func(s *Session, id int32, m *ixMessage)
	// onData, if set, replaces buffering of DATA (for slow readers).
	onData func(s *Session, id int32, data []byte)
}

func newIxRecorder() *ixRecorder {
	return &ixRecorder{streams: map[int32]*ixMessage{}, goaway: make(chan Frame, 4), pingAcks: make(chan [8]byte, 4)}
}

func (r *ixRecorder) msg(id int32) *ixMessage {
	m := r.streams[id]
	if m == nil {
		m = newIxMessage()
		r.streams[id] = m
	}
	return m
}

func (r *ixRecorder) callbacks() *Callbacks {
	return &Callbacks{
		OnHeader: func(s *Session, f *Frame, name, value []byte, flags NVFlag) error {
			if f.Type() == FramePushPromise {
				// The promised request: kept apart from the response.
				m := r.msg(f.PromisedStreamID)
				if m.promise == nil {
					m.promise = map[string]string{}
				}
				m.promise[string(name)] = string(value)
				return nil
			}
			m := r.msg(f.StreamID())
			// A HEADERS block after the request, or after a final
			// response, is a trailer section.
			st := m.header[":status"]
			if f.Cat == HCatHeaders && (s.IsServer() || st != "" && st[0] != '1') {
				m.trailer[string(name)] = string(value)
			} else {
				m.header[string(name)] = string(value)
			}
			return nil
		},
		OnDataChunkRecv: func(s *Session, flags FrameFlags, id int32, data []byte) error {
			if r.onData != nil {
				r.onData(s, id, data)
				return nil
			}
			r.msg(id).body.Write(data)
			return nil
		},
		OnFrameRecv: func(s *Session, f *Frame) error {
			if ixDebug {
				fmt.Printf("%s recv %v stream=%d flags=%#x len=%d\n", map[bool]string{true: "S", false: "C"}[s.IsServer()], f.Type(), f.StreamID(), uint8(f.Flags()), f.Hd.Length)
			}
			if f.Type() == FrameWindowUpdate {
				r.windowUpdates.Add(1)
			}
			if n := int64(s.NumActiveStreams()); n > r.maxActive.Load() {
				r.maxActive.Store(n)
			}
			if f.Type() == FramePing {
				if !f.Flags().Has(FlagAck) {
					r.pings.Add(1)
				} else {
					select {
					case r.pingAcks <- f.OpaqueData:
					default:
					}
				}
			}
			if f.Type() == FrameGoaway {
				fr := *f
				fr.DebugData = bytes.Clone(f.DebugData)
				select {
				case r.goaway <- fr:
				default:
				}
			}
			if (f.Type() == FrameHeaders || f.Type() == FrameData) && f.Flags().Has(FlagEndStream) && r.onMessage != nil {
				r.onMessage(s, f.StreamID(), r.msg(f.StreamID()))
			}
			return nil
		},
		OnFrameSend: func(s *Session, f *Frame) error {
			if ixDebug {
				fmt.Printf("%s send %v stream=%d flags=%#x len=%d code=%v\n", map[bool]string{true: "S", false: "C"}[s.IsServer()], f.Type(), f.StreamID(), uint8(f.Flags()), f.Hd.Length, f.ErrorCode)
			}
			return nil
		},
		OnStreamClose: func(s *Session, id int32, code ErrorCode) error {
			if ixDebug {
				fmt.Printf("close %d %v\n", id, code)
			}
			m := r.msg(id)
			m.code = code
			close(m.done)
			return nil
		},
	}
}

// ixXNetServer serves h2c with prior knowledge on a loopback listener.
type ixXNetServer struct {
	ln      net.Listener
	hs      *http.Server
	h2s     *http2.Server
	release chan struct{} // /slow handlers wait on it
	slowIn  atomic.Int32  // /slow handlers started
}

func newIxXNetServer(t *testing.T) *ixXNetServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	x := &ixXNetServer{ln: ln, release: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/get", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-method", r.Method)
		io.WriteString(w, "hello from x/net")
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Trailer", "X-Resp-Trailer")
		w.Header().Set("x-req-trailer-seen", r.Trailer.Get("X-Req-Trailer"))
		w.Write(body)
		w.Header().Set("X-Resp-Trailer", "len="+strconv.Itoa(len(body)))
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		w.Write(ixPattern(n))
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		x.slowIn.Add(1)
		<-x.release
		io.WriteString(w, "slow done")
	})
	x.hs = &http.Server{Handler: mux}
	x.h2s = &http2.Server{}
	if err := http2.ConfigureServer(x.hs, x.h2s); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go x.h2s.ServeConn(c, &http2.ServeConnOpts{BaseConfig: x.hs, Handler: mux})
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return x
}

// ixPattern is n octets that make misplaced or lost bytes visible.
func ixPattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

func ixReq(method, path string, extra ...string) []NV {
	nva := hdrs(":method", method, ":scheme", "http", ":authority", "127.0.0.1", ":path", path)
	return append(nva, hdrs(extra...)...)
}

// dialOurClient connects our client session to addr.
func dialOurClient(t *testing.T, addr string, opt *Options, rec *ixRecorder) *ixConn {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return ixStart(t, conn, rec.callbacks(), func(cb *Callbacks) (*Session, error) { return NewClientSession(cb, opt) })
}

// submit queues a request on the owner goroutine and returns its record.
func (c *ixConn) submit(rec *ixRecorder, nva []NV, body *DataProvider) (int32, *ixMessage) {
	var id int32
	var m *ixMessage
	c.do(func(s *Session) {
		var err error
		id, err = s.SubmitRequest(nva, body, nil)
		if err != nil {
			c.t.Fatalf("SubmitRequest: %v", err)
		}
		m = rec.msg(id)
	})
	return id, m
}

// ixOurServer accepts connections and runs our server session on each.
type ixOurServer struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []*ixConn
	recs  []*ixRecorder
	// slow requests waiting for release, per connection
	slowIn  atomic.Int32
	release chan struct{}
}

func newIxOurServer(t *testing.T, opt *Options) *ixOurServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &ixOurServer{ln: ln, release: make(chan struct{})}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			srv.serve(t, conn, opt)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return srv
}

func (srv *ixOurServer) serve(t *testing.T, conn net.Conn, opt *Options) {
	rec := newIxRecorder()
	var cp atomic.Pointer[ixConn] // set once ixStart returns
	rec.onMessage = func(s *Session, id int32, m *ixMessage) {
		respond := func(s *Session) {
			path := m.header[":path"]
			var body []byte
			var trailer []NV
			extra := []string{}
			switch {
			case path == "/get":
				body = []byte("hello from ngloop")
			case path == "/echo":
				body = m.body.Bytes()
				trailer = hdrs("x-resp-trailer", "len="+strconv.Itoa(len(body)))
				extra = append(extra, "x-req-trailer-seen", m.trailer["x-req-trailer"], "trailer", "x-resp-trailer")
			case strings.HasPrefix(path, "/big?n="):
				n, _ := strconv.Atoi(strings.TrimPrefix(path, "/big?n="))
				body = ixPattern(n)
			case path == "/slow":
				body = []byte("slow done")
			default:
				if err := s.SubmitResponse(id, hdrs(":status", "404"), nil); err != nil {
					t.Errorf("SubmitResponse: %v", err)
				}
				return
			}
			nva := hdrs(append([]string{":status", "200", "content-length", strconv.Itoa(len(body))}, extra...)...)
			if err := s.SubmitResponse(id, nva, ixBody(body, trailer)); err != nil {
				t.Errorf("SubmitResponse: %v", err)
			}
		}
		if m.header[":path"] == "/slow" {
			srv.slowIn.Add(1)
			go func() {
				<-srv.release
				c := cp.Load()
				for c == nil {
					time.Sleep(time.Millisecond)
					c = cp.Load()
				}
				c.post(func(s *Session) {
					// A GOAWAY may have closed the stream meanwhile.
					if s.StreamState(id) != StreamStateClosed {
						respond(s)
					}
				})
			}()
			return
		}
		respond(s)
	}
	c := ixStart(t, conn, rec.callbacks(), func(cb *Callbacks) (*Session, error) { return NewServerSession(cb, opt) })
	cp.Store(c)
	srv.mu.Lock()
	srv.conns = append(srv.conns, c)
	srv.recs = append(srv.recs, rec)
	srv.mu.Unlock()
}

// ixTransport is x/net's client speaking h2c with prior knowledge.
func ixTransport() *http2.Transport {
	return &http2.Transport{AllowHTTP: true, DialTLSContext: ixDialPlain}
}

func ixDialPlain(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// ixSmallWindowTransport is ixTransport with 64 KiB receive windows
// (x/net's defaults, 4 MiB per stream and 1 GiB per connection, would let
// a test body through without a single WINDOW_UPDATE).
func ixSmallWindowTransport(t *testing.T) *http2.Transport {
	t1 := &http.Transport{HTTP2: &http.HTTP2Config{
		MaxReceiveBufferPerStream:     65535,
		MaxReceiveBufferPerConnection: 65535,
	}}
	t2, err := http2.ConfigureTransports(t1)
	if err != nil {
		t.Fatal(err)
	}
	// ConfigureTransports leaves dialing to t1; this test dials itself
	// (h2c with prior knowledge), through t2's own connection pool.
	t2.ConnPool = nil
	t2.AllowHTTP = true
	t2.DialTLSContext = ixDialPlain
	return t2
}

func ixURL(srv *ixOurServer, path string) string {
	return "http://" + srv.ln.Addr().String() + path
}

// ixTrailerBody sets the request trailer when the body is exhausted, as
// net/http requires for trailers known only at the end.
type ixTrailerBody struct {
	r   io.Reader
	set func()
}

func (b *ixTrailerBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		b.set()
	}
	return n, err
}

func (b *ixTrailerBody) Close() error { return nil }

// numConns is how many connections the server has accepted.
func (srv *ixOurServer) numConns() int {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return len(srv.conns)
}

// ixClient is an http.Client over tr with the tests' timeout.
func ixClient(tr http.RoundTripper) *http.Client {
	return &http.Client{Transport: tr, Timeout: ixTimeout}
}
