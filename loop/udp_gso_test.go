package loop

import (
	"bytes"
	"net/netip"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// collector records the datagrams a socket receives.
type collector struct {
	BaseUDPHandler
	mu   sync.Mutex
	got  [][]byte
	sock *UDPSocket
}

func (h *collector) OnDatagram(s *UDPSocket, d *Datagram) {
	h.mu.Lock()
	h.got = append(h.got, append([]byte(nil), d.Data...))
	h.sock = s
	h.mu.Unlock()
}

func (h *collector) wait(t *testing.T, n int) [][]byte {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		h.mu.Lock()
		k := len(h.got)
		h.mu.Unlock()
		if k >= n {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([][]byte(nil), h.got...)
}

// burst is n datagrams of size bytes and a last shorter one, each
// starting with its index.
func burst(n, size, last int) [][]byte {
	var out [][]byte
	for i := 0; i <= n; i++ {
		k := size
		if i == n {
			k = last
		}
		b := bytes.Repeat([]byte{byte(i)}, k)
		out = append(out, b)
	}
	return out
}

// sendBurst queues ds to `to` on the first socket of ul in one loop turn
// and returns the socket's stats afterwards.
func sendBurst(t *testing.T, ul *UDPListener, to netip.AddrPort, ds [][]byte) UDPStats {
	t.Helper()
	s := ul.Sockets()[0]
	done := make(chan UDPStats)
	s.Loop().Execute(func() {
		for _, d := range ds {
			if err := s.WriteTo(d, to, 0); err != nil {
				t.Errorf("WriteTo: %v", err)
			}
		}
		s.flush()
		done <- s.Stats()
	})
	return <-done
}

func checkBurst(t *testing.T, what string, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: received %d datagrams, want %d", what, len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("%s: datagram %d is %d bytes (first %x), want %d bytes of %x", what, i, len(got[i]), got[i][:min(1, len(got[i]))], len(want[i]), i)
		}
	}
}

func gsoAvailable(t *testing.T) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if !probeGSO(fd) {
		t.Skip("the kernel has no UDP_SEGMENT (Linux >= 4.18): GSO cannot be tested here")
	}
}

// TestUDPGSOSendsRunsAsOneEntry: 20 datagrams of 1200 bytes and one of
// 500 to one peer leave in one sendmmsg entry with UDP_SEGMENT, and the
// peer gets 21 datagrams, intact and in order.
func TestUDPGSOSendsRunsAsOneEntry(t *testing.T) {
	gsoAvailable(t)
	rx := &collector{}
	_, rul := startUDP(t, Options{Loops: 1}, rx, UDPConfig{})
	_, tul := startUDP(t, Options{Loops: 1}, &collector{}, UDPConfig{})
	want := burst(20, 1200, 500)
	st := sendBurst(t, tul, rul.Addr(), want)
	checkBurst(t, "GSO burst", rx.wait(t, len(want)), want)
	if st.GSOSends == 0 || st.Sent != uint64(len(want)) {
		t.Fatalf("stats %+v: want the run sent with UDP_SEGMENT and %d datagrams counted", st, len(want))
	}
}

// TestUDPGSODisabled: with DisableGSO each datagram is its own entry.
func TestUDPGSODisabled(t *testing.T) {
	rx := &collector{}
	_, rul := startUDP(t, Options{Loops: 1}, rx, UDPConfig{})
	_, tul := startUDP(t, Options{Loops: 1}, &collector{}, UDPConfig{DisableGSO: true})
	want := burst(10, 1200, 100)
	st := sendBurst(t, tul, rul.Addr(), want)
	checkBurst(t, "no GSO", rx.wait(t, len(want)), want)
	if st.GSOSends != 0 {
		t.Fatalf("GSOSends = %d with DisableGSO", st.GSOSends)
	}
}

