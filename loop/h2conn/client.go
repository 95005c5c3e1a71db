package h2conn

import (
	"context"
	"errors"

	"github.com/ngloop/ngloop/h2"
	"github.com/ngloop/ngloop/loop"
)

// ClientOptions configure a Client. Zero fields take the defaults.
type ClientOptions struct {
	// Session configures each connection's h2.Session. Unless set, the
	// client's receive windows are large (InitialWindowSize 16 MiB,
	// ConnectionWindowSize 1 GiB-1, like h2load's defaults): received
	// DATA is handed to the ResponseHandler at once and credited back
	// automatically, so the windows cost no memory.
	Session h2.Options
	// ManualFlow makes the application credit received response body
	// with ClientStream.Consume (a proxy does it as the bytes leave on
	// the other side); otherwise the session credits it as it arrives.
	// Octets not consumed when a stream closes are credited to the
	// connection then.
	ManualFlow bool
}

func (o ClientOptions) withDefaults() ClientOptions {
	if o.ManualFlow {
		o.Session.NoAutoWindowUpdate = true
	}
	if o.Session.InitialWindowSize == 0 {
		o.Session.InitialWindowSize = 16 << 20
	}
	if o.Session.ConnectionWindowSize == 0 {
		o.Session.ConnectionWindowSize = 1<<30 - 1
	}
	return o
}

// ConnHandler receives a client connection's life events, on its loop.
type ConnHandler interface {
	// OnConnect runs when the connection is up and the client preface
	// and SETTINGS are queued; requests may be submitted at once.
	OnConnect(cc *ClientConn)
	// OnDisconnect runs once at the end, with the reason (nil for a
	// graceful end, the dial error when the connect failed, in which
	// case it runs on the dialing goroutine). Streams still open were
	// closed before with h2.Cancel.
	OnDisconnect(cc *ClientConn, err error)
}

// ResponseHandler receives one request's response, on the loop.
type ResponseHandler interface {
	// OnResponse runs when the final response's header section is
	// complete (ClientStream.Status, Header); 1xx responses are skipped.
	OnResponse(cs *ClientStream)
	// OnData runs for each chunk of response body; data is valid only
	// during the call.
	OnData(cs *ClientStream, data []byte)
	// OnClose runs once, last: code is h2.NoError when the response
	// ended normally (trailers, if any, in ClientStream.Trailer), or the
	// RST_STREAM code (h2.RefusedStream for streams a GOAWAY refused,
	// h2.Cancel when the connection closed). The ClientStream is reused
	// after it returns.
	OnClose(cs *ClientStream, code h2.ErrorCode)
}

// Client opens h2c connections (prior knowledge) on a loop.Engine.
type Client struct {
	e   *loop.Engine
	opt ClientOptions
	cb  h2.Callbacks
}

// NewClient returns a client dialing from e (started, with or without
// listeners), with opt (nil: defaults).
//
// Returns the client, or h2.ErrInvalidArgument — a session option is out
// of range.
func NewClient(e *loop.Engine, opt *ClientOptions) (*Client, error) {
	var o ClientOptions
	if opt != nil {
		o = *opt
	}
	cl := &Client{e: e, opt: o.withDefaults()}
	cl.cb = h2.Callbacks{
		Send:            clientSend,
		OnBeginHeaders:  clientBeginHeaders,
		OnHeader:        clientHeader,
		OnFrameRecv:     clientFrameRecv,
		OnDataChunkRecv: clientDataChunk,
		OnStreamClose:   clientStreamClose,
		OnFrameNotSend:  clientFrameNotSend,
	}
	if _, err := h2.NewClientSession(&cl.cb, &cl.opt.Session); err != nil {
		return nil, err
	}
	return cl, nil
}

// Dial connects to addr ("host:port") in the background; h gets OnConnect
// on the connection's loop, or OnDisconnect with the error. ctx bounds
// the connect. userValue is available as ClientConn.Value.
//
// Returns nil once the dial is under way, or loop.Engine.Dial's error.
func (cl *Client) Dial(ctx context.Context, addr string, h ConnHandler, userValue any) error {
	cc := &ClientConn{cl: cl, h: h, value: userValue, authority: []byte(addr)}
	return cl.e.Dial(ctx, addr, (*clientLoopHandler)(cc), nil)
}

// ClientConn is one client connection. Its methods run on its loop
// (inside ConnHandler and ResponseHandler calls, or Execute).
type ClientConn struct {
	cl        *Client
	h         ConnHandler
	c         *loop.Conn
	s         *h2.Session
	value     any
	authority []byte

	provider h2.DataProvider
	depth    int
	blocked  bool
	pending  bool
	closing  bool

	nva    []h2.NV
	free   []*ClientStream
	active []*ClientStream
}

// ErrConnClosed is returned by Request on a connection that is closing.
var ErrConnClosed = errors.New("h2conn: connection closing")

// Value returns the value given to Dial.
func (cc *ClientConn) Value() any { return cc.value }

// Conn returns the loop connection.
func (cc *ClientConn) Conn() *loop.Conn { return cc.c }

// Session returns the h2 session.
func (cc *ClientConn) Session() *h2.Session { return cc.s }

// Authority returns the address dialed, the default :authority.
func (cc *ClientConn) Authority() []byte { return cc.authority }

// ActiveStreams returns the requests submitted and not yet closed.
func (cc *ClientConn) ActiveStreams() int { return len(cc.active) }

// MaxConcurrentStreams returns the peer's SETTINGS_MAX_CONCURRENT_STREAMS
// (requests beyond it wait in the session's queue).
func (cc *ClientConn) MaxConcurrentStreams() uint32 {
	return cc.s.RemoteSetting(h2.SettingsMaxConcurrentStreams)
}

