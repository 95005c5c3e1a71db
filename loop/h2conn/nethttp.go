package h2conn

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/ngloop/ngloop/h2"
)

// NetHTTPOptions configure NetHTTP. Zero fields take the defaults.
type NetHTTPOptions struct {
	// Workers is the number of goroutines running the http.Handler.
	// Default 64.
	Workers int
	// QueueSize bounds requests waiting for a worker; past it requests
	// get 503 at once, on the loop. Default 1024.
	QueueSize int
	// ChunkSize is how much response body a worker gathers before handing
	// it to the loop (Flush hands over at once). Default 16 KiB.
	ChunkSize int
}

// NetHTTP is a Handler that serves a standard net/http Handler: requests
// are handed to a bounded pool of worker goroutines, so ordinary
// (blocking) Go code runs on ngloop. Backpressure goes both ways: the
// request body is credited back to the client (WINDOW_UPDATE) only as the
// handler reads it, and a worker writing a response blocks until the
// loop has taken the bytes into the stream's buffer.
type NetHTTP struct {
	BaseHandler
	h    http.Handler
	opt  NetHTTPOptions
	jobs chan *nhStream
	wg   sync.WaitGroup

	mu     sync.RWMutex // guards closed against OnRequest's send
	closed bool
}

// NewNetHTTP starts the worker pool for h. Close stops it.
func NewNetHTTP(h http.Handler, opt *NetHTTPOptions) *NetHTTP {
	var o NetHTTPOptions
	if opt != nil {
		o = *opt
	}
	if o.Workers <= 0 {
		o.Workers = 64
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 1024
	}
	if o.ChunkSize <= 0 {
		o.ChunkSize = 16 << 10
	}
	a := &NetHTTP{h: h, opt: o, jobs: make(chan *nhStream, o.QueueSize)}
	a.wg.Add(o.Workers)
	for i := 0; i < o.Workers; i++ {
		go a.worker()
	}
	return a
}

// Close stops the workers after the queued requests (best after the
// engine stopped; requests arriving later get 503). It waits for every
// handler to return; Shutdown bounds the wait.
func (a *NetHTTP) Close() { _ = a.Shutdown(context.Background()) }

