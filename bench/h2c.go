package bench

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ngloop/ngloop/h2"
	"github.com/ngloop/ngloop/loop"
	"github.com/ngloop/ngloop/loop/h2conn"
)

// h2cDriver is the h2c mode: HTTP/2 with prior knowledge over the
// engine's client connections (loop/h2conn). As in tcp-echo, each worker
// runs its own client engine with one loop, so the worker's Recorder is
// written from that loop only. A response counts once its status was
// parsed and its body arrived whole (matching content-length when the
// server sent one); a stream reset is errored; a request without a
// response within RequestTimeout closes its connection (all of its
// requests time out) so a stalled server cannot hold the run.
//
// Traffic.In counts response body bytes: the glue does not expose the
// bytes of HEADERS frames or framing, so Header stays 0.
type h2cDriver struct {
	cfg  *Config
	addr string
	req  h2conn.Request
}

var userAgent = []byte("ngloop-bench")

func newH2C(cfg *Config, t Target) (Driver, error) {
	d := &h2cDriver{cfg: cfg, addr: t.Addr}
	d.req = h2conn.Request{Method: []byte("GET"), Scheme: []byte("http"),
		Authority: []byte(t.Authority), Path: []byte(t.Path)}
	if t.Scheme == "https" {
		return nil, fmt.Errorf("%w: h2c is cleartext; https targets need TLS, which the harness does not speak yet", ErrBadTarget)
	}
	if len(cfg.Body) > 0 {
		d.req.Method = []byte("POST")
		d.req.Body = cfg.Body
	}
	hdr := []h2.NV{{Name: []byte("user-agent"), Value: userAgent}}
	if len(cfg.Body) > 0 {
		hdr = append(hdr, h2.NV{Name: []byte("content-length"), Value: []byte(strconv.Itoa(len(cfg.Body)))})
	}
	for _, h := range cfg.Headers {
		name := strings.ToLower(h.Name)
		switch name {
		case ":method":
			d.req.Method = []byte(h.Value)
		case ":scheme":
			d.req.Scheme = []byte(h.Value)
		case ":authority", "host":
			d.req.Authority = []byte(h.Value)
		case ":path":
			d.req.Path = []byte(h.Value)
		default:
			if strings.HasPrefix(name, ":") {
				return nil, fmt.Errorf("%w: unknown pseudo-header %q", ErrBadTarget, h.Name)
			}
			hdr = replaceHeader(hdr, name, h.Value)
		}
	}
	d.req.Header = hdr
	return d, nil
}

// replaceHeader sets name to value, replacing a default of the same name
// (h2load -H "user-agent: x" overrides its own user-agent).
func replaceHeader(hdr []h2.NV, name, value string) []h2.NV {
	for i := range hdr {
		if string(hdr[i].Name) == name {
			hdr[i].Value = []byte(value)
			return hdr
		}
	}
	return append(hdr, h2.NV{Name: []byte(name), Value: []byte(value)})
}

type h2cWorker struct {
	*clientSet
	d  *h2cDriver
	cl *h2conn.Client
}

func (d *h2cDriver) RunWorker(ctx context.Context, w *Worker) error {
	set, err := startClientSet(ctx, w, nil)
	if err != nil {
		return err
	}
	cl, err := h2conn.NewClient(set.eng, nil)
	if err != nil {
		set.wait()
		_ = set.stop()
		return err
	}
	hw := &h2cWorker{clientSet: set, d: d, cl: cl}
	clients := make([]*h2cClient, len(w.Budgets))
	for i, b := range w.Budgets {
		c := &h2cClient{hw: hw, budget: b, pacer: w.Pacer(), pause: 50 * time.Millisecond,
			slots: make([]h2cSlot, d.cfg.StreamsPerClient)}
		c.free = make([]*h2cSlot, 0, len(c.slots))
		for j := range c.slots {
			c.free = append(c.free, &c.slots[j])
		}
		clients[i] = c
		hw.dial(c.dialFn)
	}
	hw.wait()
	// Close what is open at once (the engine's own shutdown would wait
	// for open requests with a GOAWAY); requests in flight stay started.
	for _, c := range clients {
		if cc := c.cc.Load(); cc != nil {
			_ = cc.Execute(func(cc *h2conn.ClientConn) { cc.Close() })
		}
	}
	err = hw.stop()
	for _, c := range clients {
		hw.rec.ClientFinished(c.ok, c.last)
	}
	return err
}

