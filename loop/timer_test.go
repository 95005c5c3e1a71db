package loop

import (
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"testing"
	"time"
)

// openHandler reports each opened connection on a channel.
type openHandler struct {
	BaseHandler
	opened chan *Conn
}

func (h *openHandler) OnOpen(c *Conn) { h.opened <- c }

// connPair starts a one-loop engine whose handler does nothing and returns
// both ends of one connection: the server's Conn and the client's socket.
func connPair(t *testing.T) (*Conn, net.Conn) {
	t.Helper()
	h := &openHandler{opened: make(chan *Conn, 1)}
	_, addr := startWith(t, Options{Loops: 1}, h)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return <-h.opened, nc
}

// loopOf returns the loop of a one-loop engine.
func loopOf(t *testing.T) *Loop {
	c, _ := connPair(t)
	return c.Loop()
}

type testTimer struct {
	Timer
	id       int
	deadline int64
	want     bool // still armed at the end of setup
}

// TestTimersFireInOrderWithinATick sets 100,000 timers on one loop, resets
// half of them and cancels a tenth, then checks that exactly the armed ones
// fire, in deadline order, never early, and within a tick of their
// deadline.
func TestTimersFireInOrderWithinATick(t *testing.T) {
	const (
		count = 100_000
		tick  = time.Millisecond
	)
	l := loopOf(t)
	timers := make([]testTimer, count)
	type firing struct {
		id               int
		firedAt          int64
		run, previousRun int64
	}
	var (
		mu     sync.Mutex
		fired  = make([]firing, 0, count)
		done   = make(chan struct{})
		expect int
		ready  int64 // loop clock when setup finished
	)
	setup := make(chan struct{})
	err := l.Execute(func() {
		rng := rand.New(rand.NewPCG(7, 9))
		start := Now() + int64(300*time.Millisecond)
		fire := func(t *Timer) {
			tt := (*testTimer)(unsafePointerToTestTimer(t))
			mu.Lock()
			fired = append(fired, firing{tt.id, Now(), l.timerRun, l.prevTimerRun})
			if len(fired) == expect {
				close(done)
			}
			mu.Unlock()
		}
		for i := range timers {
			tt := &timers[i]
			tt.id = i
			tt.Init(l, fire)
			tt.deadline = start + rng.Int64N(int64(2*time.Second))
			tt.ResetAt(tt.deadline)
		}
		for i := 0; i < count; i += 2 { // reset half
			tt := &timers[i]
			tt.deadline = start + rng.Int64N(int64(2*time.Second))
			tt.ResetAt(tt.deadline)
		}
		for i := range timers {
			tt := &timers[i]
			tt.want = true
			if i%10 == 3 { // cancel a tenth
				if !tt.Stop() {
					panic("Stop on an armed timer reported false")
				}
				tt.want = false
			}
		}
		for i := range timers {
			if timers[i].want {
				expect++
			}
		}
		ready = Now()
		close(setup)
	})
	if err != nil {
		t.Fatal(err)
	}
	<-setup
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		mu.Lock()
		t.Fatalf("only %d of %d timers fired", len(fired), expect)
	}
	time.Sleep(50 * time.Millisecond) // a cancelled timer firing late would show up now
	mu.Lock()
	defer mu.Unlock()
	if len(fired) != expect {
		t.Fatalf("%d timers fired, want %d (cancelled ones must not fire)", len(fired), expect)
	}
	seen := make([]bool, count)
	late := make([]int64, 0, len(fired))
	for i, f := range fired {
		tt := &timers[f.id]
		if !tt.want || seen[f.id] {
			t.Fatalf("timer %d fired but was cancelled or already fired", f.id)
		}
		seen[f.id] = true
		if f.firedAt < tt.deadline || f.run < tt.deadline {
			t.Fatalf("timer %d fired early: deadline %d, when %d, run %d, fired %d, i %d", f.id, tt.deadline, tt.when, f.run, f.firedAt, i)
		}
		// Within a tick: the loop ran it in the first timer run that
		// started at or after its deadline (a deadline that passed
		// during setup can only be served by the first run after it).
		if f.previousRun >= max(tt.deadline, ready) {
			t.Fatalf("timer %d (deadline %d) skipped the timer run at %d and fired in the one at %d",
				f.id, tt.deadline, f.previousRun, f.run)
		}
		if i > 0 && timers[fired[i-1].id].deadline > tt.deadline {
			t.Fatalf("timer %d (deadline %d) fired after timer %d (deadline %d): out of order",
				fired[i-1].id, timers[fired[i-1].id].deadline, f.id, tt.deadline)
		}
		// A deadline that passed while the loop was still busy setting
		// up can only fire once setup returns.
		late = append(late, f.firedAt-max(tt.deadline, ready))
	}
	slices.Sort(late)
	p50, p99, worst := late[len(late)/2], late[len(late)*99/100], late[len(late)-1]
	t.Logf("wall-clock lateness over %d timers: p50 %v, p99 %v, max %v", len(late),
		time.Duration(p50), time.Duration(p99), time.Duration(worst))
	_ = tick // wall-clock lateness depends on the machine's load; it is reported, not asserted
}

func TestTimerResetAndStopAllocateNothing(t *testing.T) {
	l := testLoop()
	defer l.waker.Stop()
	var timers [64]Timer
	for i := range timers {
		timers[i].Init(l, func(*Timer) {})
		timers[i].Reset(time.Hour)
	}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		t := &timers[i%len(timers)]
		t.Reset(time.Hour + time.Duration(i))
		if i%3 == 0 {
			t.Stop()
			t.Reset(2 * time.Hour)
		}
		i++
	})
	if allocs != 0 {
		t.Fatalf("Timer.Reset/Stop allocated %v times per run, want 0", allocs)
	}
}

func BenchmarkTimerReset(b *testing.B) {
	l := testLoop()
	defer l.waker.Stop()
	timers := make([]Timer, 10_000)
	for i := range timers {
		timers[i].Init(l, func(*Timer) {})
		timers[i].Reset(time.Hour + time.Duration(i))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		timers[i%len(timers)].Reset(time.Hour + time.Duration(i*7919%100000))
		i++
	}
}

// testLoop is a loop without gnet, enough for timers whose deadlines are
// never reached.
func testLoop() *Loop {
	e := &Engine{opts: Options{}.withDefaults()}
	return newLoop(e, nil, 0)
}

// TestTimerRearmedInThePastDoesNotSpin: a callback that re-arms its timer
// at a passed deadline gets it fired in the next run, not again in the
// same one, so other work on the loop goes on. The callback keeps
// re-arming until that other work has run: if re-arming spun within one
// run, it never would.
func TestTimerRearmedInThePastDoesNotSpin(t *testing.T) {
	l := loopOf(t)
	done := make(chan int, 1)
	var tm Timer
	otherRan := false
	n := 0
	l.Execute(func() {
		tm.Init(l, func(tm *Timer) {
			n++
			if n == 1 {
				// Posted while the timer is being re-armed.
				go l.Execute(func() { otherRan = true })
			}
			if !otherRan {
				tm.ResetAt(Now() - int64(time.Second))
				return
			}
			done <- n
		})
		tm.ResetAt(Now())
	})
	select {
	case got := <-done:
		// One firing per timer run: a handful before the posted
		// function runs. Spinning within a run fires it millions of
		// times first.
		if got > 1000 {
			t.Fatalf("timer fired %d times before other work ran, want a few (one per run)", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a timer re-armed in the past starved the loop")
	}
}