// Shutdown stops taking requests and waits for the workers to finish the
// queued ones until ctx is done. Requests whose stream closed meanwhile
// (the engine stopped, the client reset) are dropped without running the
// handler, and running handlers see their request context canceled.
// Returns nil when every worker finished, or ctx.Err() when handlers were
// still running (they are left to return on their own).
func (a *NetHTTP) Shutdown(ctx context.Context) error {
	a.mu.Lock()
	if !a.closed {
		a.closed = true
		close(a.jobs)
	}
	a.mu.Unlock()
	done := make(chan struct{})
	go func() {
		a.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// enqueue hands ns to a worker unless the pool is closed or the queue
// full.
func (a *NetHTTP) enqueue(ns *nhStream) bool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.closed {
		return false
	}
	select {
	case a.jobs <- ns:
		return true
	default:
		return false
	}
}

var errStreamGone = errors.New("h2conn: stream closed")

// nhStream is one request handed to a worker. Fields under mu are shared
// with the worker; the rest belong to the loop.
type nhStream struct {
	a   *NetHTTP
	st  *Stream
	gen uint32
	sc  *ServerConn
	req *http.Request
	// cancel ends req's context: when the stream closes (reset by the
	// client, connection gone, or done) and when the handler returns,
	// as net/http does, so handlers waiting on it give their worker back.
	cancel context.CancelFunc

	mu   sync.Mutex
	cond sync.Cond
	body []byte // received, not yet read by the handler
	eof  bool
	err  error // the stream closed under the handler
	// done (loop only): the handler returned; unread body is dropped
	// and credited back as it arrives.
	done   bool
	closed bool

	// Response hand-over: the worker sets these, posts deliver with
	// Execute and waits on ack; waiting (loop only) says a chunk is
	// parked until OnWritable.
	waiting   bool
	chunk     []byte
	final     bool
	status    int
	header    []h2.NV
	trailerFn func() []h2.NV
	ack       chan error
	// gone is closed by OnClose: work posted with Execute after the
	// connection closed never runs, so a worker waits on ack or gone.
	gone chan struct{}
}

// OnRequest builds the http.Request and queues it for a worker.
func (a *NetHTTP) OnRequest(st *Stream) {
	ns := &nhStream{a: a, st: st, gen: st.gen, sc: st.Conn(), ack: make(chan error, 1), gone: make(chan struct{})}
	ns.cond.L = &ns.mu
	req, err := buildRequest(st, ns)
	if err != nil {
		_ = st.Respond(400, nil, nil)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	ns.req, ns.cancel = req.WithContext(ctx), cancel
	st.SetValue(ns)
	st.ConsumeManually() // credit the body as the handler reads it, and only then
	if !a.enqueue(ns) {
		cancel()
		st.SetValue(nil)
		_ = st.Respond(503, nil, nil)
	}
}

func buildRequest(st *Stream, body io.ReadCloser) (*http.Request, error) {
	u, err := url.ParseRequestURI(string(st.Path()))
	if err != nil {
		return nil, err
	}
	scheme := string(st.Scheme())
	u.Scheme, u.Host = scheme, string(st.Authority())
	req := &http.Request{
		Method: string(st.Method()), URL: u, Proto: "HTTP/2.0", ProtoMajor: 2,
		Header: make(http.Header, st.NumHeaders()), Trailer: make(http.Header),
		Host: u.Host, RequestURI: string(st.Path()), ContentLength: -1,
		RemoteAddr: st.Conn().Conn().RemoteAddr().String(), Body: body,
	}
	for i := 0; i < st.NumHeaders(); i++ {
		n, v := st.HeaderAt(i)
		req.Header.Add(http.CanonicalHeaderKey(string(n)), string(v))
	}
	if cl := st.Header("content-length"); cl != nil {
		req.ContentLength, _ = strconv.ParseInt(string(cl), 10, 64)
	}
	if st.RequestEnded() {
		req.ContentLength = 0
	}
	return req, nil
}

// OnBody queues request body for the worker; it is credited back to the
// client when the worker reads it.
func (a *NetHTTP) OnBody(st *Stream, data []byte) {
	if ns, _ := st.Value().(*nhStream); ns != nil {
		if ns.done {
			_ = st.Consume(len(data))
			return
		}
		ns.mu.Lock()
		ns.body = append(ns.body, data...)
		ns.cond.Signal()
		ns.mu.Unlock()
	}
}

// OnEnd marks the request body complete and copies the trailers.
func (a *NetHTTP) OnEnd(st *Stream) {
	if ns, _ := st.Value().(*nhStream); ns != nil {
		ns.mu.Lock()
		for i := 0; i < st.NumTrailers(); i++ {
			n, v := st.TrailerAt(i)
			ns.req.Trailer.Add(http.CanonicalHeaderKey(string(n)), string(v))
		}
		ns.eof = true
		ns.cond.Signal()
		ns.mu.Unlock()
	}
}

// OnWritable continues a chunk that did not fit the stream's buffer.
func (a *NetHTTP) OnWritable(st *Stream) {
	if ns, _ := st.Value().(*nhStream); ns != nil && ns.waiting {
		ns.deliver()
	}
}

// OnClose fails whatever the worker is waiting for.
func (a *NetHTTP) OnClose(st *Stream, code h2.ErrorCode) {
	ns, _ := st.Value().(*nhStream)
	if ns == nil {
		return
	}
	ns.cancel()
	ns.mu.Lock()
	ns.closed = true
	if !ns.eof {
		ns.err = errStreamGone
	}
	ns.cond.Signal()
	ns.mu.Unlock()
	close(ns.gone)
	if ns.waiting {
		ns.waiting = false
		ns.ack <- errStreamGone
	}
}

// Read is the request body for the handler (io.Reader).
func (ns *nhStream) Read(p []byte) (int, error) {
	ns.mu.Lock()
	for len(ns.body) == 0 && !ns.eof && ns.err == nil {
		ns.cond.Wait()
	}
	n := copy(p, ns.body)
	ns.body = ns.body[n:]
	err := ns.err
	if n == 0 && err == nil && ns.eof {
		err = io.EOF
	}
	ns.mu.Unlock()
	if n > 0 {
		_ = ns.sc.Execute(func(*ServerConn) {
			if ns.st.gen == ns.gen && ns.st.flags&sfClosed == 0 {
				_ = ns.st.Consume(n)
			}
		})
		return n, nil
	}
	return 0, err
}

// Close is the request body's Close; the rest of the body is dropped as
// it arrives (it is still credited back when the stream closes).
func (ns *nhStream) Close() error { return nil }

// deliver runs on the loop: it submits the response headers if needed,
// writes as much of the posted chunk as fits and acknowledges the
// worker once the chunk is all in.
func (ns *nhStream) deliver() {
	ns.waiting = false
	st := ns.st
	if st.gen != ns.gen || st.flags&sfClosed != 0 {
		ns.ack <- errStreamGone
		return
	}
	if st.flags&sfResponded == 0 {
		if err := st.RespondStream(ns.status, ns.header); err != nil {
			ns.ack <- err
			return
		}
	}
	if len(ns.chunk) > 0 {
		n, err := st.Write(ns.chunk)
		ns.chunk = ns.chunk[n:]
		if err == ErrWouldBlock {
			ns.waiting = true // OnWritable comes back here
			return
		}
		if err != nil {
			ns.ack <- err
			return
		}
	}
	if ns.final {
		if ns.trailerFn != nil {
			if tr := ns.trailerFn(); len(tr) > 0 {
				st.SetTrailers(tr)
			}
		}
		_ = st.End()
	}
	ns.ack <- nil
}

func (a *NetHTTP) worker() {
	defer a.wg.Done()
	for ns := range a.jobs {
		if ns.req.Context().Err() != nil {
			// The stream closed while queued (a client that resets
			// what it asked, RFC 9113, Section 10.5): no handler runs.
			ns.cancel()
			continue
		}
		a.serve(ns)
	}
}

func (a *NetHTTP) serve(ns *nhStream) {
	rw := &responseWriter{ns: ns, header: make(http.Header), chunk: a.opt.ChunkSize}
	defer ns.cancel()
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				p = nil
			}
			_ = ns.sc.Execute(func(*ServerConn) {
				if ns.st.gen == ns.gen && ns.st.flags&sfClosed == 0 {
					_ = ns.st.Reset(h2.InternalError)
				}
			})
		}
	}()
	a.h.ServeHTTP(rw, ns.req)
	_ = rw.post(true)
	// The request body nobody will read is credited back, so a client
	// still sending it is not left at a closed window (net/http drains
	// or resets likewise).
	_ = ns.sc.Execute(func(*ServerConn) {
		if ns.st.gen == ns.gen && ns.st.flags&sfClosed == 0 {
			ns.done = true
			ns.mu.Lock()
			n := len(ns.body)
			ns.body = nil
			ns.mu.Unlock()
			_ = ns.st.Consume(n)
		}
	})
}