// TestUDPGSOFallbackWhenKernelRefuses: a kernel that answers a segmented
// send with EIO (a device without checksum offload does) turns GSO off for
// the socket; every datagram still arrives.
func TestUDPGSOFallbackWhenKernelRefuses(t *testing.T) {
	gsoAvailable(t)
	for _, errno := range []unix.Errno{unix.EIO, unix.ENOPROTOOPT} {
		t.Run(errno.Error(), func(t *testing.T) {
			rx := &collector{}
			_, rul := startUDP(t, Options{Loops: 1}, rx, UDPConfig{})
			_, tul := startUDP(t, Options{Loops: 1}, &collector{}, UDPConfig{})
			done := make(chan struct{})
			tul.Sockets()[0].Loop().Execute(func() {
				sendmmsgFn = func(fd int, hs []mmsghdr) (int, unix.Errno) {
					if hs[0].hdr.Iovlen > 1 {
						return 0, errno
					}
					return sendmmsg(fd, hs)
				}
				close(done)
			})
			<-done
			defer func() {
				reset := make(chan struct{})
				tul.Sockets()[0].Loop().Execute(func() { sendmmsgFn = sendmmsg; close(reset) })
				<-reset
			}()
			want := burst(8, 1200, 1200)
			st := sendBurst(t, tul, rul.Addr(), want)
			checkBurst(t, "after the fallback", rx.wait(t, len(want)), want)
			if st.GSOFallbacks != 1 || st.GSOSends != 0 {
				t.Fatalf("stats %+v: want one fallback and no GSO sends", st)
			}
		})
	}
}

// TestUDPGSORunBreaks: a run ends at another peer, another ECN mark, a
// longer datagram, or after a shorter one.
func TestUDPGSORunBreaks(t *testing.T) {
	a := netip.MustParseAddrPort("127.0.0.1:1000")
	b := netip.MustParseAddrPort("127.0.0.1:1001")
	type dg struct {
		to  netip.AddrPort
		n   int
		ecn uint8
	}
	for _, tc := range []struct {
		name string
		q    []dg
		want int
	}{
		{name: "same peer and size", q: []dg{{a, 1200, 0}, {a, 1200, 0}, {a, 1200, 0}}, want: 3},
		{name: "shorter last", q: []dg{{a, 1200, 0}, {a, 700, 0}, {a, 1200, 0}}, want: 2},
		{name: "longer second", q: []dg{{a, 700, 0}, {a, 1200, 0}}, want: 1},
		{name: "other peer", q: []dg{{a, 1200, 0}, {b, 1200, 0}}, want: 1},
		{name: "other ECN", q: []dg{{a, 1200, 2}, {a, 1200, 0}}, want: 1},
		{name: "same ECN", q: []dg{{a, 1200, 2}, {a, 1200, 2}}, want: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var q sendQueue
			q.init(UDPConfig{SendQueue: 8, Batch: 8, MaxDatagram: 2048})
			for i, d := range tc.q {
				q.meta[i] = slotMeta{n: d.n, nameLen: encodeSockaddr(&q.slots[i].name, d.to, false), ctlLen: putECN(&q.slots[i].ctl, d.ecn, false)}
			}
			q.n = len(tc.q)
			if got := q.gsoRun(0, q.n); got != tc.want {
				t.Fatalf("run of %d datagrams, want %d", got, tc.want)
			}
		})
	}
}

// TestUDPGROSplitsCoalescedDatagrams: a GRO socket receiving a GSO burst
// over loopback gets it in few buffers and hands every datagram to
// OnDatagram separately, intact.
func TestUDPGROSplitsCoalescedDatagrams(t *testing.T) {
	gsoAvailable(t)
	rx := &collector{}
	_, rul := startUDP(t, Options{Loops: 1}, rx, UDPConfig{GRO: true})
	if !rul.Sockets()[0].gro {
		t.Skip("the kernel has no UDP_GRO (Linux >= 5.0)")
	}
	_, tul := startUDP(t, Options{Loops: 1}, &collector{}, UDPConfig{})
	want := burst(30, 1200, 300)
	sendBurst(t, tul, rul.Addr(), want)
	checkBurst(t, "GRO", rx.wait(t, len(want)), want)
	done := make(chan UDPStats)
	s := rul.Sockets()[0]
	s.Loop().Execute(func() { done <- s.Stats() })
	st := <-done
	if st.Received != uint64(len(want)) {
		t.Fatalf("Received = %d, want %d", st.Received, len(want))
	}
	t.Logf("GRO: %d coalesced buffers, %d recvmmsg calls for %d datagrams", st.GROReceives, st.RecvCalls, len(want))
}
