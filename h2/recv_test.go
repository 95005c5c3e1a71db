package h2

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"golang.org/x/net/http2"
)

// recvScript is a client's side of a conversation: preface, requests with
// bodies (padded and not), trailers in CONTINUATION, PING.
func recvScript() []byte {
	w := newRawWriter()
	in := clientPreface()
	w.fr.WriteSettingsAck()
	for id := uint32(1); id <= 5; id += 2 {
		w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: postBlock(w), EndHeaders: true})
		w.fr.WriteData(id, false, bytes.Repeat([]byte{byte('a' + id)}, 10000))
		w.fr.WriteDataPadded(id, false, []byte("padded"), make([]byte, 30))
		block := w.block("x-trailer", fmt.Sprint(id), "x-more", "value")
		w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block[:3], EndStream: true})
		w.fr.WriteContinuation(id, true, block[3:])
	}
	w.fr.WritePing(false, [8]byte{1})
	return append(in, w.take()...)
}

// recvRecord feeds in to a fresh server in chunks from split, reusing and
// then poisoning one buffer, and returns what the callbacks saw and what
// the server wrote.
func recvRecord(t *testing.T, in []byte, split func(rest int) int) (string, []byte) {
	srv := newEndpoint(t).server(nil)
	buf := make([]byte, len(in))
	for len(in) > 0 {
		n := split(len(in))
		chunk := buf[:n]
		copy(chunk, in[:n])
		if _, err := srv.s.MemRecv(chunk); err != nil {
			t.Fatalf("MemRecv of a valid conversation returned %v", err)
		}
		// Poison: the session must not have kept the slice.
		for i := range chunk {
			chunk[i] = 0xee
		}
		in = in[n:]
	}
	var rec bytes.Buffer
	for _, id := range []int32{1, 3, 5} {
		fmt.Fprintf(&rec, "%d %q %d\n", id, srv.headers[id], len(srv.body[id]))
	}
	fmt.Fprintf(&rec, "%q", srv.events)
	return rec.String(), srv.flush()
}

func TestMemRecvAnyChunkingGivesTheSameResult(t *testing.T) {
	in := recvScript()
	wantRec, wantOut := recvRecord(t, in, func(rest int) int { return rest })
	if !bytes.Contains([]byte(wantRec), []byte("x-trailer: 1")) {
		t.Fatalf("the script was not understood: %s", wantRec)
	}
	splits := map[string]func(int) int{
		"one octet at a time": func(int) int { return 1 },
	}
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 3))
		splits[fmt.Sprint("random seed ", seed)] = func(rest int) int { return min(rest, 1+rng.IntN(40)) }
	}
	for name, split := range splits {
		rec, out := recvRecord(t, in, split)
		if rec != wantRec || !bytes.Equal(out, wantOut) {
			t.Fatalf("%s: callbacks saw\n%s\nand the server wrote %d octets; in one piece they saw\n%s\nand it wrote %d", name, rec, len(out), wantRec, len(wantOut))
		}
	}
}

func TestMemRecvConsumesEverythingAfterConnectionError(t *testing.T) {
	srv, _, _ := serverWithStreams(t, nil)
	n, err := srv.s.MemRecv(rawFrame(FramePing, 0, 3, make([]byte, 8)...))
	if err == nil || n != 17 {
		t.Fatalf("a bad PING gave (%d, %v), want (17, error)", n, err)
	}
	junk := bytes.Repeat([]byte{0xff}, 100)
	if n, err := srv.s.MemRecv(junk); n != 100 || err != nil {
		t.Fatalf("input after the connection error gave (%d, %v), want it discarded: (100, nil)", n, err)
	}
	fs := newWireReader(t).frames(srv.flush())
	if got := frameLines(fs); !slices.Equal(got, []string{"GOAWAY"}) {
		t.Fatalf("the server wrote %q, want only GOAWAY", got)
	}
}
