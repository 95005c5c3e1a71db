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
	"errors"
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
	defer c.conn.Close()
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

// --- our client against x/net/http2's Server ---

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

func TestInteropXNetServerGET(t *testing.T) {
	x := newIxXNetServer(t)
	rec := newIxRecorder()
	c := dialOurClient(t, x.ln.Addr().String(), nil, rec)
	_, m := c.submit(rec, ixReq("GET", "/get"), nil)
	m.wait(t, "GET /get")
	if m.header[":status"] != "200" || m.header["x-method"] != "GET" || m.body.String() != "hello from x/net" || m.code != NoError {
		t.Fatalf("GET against x/net server: status %q, x-method %q, body %q, close code %v", m.header[":status"], m.header["x-method"], m.body.String(), m.code)
	}
}

func TestInteropXNetServerPOST1MiBWithTrailers(t *testing.T) {
	x := newIxXNetServer(t)
	rec := newIxRecorder()
	c := dialOurClient(t, x.ln.Addr().String(), nil, rec)
	body := ixPattern(1 << 20)
	_, m := c.submit(rec, ixReq("POST", "/echo", "trailer", "x-req-trailer"), ixBody(body, hdrs("x-req-trailer", "from-ngloop")))
	m.wait(t, "POST /echo")
	if m.header[":status"] != "200" {
		t.Fatalf("status %q", m.header[":status"])
	}
	if !bytes.Equal(m.body.Bytes(), body) {
		t.Fatalf("the 1 MiB body did not come back intact: got %d octets", m.body.Len())
	}
	if got := m.header["x-req-trailer-seen"]; got != "from-ngloop" {
		t.Fatalf("x/net server did not see our request trailer: %q", got)
	}
	if got := m.trailer["x-resp-trailer"]; got != "len=1048576" {
		t.Fatalf("we did not receive x/net's response trailer: %v", m.trailer)
	}
}

func TestInteropXNetServer100ConcurrentStreams(t *testing.T) {
	x := newIxXNetServer(t)
	rec := newIxRecorder()
	c := dialOurClient(t, x.ln.Addr().String(), nil, rec)
	var msgs []*ixMessage
	c.do(func(s *Session) {
		for i := range 100 {
			id, err := s.SubmitRequest(ixReq("GET", "/big?n="+strconv.Itoa(1000+i)), nil, nil)
			if err != nil {
				t.Fatalf("SubmitRequest %d: %v", i, err)
			}
			msgs = append(msgs, rec.msg(id))
		}
	})
	for i, m := range msgs {
		m.wait(t, fmt.Sprintf("request %d", i))
		if !bytes.Equal(m.body.Bytes(), ixPattern(1000+i)) {
			t.Fatalf("stream %d: body of %d octets, want %d", i, m.body.Len(), 1000+i)
		}
	}
}

// TestInteropXNetServerGoawayInFlight: x/net's graceful shutdown sends
// GOAWAY while our streams wait for their responses; they all complete.
func TestInteropXNetServerGoawayInFlight(t *testing.T) {
	x := newIxXNetServer(t)
	rec := newIxRecorder()
	c := dialOurClient(t, x.ln.Addr().String(), nil, rec)
	var msgs []*ixMessage
	for range 5 {
		_, m := c.submit(rec, ixReq("GET", "/slow"), nil)
		msgs = append(msgs, m)
	}
	deadline := time.Now().Add(ixTimeout)
	for x.slowIn.Load() < 5 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	go x.hs.Shutdown(context.Background())
	select {
	case <-rec.goaway:
	case <-time.After(ixTimeout):
		t.Fatal("no GOAWAY from x/net's graceful shutdown")
	}
	close(x.release)
	for i, m := range msgs {
		m.wait(t, fmt.Sprintf("in-flight request %d", i))
		if m.code != NoError || m.body.String() != "slow done" {
			t.Fatalf("in-flight stream %d after GOAWAY: code %v, body %q", i, m.code, m.body.String())
		}
	}
}

