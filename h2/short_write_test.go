package h2

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"golang.org/x/net/http2"
)

// shortWriteScenario queues a varied workload on a server that received
// requests on streams 1, 3, ..., 2n-1: responses with bodies of random
// sizes (some zero-copy, some with trailers, some padded), PINGs,
// WINDOW_UPDATEs and a final GOAWAY.
func shortWriteScenario(t *testing.T, seed uint64, send func(*Session, []byte) (int, error), sendData func(*Session, *Frame, []byte, int) error) []byte {
	rng := rand.New(rand.NewPCG(seed, 42))
	var out bytes.Buffer
	srv := newEndpoint(t)
	srv.cb.Send = func(s *Session, b []byte) (int, error) {
		n, err := send(s, b)
		if n > 0 {
			out.Write(b[:n])
		}
		return n, err
	}
	srv.cb.SendData = func(s *Session, f *Frame, hd []byte, length int) error {
		if err := sendData(s, f, hd, length); err != nil {
			return err
		}
		out.Write(hd)
		for i := 0; i < length; i++ {
			out.WriteByte(byte(f.Hd.StreamID) + byte(i))
		}
		if f.PadLen > 0 {
			out.Write(make([]byte, f.PadLen-1))
		}
		return nil
	}
	padSeed := rng.Uint64()
	prng := rand.New(rand.NewPCG(padSeed, 1))
	srv.cb.SelectPadding = func(s *Session, f *Frame, maxPayload int) (int, error) {
		if prng.IntN(3) == 0 {
			return int(f.Hd.Length) + prng.IntN(maxPayload-int(f.Hd.Length)+1), nil
		}
		return int(f.Hd.Length), nil
	}
	srv.server(&Options{InitialWindowSize: 1 << 20})
	w := newRawWriter()
	srv.feed(clientPreface())
	w.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 20})
	w.fr.WriteWindowUpdate(0, 1<<24)
	n := 1 + rng.IntN(8)
	for i := 0; i < n; i++ {
		w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: uint32(2*i + 1), BlockFragment: w.block(":method", "GET", ":scheme", "https", ":path", "/x", ":authority", "a"), EndHeaders: true, EndStream: true})
	}
	srv.feed(w.take())
	for i := 0; i < n; i++ {
		id := int32(2*i + 1)
		size := rng.IntN(40000)
		noCopy := rng.IntN(3) == 0
		trailers := rng.IntN(2) == 0
		left := size
		dp := &DataProvider{Read: func(s *Session, sid int32, buf []byte, flags *DataFlags) (int, error) {
			k := min(left, len(buf))
			if noCopy {
				*flags |= DataFlagNoCopy
			} else {
				for j := 0; j < k; j++ {
					buf[j] = byte(sid) + byte(j)
				}
			}
			left -= k
			if left == 0 {
				*flags |= DataFlagEOF
				if trailers {
					*flags |= DataFlagNoEndStream
					s.SubmitTrailer(sid, hdrs("x-size", "n"))
				}
			}
			return k, nil
		}}
		srv.s.SubmitResponse(id, hdrs(":status", "200", "x-stream", string(rune('a'+i))), dp)
		if rng.IntN(2) == 0 {
			srv.s.SubmitPing(FlagNone, &[8]byte{byte(i)})
		}
	}
	srv.s.SubmitGoaway(FlagNone, int32(2*n-1), NoError, []byte("bye"))
	for rounds := 0; srv.s.WantWrite(); rounds++ {
		if rounds > 1e6 {
			t.Fatalf("seed %d: Send made no progress", seed)
		}
		if err := srv.s.Send(); err != nil {
			t.Fatalf("seed %d: Send returned %v", seed, err)
		}
	}
	return out.Bytes()
}

func TestSessionSendShortWritesAreByteIdentical(t *testing.T) {
	for seed := uint64(1); seed <= 60; seed++ {
		whole := shortWriteScenario(t, seed,
			func(_ *Session, b []byte) (int, error) { return len(b), nil },
			func(*Session, *Frame, []byte, int) error { return nil })
		rng := rand.New(rand.NewPCG(seed, 7))
		blocked := 0
		short := shortWriteScenario(t, seed,
			func(_ *Session, b []byte) (int, error) {
				if rng.IntN(3) == 0 {
					blocked++
					return 0, ErrWouldBlock
				}
				return min(len(b), 1+rng.IntN(7)), nil
			},
			func(*Session, *Frame, []byte, int) error {
				if rng.IntN(2) == 0 {
					return ErrWouldBlock
				}
				return nil
			})
		if !bytes.Equal(whole, short) {
			i := 0
			for i < min(len(whole), len(short)) && whole[i] == short[i] {
				i++
			}
			t.Fatalf("seed %d: writes of 1 to 7 octets with ErrWouldBlock in between produced %d octets differing from the %d of unrestricted writes at offset %d", seed, len(short), len(whole), i)
		}
		if blocked == 0 || len(whole) < 100 {
			t.Fatalf("seed %d: the scenario wrote %d octets and blocked %d times; it does not exercise short writes", seed, len(whole), blocked)
		}
		// The output must be a valid frame sequence for x/net/http2.
		newWireReader(t).frames(whole)
	}
}
