//go:build ngloop_poison

package buffers

import (
	"bytes"
	"testing"
)

// TestPoisonCatchesKeptBuffer shows both halves of the poison check: a
// slice kept after Put reads poison instead of the caller's data, and a
// write through it is caught by the next Get.
func TestPoisonCatchesKeptBuffer(t *testing.T) {
	for name, p := range map[string]pool{"local": &LocalPool{}, "shared": &SharedPool{}} {
		t.Run(name, func(t *testing.T) {
			b := p.Get(100)
			copy(b, "secret")
			kept := b
			p.Put(b)
			if !bytes.Equal(kept[:6], bytes.Repeat([]byte{PoisonByte}, 6)) {
				t.Fatalf("kept slice still reads %q after Put, want poison", kept[:6])
			}
			kept[0] = 'x' // the bug: writing after Put
			defer func() {
				if recover() != ErrUseAfterPut {
					t.Fatalf("Get after a write to a put-back buffer did not panic with ErrUseAfterPut")
				}
			}()
			p.Get(100)
		})
	}
}

func TestPoisonCatchesKeptRing(t *testing.T) {
	var p LocalPool
	r := p.GetRing(4096)
	r.Write([]byte("hello"))
	a, _ := r.Peek()
	p.PutRing(r)
	if a[0] != PoisonByte {
		t.Fatalf("slice peeked before PutRing reads %q, want poison", a[:5])
	}
	a[0] = 'h'
	defer func() {
		if recover() != ErrUseAfterPut {
			t.Fatalf("GetRing after a write into a put-back ring did not panic")
		}
	}()
	p.GetRing(4096)
}
