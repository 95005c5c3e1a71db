package bench

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/loop/quicconn"
	"github.com/ngloop/ngloop/quic"
)

// quicDriver is the quic-echo and hq-interop modes, on the engine's QUIC
// client (loop/quicconn). As in the TCP modes, each worker runs its own
// client engine with one loop and one UDP socket, so the worker's
// Recorder is written from that loop only.
//
// A request is one bidirectional stream: quic-echo sends Config.Body and
// FIN and counts the response when every byte came back unchanged and
// then FIN; hq-interop sends "GET /path\r\n" and FIN (HTTP/0.9, as the
// QUIC interop runner does) and counts the response when the stream ends
// with FIN, its bytes being the body. A stream reset by the peer is
// errored. Streams are independent, so a request without a complete
// response within RequestTimeout is timed out and its stream reset
// (RESET_STREAM and STOP_SENDING), not its connection. Headers (-H) have
// no meaning in either mode and are ignored; hq-interop ignores Body.
type quicDriver struct {
	cfg  *Config
	addr string
	req  []byte
	echo bool
	tls  *tls.Config
}

// quicResetCode is the application error code of the streams the harness
// resets (timed out, or with a bad echo). The echo and hq-interop ALPNs
// define no codes; 0 says only that the client gave the stream up.
const quicResetCode = 0

// quicRedialPause is the first pause before a lost connection is dialed
// again in duration mode; it doubles up to a second.
const quicRedialPause = 50 * time.Millisecond

func newQUIC(cfg *Config, t Target) (Driver, error) {
	d := &quicDriver{cfg: cfg, addr: t.Addr, echo: cfg.Mode == ModeQUICEcho}
	alpn := "echo"
	if d.echo {
		d.req = cfg.Body
	} else {
		alpn = "hq-interop"
		d.req = []byte("GET " + t.Path + "\r\n")
	}
	d.tls = &tls.Config{NextProtos: []string{alpn}, InsecureSkipVerify: cfg.Insecure, MinVersion: tls.VersionTLS13}
	return d, nil
}

type quicWorker struct {
	*clientSet
	d  *quicDriver
	cl *quicconn.Client
	// dials counts the dialing goroutines; once noMore is set (under
	// dialsMu) no dial starts, so Wait never races an Add.
	dialsMu sync.Mutex
	dials   sync.WaitGroup
	noMore  bool
}

func (d *quicDriver) RunWorker(ctx context.Context, w *Worker) error {
	var cl *quicconn.Client
	set, err := startClientSet(ctx, w, func(e *loop.Engine) error {
		var err error
		cl, err = quicconn.NewClient(e, "", &quicconn.Config{TLS: d.tls})
		return err
	})
	if err != nil {
		return err
	}
	qw := &quicWorker{clientSet: set, d: d, cl: cl}
	clients := make([]*quicClient, len(w.Budgets))
	for i, b := range w.Budgets {
		c := &quicClient{qw: qw, budget: b, pacer: w.Pacer(), pause: quicRedialPause}
		c.qs = newQUICStreams(qw.rec, d.req, d.echo, d.cfg.StreamsPerClient)
		clients[i] = c
		qw.dial(c.dialFn)
	}
	qw.wait()
	qw.dialsMu.Lock()
	qw.noMore = true
	qw.dialsMu.Unlock()
	qw.dials.Wait() // a Dial returns once the run's context is done
	// The engine's Stop closes every connection (CONNECTION_CLOSE); the
	// run is over, so requests in flight stay started, not done.
	err = qw.stop()
	for _, c := range clients {
		qw.rec.ClientFinished(c.qs.ok, c.qs.last)
	}
	return err
}

// quicClient is one client connection. Its Handler methods run on the
// worker's loop; dialFn's goroutine only hands a failed dial to the loop.
type quicClient struct {
	quicconn.BaseHandler
	qw        *quicWorker
	qs        *quicStreams
	budget    int64 // requests left to issue; -1 unlimited
	pacer     Pacer
	conn      *quicconn.Conn
	timer     loop.Timer
	timerInit bool
	connected bool
	closing   bool // we closed it: the budget is spent
	creditOut bool // OpenStream hit the peer's MAX_STREAMS: wait for OnStreamCredit
	dialStart time.Time
	pause     time.Duration
	// dialMu guards dialing: set while a Dial is in progress and wanted;
	// OnHandshake or the failed Dial's goroutine clears it, and the one
	// that does owns the outcome.
	dialMu  sync.Mutex
	dialing bool
}

