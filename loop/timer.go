package loop

import "time"

// epoch anchors Now; time.Since reads the monotonic clock.
var epoch = time.Now()

// Now returns the engine's clock: monotonic nanoseconds since the process
// started using the package. Timer deadlines are on this clock; the QUIC
// glue passes it on as quic.Tstamp.
func Now() int64 { return int64(time.Since(epoch)) }

// Timer is a one-shot timer owned by one loop. Embed it by value in your
// own struct, bind it once (Init or Conn.InitTimer), then Reset and Stop it
// as often as needed: neither allocates nor starts a goroutine. Expiry runs
// on the loop goroutine. All methods must be called on that goroutine.
type Timer struct {
	when int64
	seq  uint64
	idx  int // position in the loop's heap + 1; 0 while not armed
	l    *Loop
	fn   func(*Timer)
	c    *Conn
	next *Timer // the owning connection's list of bound timers
}

// Init binds t to loop l with callback fn, which runs on l when t expires.
// Call it once, before the first Reset.
func (t *Timer) Init(l *Loop, fn func(t *Timer)) {
	t.Stop()
	t.l, t.fn, t.c = l, fn, nil
}

// InitTimer binds t to c's loop; on expiry c's handler gets OnTimer(c, t).
// The timer stops by itself when c closes. Call it once per timer, on the
// loop goroutine (OnOpen is the usual place).
func (c *Conn) InitTimer(t *Timer) {
	t.Stop()
	t.l, t.fn, t.c = c.l, nil, c
	t.next = c.timers
	c.timers = t
}

// Reset arms t to expire d from now, replacing any earlier deadline.
func (t *Timer) Reset(d time.Duration) { t.ResetAt(Now() + int64(d)) }

// ResetAt arms t to expire at deadline (on the Now clock). Timers with
// equal deadlines fire in the order they were armed.
func (t *Timer) ResetAt(deadline int64) {
	l := t.l
	if l == nil {
		panic("loop: Timer used before Init")
	}
	l.timerSeq++
	t.when, t.seq = deadline, l.timerSeq
	if t.idx == 0 {
		l.timers.push(t)
	} else {
		l.timers.fix(t.idx - 1)
	}
	if l.timers.top() == t {
		l.armTimer(deadline)
	}
}

// Stop disarms t. It reports whether t was armed.
func (t *Timer) Stop() bool {
	if t.idx == 0 {
		return false
	}
	t.l.timers.remove(t.idx - 1)
	return true
}

// Armed reports whether t is waiting to expire.
func (t *Timer) Armed() bool { return t.idx != 0 }

// Deadline returns the deadline t was last armed with.
func (t *Timer) Deadline() int64 { return t.when }

// timerHeap is a 4-ary min-heap ordered by (when, seq). Keys are kept
// inline next to the pointer so sifting compares without touching the
// timers themselves (the Go runtime's timer heap does the same).
type timerHeap struct {
	h []heapEntry
}

type heapEntry struct {
	when int64
	seq  uint64
	t    *Timer
}

func (a *heapEntry) before(b *heapEntry) bool {
	return a.when < b.when || (a.when == b.when && a.seq < b.seq)
}

func (h *timerHeap) top() *Timer { return h.h[0].t }

func (h *timerHeap) up(i int) {
	e := h.h[i]
	for i > 0 {
		p := (i - 1) / 4
		if !e.before(&h.h[p]) {
			break
		}
		h.h[i] = h.h[p]
		h.h[i].t.idx = i + 1
		i = p
	}
	h.h[i] = e
	e.t.idx = i + 1
}

func (h *timerHeap) down(i int) bool {
	start := i
	n := len(h.h)
	e := h.h[i]
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for j := c + 1; j < c+4 && j < n; j++ {
			if h.h[j].before(&h.h[m]) {
				m = j
			}
		}
		if !h.h[m].before(&e) {
			break
		}
		h.h[i] = h.h[m]
		h.h[i].t.idx = i + 1
		i = m
	}
	h.h[i] = e
	e.t.idx = i + 1
	return i > start
}

func (h *timerHeap) push(t *Timer) {
	h.h = append(h.h, heapEntry{t.when, t.seq, t})
	h.up(len(h.h) - 1)
}

// fix restores order after the timer at i got a new key.
func (h *timerHeap) fix(i int) {
	t := h.h[i].t
	h.h[i].when, h.h[i].seq = t.when, t.seq
	if !h.down(i) {
		h.up(i)
	}
}

func (h *timerHeap) remove(i int) {
	t := h.h[i].t
	last := len(h.h) - 1
	if i != last {
		h.h[i] = h.h[last]
	}
	h.h[last] = heapEntry{}
	h.h = h.h[:last]
	if i != last {
		if !h.down(i) {
			h.up(i)
		}
	}
	t.idx = 0
}

// armTimer makes sure the loop wakes by deadline. Pushing a deadline later
// costs nothing: the wake-up finds nothing due and re-arms.
func (l *Loop) armTimer(deadline int64) {
	if l.udp != nil {
		return // the UDP loop reads the heap top before every wait
	}
	if l.armed != 0 && l.armed <= deadline {
		return
	}
	l.armed = deadline
	d := time.Duration(deadline - Now())
	if d < 0 {
		d = 0
	}
	l.waker.Reset(d)
}

// postTimers runs on the runtime timer's goroutine: it posts one timer run
// to the loop unless one is already queued.
func (l *Loop) postTimers() {
	if l.timerPosted.CompareAndSwap(false, true) {
		if l.el.Execute(bgCtx, l.runTimersFn) != nil {
			l.timerPosted.Store(false)
		}
	}
}

// runTimers fires every due timer in deadline order and re-arms the waker
// for the next one.
func (l *Loop) runTimers() {
	l.timerPosted.Store(false)
	l.armed = 0
	l.begin(nil)
	now := Now()
	l.prevTimerRun, l.timerRun = l.timerRun, now
	// A timer armed during this run (say, re-armed in the past by its own
	// callback) waits for the next run: firing it again here could spin
	// this run forever and starve the loop.
	lastSeq := l.timerSeq
	for len(l.timers.h) > 0 {
		if l.timers.h[0].when > now || l.timers.h[0].seq > lastSeq {
			break
		}
		t := l.timers.top()
		l.timers.remove(0)
		l.fire(t)
	}
	l.end(nil)
	if len(l.timers.h) > 0 {
		l.armTimer(l.timers.h[0].when)
	}
}

func (l *Loop) fire(t *Timer) {
	if c := t.c; c != nil {
		if c.flags&fClosed == 0 {
			c.h.OnTimer(c, t)
		}
		return
	}
	t.fn(t)
}
