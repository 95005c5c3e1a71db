package bench

import (
	"bytes"
	"errors"
	"time"
)

// Errors an echo connection reports when the peer's bytes are not an echo.
var (
	ErrEchoMismatch   = errors.New("bench: echoed bytes differ from the bytes sent")
	ErrEchoUnexpected = errors.New("bench: bytes received with no request in flight")
)

// echoClient is the sans-IO request bookkeeping of one echo connection:
// the transport calls issue before writing a message, feeds every byte it
// reads to recv, and asks oldest for the deadline to watch. Requests are
// answered in order, so the in-flight requests are a FIFO of start times
// in a fixed ring (no allocation after construction).
type echoClient struct {
	rec    *Recorder
	msg    []byte
	budget int64 // requests left to issue; -1 = unlimited
	starts []time.Time
	head   int       // index of the oldest in-flight request
	n      int       // requests in flight
	got    int       // bytes of the oldest request's echo received so far
	ok     int64     // responses counted in the measured window (for per-client req/s)
	last   time.Time // when the last of them arrived
}

func newEchoClient(rec *Recorder, msg []byte, inFlight int, budget int64) *echoClient {
	return &echoClient{rec: rec, msg: msg, budget: budget, starts: make([]time.Time, inFlight)}
}

// canIssue reports whether another request fits in the window and budget.
func (e *echoClient) canIssue() bool { return e.n < len(e.starts) && e.budget != 0 }

// finished reports that the budget is spent and nothing is in flight.
func (e *echoClient) finished() bool { return e.budget == 0 && e.n == 0 }

// issue starts a request at now; the caller then writes e.msg.
func (e *echoClient) issue(now time.Time) {
	e.starts[(e.head+e.n)%len(e.starts)] = now
	e.n++
	if e.budget > 0 {
		e.budget--
	}
	e.rec.Started(now)
}

// oldest returns the start of the oldest request in flight.
func (e *echoClient) oldest() (time.Time, bool) {
	if e.n == 0 {
		return time.Time{}, false
	}
	return e.starts[e.head], true
}

// recv consumes echoed bytes read at now. A request is done when all of
// its message came back and matched what was sent. It returns nil, or one
// of: ErrEchoMismatch — a byte differs (the connection must be dropped);
// ErrEchoUnexpected — bytes arrived with no request in flight.
func (e *echoClient) recv(now time.Time, p []byte) error {
	e.rec.BytesIn(now, len(p))
	for len(p) > 0 {
		if e.n == 0 {
			return ErrEchoUnexpected
		}
		start := e.starts[e.head]
		if e.got == 0 {
			e.rec.FirstByte(start, now)
		}
		k := min(len(p), len(e.msg)-e.got)
		if !bytes.Equal(p[:k], e.msg[e.got:e.got+k]) {
			return ErrEchoMismatch
		}
		e.got += k
		p = p[k:]
		if e.got == len(e.msg) {
			e.rec.ResponseBytes(start, now, 0, len(e.msg))
			e.rec.Done(start, now, 0)
			if e.rec.counts(start) && !e.rec.late(now) {
				e.ok++
				e.last = now
			}
			e.got = 0
			e.head = (e.head + 1) % len(e.starts)
			e.n--
		}
	}
	return nil
}

// fail ends every request in flight with why, and, when abandon is set,
// gives up the rest of the budget as h2load does when a connection fails.
func (e *echoClient) fail(now time.Time, why Failure, abandon bool) {
	for ; e.n > 0; e.n-- {
		e.rec.Failed(e.starts[e.head], now, why)
		e.head = (e.head + 1) % len(e.starts)
	}
	e.got = 0
	if abandon && e.budget > 0 {
		e.rec.Abandoned(now, e.budget)
		e.budget = 0
	}
}