func (c *quicClient) dialFn() error {
	qw := c.qw
	c.dialStart = time.Now()
	qw.dialsMu.Lock()
	if qw.noMore {
		qw.dialsMu.Unlock()
		qw.finish()
		return nil
	}
	qw.dials.Add(1)
	qw.dialsMu.Unlock()
	c.dialMu.Lock()
	c.dialing = true
	c.dialMu.Unlock()
	go func() {
		defer qw.dials.Done()
		dctx, cancel := context.WithTimeout(qw.ctx, qw.d.cfg.ConnectTimeout)
		_, err := qw.cl.Dial(dctx, qw.d.addr, c, nil)
		cancel()
		if err == nil {
			return // OnHandshake took over
		}
		// A Dial given up by its context may still complete the handshake
		// on the loop; whichever of OnHandshake and this takes dialing
		// first owns the outcome.
		c.dialMu.Lock()
		mine := c.dialing
		c.dialing = false
		c.dialMu.Unlock()
		if mine {
			c.dialFailed(err)
		}
	}()
	return nil
}

// dialFailed records a failed dial on the dialing goroutine; the client
// has no connection, so nothing on the loop touches it meanwhile.
func (c *quicClient) dialFailed(err error) {
	qw := c.qw
	now := time.Now()
	if c.budget >= 0 { // -n mode: the client's budget is lost, as in h2load
		budget := c.budget
		qw.clientSet.dialFailed(err, func(r *Recorder) { r.Abandoned(now, budget) })
		c.budget = 0
	} else {
		qw.clientSet.dialFailed(err, func(*Recorder) {})
	}
	c.next()
}

// next finishes the client, or dials again after a pause (duration mode).
func (c *quicClient) next() {
	qw := c.qw
	if qw.over() || c.budget == 0 {
		qw.finish()
		return
	}
	p := c.pause
	c.pause = min(2*c.pause, time.Second)
	qw.redial(c, p, c.dialFn)
}

func (c *quicClient) OnHandshake(conn *quicconn.Conn) {
	c.dialMu.Lock()
	mine := c.dialing
	c.dialing = false
	c.dialMu.Unlock()
	if !mine { // the Dial gave up (connect timeout) and was counted failed
		_ = conn.Close(0, "dial abandoned")
		return
	}
	now := time.Now()
	c.conn, c.connected, c.closing, c.creditOut = conn, true, false, false
	c.qw.rec.ConnectDone(c.dialStart, now)
	c.pause = quicRedialPause
	if !c.timerInit {
		c.timer.Init(conn.Loop(), c.onTimer)
		c.timerInit = true
	}
	c.pump(now)
}

// pump issues requests while the slots, the budget, the peer's stream
// credit and the pacer allow, closes a client whose budget is spent, and
// arms the timer.
func (c *quicClient) pump(now time.Time) {
	if !c.connected || c.closing {
		return
	}
	var paceAt time.Time
	for !c.qs.full() && c.budget != 0 && !c.creditOut {
		if wait := c.pacer.Wait(now); wait > 0 {
			paceAt = now.Add(wait)
			break
		}
		id, err := c.conn.OpenStream()
		if err != nil {
			// quic.ErrStreamIDBlocked: OnStreamCredit resumes; a closing
			// connection: OnClose follows.
			c.creditOut = errors.Is(err, quic.ErrStreamIDBlocked)
			break
		}
		if c.budget > 0 {
			c.budget--
		}
		c.send(c.qs.add(id, now), now)
	}
	if c.budget == 0 && c.qs.n == 0 {
		c.closing = true
		c.timer.Stop()
		_ = c.conn.Close(0, "done")
		return
	}
	c.arm(now, paceAt)
}

// send writes what Conn.Write has not taken of s's request, FIN with the
// last byte. A full stream queue waits for OnStreamWritable.
func (c *quicClient) send(s *quicSlot, now time.Time) {
	req := c.qs.req
	n, err := c.conn.Write(s.id, req[s.sent:], true)
	s.sent += n
	c.qw.rec.BytesOut(now, n)
	if err != nil && !errors.Is(err, quicconn.ErrWouldBlock) {
		c.end(s, now, err)
	}
}

// end finishes s with err (nil: counted by quicStreams.recv) and resets
// its stream when it failed, so the peer stops sending it.
func (c *quicClient) end(s *quicSlot, now time.Time, err error) {
	if err != nil {
		c.qw.rec.Error(err)
		c.qw.rec.Failed(s.start, now, Errored)
		if c.conn != nil {
			_ = c.conn.ResetStream(s.id, quicResetCode)
		}
	}
	c.qs.remove(s)
}

