package quic

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func TestRangeSetAdd(t *testing.T) {
	for _, tc := range []struct {
		name string
		add  [][2]uint64
		want []rng
	}{
		{"empty range ignored", [][2]uint64{{5, 5}}, nil},
		{"append in order", [][2]uint64{{0, 2}, {4, 6}}, []rng{{0, 2}, {4, 6}}},
		{"adjacent merge", [][2]uint64{{0, 2}, {2, 4}}, []rng{{0, 4}}},
		{"insert before", [][2]uint64{{10, 12}, {0, 2}}, []rng{{0, 2}, {10, 12}}},
		{"bridge two", [][2]uint64{{0, 2}, {4, 6}, {2, 4}}, []rng{{0, 6}}},
		{"swallow several", [][2]uint64{{1, 2}, {3, 4}, {5, 6}, {0, 10}}, []rng{{0, 10}}},
		{"overlap left", [][2]uint64{{5, 10}, {3, 7}}, []rng{{3, 10}}},
		{"inside", [][2]uint64{{0, 10}, {3, 4}}, []rng{{0, 10}}},
		{"extend last", [][2]uint64{{0, 2}, {5, 6}, {5, 9}}, []rng{{0, 2}, {5, 9}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s rangeSet
			for _, a := range tc.add {
				s.add(a[0], a[1])
			}
			if len(s.r) != len(tc.want) {
				t.Fatalf("got %v, want %v", s.r, tc.want)
			}
			for i := range tc.want {
				if s.r[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", s.r, tc.want)
				}
			}
		})
	}
}

func TestRangeSetRemoveAndQueries(t *testing.T) {
	var s rangeSet
	s.add(0, 10)
	s.add(20, 30)
	s.remove(5, 25)
	if len(s.r) != 2 || s.r[0] != (rng{0, 5}) || s.r[1] != (rng{25, 30}) {
		t.Fatalf("remove across ranges: %v", s.r)
	}
	s.remove(1, 2)
	if len(s.r) != 3 || s.r[0] != (rng{0, 1}) || s.r[1] != (rng{2, 5}) {
		t.Fatalf("remove splitting: %v", s.r)
	}
	if !s.contains(0) || s.contains(1) || !s.contains(4) || s.contains(5) || !s.contains(25) || s.contains(30) {
		t.Errorf("contains wrong on %v", s.r)
	}
	s.removeBelow(3)
	if s.r[0] != (rng{3, 5}) {
		t.Errorf("removeBelow: %v", s.r)
	}
}

// The range set agrees with a bitmap under random operations.
func TestRangeSetMatchesBitmap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var s rangeSet
	var bm [520]bool
	for i := 0; i < 20000; i++ {
		a := r.Uint64N(500)
		b := a + r.Uint64N(20)
		if r.IntN(3) == 0 {
			s.remove(a, b)
			for j := a; j < b; j++ {
				bm[j] = false
			}
		} else {
			s.add(a, b)
			for j := a; j < b; j++ {
				bm[j] = true
			}
		}
		for j := uint64(0); j < 512; j += 7 {
			if s.contains(j) != bm[j] {
				t.Fatalf("op %d: contains(%d) = %v, bitmap %v; set %v", i, j, s.contains(j), bm[j], s.r)
			}
		}
		for k := 1; k < len(s.r); k++ {
			if s.r[k-1].end >= s.r[k].start {
				t.Fatalf("ranges not disjoint and separated: %v", s.r)
			}
		}
	}
}

func TestSendBufAckAndLoss(t *testing.T) {
	var s sendBuf
	data := make([]byte, 5000)
	genChunk(7, data)
	s.push(data[:3000])
	s.push(data[3000:])
	s.next = s.end
	got := make([]byte, 5000)
	s.read(0, got)
	if !bytes.Equal(got, data) {
		t.Fatal("read back differs")
	}
	s.markLost(1000, 2000)
	if s.ack(0, 500) != true || s.base != 500 {
		t.Fatalf("ack of the prefix: base %d", s.base)
	}
	s.ack(1500, 1800) // acked after being declared lost: no longer to resend
	if s.lost.contains(1500) || s.lost.contains(1799) || !s.lost.contains(1000) || !s.lost.contains(1499) {
		t.Errorf("lost ranges %v", s.lost.r)
	}
	if s.ack(2000, 5000) {
		t.Errorf("base moved over a gap")
	}
	if s.ack(4000, 4000) {
		t.Errorf("an empty range (a FIN-only frame) moved base")
	}
	s.ack(500, 2000)
	if s.base != 5000 || !s.lost.empty() {
		t.Errorf("all acked: base %d lost %v", s.base, s.lost.r)
	}
	// The ring is reused: pushing again within its size does not grow it.
	c := len(s.ring)
	s.push(data[:c/2])
	if len(s.ring) != c {
		t.Errorf("ring grew from %d to %d", c, len(s.ring))
	}
}

func TestRecvBufReassemblyAcrossWrap(t *testing.T) {
	var r recvBuf
	data := make([]byte, 20000)
	genChunk(9, data)
	var out []byte
	drain := func() {
		for {
			a, b := r.readable()
			if len(a) == 0 {
				return
			}
			out = append(out, a...)
			out = append(out, b...)
			r.advance(r.off + uint64(len(a)+len(b)))
		}
	}
	// Deliver pieces out of order; the ring wraps several times.
	for base := 0; base < len(data); base += 3000 {
		end := min(base+3000, len(data))
		mid := base + (end-base)/2
		if !r.store(uint64(mid), data[mid:end], 8192) || !r.store(uint64(base), data[base:mid], 8192) {
			t.Fatalf("store refused at %d", base)
		}
		drain()
	}
	if !bytes.Equal(out, data) {
		t.Fatalf("reassembled %d bytes, differ", len(out))
	}
	if len(r.ring) > 8192 {
		t.Errorf("ring grew to %d past the limit", len(r.ring))
	}
	if r.store(r.off+9000, []byte("x"), 8192) {
		t.Errorf("store beyond the limit accepted")
	}
}

func TestSendBufFinOnlyAckAfterAllAcked(t *testing.T) {
	var s sendBuf
	s.push(make([]byte, 10))
	s.next = 10
	s.ack(0, 10)
	if s.ack(10, 10) { // the ACK of a FIN-only STREAM frame
		t.Errorf("base moved")
	}
}
