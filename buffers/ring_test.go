package buffers

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func TestRingTable(t *testing.T) {
	type step struct {
		op      string // "w" write, "d" discard
		data    string // for "w"
		n       int    // for "d"
		wantN   int
		wantLen int
		wantA   string
		wantB   string
	}
	tests := []struct {
		name  string
		cap   int
		steps []step
	}{
		{name: "write fits", cap: 8, steps: []step{
			{op: "w", data: "abc", wantN: 3, wantLen: 3, wantA: "abc"},
		}},
		{name: "write truncated when full", cap: 4, steps: []step{
			{op: "w", data: "abcdef", wantN: 4, wantLen: 4, wantA: "abcd"},
			{op: "w", data: "x", wantN: 0, wantLen: 4, wantA: "abcd"},
		}},
		{name: "wrap gives two slices", cap: 8, steps: []step{
			{op: "w", data: "abcdef", wantN: 6, wantLen: 6, wantA: "abcdef"},
			{op: "d", n: 4, wantN: 4, wantLen: 2, wantA: "ef"},
			{op: "w", data: "ghijk", wantN: 5, wantLen: 7, wantA: "efgh", wantB: "ijk"},
		}},
		{name: "discard all rewinds", cap: 8, steps: []step{
			{op: "w", data: "abcdef", wantN: 6, wantLen: 6, wantA: "abcdef"},
			{op: "d", n: 100, wantN: 6, wantLen: 0},
			{op: "w", data: "12345678", wantN: 8, wantLen: 8, wantA: "12345678"},
		}},
		{name: "capacity rounds up", cap: 5, steps: []step{
			{op: "w", data: "123456789", wantN: 8, wantLen: 8, wantA: "12345678"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRing(tt.cap)
			for i, s := range tt.steps {
				var n int
				if s.op == "w" {
					n = r.Write([]byte(s.data))
				} else {
					n = r.Discard(s.n)
				}
				a, b := r.Peek()
				if n != s.wantN || r.Len() != s.wantLen || string(a) != s.wantA || string(b) != s.wantB {
					t.Fatalf("step %d (%s): got n=%d len=%d peek=%q,%q; want n=%d len=%d peek=%q,%q",
						i, s.op, n, r.Len(), a, b, s.wantN, s.wantLen, s.wantA, s.wantB)
				}
			}
		})
	}
}

// TestRingMatchesModel drives a ring and a plain byte slice with the same
// random operations and checks that they always hold the same bytes.
func TestRingMatchesModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 200; round++ {
		r := NewRing(1 << (rng.IntN(8) + 1))
		var model []byte
		for op := 0; op < 200; op++ {
			checkRingOp(t, r, &model, rng.IntN(4), rng.IntN(2*r.Cap()+1), byte(op))
		}
	}
}

func checkRingOp(t *testing.T, r *Ring, model *[]byte, op, n int, fill byte) {
	t.Helper()
	switch op {
	case 0: // Write
		p := bytes.Repeat([]byte{fill}, n)
		got := r.Write(p)
		want := min(n, r.Cap()-len(*model))
		if got != want {
			t.Fatalf("Write(%d) = %d, want %d", n, got, want)
		}
		*model = append(*model, p[:got]...)
	case 1: // Discard
		got := r.Discard(n)
		want := min(n, len(*model))
		if got != want {
			t.Fatalf("Discard(%d) = %d, want %d", n, got, want)
		}
		*model = (*model)[want:]
	case 2: // Writable + Commit
		a, b := r.Writable()
		if len(a)+len(b) != r.Free() {
			t.Fatalf("Writable gives %d bytes, Free is %d", len(a)+len(b), r.Free())
		}
		k := min(n, len(a)+len(b))
		for i := 0; i < k; i++ {
			if i < len(a) {
				a[i] = fill
			} else {
				b[i-len(a)] = fill
			}
		}
		r.Commit(k)
		*model = append(*model, bytes.Repeat([]byte{fill}, k)...)
	case 3: // Read
		p := make([]byte, n)
		got := r.Read(p)
		want := min(n, len(*model))
		if got != want || !bytes.Equal(p[:got], (*model)[:want]) {
			t.Fatalf("Read(%d) = %d %q, want %d %q", n, got, p[:got], want, (*model)[:want])
		}
		*model = (*model)[want:]
	}
	a, b := r.Peek()
	if got := append(append([]byte{}, a...), b...); !bytes.Equal(got, *model) || r.Len() != len(*model) {
		t.Fatalf("ring holds %q (len %d), model holds %q", got, r.Len(), *model)
	}
}

// FuzzRing interprets the input as a program of ring operations and checks
// the ring against a byte-slice model.
func FuzzRing(f *testing.F) {
	f.Add(uint8(3), []byte{0, 5, 1, 2, 0, 9, 3, 4, 2, 7})
	f.Add(uint8(0), []byte{0, 1, 0, 1, 1, 1})
	f.Fuzz(func(t *testing.T, logCap uint8, prog []byte) {
		r := NewRing(1 << (logCap % 12))
		var model []byte
		for i := 0; i+1 < len(prog); i += 2 {
			checkRingOp(t, r, &model, int(prog[i]%4), int(prog[i+1]), byte(i))
		}
	})
}

func TestRingNeverAllocates(t *testing.T) {
	r := NewRing(4096)
	p := make([]byte, 1000)
	allocs := testing.AllocsPerRun(100, func() {
		r.Write(p)
		a, b := r.Peek()
		r.Discard(len(a) + len(b) - 10)
	})
	if allocs != 0 {
		t.Fatalf("ring write/peek/discard allocated %v times per run, want 0", allocs)
	}
}

func BenchmarkRingWritePeekDiscard(b *testing.B) {
	r := NewRing(64 << 10)
	p := make([]byte, 4096)
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		r.Write(p)
		x, y := r.Peek()
		r.Discard(len(x) + len(y))
	}
}