// responseWriter is the http.ResponseWriter of NetHTTP.
type responseWriter struct {
	ns          *nhStream
	header      http.Header
	status      int
	wroteHeader bool
	buf         []byte
	chunk       int
	failed      error
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(code int) {
	if w.wroteHeader || code < 100 || code > 599 {
		return
	}
	if code < 200 {
		return // 1xx informational responses are not forwarded
	}
	w.wroteHeader, w.status = true, code
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(200)
	}
	if w.failed != nil {
		return 0, w.failed
	}
	w.buf = append(w.buf, p...)
	if len(w.buf) >= w.chunk {
		if err := w.post(false); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Flush hands what was written to the loop at once (http.Flusher).
func (w *responseWriter) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(200)
	}
	_ = w.post(false)
}

// post hands the buffered body (and, the first time, the headers) to the
// loop and waits until the loop took it.
func (w *responseWriter) post(final bool) error {
	if w.failed != nil {
		return w.failed
	}
	ns := w.ns
	if !w.wroteHeader {
		w.WriteHeader(200)
	}
	if ns.header == nil {
		ns.status = w.status
		ns.header = headerNV(w.header, w.status, final, len(w.buf))
	}
	ns.chunk, ns.final = w.buf, final
	if final {
		ns.trailerFn = func() []h2.NV { return trailerNV(w.header) }
	}
	if err := ns.sc.Execute(func(*ServerConn) { ns.deliver() }); err != nil {
		w.failed = err
		return err
	}
	var err error
	select {
	case err = <-ns.ack:
	case <-ns.gone:
		// The loop may still have taken the chunk; either way the
		// stream is over.
		err = errStreamGone
	}
	if err != nil {
		w.failed = err
		return err
	}
	w.buf = w.buf[:0]
	return nil
}

// headerNV converts response headers; a complete body gets its
// content-length.
func headerNV(h http.Header, status int, complete bool, n int) []h2.NV {
	nv := make([]h2.NV, 0, len(h)+1)
	for k, vs := range h {
		lk := strings.ToLower(k)
		switch lk {
		case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "trailer", "content-length":
			continue
		}
		if strings.HasPrefix(k, http.TrailerPrefix) {
			continue
		}
		for _, v := range vs {
			nv = append(nv, h2.NV{Name: []byte(lk), Value: []byte(v)})
		}
	}
	if status == 204 || status == 304 {
		return nv
	}
	if complete && h.Get("Trailer") == "" {
		nv = append(nv, h2.NV{Name: []byte("content-length"), Value: []byte(strconv.Itoa(n))})
	} else if cl := h.Get("Content-Length"); cl != "" {
		nv = append(nv, h2.NV{Name: []byte("content-length"), Value: []byte(cl)})
	}
	return nv
}

// trailerNV collects the trailers the handler declared with the Trailer
// header or set with http.TrailerPrefix.
func trailerNV(h http.Header) []h2.NV {
	var nv []h2.NV
	for _, decl := range h.Values("Trailer") {
		for _, k := range strings.Split(decl, ",") {
			k = strings.TrimSpace(k)
			for _, v := range h.Values(k) {
				nv = append(nv, h2.NV{Name: []byte(strings.ToLower(k)), Value: []byte(v)})
			}
		}
	}
	for k, vs := range h {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			for _, v := range vs {
				nv = append(nv, h2.NV{Name: []byte(strings.ToLower(strings.TrimPrefix(k, http.TrailerPrefix))), Value: []byte(v)})
			}
		}
	}
	return nv
}
