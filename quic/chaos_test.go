package quic

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestConnChaosRelay runs ten bidirectional streams through a relay that
// drops, duplicates and reorders datagrams in both directions. Every byte
// must arrive once, in order, with its FIN.
func TestConnChaosRelay(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) { chaosRelay(t, seed) })
	}
}

func chaosRelay(t *testing.T, seed uint64) {
	p := establishedPair(t)
	r := rand.New(rand.NewPCG(seed, 9))
	const streams, size = 10, 50 << 10
	type out struct {
		id   int64
		data []byte
	}
	var cliOut, srvOut []*out
	want := map[int64][]byte{}
	for i := 0; i < streams; i++ {
		id, err := p.client.OpenBidiStream(nil)
		if err != nil {
			t.Fatal(err)
		}
		d := make([]byte, size)
		genChunk(100+i, d)
		want[id] = d
		cliOut = append(cliOut, &out{id, d})
		srvOut = append(srvOut, &out{id, d})
	}
	type dg struct {
		toServer bool
		b        []byte
	}
	var q []dg
	send := func(c *Conn, outs []*out) {
		toServer := c == p.client
		for _, o := range outs {
			for (len(o.data) > 0 || c.streams[o.id] != nil && !c.streams[o.id].send.fin) && c.streams[o.id] != nil {
				n, consumed, err := c.WriteStream(nil, nil, p.buf, WriteStreamFlagFin, o.id, o.data, p.ts)
				if err != nil || n == 0 {
					break
				}
				o.data = o.data[consumed:]
				q = append(q, dg{toServer, append([]byte(nil), p.buf[:n]...)})
			}
		}
		for {
			n, err := c.WritePkt(nil, nil, p.buf, p.ts)
			if err != nil || n == 0 {
				break
			}
			q = append(q, dg{toServer, append([]byte(nil), p.buf[:n]...)})
		}
	}
	done := func() bool {
		for id, d := range want {
			if !bytes.Equal(p.srvRecv[id], d) || !p.srvFin[id] || !bytes.Equal(p.cliRecv[id], d) || !p.cliFin[id] {
				return false
			}
		}
		return true
	}
	for round := 0; round < 20000 && !done(); round++ {
		send(p.client, cliOut)
		if round > 0 { // the server's streams exist once the client's frames arrived
			send(p.server, srvOut)
		}
		r.Shuffle(len(q), func(i, j int) { q[i], q[j] = q[j], q[i] })
		for _, d := range q {
			switch x := r.IntN(100); {
			case x < 10: // lost
			case x < 15: // duplicated
				p.deliver(d.toServer, append([]byte(nil), d.b...))
				p.deliver(d.toServer, d.b)
			default:
				p.deliver(d.toServer, d.b)
			}
		}
		q = q[:0]
		if e := min(p.client.Expiry(), p.server.Expiry()); e > p.ts {
			p.ts = min(e, p.ts+Tstamp(5*Milliseconds))
		}
		p.client.HandleExpiry(p.ts)
		p.server.HandleExpiry(p.ts)
		if p.client.LocalError() != nil || p.server.LocalError() != nil || p.client.CloseError() != nil {
			t.Fatalf("round %d: errors client %v server %v close %v", round, p.client.LocalError(), p.server.LocalError(), p.client.CloseError())
		}
	}
	if !done() {
		for id, d := range want {
			t.Errorf("stream %d: server %d/%d fin %v, client %d/%d fin %v", id, len(p.srvRecv[id]), len(d), p.srvFin[id], len(p.cliRecv[id]), len(d), p.cliFin[id])
		}
	}
	if p.client.Info().PacketsLost == 0 || p.server.Info().PacketsLost == 0 {
		t.Errorf("no losses detected: client %d server %d", p.client.Info().PacketsLost, p.server.Info().PacketsLost)
	}
}