func (c *h2cClient) dialFn() error {
	c.dialStart = time.Now()
	return c.hw.cl.Dial(c.hw.ctx, c.hw.d.addr, c, nil)
}

// h2cSlot is one request in flight; its pointer rides as the stream's
// user value, so issuing a request allocates nothing.
type h2cSlot struct {
	start    time.Time
	used     bool
	timedOut bool
}

// h2cClient is one client connection's state; it runs on the worker's
// loop, except OnDisconnect after a failed dial.
type h2cClient struct {
	hw        *h2cWorker
	budget    int64 // requests left to issue; -1 unlimited
	slots     []h2cSlot
	free      []*h2cSlot
	inFlight  int
	cc        atomic.Pointer[h2conn.ClientConn]
	connected bool
	failed    bool // in-flight requests already failed by a timeout
	timer     loop.Timer
	timerInit bool
	pacer     Pacer
	dialStart time.Time
	pause     time.Duration
	ok        int64
	last      time.Time // when the last counted response ended
	lastNow   time.Time // clock at the last response event (OnResponse, OnClose)
}

func (c *h2cClient) OnConnect(cc *h2conn.ClientConn) {
	now := time.Now()
	c.connected, c.failed = true, false
	c.cc.Store(cc)
	c.hw.rec.ConnectDone(c.dialStart, now)
	if !c.timerInit {
		c.timer.Init(cc.Conn().Loop(), c.onTimer)
		c.timerInit = true
	}
	c.pump(cc, now)
}

// pump issues requests while the window, the budget and the pacer allow,
// ends a client whose budget is spent, and arms the timer.
func (c *h2cClient) pump(cc *h2conn.ClientConn, now time.Time) {
	var paceAt time.Time
	for c.inFlight < len(c.slots) && c.budget != 0 && !c.failed {
		if wait := c.pacer.Wait(now); wait > 0 {
			paceAt = now.Add(wait)
			break
		}
		s := c.free[len(c.free)-1]
		s.start, s.used, s.timedOut = now, true, false
		if _, err := cc.Request(&c.hw.d.req, c, s); err != nil {
			s.used = false
			break // the connection is going away; OnDisconnect decides
		}
		c.free = c.free[:len(c.free)-1]
		c.inFlight++
		if c.budget > 0 {
			c.budget--
		}
		c.hw.rec.Started(now)
	}
	if c.budget == 0 && c.inFlight == 0 {
		cc.Shutdown()
		return
	}
	c.arm(now, paceAt)
}

func (c *h2cClient) arm(now, paceAt time.Time) {
	// Requests in flight were accounted for when the timer was armed, and
	// a request issued now is due no sooner than now+RequestTimeout: an
	// armed timer within that bound needs no scan of the slots.
	if paceAt.IsZero() && c.timer.Armed() && c.timer.Deadline() <= loop.Now()+int64(c.hw.d.cfg.RequestTimeout) {
		return
	}
	var due time.Time
	for i := range c.slots {
		if s := &c.slots[i]; s.used && !s.timedOut && (due.IsZero() || s.start.Before(due)) {
			due = s.start
		}
	}
	if !due.IsZero() {
		due = due.Add(c.hw.d.cfg.RequestTimeout)
	}
	armTimer(&c.timer, now, due, paceAt)
}