// TestInteropXNetServerSlowReader: our client's application reads the
// body one octet at a time, returning each octet of window with Consume
// (manual flow control); x/net's server must wait for our WINDOW_UPDATEs,
// and everything arrives intact.
func TestInteropXNetServerSlowReader(t *testing.T) {
	x := newIxXNetServer(t)
	rec := newIxRecorder()
	const size = 100 << 10 // more than the 65535-octet initial windows
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	var pending []byte // received, not yet read by the application
	var c *ixConn
	rec.onData = func(s *Session, id int32, data []byte) {
		mu.Lock()
		pending = append(pending, data...)
		mu.Unlock()
		cond.Signal()
	}
	c = dialOurClient(t, x.ln.Addr().String(), &Options{NoAutoWindowUpdate: true}, rec)
	id, m := c.submit(rec, ixReq("GET", "/big?n="+strconv.Itoa(size)), nil)
	got := make([]byte, 0, size)
	for len(got) < size {
		mu.Lock()
		for len(pending) == 0 {
			cond.Wait()
		}
		b := pending[0]
		pending = pending[1:]
		mu.Unlock()
		got = append(got, b)
		select {
		case c.actions <- func() {
			if err := c.s.Consume(id, 1); err != nil {
				t.Errorf("Consume: %v", err)
			}
		}:
		case <-c.done:
			t.Fatalf("session ended after %d octets: %v", len(got), c.err)
		}
	}
	m.wait(t, "slow reader")
	if !bytes.Equal(got, ixPattern(size)) {
		t.Fatalf("slow reader got %d octets, want %d intact", len(got), size)
	}
}

// --- x/net/http2's Transport against our server ---

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

func TestInteropXNetClientGET(t *testing.T) {
	srv := newIxOurServer(t, nil)
	tr := ixTransport()
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: ixTimeout}).Get(ixURL(srv, "/get"))
	if err != nil {
		t.Fatalf("x/net client GET against our server: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || string(body) != "hello from ngloop" || resp.ProtoMajor != 2 {
		t.Fatalf("status %d proto %d body %q err %v", resp.StatusCode, resp.ProtoMajor, body, err)
	}
}

