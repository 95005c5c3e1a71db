package quic

import (
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// lossyRelay is a UDP relay between a client and a server that impairs
// the datagrams it forwards, in both directions and from the first
// packet on (handshake included). Each datagram is dropped with
// probability rate; a surviving one is, with probability rate again,
// reordered (held back 1-5 ms), duplicated, or corrupted (one byte
// flipped, which the receiver's AEAD must reject), one of the three at
// random. The decisions come from a seeded generator per direction, so
// a failure can be replayed (the exact interleaving still depends on
// goroutine timing).
type lossyRelay struct {
	t       testing.TB
	front   *net.UDPConn // the client talks to this socket
	back    *net.UDPConn // this socket talks to the server
	server  *net.UDPAddr
	rate    float64
	client  atomic.Pointer[net.UDPAddr]
	blackTo atomic.Int64 // unix nanoseconds: drop everything before this
	wg      sync.WaitGroup

	forwarded, dropped, reordered, duplicated, corrupted atomic.Int64
}

func newLossyRelay(t testing.TB, server *net.UDPAddr, rate float64, seed uint64) *lossyRelay {
	listen := func() *net.UDPConn {
		pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 0})
		if err != nil {
			t.Fatalf("relay listen: %v", err)
		}
		_ = pc.SetReadBuffer(4 << 20)
		_ = pc.SetWriteBuffer(4 << 20)
		return pc
	}
	r := &lossyRelay{t: t, front: listen(), back: listen(), server: server, rate: rate}
	r.wg.Add(2)
	go r.pump(r.front, true, rand.New(rand.NewPCG(seed, 1)))
	go r.pump(r.back, false, rand.New(rand.NewPCG(seed, 2)))
	t.Cleanup(func() {
		r.front.Close()
		r.back.Close()
		r.wg.Wait()
		t.Logf("relay at %.0f%%: forwarded %d, dropped %d, reordered %d, duplicated %d, corrupted %d",
			rate*100, r.forwarded.Load(), r.dropped.Load(), r.reordered.Load(), r.duplicated.Load(), r.corrupted.Load())
	})
	return r
}

// addr is where the client sends.
func (r *lossyRelay) addr() *net.UDPAddr { return r.front.LocalAddr().(*net.UDPAddr) }

// blackout drops everything in both directions for d from now.
func (r *lossyRelay) blackout(d time.Duration) { r.blackTo.Store(time.Now().Add(d).UnixNano()) }

func (r *lossyRelay) pump(in *net.UDPConn, fromClient bool, rng *rand.Rand) {
	defer r.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, from, err := in.ReadFromUDP(buf)
		if err != nil {
			return
		}
		out, to := r.back, r.server
		if fromClient {
			r.client.Store(from)
		} else {
			out, to = r.front, r.client.Load()
			if to == nil {
				continue
			}
		}
		if time.Now().UnixNano() < r.blackTo.Load() {
			r.dropped.Add(1)
			continue
		}
		if rng.Float64() < r.rate {
			r.dropped.Add(1)
			continue
		}
		pkt := append([]byte(nil), buf[:n]...)
		if rng.Float64() < r.rate {
			switch rng.IntN(3) {
			case 0:
				r.reordered.Add(1)
				delay := time.Duration(1+rng.IntN(5)) * time.Millisecond
				time.AfterFunc(delay, func() { out.WriteToUDP(pkt, to) })
				continue
			case 1:
				r.duplicated.Add(1)
				out.WriteToUDP(pkt, to)
			case 2:
				r.corrupted.Add(1)
				pkt[rng.IntN(len(pkt))] ^= byte(1 + rng.IntN(255))
			}
		}
		r.forwarded.Add(1)
		out.WriteToUDP(pkt, to)
	}
}
