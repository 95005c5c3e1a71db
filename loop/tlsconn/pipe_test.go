package tlsconn

import (
	"bytes"
	"testing"
)

// TestPipeHandsWholeRecords: in record mode the pipe hands crypto/tls one
// whole record per Read, leaves a trailing partial record untaken, and
// finishes a record it has begun even from a later presentation.
func TestPipeHandsWholeRecords(t *testing.T) {
	r1, r2 := rec(23, 1, 2, 3), rec(23, 4, 5, 6, 7)
	r3 := rec(23, 8, 9)
	stream := append(append(append([]byte{}, r1...), r2...), r3[:4]...)
	p := &pipe{records: true}
	p.present(stream)
	if !p.hasInput() {
		t.Fatal("hasInput = false with two whole records presented")
	}
	buf := make([]byte, 64)
	for i, want := range [][]byte{r1, r2} {
		n, err := p.Read(buf)
		if err != nil || !bytes.Equal(buf[:n], want) {
			t.Fatalf("Read %d = %x (%v), want record %x", i, buf[:n], err, want)
		}
	}
	if p.hasInput() {
		t.Fatal("hasInput = true with only a partial record left")
	}
	if n, err := p.Read(buf); n != 0 || err != errWouldBlock {
		t.Fatalf("Read with a partial record left = %d, %v; want 0, errWouldBlock", n, err)
	}
	if p.taken != len(r1)+len(r2) {
		t.Fatalf("taken = %d, want %d (the partial record stays with the loop)", p.taken, len(r1)+len(r2))
	}

	// A small buffer splits a record; the rest follows even though it
	// is not a whole record by itself.
	p.present(r3)
	n, _ := p.Read(buf[:3])
	if n != 3 || p.aligned() {
		t.Fatalf("Read into 3 bytes = %d, aligned %v; want 3 and mid-record", n, p.aligned())
	}
	p.present(r3[3:])
	if !p.hasInput() {
		t.Fatal("hasInput = false with the rest of a begun record presented")
	}
	var rest []byte
	for p.hasInput() {
		n, err := p.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		rest = append(rest, buf[:n]...)
	}
	if !bytes.Equal(rest, r3[3:]) || !p.aligned() {
		t.Fatalf("Reads of the rest = %x, aligned %v; want %x and aligned", rest, p.aligned(), r3[3:])
	}
	// An oversized header is handed over for crypto/tls to reject.
	big := []byte{23, 3, 3, 0xff, 0xff, 0}
	p.present(big)
	if n, _ := p.Read(buf); n != len(big) {
		t.Fatalf("oversized record: Read = %d, want all %d bytes handed over", n, len(big))
	}
}

// FuzzPipeRecords feeds a byte stream to the record-mode pipe the way
// the loop does (in chunks, untaken bytes presented again with the next
// chunk) and reads with buffers of varying size, as crypto/tls would.
// The bytes handed over must be the stream, in order, and when the pipe
// says there is nothing more, what it kept back is at most one partial
// record at a record boundary.
func FuzzPipeRecords(f *testing.F) {
	f.Add(append(rec(23, 1, 2, 3), rec(23, 4)...), []byte{3, 7, 1})
	f.Add([]byte{23, 3, 3, 0xff, 0xff, 1, 2}, []byte{2, 200})
	f.Add(bytes.Repeat(rec(23, 9, 9, 9, 9, 9), 5), []byte{1, 1, 4, 0, 9})
	f.Fuzz(func(t *testing.T, stream, sizes []byte) {
		if len(sizes) == 0 {
			sizes = []byte{16}
		}
		p := &pipe{records: true}
		var handed, pending []byte
		off, k := 0, 0
		next := func() int { k++; return int(sizes[k%len(sizes)])%64 + 1 }
		buf := make([]byte, 64)
		for off < len(stream) || len(pending) > 0 {
			chunk := min(next(), len(stream)-off)
			pending = append(pending, stream[off:off+chunk]...)
			off += chunk
			p.present(pending)
			for p.hasInput() {
				n, err := p.Read(buf[:next()])
				if err != nil || n == 0 {
					t.Fatalf("Read = %d, %v after hasInput", n, err)
				}
				handed = append(handed, buf[:n]...)
			}
			if n, err := p.Read(buf); n != 0 || err != errWouldBlock {
				t.Fatalf("Read after hasInput() = false: %d, %v", n, err)
			}
			pending = append(pending[:0], pending[p.taken:]...)
			if off == len(stream) && chunk == 0 {
				break // the rest is a partial record that never completes
			}
		}
		if !bytes.Equal(handed, stream[:len(handed)]) {
			t.Fatalf("handed bytes differ from the stream")
		}
		if len(pending) > 0 && (!p.aligned() || nextRecord(pending) != 0) {
			t.Fatalf("kept back %x although it is not one partial record at a boundary", pending)
		}
	})
}