func (c *h2cClient) onTimer(*loop.Timer) {
	cc := c.cc.Load()
	if cc == nil || !c.connected {
		return
	}
	now := time.Now()
	for i := range c.slots {
		if s := &c.slots[i]; s.used && now.Sub(s.start) >= c.hw.d.cfg.RequestTimeout {
			// A stalled server: time out everything in flight and drop
			// the connection (OnClose of each stream records it).
			for j := range c.slots {
				if c.slots[j].used {
					c.slots[j].timedOut = true
				}
			}
			c.failed = true
			c.hw.rec.Error(ErrRequestTimeout)
			cc.Close()
			return
		}
	}
	c.pump(cc, now)
}

func (c *h2cClient) OnResponse(cs *h2conn.ClientStream) {
	c.lastNow = time.Now()
	if s, ok := cs.Value().(*h2cSlot); ok {
		c.hw.rec.FirstByte(s.start, c.lastNow)
	}
}

// OnData counts body bytes at the time of the last response event: the
// byte counts go to per-second buckets, and a clock read per DATA chunk
// would cost more than the precision is worth.
func (c *h2cClient) OnData(cs *h2conn.ClientStream, data []byte) {
	c.hw.rec.BytesIn(c.lastNow, len(data))
}

// errContentLength is noted when a response body's length differs from
// its content-length.
var errContentLength = errors.New("bench: response body length differs from content-length")

func (c *h2cClient) OnClose(cs *h2conn.ClientStream, code h2.ErrorCode) {
	s, ok := cs.Value().(*h2cSlot)
	if !ok || !s.used {
		return
	}
	hw := c.hw
	now := time.Now()
	c.lastNow = now
	s.used = false
	c.free = append(c.free, s)
	c.inFlight--
	over := hw.over()
	switch {
	case over:
		// The run ended: the request stays started, not done.
	case s.timedOut:
		hw.rec.Failed(s.start, now, TimedOut)
	case code != h2.NoError || cs.Status() == 0:
		hw.rec.Error(fmt.Errorf("bench: stream closed with %v", code))
		hw.rec.Failed(s.start, now, Errored)
	case !contentLengthMatches(cs):
		hw.rec.Error(errContentLength)
		hw.rec.Failed(s.start, now, Errored)
	default:
		hw.rec.ResponseBytes(s.start, now, 0, int(cs.BodyReceived()))
		hw.rec.Done(s.start, now, cs.Status())
		if hw.rec.counts(s.start) && !hw.rec.late(now) {
			c.ok++
			c.last = now
		}
	}
	if !over && c.connected {
		c.pump(cs.Conn(), now)
	}
}

// contentLengthMatches checks a response's body against its
// content-length, when it has one (RFC 9113, Section 8.1.1: a mismatch
// makes the response malformed).
func contentLengthMatches(cs *h2conn.ClientStream) bool {
	v := cs.Header("content-length")
	if v == nil {
		return true
	}
	var n int64
	for _, b := range v {
		if b < '0' || b > '9' || n > (1<<62)/10 {
			return false
		}
		n = n*10 + int64(b-'0')
	}
	return len(v) > 0 && n == cs.BodyReceived()
}

func (c *h2cClient) OnDisconnect(cc *h2conn.ClientConn, err error) {
	hw := c.hw
	now := time.Now()
	over := hw.over()
	abandon := c.budget >= 0
	if !c.connected {
		// The dial failed; this runs on the dialing goroutine.
		hw.dialFailed(err, func(r *Recorder) {
			if abandon {
				r.Abandoned(now, c.budget)
				c.budget = 0
			}
		})
	} else {
		c.connected = false
		c.cc.Store(nil)
		c.timer.Stop()
		if !over && c.budget != 0 {
			if !c.failed {
				if err == nil {
					err = errPeerClosed
				}
				hw.rec.Error(err)
			}
			if abandon {
				hw.rec.Abandoned(now, c.budget)
				c.budget = 0
			}
		}
	}
	if over || c.budget == 0 {
		hw.finish()
		return
	}
	p := c.pause
	c.pause = min(2*c.pause, time.Second)
	hw.redial(c, p, c.dialFn)
}