func TestInteropXNetClientPOST1MiBWithTrailers(t *testing.T) {
	srv := newIxOurServer(t, nil)
	tr := ixTransport()
	defer tr.CloseIdleConnections()
	body := ixPattern(1 << 20)
	req, _ := http.NewRequest("POST", ixURL(srv, "/echo"), io.MultiReader(bytes.NewReader(body)))
	req.Trailer = http.Header{"X-Req-Trailer": nil}
	req.Body = &ixTrailerBody{r: bytes.NewReader(body), set: func() { req.Trailer.Set("X-Req-Trailer", "from-xnet") }}
	resp, err := (&http.Client{Transport: tr, Timeout: ixTimeout}).Do(req)
	if err != nil {
		t.Fatalf("x/net client POST against our server: %v", err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d err %v", resp.StatusCode, err)
	}
	if !bytes.Equal(got, body) {
		t.Fatalf("the 1 MiB body did not come back intact: %d octets", len(got))
	}
	if v := resp.Header.Get("X-Req-Trailer-Seen"); v != "from-xnet" {
		t.Fatalf("our server did not see x/net's request trailer: %q", v)
	}
	if v := resp.Trailer.Get("X-Resp-Trailer"); v != "len=1048576" {
		t.Fatalf("x/net client did not get our response trailer: %v", resp.Trailer)
	}
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

func TestInteropXNetClient100ConcurrentStreams(t *testing.T) {
	srv := newIxOurServer(t, nil)
	tr := ixTransport()
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: ixTimeout}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 100 {
		wg.Go(func() {
			n := 1000 + i
			resp, err := client.Get(ixURL(srv, "/big?n="+strconv.Itoa(n)))
			if err != nil {
				errs <- err
				return
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || !bytes.Equal(got, ixPattern(n)) {
				errs <- fmt.Errorf("stream %d: %d octets, err %v", i, len(got), err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.conns) != 1 {
		t.Fatalf("x/net should multiplex the 100 requests on one connection, used %d", len(srv.conns))
	}
}

// TestInteropXNetClientGoawayInFlight: our server starts a graceful
// shutdown (notice, then GOAWAY with the last stream processed) while five
// requests wait for their responses; all five complete, and x/net's client
// opens a new connection for the next request.
func TestInteropXNetClientGoawayInFlight(t *testing.T) {
	srv := newIxOurServer(t, nil)
	tr := ixTransport()
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: ixTimeout}
	results := make(chan error, 5)
	for range 5 {
		go func() {
			resp, err := client.Get(ixURL(srv, "/slow"))
			if err == nil {
				var b []byte
				b, err = io.ReadAll(resp.Body)
				resp.Body.Close()
				if err == nil && string(b) != "slow done" {
					err = fmt.Errorf("body %q", b)
				}
			}
			results <- err
		}()
	}
	deadline := time.Now().Add(ixTimeout)
	for srv.slowIn.Load() < 5 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	srv.mu.Lock()
	c := srv.conns[0]
	srv.mu.Unlock()
	c.do(func(s *Session) {
		if err := s.SubmitShutdownNotice(); err != nil {
			t.Fatalf("SubmitShutdownNotice: %v", err)
		}
	})
	c.do(func(s *Session) {
		if err := s.SubmitGoaway(FlagNone, s.LastProcStreamID(), NoError, nil); err != nil {
			t.Fatalf("SubmitGoaway: %v", err)
		}
	})
	close(srv.release)
	for range 5 {
		if err := <-results; err != nil {
			t.Fatalf("an in-flight request failed after GOAWAY: %v", err)
		}
	}
	select {
	case <-c.done:
		if c.err != nil {
			t.Fatalf("the session ended with %v after a graceful GOAWAY", c.err)
		}
	case <-time.After(ixTimeout):
		t.Fatal("the session did not end after GOAWAY and the last response")
	}
	resp, err := client.Get(ixURL(srv, "/get"))
	if err != nil {
		t.Fatalf("a request after GOAWAY must go on a new connection: %v", err)
	}
	resp.Body.Close()
}

// TestInteropXNetClientSlowReader: x/net's client reads the body one
// octet at a time, so its WINDOW_UPDATEs trickle in and our server's data
// provider must stop at the window and resume.
func TestInteropXNetClientSlowReader(t *testing.T) {
	srv := newIxOurServer(t, nil)
	tr := ixSmallWindowTransport(t)
	defer tr.CloseIdleConnections()
	const size = 256 << 10
	resp, err := (&http.Client{Transport: tr, Timeout: ixTimeout}).Get(ixURL(srv, "/big?n="+strconv.Itoa(size)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got := make([]byte, 0, size)
	var one [1]byte
	for {
		n, err := resp.Body.Read(one[:])
		got = append(got, one[:n]...)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("after %d octets: %v", len(got), err)
		}
	}
	if !bytes.Equal(got, ixPattern(size)) {
		t.Fatalf("slow reader got %d octets, want %d intact", len(got), size)
	}
	srv.mu.Lock()
	rec := srv.recs[0]
	srv.mu.Unlock()
	if n := rec.windowUpdates.Load(); n < size/65535 {
		t.Fatalf("the body needs the client's WINDOW_UPDATEs to get through; our server saw %d", n)
	}
}

// TestInteropXNetClientSmallHeaderTables: both sides shrink the HPACK
// dynamic table (x/net's decoder to 256 octets, ours to 256): each encoder
// must follow the other's SETTINGS_HEADER_TABLE_SIZE, with the size update
// RFC 7541 Section 4.2 requires, over many requests that keep evicting.
func TestInteropXNetClientSmallHeaderTables(t *testing.T) {
	srv := newIxOurServer(t, &Options{HeaderTableSize: 256})
	tr := ixTransport()
	tr.MaxDecoderHeaderTableSize = 256
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: ixTimeout}
	for i := range 50 {
		req, _ := http.NewRequest("GET", ixURL(srv, "/get"), nil)
		for j := range 5 {
			req.Header.Set(fmt.Sprintf("x-h%d", j), strings.Repeat(strconv.Itoa(i), 20+j))
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "hello from ngloop" {
			t.Fatalf("request %d: body %q", i, body)
		}
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.conns) != 1 {
		t.Fatalf("an HPACK error would have cost the connection: %d connections used", len(srv.conns))
	}
}

// TestInteropXNetClientCancel: x/net's client gives up on responses in
// flight (RST_STREAM CANCEL); our server drops those streams and the
// connection keeps serving.
func TestInteropXNetClientCancel(t *testing.T) {
	srv := newIxOurServer(t, nil)
	tr := ixSmallWindowTransport(t)
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: ixTimeout}
	for i := range 10 {
		// The 1 MiB response stalls on the 64 KiB window; closing the
		// body early makes x/net reset the stream.
		resp, err := client.Get(ixURL(srv, "/big?n=1048576"))
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		var b [1000]byte
		if _, err := io.ReadFull(resp.Body, b[:]); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		resp.Body.Close()
	}
	resp, err := client.Get(ixURL(srv, "/get"))
	if err != nil {
		t.Fatalf("after 10 cancelled streams: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello from ngloop" {
		t.Fatalf("body %q", body)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.conns) != 1 {
		t.Fatalf("cancelled streams must not cost the connection: %d connections used", len(srv.conns))
	}
}

// TestInteropLargeHeaderBlocks: a 40 KiB header field needs CONTINUATION
// frames (the blocks exceed the 16 KiB frame size) in both directions.
func TestInteropLargeHeaderBlocks(t *testing.T) {
	big := strings.Repeat("abcdefgh", 5<<10)
	t.Run("x/net client to our server", func(t *testing.T) {
		srv := newIxOurServer(t, nil)
		tr := ixTransport()
		defer tr.CloseIdleConnections()
		req, _ := http.NewRequest("GET", ixURL(srv, "/get"), nil)
		req.Header.Set("x-big", big)
		resp, err := (&http.Client{Transport: tr, Timeout: ixTimeout}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		srv.mu.Lock()
		rec, c := srv.recs[0], srv.conns[0]
		srv.mu.Unlock()
		var got string
		c.do(func(s *Session) { got = rec.streams[1].header["x-big"] })
		if resp.StatusCode != 200 || got != big {
			t.Fatalf("status %d, our server received x-big of %d octets, want %d", resp.StatusCode, len(got), len(big))
		}
	})
	t.Run("our client to x/net server", func(t *testing.T) {
		x := newIxXNetServer(t)
		rec := newIxRecorder()
		c := dialOurClient(t, x.ln.Addr().String(), nil, rec)
		_, m := c.submit(rec, ixReq("GET", "/get", "x-big", big), nil)
		m.wait(t, "GET with a 40 KiB header")
		if m.header[":status"] != "200" {
			t.Fatalf("x/net server answered %q to a 40 KiB header sent with CONTINUATION", m.header[":status"])
		}
	})
}

// TestInteropXNetClientGoawayRetry: our server sends GOAWAY with a
// last_stream_id below some streams in flight. Those streams are closed
// unprocessed (RFC 9113, Section 6.8), and x/net's client retries them on a
// new connection; the others are answered on the old one. All five
// requests succeed.
func TestInteropXNetClientGoawayRetry(t *testing.T) {
	srv := newIxOurServer(t, nil)
	tr := ixTransport()
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: ixTimeout}
	results := make(chan error, 5)
	for range 5 {
		go func() {
			resp, err := client.Get(ixURL(srv, "/slow"))
			if err == nil {
				var b []byte
				b, err = io.ReadAll(resp.Body)
				resp.Body.Close()
				if err == nil && string(b) != "slow done" {
					err = fmt.Errorf("body %q", b)
				}
			}
			results <- err
		}()
	}
	deadline := time.Now().Add(ixTimeout)
	for srv.slowIn.Load() < 5 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	srv.mu.Lock()
	c := srv.conns[0]
	srv.mu.Unlock()
	c.do(func(s *Session) {
		if err := s.SubmitGoaway(FlagNone, 3, NoError, []byte("go elsewhere")); err != nil {
			t.Fatalf("SubmitGoaway: %v", err)
		}
	})
	// The retried requests arrive on a second connection.
	for srv.slowIn.Load() < 8 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	close(srv.release)
	for range 5 {
		if err := <-results; err != nil {
			t.Fatalf("a request failed around GOAWAY: %v", err)
		}
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.conns) != 2 {
		t.Fatalf("streams 5, 7 and 9 should be retried on one new connection; %d connections used", len(srv.conns))
	}
}

// TestInteropXNetServerEarlyResponse: x/net's server answers a 1 MiB POST
// without reading the body, then stops the upload (RFC 9113, Section 8.1:
// "the server MAY request that the client abort transmission of a request
// without error by sending a RST_STREAM with an error code of NO_ERROR
// after sending a complete response"). Our client keeps the complete
// response and the connection stays usable.
func TestInteropXNetServerEarlyResponse(t *testing.T) {
	x := newIxXNetServer(t)
	rec := newIxRecorder()
	c := dialOurClient(t, x.ln.Addr().String(), nil, rec)
	_, m := c.submit(rec, ixReq("POST", "/get"), ixBody(ixPattern(1<<20), nil))
	m.wait(t, "POST answered early")
	if m.header[":status"] != "200" || m.body.String() != "hello from x/net" {
		t.Fatalf("early response: status %q body %q", m.header[":status"], m.body.String())
	}
	if m.code != NoError && m.code != Cancel {
		t.Fatalf("stream closed with %v after a complete response", m.code)
	}
	_, m = c.submit(rec, ixReq("GET", "/get"), nil)
	m.wait(t, "GET after the early response")
	if m.body.String() != "hello from x/net" {
		t.Fatalf("the connection did not survive: body %q", m.body.String())
	}
}

// TestInteropPing: x/net's client pings an idle connection (ReadIdleTimeout)
// and drops it if the ACK does not come; our server's automatic PING ACK
// keeps it alive. Our client's PING is answered by x/net's server with the
// same opaque data.
func TestInteropPing(t *testing.T) {
	t.Run("x/net client pings our server", func(t *testing.T) {
		srv := newIxOurServer(t, nil)
		tr := ixTransport()
		tr.ReadIdleTimeout = 20 * time.Millisecond
		tr.PingTimeout = 2 * time.Second
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr, Timeout: ixTimeout}
		for i := range 3 {
			resp, err := client.Get(ixURL(srv, "/get"))
			if err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			time.Sleep(100 * time.Millisecond) // idle: x/net pings
		}
		srv.mu.Lock()
		rec, n := srv.recs[0], len(srv.conns)
		srv.mu.Unlock()
		if n != 1 {
			t.Fatalf("x/net dropped the connection %d times: PING not acknowledged?", n-1)
		}
		if rec.pings.Load() == 0 {
			t.Fatal("x/net sent no PING while idle; the test proves nothing")
		}
	})
	t.Run("our client pings x/net server", func(t *testing.T) {
		x := newIxXNetServer(t)
		rec := newIxRecorder()
		c := dialOurClient(t, x.ln.Addr().String(), nil, rec)
		data := [8]byte{'n', 'g', 'l', 'o', 'o', 'p', 0, 1}
		c.do(func(s *Session) {
			if err := s.SubmitPing(FlagNone, &data); err != nil {
				t.Fatal(err)
			}
		})
		select {
		case got := <-rec.pingAcks:
			if got != data {
				t.Fatalf("PING ACK carries %x, want %x", got, data)
			}
		case <-time.After(ixTimeout):
			t.Fatal("x/net server did not acknowledge our PING")
		}
	})
}

// TestInteropXNetClientMaxConcurrentStreams: our server allows 2
// concurrent streams. x/net's client opens more connections rather than
// exceed the limit, and retries any stream it opened before our SETTINGS
// arrived and we refused (REFUSED_STREAM). All 20 requests succeed and no
// connection ever carries more than 2 streams. (x/net's strict mode is
// not used: it stalls requests, golang/go#70809, even against x/net's own
// server.)
func TestInteropXNetClientMaxConcurrentStreams(t *testing.T) {
	srv := newIxOurServer(t, &Options{MaxConcurrentStreams: 2})
	tr := ixTransport()
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: ixTimeout}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Go(func() {
			resp, err := client.Get(ixURL(srv, "/big?n="+strconv.Itoa(100000+i)))
			if err != nil {
				errs <- err
				return
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || !bytes.Equal(got, ixPattern(100000+i)) {
				errs <- fmt.Errorf("request %d: %d octets, %v", i, len(got), err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for i, c := range srv.conns {
		select {
		case <-c.done:
			if c.err != nil {
				t.Errorf("connection %d ended with %v", i, c.err)
			}
		default:
		}
	}
	for i, rec := range srv.recs {
		if n := rec.maxActive.Load(); n > 2 {
			t.Errorf("connection %d carried %d concurrent streams, limit 2", i, n)
		}
	}
}
