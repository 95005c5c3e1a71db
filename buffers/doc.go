// Package buffers provides the byte storage the engine writes through: a
// fixed-capacity ring buffer whose readable bytes come out as at most two
// slices (ready for writev), and size-classed pools of rings and byte
// slices.
//
// # Rings
//
// A Ring has a power-of-two capacity chosen when it is made and never grows
// on its own: Write copies what fits and reports how much that was. The
// caller decides what to do when it is full (the engine returns
// loop.ErrWouldBlock). Peek returns the readable bytes as two slices, the
// second empty unless the data wraps; Discard consumes from the front.
//
// # Pools
//
// Size classes are the powers of two from MinClassSize (2 KiB) to
// MaxClassSize (1 MiB). Two pool types hold the same classes:
//
//   - LocalPool is loop-local: it takes no locks and must only be used by
//     one goroutine at a time (the engine keeps one per event loop, reached
//     through loop.Loop.Pool). It keeps at most a bounded number of bytes
//     per class and drops the rest to the garbage collector.
//   - SharedPool is safe for use by many goroutines (a mutex per class);
//     use it for buffers that cross goroutines.
//
// Both pools hand out byte slices whose capacity is the class size and
// rings whose capacity is the class size. Anything larger than MaxClassSize
// is allocated directly and not retained on Put.
//
// # Poisoning
//
// Built with the ngloop_poison tag, every buffer handed back to a pool is
// overwritten with PoisonByte, and Get checks that the poison is still
// intact before handing the buffer out again, panicking with
// ErrUseAfterPut's message otherwise. A caller that keeps a slice after
// Put then reads poison instead of its data, and a caller that writes into
// it is caught at the next Get. CI runs the buffers and loop tests with the
// tag.
//
// Example:
//
//	var p buffers.LocalPool
//	r := p.GetRing(8 << 10) // capacity 8 KiB
//	r.Write(msg)
//	a, b := r.Peek()        // hand a and b to writev
//	r.Discard(n)            // n bytes went out
//	p.PutRing(r)            // r must not be used after this
package buffers
