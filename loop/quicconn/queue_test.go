package quicconn

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// TestWriteQueueSizedToData: a stream's output ring is sized to what is
// queued, not to StreamHighWater, and grows (keeping its bytes in order)
// when more is written, up to the high-water mark.
func TestWriteQueueSizedToData(t *testing.T) {
	e := newEngine(t, 1)
	ln, err := Listen(e, "127.0.0.1:0", &Config{TLS: serverTLS(t), Handler: BaseHandler{}})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := NewClient(e, "", &Config{TLS: clientTLS()})
	if err != nil {
		t.Fatal(err)
	}
	start(t, e)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := cl.Dial(ctx, ln.Addr().String(), BaseHandler{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	small := bytes.Repeat([]byte{'s'}, 64)
	large := bytes.Repeat([]byte{'L'}, 100<<10)
	type result struct {
		capSmall, capLarge, queued, took int
		head                             []byte
	}
	done := make(chan result, 1)
	_ = c.Execute(func() {
		var r result
		id, err := c.OpenStream()
		if err != nil {
			t.Error(err)
			done <- r
			return
		}
		c.Write(id, small, false)
		r.capSmall = c.streams[id].out.Cap()
		r.took, _ = c.Write(id, large, false)
		out := c.streams[id].out
		r.capLarge, r.queued = out.Cap(), out.Len()
		a, b := out.Peek()
		r.head = append(append([]byte(nil), a...), b...)[:len(small)+1]
		done <- r
	})
	r := <-done
	if r.capSmall > 4<<10 {
		t.Errorf("a 64-byte write took a ring of %d bytes, want a small size class", r.capSmall)
	}
	if r.took != len(large) || r.queued != len(small)+len(large) || r.capLarge < r.queued || r.capLarge > DefaultStreamHighWater {
		t.Errorf("after 100 KiB more: took %d, %d queued in a ring of %d; want all of it, within %d",
			r.took, r.queued, r.capLarge, DefaultStreamHighWater)
	}
	if !bytes.Equal(r.head, append(small, 'L')) {
		t.Errorf("growing the ring kept the bytes in order: head %q", r.head)
	}
}