// Execute runs fn on the connection's loop from any goroutine and sends
// what it submitted. It returns loop.Conn.Execute's error.
func (cc *ClientConn) Execute(fn func(cc *ClientConn)) error {
	return cc.c.Execute(func(*loop.Conn) {
		cc.depth++
		fn(cc)
		cc.depth--
		cc.send()
	})
}

// Request describes a request. Slices are not copied by Request beyond
// what the session copies for the header block; Body must stay unchanged
// until the ResponseHandler's OnClose.
type Request struct {
	Method    []byte  // default GET
	Scheme    []byte  // default http
	Authority []byte  // default the dialed address
	Path      []byte  // default /
	Header    []h2.NV // regular fields, lower-case names
	Body      []byte  // nil: no body (END_STREAM on HEADERS)
	Trailer   []h2.NV // sent after the body; copied
}

var (
	nameMethod    = []byte(":method")
	nameScheme    = []byte(":scheme")
	nameAuthority = []byte(":authority")
	namePath      = []byte(":path")
	valueGET      = []byte("GET")
	valueHTTP     = []byte("http")
	valueSlash    = []byte("/")
)

func orDefault(b, d []byte) []byte {
	if b == nil {
		return d
	}
	return b
}

// Request submits req; h gets the response. userValue is available as
// ClientStream.Value. Returns the stream ID on success, or one of:
// ErrConnClosed; an h2 error from SubmitRequest (h2.ErrSessionClosing
// after GOAWAY, h2.ErrStreamIDNotAvailable, h2.ErrNoMem).
func (cc *ClientConn) Request(req *Request, h ResponseHandler, userValue any) (int32, error) {
	if cc.closing || cc.s == nil {
		return 0, ErrConnClosed
	}
	const nc = h2.NVFlagNoCopyName | h2.NVFlagNoCopyValue
	nva := append(cc.nva[:0],
		h2.NV{Name: nameMethod, Value: orDefault(req.Method, valueGET), Flags: nc},
		h2.NV{Name: nameScheme, Value: orDefault(req.Scheme, valueHTTP), Flags: nc},
		h2.NV{Name: nameAuthority, Value: orDefault(req.Authority, cc.authority), Flags: h2.NVFlagNoCopyName},
		h2.NV{Name: namePath, Value: orDefault(req.Path, valueSlash), Flags: h2.NVFlagNoCopyName})
	nva = append(nva, req.Header...)
	cc.nva = nva[:0]
	cs := cc.newStream()
	cs.h, cs.value = h, userValue
	cs.body = req.Body
	var dp *h2.DataProvider
	if req.Body != nil || req.Trailer != nil {
		dp = &cc.provider
		if req.Trailer != nil {
			cs.setTrailers(req.Trailer)
		}
	}
	id, err := cc.s.SubmitRequest(nva, dp, cs)
	if err != nil {
		cc.recycle(cs)
		return 0, err
	}
	cs.id = id
	cc.send()
	return id, nil
}

// Shutdown ends the connection gracefully: GOAWAY, then close once the
// open requests are done. New requests fail with ErrConnClosed.
func (cc *ClientConn) Shutdown() {
	if cc.closing || cc.s == nil {
		return
	}
	cc.closing = true
	_ = cc.s.SubmitGoaway(h2.FlagNone, 0, h2.NoError, nil)
	cc.send()
	if len(cc.active) == 0 {
		_ = cc.s.TerminateSession(h2.NoError)
		cc.send()
	}
}

// Close closes the connection now; open requests end with h2.Cancel.
func (cc *ClientConn) Close() { _ = cc.c.Close() }

func (cc *ClientConn) send() {
	if cc.depth > 0 {
		cc.pending = true
		return
	}
	if cc.s == nil || cc.c.Closed() {
		return
	}
	cc.pending = false
	if !cc.blocked {
		cc.depth++
		err := cc.s.Send()
		cc.depth--
		if err != nil {
			_ = cc.c.Abort(err)
			return
		}
	}
	if cc.closing && len(cc.active) == 0 && !cc.s.WantWrite() {
		_ = cc.c.Close()
		return
	}
	if !cc.s.WantRead() && !cc.s.WantWrite() {
		_ = cc.c.Close()
	}
}

func (cc *ClientConn) newStream() *ClientStream {
	var cs *ClientStream
	if n := len(cc.free); n > 0 {
		cs = cc.free[n-1]
		cc.free[n-1] = nil
		cc.free = cc.free[:n-1]
	} else {
		cs = &ClientStream{cc: cc, f: newFieldSet()}
	}
	cs.idx = len(cc.active)
	cc.active = append(cc.active, cs)
	return cs
}

func (cc *ClientConn) recycle(cs *ClientStream) {
	last := len(cc.active) - 1
	cc.active[cs.idx] = cc.active[last]
	cc.active[cs.idx].idx = cs.idx
	cc.active[last] = nil
	cc.active = cc.active[:last]
	cs.reset()
	cc.free = append(cc.free, cs)
}

// closeStream delivers OnClose and recycles cs.
func (cc *ClientConn) closeStream(cs *ClientStream, code h2.ErrorCode) {
	if cs.closed {
		return
	}
	cs.closed = true
	cc.depth++
	cs.h.OnClose(cs, code)
	cc.depth--
	if cs.held > 0 && cc.s != nil {
		_ = cc.s.ConsumeConnection(int(cs.held))
		cc.pending = true
	}
	cc.recycle(cs)
	if cc.closing && len(cc.active) == 0 && cc.s != nil {
		_ = cc.s.TerminateSession(h2.NoError)
		cc.pending = true
	}
}
