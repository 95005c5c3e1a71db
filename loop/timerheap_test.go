package loop

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestTimerHeapMatchesModel arms, re-arms and stops random timers and
// checks after each step that the heap's minimum is the model's and that
// every timer's heap index points back at it.
func TestTimerHeapMatchesModel(t *testing.T) {
	l := testLoop()
	defer l.waker.Stop()
	rng := rand.New(rand.NewPCG(3, 4))
	timers := make([]Timer, 300)
	for i := range timers {
		timers[i].Init(l, func(*Timer) {})
	}
	base := Now() + int64(time.Hour)
	for step := 0; step < 20000; step++ {
		tt := &timers[rng.IntN(len(timers))]
		switch rng.IntN(3) {
		case 0, 1:
			tt.ResetAt(base + rng.Int64N(1000))
		case 2:
			tt.Stop()
		}
		var min *Timer
		armed := 0
		for i := range timers {
			x := &timers[i]
			if !x.Armed() {
				continue
			}
			armed++
			e := l.timers.h[x.idx-1]
			if e.t != x || e.when != x.when || e.seq != x.seq {
				t.Fatalf("step %d: heap slot %d does not hold timer %d's current key", step, x.idx-1, i)
			}
			if min == nil || x.when < min.when || (x.when == min.when && x.seq < min.seq) {
				min = x
			}
		}
		if armed != len(l.timers.h) {
			t.Fatalf("step %d: %d armed timers, heap holds %d", step, armed, len(l.timers.h))
		}
		if min != nil && l.timers.top() != min {
			t.Fatalf("step %d: heap top is not the earliest timer", step)
		}
	}
}
