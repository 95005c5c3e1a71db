package proxy

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/ngloop/ngloop/h2"
	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/loop/tlsconn"
)

// ErrNoBackends is returned by New when Options.Backends is empty.
var ErrNoBackends = errors.New("proxy: no backends")

// Proxy is an HTTP/2 reverse proxy and load balancer on a loop.Engine. It
// is the loop.Handler of the listeners it serves (Listen); each loop
// keeps its own connections to the backends.
type Proxy struct {
	opt      Options
	backends []*backend
	via      []byte
	frontCB  h2.Callbacks
	backCB   h2.Callbacks
	rr       atomic.Uint64
	stopping atomic.Bool
	m        metrics
	none     backend // metrics of requests that reached no backend

	mu      sync.Mutex
	workers map[*loop.Loop]*worker
}

// New returns a proxy for opt.
//
// Returns the proxy, or one of: ErrNoBackends; h2.ErrInvalidArgument — a
// session option is out of range.
func New(opt Options) (*Proxy, error) {
	if len(opt.Backends) == 0 {
		return nil, ErrNoBackends
	}
	px := &Proxy{opt: opt.withDefaults(), workers: make(map[*loop.Loop]*worker)}
	px.via = []byte("2 " + px.opt.Via)
	px.frontCB = h2.Callbacks{
		Send:            frontSend,
		OnBeginHeaders:  frontBeginHeaders,
		OnHeader:        frontHeader,
		OnFrameRecv:     frontFrameRecv,
		OnDataChunkRecv: frontDataChunk,
		OnStreamClose:   frontStreamClose,
	}
	px.backCB = h2.Callbacks{
		Send:            backSend,
		OnBeginHeaders:  backBeginHeaders,
		OnHeader:        backHeader,
		OnFrameRecv:     backFrameRecv,
		OnDataChunkRecv: backDataChunk,
		OnStreamClose:   backStreamClose,
		OnFrameNotSend:  backFrameNotSend,
	}
	if _, err := h2.NewServerSession(&px.frontCB, &px.opt.Front); err != nil {
		return nil, err
	}
	if _, err := h2.NewClientSession(&px.backCB, &px.opt.Back); err != nil {
		return nil, err
	}
	px.m.init()
	px.none.m = px.m.forBackend("none")
	for i, addr := range px.opt.Backends {
		b := &backend{idx: i, addr: addr, m: px.m.forBackend(addr)}
		b.up.Store(true) // optimistic until a dial or check fails
		px.backends = append(px.backends, b)
	}
	px.m.registerBackends(px.backends)
	return px, nil
}

// Listen serves h2c (prior knowledge) on addr of e; call before e.Start.
// It returns e.Listen's results.
func (px *Proxy) Listen(e *loop.Engine, addr string) (*loop.Listener, error) {
	return e.Listen(addr, px.Handler())
}

// ListenTLS serves h2 over TLS on addr of e with the certificates of
// certs (ALPN h2, TLS 1.2+ without the RFC 9113 §9.2 blocklisted suites;
// a connection that did not negotiate h2 is closed and one that breaks
// §9.2 gets GOAWAY INADEQUATE_SECURITY). Handshakes run off the loops
// (see loop/tlsconn); opt may be nil for tlsconn's defaults. Call before
// e.Start.
func (px *Proxy) ListenTLS(e *loop.Engine, addr string, certs *tlsconn.Certs, opt *tlsconn.Options) (*loop.Listener, error) {
	o := tlsconn.Options{}
	if opt != nil {
		o = *opt
	}
	if o.Verify == nil {
		o.Verify = tlsconn.H2Verify
	}
	th, err := tlsconn.NewServer(px.Handler(), tlsconn.ServerConfig(certs), &o)
	if err != nil {
		return nil, err
	}
	return e.Listen(addr, th)
}

// Handler returns the loop.Handler of client connections, for callers
// that listen themselves (or wrap connections, TLS for example).
func (px *Proxy) Handler() loop.Handler { return (*frontHandler)(px) }

// Options returns the options with defaults filled in.
func (px *Proxy) Options() Options { return px.opt }

// BackendUp reports whether backend i (in Options.Backends order) is in
// rotation.
func (px *Proxy) BackendUp(i int) bool { return px.backends[i].up.Load() }

// Outstanding returns the requests in flight to backend i.
func (px *Proxy) Outstanding(i int) int64 { return px.backends[i].outstanding.Load() }

// workerFor returns l's worker, creating it on l's first connection
// (called on l's goroutine).
func (px *Proxy) workerFor(l *loop.Loop) *worker {
	px.mu.Lock()
	w := px.workers[l]
	px.mu.Unlock()
	if w != nil {
		return w
	}
	w = newWorker(px, l)
	px.mu.Lock()
	px.workers[l] = w
	px.mu.Unlock()
	return w
}

// pick chooses a backend in rotation for a new request, never the one
// excluded (a retry's first choice) while another is up. When none is up
// it still picks one, round-robin: a backend may be back before its
// health check says so, and a failed attempt costs one 502.
func (px *Proxy) pick(excluded int) *backend {
	bs := px.backends
	n := uint64(len(bs))
	start := px.rr.Add(1)
	var best *backend
	for i := uint64(0); i < n; i++ {
		b := bs[(start+i)%n]
		if !b.up.Load() || b.idx == excluded {
			continue
		}
		if px.opt.Balance == RoundRobin {
			return b
		}
		if best == nil || b.outstanding.Load() < best.outstanding.Load() {
			best = b
		}
	}
	if best != nil {
		return best
	}
	if b := bs[start%n]; b.idx != excluded || n == 1 {
		return b
	}
	return bs[(start+1)%n]
}

// account counts a finished request and logs it.
func (px *Proxy) account(p *pair, code h2.ErrorCode) {
	b := p.be
	if b == nil {
		b = &px.none
	}
	class := p.status / 100
	if class < 1 || class > 5 || code != h2.NoError && p.flags&pfRespEnd == 0 {
		class = 0
	}
	b.m.requests[class].Inc()
	b.m.reqBytes.Add(float64(p.reqBody))
	b.m.respBytes.Add(float64(p.respBody))
	p.w.log.add(p, b, class)
}
