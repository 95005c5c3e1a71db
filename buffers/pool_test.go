package buffers

import (
	"sync"
	"testing"
)

func TestClassOf(t *testing.T) {
	tests := []struct {
		size, class int
	}{
		{0, 0}, {1, 0}, {2048, 0}, {2049, 1}, {4096, 1}, {4097, 2},
		{1 << 19, 8}, {1<<19 + 1, 9}, {1 << 20, 9}, {1<<20 + 1, -1},
	}
	for _, tt := range tests {
		if got := ClassOf(tt.size); got != tt.class {
			t.Errorf("ClassOf(%d) = %d, want %d", tt.size, got, tt.class)
		}
		if tt.class >= 0 && ClassSize(tt.class) < tt.size {
			t.Errorf("ClassSize(%d) = %d is smaller than %d", tt.class, ClassSize(tt.class), tt.size)
		}
	}
}

type pool interface {
	Get(int) []byte
	Put([]byte)
	GetRing(int) *Ring
	PutRing(*Ring)
}

func TestPoolsHandOutClassSizes(t *testing.T) {
	for name, p := range map[string]pool{"local": &LocalPool{}, "shared": &SharedPool{}} {
		t.Run(name, func(t *testing.T) {
			for _, size := range []int{1, 2048, 3000, 65536, 1 << 20} {
				b := p.Get(size)
				if len(b) != size || cap(b) != ClassSize(ClassOf(size)) {
					t.Fatalf("Get(%d): len %d cap %d, want len %d cap %d", size, len(b), cap(b), size, ClassSize(ClassOf(size)))
				}
				p.Put(b)
				r := p.GetRing(size)
				if r.Cap() != ClassSize(ClassOf(size)) || r.Len() != 0 {
					t.Fatalf("GetRing(%d): cap %d len %d", size, r.Cap(), r.Len())
				}
				r.Write([]byte("x"))
				p.PutRing(r)
				if r2 := p.GetRing(size); r2 != r || r2.Len() != 0 {
					t.Fatalf("GetRing after PutRing did not reuse an emptied ring")
				}
			}
			big := p.Get(2 << 20)
			if len(big) != 2<<20 {
				t.Fatalf("oversized Get: len %d", len(big))
			}
			p.Put(big) // dropped, must not panic
		})
	}
}

func TestLocalPoolRetainBound(t *testing.T) {
	p := LocalPool{Retain: 8 << 10}
	var bufs [][]byte
	for i := 0; i < 10; i++ {
		bufs = append(bufs, p.Get(2048))
	}
	for _, b := range bufs {
		p.Put(b)
	}
	if got := len(p.bufs[0]); got != 4 {
		t.Fatalf("pool kept %d 2 KiB buffers with Retain 8 KiB, want 4", got)
	}
}

func TestLocalPoolSteadyStateAllocatesNothing(t *testing.T) {
	var p LocalPool
	p.Put(p.Get(4096))
	p.PutRing(p.GetRing(4096))
	allocs := testing.AllocsPerRun(100, func() {
		p.Put(p.Get(4096))
		p.PutRing(p.GetRing(4096))
	})
	if allocs != 0 {
		t.Fatalf("LocalPool get/put allocated %v times per run, want 0", allocs)
	}
}

func TestSharedPoolConcurrent(t *testing.T) {
	var p SharedPool
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				b := p.Get(4096)
				b[0] = byte(i)
				r := p.GetRing(8192)
				r.Write(b[:10])
				p.Put(b)
				p.PutRing(r)
			}
		}()
	}
	wg.Wait()
}

func BenchmarkLocalPoolGetPut(b *testing.B) {
	var p LocalPool
	b.ReportAllocs()
	for b.Loop() {
		p.Put(p.Get(16 << 10))
	}
}

func BenchmarkSharedPoolGetPut(b *testing.B) {
	var p SharedPool
	b.ReportAllocs()
	for b.Loop() {
		p.Put(p.Get(16 << 10))
	}
}