func (c *quicClient) OnStreamWritable(_ *quicconn.Conn, id int64) {
	if s := c.qs.get(id); s != nil && s.sent < len(c.qs.req) {
		c.send(s, time.Now())
	}
}

func (c *quicClient) OnStreamData(_ *quicconn.Conn, id int64, data []byte, fin bool) {
	s := c.qs.get(id)
	if s == nil {
		return // a request already ended (timed out or failed)
	}
	now := time.Now()
	if done, err := c.qs.recv(s, now, data, fin); done {
		c.end(s, now, err)
		c.pump(now)
	}
}

// errStreamReset is noted when the peer resets a stream in flight.
var errStreamReset = errors.New("bench: stream reset by peer")

func (c *quicClient) OnStreamReset(_ *quicconn.Conn, id int64, code uint64) {
	if s := c.qs.get(id); s != nil {
		now := time.Now()
		c.end(s, now, fmt.Errorf("%w (code 0x%x)", errStreamReset, code))
		c.pump(now)
	}
}

// OnStreamStopSending: the peer will not read the rest of the request, so
// the response cannot be whole unless the request was already sent.
func (c *quicClient) OnStreamStopSending(_ *quicconn.Conn, id int64, code uint64) {
	if s := c.qs.get(id); s != nil && s.sent < len(c.qs.req) {
		now := time.Now()
		c.end(s, now, fmt.Errorf("%w (STOP_SENDING, code 0x%x)", errStreamReset, code))
		c.pump(now)
	}
}

// OnStreamCredit: the peer raised MAX_STREAMS.
func (c *quicClient) OnStreamCredit(_ *quicconn.Conn, bidi bool, _ uint64) {
	if bidi && c.creditOut {
		c.creditOut = false
		c.pump(time.Now())
	}
}

// errConnClosed is noted when a connection closes with requests in
// flight or due and the close carries no reason.
var errConnClosed = errors.New("bench: QUIC connection closed")

func (c *quicClient) OnClose(conn *quicconn.Conn, ce *quic.CCErr) {
	if conn != c.conn {
		return // a connection whose Dial was given up
	}
	qw := c.qw
	now := time.Now()
	c.connected = false
	c.conn = nil
	c.timer.Stop()
	if !qw.over() && !c.closing {
		var err error = errConnClosed
		if ce != nil {
			err = fmt.Errorf("%w: %s", errConnClosed, describeClose(ce))
		}
		if c.qs.n > 0 || c.budget != 0 {
			qw.rec.Error(err)
		}
		c.qs.failAll(now, Errored)
		if c.budget > 0 { // -n mode: a lost connection ends the client, as in h2load
			qw.rec.Abandoned(now, c.budget)
			c.budget = 0
		}
	}
	c.next()
}

// describeClose names a CONNECTION_CLOSE for the report's error list.
func describeClose(ce *quic.CCErr) string {
	kind := "transport"
	switch ce.Type {
	case quic.CCErrTypeApplication:
		kind = "application"
	case quic.CCErrTypeIdleClose:
		return "idle timeout"
	case quic.CCErrTypeVersionNegotiation:
		return "version negotiation"
	}
	if len(ce.Reason) > 0 {
		return fmt.Sprintf("%s error 0x%x (%.64q)", kind, ce.ErrorCode, ce.Reason)
	}
	return fmt.Sprintf("%s error 0x%x", kind, ce.ErrorCode)
}

// onTimer times out the requests older than RequestTimeout (each one's
// stream is reset; the connection stays) and issues what the pacer now
// allows.
func (c *quicClient) onTimer(*loop.Timer) {
	if !c.connected {
		return
	}
	now := time.Now()
	limit := c.qw.d.cfg.RequestTimeout
	for i := range c.qs.slots {
		if s := &c.qs.slots[i]; s.used && now.Sub(s.start) >= limit {
			c.qw.rec.Error(ErrRequestTimeout)
			c.qw.rec.Failed(s.start, now, TimedOut)
			_ = c.conn.ResetStream(s.id, quicResetCode)
			c.qs.remove(s)
		}
	}
	c.pump(now)
}

// arm keeps the timer at or before the oldest request's deadline or the
// next pacing slot. A request issued now is due no sooner than
// now+RequestTimeout, so an armed timer within that bound needs no scan.
func (c *quicClient) arm(now, paceAt time.Time) {
	limit := c.qw.d.cfg.RequestTimeout
	if paceAt.IsZero() && c.timer.Armed() && c.timer.Deadline() <= loop.Now()+int64(limit) {
		return
	}
	var due time.Time
	if start, ok := c.qs.oldest(); ok {
		due = start.Add(limit)
	}
	armTimer(&c.timer, now, due, paceAt)
}
